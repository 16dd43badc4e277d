package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
	"github.com/webhook-ingest/webhook-ingest/internal/s3test"
	"github.com/webhook-ingest/webhook-ingest/internal/ssmtest"
)

// functionName is the function name the bootstrap gets, as Lambda sets it.
// The emulator would default it to "test_function"; setting it shows that
// the metrics take the name from the environment.
const functionName = "webhook-ingest-e2e-processor"

// failingSource is a source whose uploads the fake S3 always refuses with a
// 503 SlowDown, as S3 does under throttling.
const failingSource = "flaky"

// fakeS3 starts gofakes3 behind a handler that refuses uploads under the
// failing source's prefix, adds latency to every request and counts them.
func fakeS3(tb testing.TB, latency time.Duration) (*s3test.Server, *atomic.Int64) {
	tb.Helper()
	var requests atomic.Int64
	srv := s3test.Start(tb, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			time.Sleep(latency)
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/"+failingSource+"/") {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>`)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	return srv, &requests
}

// world is everything the bootstrap talks to, plus its environment.
type world struct {
	s3       *s3test.Server
	requests *atomic.Int64
	ssm      *ssmtest.Server
	env      map[string]string
}

// newWorld configures one source per sender plus the failing source, each
// with its secret in SSM.
func newWorld(tb testing.TB, s3Latency time.Duration) *world {
	tb.Helper()
	s3srv, requests := fakeS3(tb, s3Latency)
	var params []ssmtest.Parameter
	var sources []contract.Source
	var selectors []string
	add := func(src contract.Source, secret string) {
		selector := "/webhook-ingest/e2e/" + src.Name
		sources = append(sources, src)
		selectors = append(selectors, selector)
		params = append(params, ssmtest.Parameter{Name: selector, Type: ssmtest.SecureString, Value: secret})
	}
	for _, preset := range contract.PresetNames() {
		add(senders[preset].source, senders[preset].secret)
	}
	flaky := senders["generic"].source
	flaky.Name = failingSource
	add(flaky, senders["generic"].secret)

	ssmSrv := ssmtest.NewServer(params...)
	tb.Cleanup(ssmSrv.Close)
	resolved, err := contract.ResolveSources(sources)
	if err != nil {
		tb.Fatal(err)
	}
	sourcesJSON, err := contract.EncodeEnvSources(resolved, selectors)
	if err != nil {
		tb.Fatal(err)
	}
	return &world{s3: s3srv, requests: requests, ssm: ssmSrv, env: map[string]string{
		"AWS_REGION":                  s3test.Region,
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "e2e-dummy-access-secret",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL_S3":         s3srv.URL,
		"AWS_ENDPOINT_URL_SSM":        ssmSrv.URL,
		"AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
		contract.EnvFunctionName:      functionName,
		contract.EnvBucket:            s3srv.Bucket,
		contract.EnvSources:           sourcesJSON,
	}}
}

// editSources rewrites the sources in w.env: edit may change each source
// and its secret selector, which are then resolved and encoded again.
func (w *world) editSources(tb testing.TB, edit func(i int, src *contract.Source, selector *string)) {
	tb.Helper()
	sources, err := contract.ParseEnvSources(w.env[contract.EnvSources])
	if err != nil {
		tb.Fatal(err)
	}
	resolved := make([]contract.ResolvedSource, len(sources))
	selectors := make([]string, len(sources))
	for i, s := range sources {
		src := s.Source
		selectors[i] = s.SecretSelector
		edit(i, &src, &selectors[i])
		if resolved[i], err = src.Resolve(); err != nil {
			tb.Fatal(err)
		}
	}
	if w.env[contract.EnvSources], err = contract.EncodeEnvSources(resolved, selectors); err != nil {
		tb.Fatal(err)
	}
}

// record builds the SQS record of a delivery from source, as the API
// Gateway mapping would.
func record(messageID, source string, d delivery, sent time.Time) events.SQSMessage {
	attrs := map[string]string{contract.AttrSource: source}
	for k, v := range d.attrs {
		attrs[k] = v
	}
	return sqsRecord(messageID, d.body, attrs, sent)
}

// object returns the stored bytes under key, or ok false when there is none.
func (w *world) object(tb testing.TB, key string) (body []byte, ok bool) {
	tb.Helper()
	out, err := w.s3.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(w.s3.Bucket), Key: aws.String(key)})
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return nil, false
	}
	if err != nil {
		tb.Fatalf("get %q: %v", key, err)
	}
	defer out.Body.Close()
	body, err = io.ReadAll(out.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return body, true
}

