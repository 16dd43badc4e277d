package ingest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

// emfDoc is the part of a log line the EMF specification defines.
type emfDoc struct {
	AWS *struct {
		Timestamp         *json.Number
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

// checkEMF checks every line of a batch's log, written by p, against the
// Embedded Metric Format specification and the metrics contract: each
// metrics line is an EMF document, stamped between from and to, counting in
// contract.MetricRecords the records of one source (if configured), outcome
// and reason code, with the dimension sets contract documents, each naming
// top-level string members, the function dimension's being p's
// FunctionName; the counts of the metrics lines are exactly those of the
// record lines, group by group; other lines are not EMF documents. No line
// has two fields whose names differ only in case, which case-insensitive
// readers (Go's encoding/json among them) would confuse.
func checkEMF(t testing.TB, log []byte, p *ingest.Processor, from, to time.Time) {
	t.Helper()
	if p.FunctionName == "" {
		t.Fatal("the Processor has no FunctionName: its metrics would have an empty dimension value")
	}
	type group struct{ source, outcome, code string }
	groupOf := func(line map[string]any) group {
		g := group{}
		g.source, _ = line[contract.DimensionSource].(string)
		if _, configured := p.Receivers[g.source]; !configured {
			g.source = ""
		}
		g.outcome, _ = line[contract.DimensionOutcome].(string)
		g.code, _ = line[contract.DimensionReason].(string)
		return g
	}
	records, counted := map[group]int64{}, map[group]int64{}
	defer func() {
		if !maps.Equal(records, counted) {
			t.Errorf("metrics lines count %v, record lines %v", counted, records)
		}
	}()
	for raw := range bytes.Lines(log) {
		checkUniqueKeys(t, raw)
		var line map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&line); err != nil {
			t.Fatalf("log line is not a JSON object: %v: %s", err, raw)
		}
		var doc emfDoc
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("_aws of %s: %v", raw, err)
		}
		if line["msg"] == "record" {
			records[groupOf(line)]++
		}
		if line["msg"] != "metrics" {
			if doc.AWS != nil {
				t.Errorf("a %v line is an EMF document: %s", line["msg"], raw)
			}
			continue
		}
		if doc.AWS == nil || doc.AWS.Timestamp == nil {
			t.Fatalf("metrics line has no _aws.Timestamp: %s", raw)
		}
		ms, err := doc.AWS.Timestamp.Int64()
		if err != nil || ms < from.UnixMilli() || ms > to.UnixMilli() {
			t.Errorf("_aws.Timestamp %s is not integer milliseconds in [%d, %d]: %s", *doc.AWS.Timestamp, from.UnixMilli(), to.UnixMilli(), raw)
		}
		if len(doc.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("want one metric directive: %s", raw)
		}
		dir := doc.AWS.CloudWatchMetrics[0]
		if dir.Namespace != contract.MetricNamespace {
			t.Errorf("namespace %q, want %q", dir.Namespace, contract.MetricNamespace)
		}
		if len(dir.Metrics) != 1 || dir.Metrics[0].Name != contract.MetricRecords || dir.Metrics[0].Unit != "Count" {
			t.Errorf("metrics %+v, want one %s in Count", dir.Metrics, contract.MetricRecords)
		}
		n, err := line[contract.MetricRecords].(json.Number).Int64()
		if err != nil || n < 1 {
			t.Errorf("metric member %s = %v, want a whole count: %s", contract.MetricRecords, line[contract.MetricRecords], raw)
		}
		if g := groupOf(line); counted[g] != 0 {
			t.Errorf("two metrics lines for %+v", g)
		} else {
			counted[g] = n
		}

		outcome, _ := line[contract.DimensionOutcome].(string)
		code, hasCode := line[contract.DimensionReason].(string)
		switch outcome {
		case contract.OutcomeStored, contract.OutcomeDuplicate:
			if hasCode {
				t.Errorf("%s record with reason code %q: %s", outcome, code, raw)
			}
		case contract.OutcomeRejected, contract.OutcomeQuarantined:
			if !slices.Contains(contract.RejectReasons, code) {
				t.Errorf("%s record with reason code %q: %s", outcome, code, raw)
			}
		case contract.OutcomeConflict:
			if code != contract.ReasonConflict {
				t.Errorf("conflict record with reason code %q: %s", code, raw)
			}
		case contract.OutcomeRetry:
			if !slices.Contains(contract.RetryReasons, code) {
				t.Errorf("retried record with reason code %q: %s", code, raw)
			}
		default:
			t.Errorf("outcome %q: %s", outcome, raw)
		}

		if fn := line[contract.DimensionFunction]; fn != p.FunctionName {
			t.Errorf("member %s = %v, want the function name %q: %s", contract.DimensionFunction, fn, p.FunctionName, raw)
		}
		src, _ := line[contract.DimensionSource].(string)
		_, configured := p.Receivers[src]
		fn := contract.DimensionFunction
		want := [][]string{{fn, contract.DimensionOutcome}}
		if configured {
			want = append(want, []string{fn, contract.DimensionSource, contract.DimensionOutcome})
		}
		if hasCode {
			want = append(want, []string{fn, contract.DimensionOutcome, contract.DimensionReason})
			if configured {
				want = append(want, []string{fn, contract.DimensionSource, contract.DimensionOutcome, contract.DimensionReason})
			}
		}
		if !sameSets(dir.Dimensions, want) {
			t.Errorf("dimension sets %v, want %v: %s", dir.Dimensions, want, raw)
		}
		for _, set := range dir.Dimensions {
			if len(set) > 30 {
				t.Errorf("dimension set of %d names, EMF allows 30", len(set))
			}
			for _, name := range set {
				if v, ok := line[name].(string); !ok || v == "" {
					t.Errorf("dimension %q is not a non-empty top-level string member: %s", name, raw)
				}
			}
		}
	}
}