func (w *world) keys(tb testing.TB) []string {
	tb.Helper()
	out, err := w.s3.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(w.s3.Bucket)})
	if err != nil {
		tb.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

func mustKey(tb testing.TB, source, id string) string {
	tb.Helper()
	k, err := contract.ObjectKey(source, id)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// outcomes returns the outcome each message id was logged with, failing on
// a record logged twice or on any line whose time is not RFC 3339 in UTC to
// the millisecond (msTime).
func outcomes(tb testing.TB, logs []map[string]any) map[string]string {
	tb.Helper()
	out := make(map[string]string)
	for _, l := range logs {
		s, _ := l[slog.TimeKey].(string)
		if t, err := time.Parse(time.RFC3339, s); err != nil || t.UTC().Format(contract.ReceivedAtLayout) != s {
			tb.Errorf("log line's time %q is not RFC 3339 in UTC to the millisecond: %v", s, l)
		}
		if l["msg"] != "record" {
			continue
		}
		id, _ := l["message_id"].(string)
		if prev, dup := out[id]; dup {
			tb.Errorf("message %s logged twice (%s, then %v)", id, prev, l["outcome"])
		}
		out[id], _ = l["outcome"].(string)
	}
	return out
}

// assertNoLeak fails if a secret, a body or a signature appears in the
// emulator's output, raw or inside a decoded log value.
func assertNoLeak(tb testing.TB, e *emulator, logs []map[string]any, forbidden []string) {
	tb.Helper()
	raw := e.stdout.String() + e.stderr.String()
	var values []string
	for _, l := range logs {
		for _, v := range l {
			values = append(values, fmt.Sprint(v))
		}
	}
	for _, f := range forbidden {
		if f == "" {
			continue
		}
		if strings.Contains(raw, f) || slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, f) }) {
			tb.Errorf("log output contains %q", f)
		}
	}
}

func TestEndToEnd(t *testing.T) {
	w := newWorld(t, 0)
	e := startEmulator(t, w.env)
	now := time.Now()
	generic := senders["generic"]
	var forbidden []string
	for _, s := range senders {
		forbidden = append(forbidden, strings.Split(strings.TrimSpace(s.secret), "\n")...)
	}
	forbidden = append(forbidden, "e2e-dummy-access-secret")
	// A body or signature is only forbidden in full: short ids inside them
	// are logged on purpose.
	forbid := func(d delivery) { forbidden = append(forbidden, d.body, d.attrs[contract.AttrSignature]) }

	t.Run("batch", func(t *testing.T) {
		d1, d2, d3 := generic.sign("", 1, now), generic.sign("", 2, now), generic.sign("", 3, now)
		bad := generic.sign("", 4, now)
		bad.attrs[contract.AttrSignature] = strings.Repeat("0", 64)
		for _, d := range []delivery{d1, d2, d3, bad} {
			forbid(d)
		}
		name := generic.source.Name
		records := []events.SQSMessage{
			record("m-1", name, d1, now),
			record("m-2", name, d2, now),
			record("m-3", name, d3, now),
			record("m-1-again", name, d1, now),
			record("m-bad-sig", name, bad, now),
			record("m-unknown", "nobody", d1, now),
			record("m-flaky", failingSource, d2, now),
		}
		resp, raw, logs := e.batch(t, records...)
		if want := `{"batchItemFailures":[{"itemIdentifier":"m-flaky"}]}`; string(raw) != want {
			t.Errorf("response = %s, want exactly %s", raw, want)
		}
		if len(resp.BatchItemFailures) != 1 {
			t.Errorf("failures = %+v", resp.BatchItemFailures)
		}

		for _, d := range []delivery{d1, d2, d3} {
			got, ok := w.object(t, mustKey(t, name, d.id))
			if !ok || !bytes.Equal(got, []byte(d.body)) {
				t.Errorf("object for %q = %q (found %v), want the body byte for byte: %q", d.id, got, ok, d.body)
			}
		}
		if _, ok := w.object(t, mustKey(t, name, bad.id)); ok {
			t.Error("a badly signed delivery was stored")
		}
		if _, ok := w.object(t, mustKey(t, failingSource, d2.id)); ok {
			t.Error("the failing source's delivery was stored")
		}
		if got := len(w.keys(t)); got != 3 {
			t.Errorf("bucket holds %d objects, want 3: %q", got, w.keys(t))
		}

		got := outcomes(t, logs)
		// The two copies of d1 race: exactly one stores it.
		first, again := got["m-1"], got["m-1-again"]
		if !(first == "stored" && again == "duplicate" || first == "duplicate" && again == "stored") {
			t.Errorf("copies of one delivery logged %q and %q, want one stored and one duplicate", first, again)
		}
		for id, want := range map[string]string{"m-2": "stored", "m-3": "stored", "m-bad-sig": "rejected", "m-unknown": "rejected", "m-flaky": "retry"} {
			if got[id] != want {
				t.Errorf("message %s logged outcome %q, want %q", id, got[id], want)
			}
		}

		for _, l := range logs {
			if l["msg"] == "record" && l["message_id"] == "m-bad-sig" {
				if reason, _ := l["reason"].(string); !strings.Contains(reason, contract.ErrNoMatchingSecret.Error()) {
					t.Errorf("badly signed record logged reason %q, want it to name the failed check", reason)
				}
			}
		}

		// SQS redelivers the whole batch: nothing new is stored and only the
		// failing record is reported again.
		_, raw, logs = e.batch(t, records...)
		if want := `{"batchItemFailures":[{"itemIdentifier":"m-flaky"}]}`; string(raw) != want {
			t.Errorf("redelivery response = %s, want exactly %s", raw, want)
		}
		got = outcomes(t, logs)
		for id, want := range map[string]string{"m-1": "duplicate", "m-1-again": "duplicate", "m-2": "duplicate", "m-3": "duplicate", "m-bad-sig": "rejected", "m-unknown": "rejected", "m-flaky": "retry"} {
			if got[id] != want {
				t.Errorf("redelivered message %s logged outcome %q, want %q", id, got[id], want)
			}
		}
		if got := len(w.keys(t)); got != 3 {
			t.Errorf("after redelivery the bucket holds %d objects, want 3", got)
		}
	})

	t.Run("every preset", func(t *testing.T) {
		var records []events.SQSMessage
		want := make(map[string]string) // key -> body
		for _, preset := range contract.PresetNames() {
			s := senders[preset]
			d := s.sign(strings.Split(s.secret, "\n")[0], 100, now)
			forbid(d)
			records = append(records, record("m-"+preset, s.source.Name, d, now))
			want[mustKey(t, s.source.Name, d.id)] = d.body
		}
		resp, raw, logs := e.batch(t, records...)
		if len(resp.BatchItemFailures) != 0 {
			t.Errorf("failures = %s, want none", raw)
		}
		assertNoFailures(t, raw)
		logged := outcomes(t, logs)
		for _, preset := range contract.PresetNames() {
			if got := logged["m-"+preset]; got != "stored" {
				t.Errorf("%s: outcome %q, want stored", preset, got)
			}
		}
		for key, body := range want {
			got, ok := w.object(t, key)
			if !ok || !bytes.Equal(got, []byte(body)) {
				t.Errorf("object %q = %q (found %v), want %q", key, got, ok, body)
			}
		}
	})

	t.Run("logs", func(t *testing.T) {
		logs := e.functionLogs(t, 0)
		batches := 0
		for _, l := range logs {
			if l["msg"] == "batch" {
				batches++
			}
		}
		if batches != 3 {
			t.Errorf("%d batch log lines, want 3 (one per invocation)", batches)
		}
		// Every outcome, and a source that is not configured, went through
		// the real logger to the emulator's stdout.
		if n, want := assertEMF(t, logs, now, time.Now()), 2*7+len(contract.PresetNames()); n != want {
			t.Errorf("%d record lines, want %d (one per record: the batch of 7 twice, one per preset)", n, want)
		}
		assertNoLeak(t, e, logs, forbidden)
	})

	// Secrets were read once, at the one cold start, in as few calls as SSM
	// allows.
	sources := len(contract.PresetNames()) + 1
	calls := w.ssm.Calls()
	if want := (sources + ssmtest.MaxNames - 1) / ssmtest.MaxNames; len(calls) != want {
		t.Errorf("SSM calls = %+v, want %d GetParameters for %d parameters", calls, want, sources)
	}
	for _, c := range calls {
		if !c.WithDecryption {
			t.Errorf("GetParameters %q without decryption", c.Names)
		}
	}
	if inits := e.initDurations(); len(inits) != 1 {
		t.Errorf("emulator reported %d init phases, want 1 cold start: %v", len(inits), inits)
	}
}