func sameSets(got, want [][]string) bool {
	key := func(sets [][]string) []string {
		out := make([]string, len(sets))
		for i, s := range sets {
			out[i] = strings.Join(s, ",")
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(got), key(want))
}

// checkUniqueKeys fails if two top-level members of a JSON object differ only
// in case (or are equal).
func checkUniqueKeys(t testing.TB, raw []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("log line is not a JSON object: %s", raw)
	}
	seen := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("log line %s: %v", raw, err)
		}
		k := tok.(string)
		if prev, dup := seen[strings.ToLower(k)]; dup {
			t.Errorf("log line has fields %q and %q: %s", prev, k, raw)
		}
		seen[strings.ToLower(k)] = k
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("log line %s: %v", raw, err)
		}
	}
}

// extractMetrics does what CloudWatch Logs does with EMF log lines: for every
// dimension set of every directive, one datapoint of each metric, identified
// here by namespace, metric name and dimension values. It returns the sum of
// the datapoints of each metric.
func extractMetrics(t testing.TB, log []byte) map[string]float64 {
	t.Helper()
	sums := map[string]float64{}
	for raw := range bytes.Lines(log) {
		var line map[string]any
		var doc emfDoc
		if err := json.Unmarshal(raw, &line); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &doc); err != nil || doc.AWS == nil {
			continue
		}
		for _, dir := range doc.AWS.CloudWatchMetrics {
			for _, m := range dir.Metrics {
				value, ok := line[m.Name].(float64)
				if !ok {
					t.Fatalf("metric %s has no numeric member: %s", m.Name, raw)
				}
				for _, set := range dir.Dimensions {
					dims := make([]string, len(set))
					for i, name := range set {
						dims[i] = fmt.Sprintf("%s=%v", name, line[name])
					}
					slices.Sort(dims)
					sums[dir.Namespace+"/"+m.Name+"{"+strings.Join(dims, ",")+"}"] += value
				}
			}
		}
	}
	return sums
}

// metric names one metric of function as extractMetrics does: dims are the
// other name=value pairs.
func metric(function string, dims ...string) string {
	dims = append([]string{contract.DimensionFunction + "=" + function}, dims...)
	slices.Sort(dims)
	return contract.MetricNamespace + "/" + contract.MetricRecords + "{" + strings.Join(dims, ",") + "}"
}