func TestEndToEndBrokenConfiguration(t *testing.T) {
	w := newWorld(t, 0)
	const missing = "/webhook-ingest/e2e/not-created"
	w.editSources(t, func(i int, _ *contract.Source, selector *string) {
		if i == 0 {
			*selector = missing
		}
	})
	e := startEmulator(t, w.env)

	logs := assertColdStartFails(t, e, configErrorType, "cold start failed: broken configuration", missing)
	if n := w.requests.Load(); n != 0 {
		t.Errorf("S3 received %d requests from a broken function", n)
	}
	if keys := w.keys(t); len(keys) != 0 {
		t.Errorf("bucket holds %q, want nothing", keys)
	}
	var secrets []string
	for _, s := range senders {
		secrets = append(secrets, strings.Split(strings.TrimSpace(s.secret), "\n")...)
	}
	assertNoLeak(t, e, logs, secrets)
}

// TestEndToEndConfigurationLoadFailure checks that a cold start that SSM
// throttles or that cannot reach SSM fails as a load failure, which the next
// invocation tries again, and not as a broken configuration.
func TestEndToEndConfigurationLoadFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(testing.TB, *world)
		want  string // in the error
	}{
		{
			name: "throttled",
			fault: func(_ testing.TB, w *world) {
				w.ssm.Fail(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
			},
			want: "ThrottlingException",
		},
		{
			name:  "unreachable",
			fault: func(tb testing.TB, w *world) { w.env["AWS_ENDPOINT_URL_SSM"] = "http://" + freeAddr(tb) },
			want:  "connection refused",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 0)
			tc.fault(t, w)
			e := startEmulator(t, w.env)
			assertColdStartFails(t, e, loadErrorType, "cold start failed: could not load the configuration", tc.want)
		})
	}
}

// assertColdStartFails invokes e twice and checks that init ran and failed
// each time, that each invocation reports errorType with a message holding
// want, and that the function logged msg at level ERROR with that error. It
// returns the function's log lines.
func assertColdStartFails(tb testing.TB, e *emulator, errorType, msg, want string) []map[string]any {
	tb.Helper()
	d := senders["generic"].sign("", 1, time.Now())
	for attempt := range 2 {
		status, body := e.invoke(tb, events.SQSEvent{Records: []events.SQSMessage{record("m-1", senders["generic"].source.Name, d, time.Now())}})
		var fnErr struct{ ErrorType, ErrorMessage string }
		if err := json.Unmarshal(body, &fnErr); err != nil || fnErr.ErrorType != errorType || !strings.Contains(fnErr.ErrorMessage, want) {
			tb.Errorf("attempt %d: HTTP %d %s, want a %s naming %s", attempt, status, body, errorType, want)
		}
	}
	// Every invocation ran init again, so a passing cause or a fixed
	// configuration is picked up.
	if inits := e.initDurations(); len(inits) < 2 {
		tb.Errorf("emulator reported %d init phases, want one per invocation", len(inits))
	}
	logs := e.functionLogs(tb, 0)
	found := 0
	for _, l := range logs {
		if l["level"] == "ERROR" && strings.HasPrefix(fmt.Sprint(l["msg"]), msg) && strings.Contains(fmt.Sprint(l["error"]), want) {
			found++
		}
	}
	if found != 2 {
		tb.Errorf("%d ERROR log lines %q naming %s, want one per invocation:\n%s", found, msg, want, e.stdout.String())
	}
	return logs
}