// TestRecordMetrics runs a batch with every outcome through a Processor and
// extracts the CloudWatch metrics from its log as CloudWatch would: a count
// per outcome and source, per rejection and retry reason, and none with the
// source dimension of an unconfigured source.
func TestRecordMetrics(t *testing.T) {
	h := newHarness(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/evt-denied") {
				accessDenied.write(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, noSDKRetries)
	h.proc.Receivers["broken"] = brokenReceiver(t, "broken") // no verifier: panics
	h.proc.Concurrency = 1

	now := time.Now()
	const body = `{"n":1}`
	generic := func(msgID, id string) events.SQSMessage {
		return message(msgID, body, now, genericAttrs(id, "orders/create", body))
	}
	recs := []events.SQSMessage{
		generic("m-1", "evt-1"),
		generic("m-2", "evt-1"),
		generic("m-3", "evt-2"),
		withAttr(generic("m-4", "evt-4"), contract.AttrSignature, strings.Repeat("ab", 32)),
		withAttr(generic("m-5", "evt-5"), contract.AttrSignature, "nothex"),
		withAttr(generic("m-6", "evt-6"), contract.AttrSource, "ghost"),
		generic("m-7", "evt-denied"),
		withAttr(generic("m-8", "evt-8"), contract.AttrSource, "broken"),
		message("m-9", body, now, standardAttrs("msg_9", now.Add(-time.Hour), body)),
		message("m-10", body, now, standardAttrs("msg_10", now, body)),
	}
	resp, lines := h.handle(recs...)
	outcomes(t, recs, resp, lines)

	got := extractMetrics(t, h.logs.Bytes())
	metric := func(dims ...string) string { return metric(testFunction, dims...) }
	src := func(s string) string { return contract.DimensionSource + "=" + s }
	out := func(o string) string { return contract.DimensionOutcome + "=" + o }
	why := func(c string) string { return contract.DimensionReason + "=" + c }
	want := map[string]float64{
		metric(out("stored")):                        3,
		metric(out("duplicate")):                     1,
		metric(out("rejected")):                      4,
		metric(out("retry")):                         2,
		metric(src(genericSource), out("stored")):    2,
		metric(src(standardSource), out("stored")):   1,
		metric(src(genericSource), out("duplicate")): 1,
		metric(src(genericSource), out("rejected")):  2,
		metric(src(standardSource), out("rejected")): 1,
		metric(src(genericSource), out("retry")):     1,
		metric(src("broken"), out("retry")):          1,

		metric(out("rejected"), why(contract.ReasonNoMatchingSecret)):                       1,
		metric(out("rejected"), why(contract.ReasonMalformedSignature)):                     1,
		metric(out("rejected"), why(contract.ReasonUnknownSource)):                          1,
		metric(out("rejected"), why(contract.ReasonOutsideWindow)):                          1,
		metric(out("retry"), why(contract.ReasonStoreFailed)):                               1,
		metric(out("retry"), why(contract.ReasonPanic)):                                     1,
		metric(src(genericSource), out("rejected"), why(contract.ReasonNoMatchingSecret)):   1,
		metric(src(genericSource), out("rejected"), why(contract.ReasonMalformedSignature)): 1,
		metric(src(standardSource), out("rejected"), why(contract.ReasonOutsideWindow)):     1,
		metric(src(genericSource), out("retry"), why(contract.ReasonStoreFailed)):           1,
		metric(src("broken"), out("retry"), why(contract.ReasonPanic)):                      1,
	}
	if !maps.Equal(got, want) {
		for k, v := range got {
			if want[k] != v {
				t.Errorf("extracted %s = %v, want %v", k, v, want[k])
			}
		}
		for k, v := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("no metric %s, want %v", k, v)
			}
		}
	}
}

// TestMetricsOfTwoStacks runs one source name in two functions, as two
// stacks in one account and region would, and extracts the metrics of both
// logs together, as CloudWatch would: the rejection in one function counts
// only in that function's metrics, so it cannot raise the other stack's
// alarm, whose dimensions are [function, source, outcome].
func TestMetricsOfTwoStacks(t *testing.T) {
	h := newHarness(t, nil)
	const body = `{"n":1}`
	now := time.Now()
	var log bytes.Buffer
	for _, run := range []struct {
		function string
		rec      events.SQSMessage
	}{
		{"webhook-ingest-dev-processor", withAttr(message("m-1", body, now, genericAttrs("evt-1", "orders/create", body)), contract.AttrSignature, strings.Repeat("ab", 32))},
		{"webhook-ingest-prod-processor", message("m-2", body, now, genericAttrs("evt-2", "orders/create", body))},
	} {
		h.proc.FunctionName = run.function
		h.handle(run.rec)
		log.Write(h.logs.Bytes())
	}

	got := extractMetrics(t, log.Bytes())
	src := contract.DimensionSource + "=" + genericSource
	rejected := contract.DimensionOutcome + "=" + contract.OutcomeRejected
	stored := contract.DimensionOutcome + "=" + contract.OutcomeStored
	for _, tc := range []struct {
		metric string
		want   float64
	}{
		{metric("webhook-ingest-dev-processor", src, rejected), 1},
		{metric("webhook-ingest-prod-processor", src, rejected), 0},
		{metric("webhook-ingest-prod-processor", src, stored), 1},
		{metric("webhook-ingest-dev-processor", src, stored), 0},
	} {
		if got[tc.metric] != tc.want {
			t.Errorf("%s = %v, want %v", tc.metric, got[tc.metric], tc.want)
		}
	}
	for k := range got {
		if !strings.Contains(k, contract.DimensionFunction+"=") {
			t.Errorf("metric %s names no function", k)
		}
	}
}