// assertNoFailures checks that a partial batch response reports no failure:
// Lambda reads an empty and a null batchItemFailures alike, as success.
func assertNoFailures(tb testing.TB, raw []byte) {
	tb.Helper()
	if s := string(raw); s != `{"batchItemFailures":[]}` && s != `{"batchItemFailures":null}` {
		tb.Errorf("response = %s, want an empty batchItemFailures", s)
	}
}

// emfRoot is the _aws member of an Embedded Metric Format document.
type emfRoot struct {
	Timestamp         *float64
	CloudWatchMetrics []struct {
		Namespace  string
		Dimensions [][]string
		Metrics    []struct{ Name, Unit string }
	}
}

// maxEMFDimensions is the most dimensions EMF allows in one dimension set.
const maxEMFDimensions = 30

// assertEMF checks the metrics lines of logs as CloudWatch Logs reads them
// from the function's stdout: each is an Embedded Metric Format document with
// _aws at the top level, a Timestamp in whole milliseconds within [from, to],
// one directive in contract.MetricNamespace whose dimension sets each name
// the function and top-level string members, the function's being
// functionName, and contract.MetricRecords in Count; record lines are not
// EMF documents; and the metrics lines count, outcome by outcome, what the
// record lines say. It returns how many record lines it checked.
func assertEMF(tb testing.TB, logs []map[string]any, from, to time.Time) int {
	tb.Helper()
	records, counted := map[string]float64{}, map[string]float64{}
	n := 0
	for _, l := range logs {
		switch l["msg"] {
		case "record":
			n++
			records[fmt.Sprint(l[contract.DimensionOutcome], "/", l[contract.DimensionReason])]++
			if l["_aws"] != nil {
				tb.Errorf("record line is an EMF document: %v", l)
			}
			continue
		case "metrics":
		default:
			continue
		}
		raw, err := json.Marshal(l["_aws"])
		if err != nil {
			tb.Fatal(err)
		}
		var root emfRoot
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if l["_aws"] == nil || dec.Decode(&root) != nil || root.Timestamp == nil {
			tb.Errorf("metrics line has no top-level _aws with a Timestamp: %v", l)
			continue
		}
		if ts := *root.Timestamp; ts != math.Trunc(ts) || ts < float64(from.UnixMilli()) || ts > float64(to.UnixMilli()) {
			tb.Errorf("_aws.Timestamp %v is not whole milliseconds in [%d, %d]: %v", ts, from.UnixMilli(), to.UnixMilli(), l)
		}
		if len(root.CloudWatchMetrics) != 1 {
			tb.Errorf("_aws.CloudWatchMetrics has %d directives, want 1: %s", len(root.CloudWatchMetrics), raw)
			continue
		}
		dir := root.CloudWatchMetrics[0]
		if dir.Namespace != contract.MetricNamespace {
			tb.Errorf("namespace %q, want %q: %s", dir.Namespace, contract.MetricNamespace, raw)
		}
		if len(dir.Dimensions) == 0 {
			tb.Errorf("no dimension set: %s", raw)
		}
		if fn := l[contract.DimensionFunction]; fn != functionName {
			tb.Errorf("member %s = %v, want the function's name %q: %v", contract.DimensionFunction, fn, functionName, l)
		}
		for _, set := range dir.Dimensions {
			if len(set) == 0 || len(set) > maxEMFDimensions {
				tb.Errorf("dimension set %q: want 1 to %d dimensions", set, maxEMFDimensions)
			}
			if !slices.Contains(set, contract.DimensionFunction) {
				tb.Errorf("dimension set %q does not name the function: %s", set, raw)
			}
			for _, d := range set {
				if _, ok := l[d].(string); !ok {
					tb.Errorf("dimension %q is not a top-level string member: %v", d, l)
				}
			}
		}
		if len(dir.Metrics) != 1 || dir.Metrics[0].Name != contract.MetricRecords || dir.Metrics[0].Unit != "Count" {
			tb.Errorf("metrics %+v, want one %s in Count", dir.Metrics, contract.MetricRecords)
		}
		v, ok := l[contract.MetricRecords].(float64)
		if !ok || v < 1 || v != math.Trunc(v) {
			tb.Errorf("metric member %s = %v, want a whole count: %v", contract.MetricRecords, l[contract.MetricRecords], l)
		}
		counted[fmt.Sprint(l[contract.DimensionOutcome], "/", l[contract.DimensionReason])] += v
	}
	if !maps.Equal(records, counted) {
		tb.Errorf("metrics lines count %v by outcome/reason, record lines %v", counted, records)
	}
	return n
}

// recordLine returns the record log line of a message id.
func recordLine(tb testing.TB, logs []map[string]any, messageID string) map[string]any {
	tb.Helper()
	for _, l := range logs {
		if l["msg"] == "record" && l["message_id"] == messageID {
			return l
		}
	}
	tb.Fatalf("no record line for message %s", messageID)
	return nil
}

// assertHandOff checks that calls is one PutEvents call carrying exactly the
// hand-off event of delivery d from the generic source, received at sent, on
// bus. The detail is read as the JSON consumers match on, not through
// handoff.Event, so that a renamed field shows.
func assertHandOff(tb testing.TB, w *world, calls [][]eventbridgetest.Entry, bus string, d delivery, sent time.Time) {
	tb.Helper()
	if len(calls) != 1 || len(calls[0]) != 1 {
		tb.Errorf("PutEvents calls %+v, want one call with one entry", calls)
		return
	}
	got := calls[0][0]
	topic := d.attrs[contract.AttrTopic]
	if got.Source != contract.EventSource || got.DetailType != topic || got.EventBusName != bus {
		tb.Errorf("entry Source %q DetailType %q EventBusName %q, want %q %q %q", got.Source, got.DetailType, got.EventBusName, contract.EventSource, topic, bus)
	}
	var detail map[string]any
	dec := json.NewDecoder(strings.NewReader(got.Detail))
	dec.UseNumber()
	if err := dec.Decode(&detail); err != nil {
		tb.Fatalf("detail %s: %v", got.Detail, err)
	}
	received, _ := detail["receivedAt"].(string)
	delete(detail, "receivedAt")
	if at, err := time.Parse(time.RFC3339Nano, received); err != nil || !strings.HasSuffix(received, "Z") || !at.Equal(time.UnixMilli(sent.UnixMilli())) {
		tb.Errorf("detail receivedAt %q, want %s in UTC (the SentTimestamp)", received, time.UnixMilli(sent.UnixMilli()).UTC().Format(time.RFC3339Nano))
	}
	source := senders["generic"].source.Name
	want := map[string]any{
		"source":    source,
		"topic":     topic,
		"webhookId": d.id,
		"bucket":    w.s3.Bucket,
		"key":       mustKey(tb, source, d.id),
		"size":      json.Number(strconv.Itoa(len(d.body))),
	}
	if !reflect.DeepEqual(detail, want) {
		tb.Errorf("detail %s, want the fields %v and receivedAt", got.Detail, want)
	}
}

// TestEndToEndHandOff runs the bootstrap with the optional EventBridge
// hand-off configured only through its environment, as the stack configures
// it, with the SDK's own retryer in place: stored and duplicate records each
// publish their event, and a publish that fails turns a stored record into a
// retry whose redelivery ends duplicate and published.
func TestEndToEndHandOff(t *testing.T) {
	const bus = "webhook-ingest-e2e"
	start := time.Now()
	w := newWorld(t, 0)
	eb := eventbridgetest.NewServer()
	t.Cleanup(eb.Close)
	w.env[contract.EnvEventBus] = bus
	w.env["AWS_ENDPOINT_URL_EVENTBRIDGE"] = eb.URL
	e := startEmulator(t, w.env)

	generic := senders["generic"]
	name := generic.source.Name
	now := time.Now()
	d1, d2 := generic.sign("", 1, now), generic.sign("", 2, now)
	bad := generic.sign("", 3, now)
	bad.attrs[contract.AttrSignature] = strings.Repeat("0", 64)
	// batch invokes with records and returns the response, the log lines
	// and the PutEvents calls of that invocation.
	batch := func(t *testing.T, records ...events.SQSMessage) ([]byte, []map[string]any, [][]eventbridgetest.Entry) {
		t.Helper()
		before := len(eb.Calls())
		_, raw, logs := e.batch(t, records...)
		return raw, logs, eb.Calls()[before:]
	}
	assertOutcome := func(t *testing.T, logs []map[string]any, messageID, outcome string, published bool) {
		t.Helper()
		l := recordLine(t, logs, messageID)
		if l["outcome"] != outcome || l["published"] != published {
			t.Errorf("message %s logged outcome %v published %v (reason %v), want %s published %v", messageID, l["outcome"], l["published"], l["reason"], outcome, published)
		}
	}
	t.Run("stored and duplicate", func(t *testing.T) {
		raw, logs, calls := batch(t, record("m-1", name, d1, now), record("m-bad-sig", name, bad, now))
		assertNoFailures(t, raw)
		assertOutcome(t, logs, "m-1", contract.OutcomeStored, true)
		if l := recordLine(t, logs, "m-bad-sig"); l["outcome"] != contract.OutcomeRejected || l["published"] != nil {
			t.Errorf("badly signed record logged outcome %v published %v, want rejected without a hand-off", l["outcome"], l["published"])
		}
		assertHandOff(t, w, calls, bus, d1, now)

		// SQS redelivers it: the object is there, and the event goes out again.
		raw, logs, calls = batch(t, record("m-1", name, d1, now))
		assertNoFailures(t, raw)
		assertOutcome(t, logs, "m-1", contract.OutcomeDuplicate, true)
		assertHandOff(t, w, calls, bus, d1, now)
	})

	t.Run("EventBridge failure", func(t *testing.T) {
		eb.FailCalls(func(int) *eventbridgetest.Failure {
			return &eventbridgetest.Failure{Status: http.StatusInternalServerError, Code: "InternalException", Message: "internal error"}
		})
		raw, logs, calls := batch(t, record("m-2", name, d2, now))
		if want := `{"batchItemFailures":[{"itemIdentifier":"m-2"}]}`; string(raw) != want {
			t.Errorf("response = %s, want exactly %s", raw, want)
		}
		assertOutcome(t, logs, "m-2", contract.OutcomeRetry, false)
		if l := recordLine(t, logs, "m-2"); l[contract.DimensionReason] != contract.ReasonPublishFailed || l["key"] != mustKey(t, name, d2.id) {
			t.Errorf("retried record logged reason code %v key %v, want %s and its key", l[contract.DimensionReason], l["key"], contract.ReasonPublishFailed)
		}
		// ingest.EventBridgeOptions allows the SDK one quick second attempt
		// at a failed call, and the Publisher resends none.
		if len(calls) != 2 {
			t.Errorf("%d PutEvents calls, want 2 (the SDK's retry of a failed call)", len(calls))
		}
		if got, ok := w.object(t, mustKey(t, name, d2.id)); !ok || !bytes.Equal(got, []byte(d2.body)) {
			t.Errorf("object = %q (found %v), want the body stored before the hand-off: %q", got, ok, d2.body)
		}

		eb.FailCalls(nil)
		again := record("m-2", name, d2, now)
		again.Attributes["ApproximateReceiveCount"] = "2"
		raw, logs, calls = batch(t, again)
		assertNoFailures(t, raw)
		assertOutcome(t, logs, "m-2", contract.OutcomeDuplicate, true)
		assertHandOff(t, w, calls, bus, d2, now)
	})

	logs := e.functionLogs(t, 0)
	if n := assertEMF(t, logs, start, time.Now()); n != 5 {
		t.Errorf("%d record lines, want 5 (one per record)", n)
	}
	loaded := 0
	for _, l := range logs {
		if l["msg"] == "configuration loaded" {
			loaded++
			if l["event_bus"] != bus {
				t.Errorf("configuration loaded with event_bus %v, want %s", l["event_bus"], bus)
			}
		}
	}
	if loaded != 1 {
		t.Errorf("%d configuration loaded lines, want 1", loaded)
	}
	if got, want := len(eb.Accepted()), 3; got != want {
		t.Errorf("EventBridge accepted %d events in all, want %d", got, want)
	}
	if inits := e.initDurations(); len(inits) != 1 {
		t.Errorf("emulator reported %d init phases, want 1 cold start: %v", len(inits), inits)
	}
}
