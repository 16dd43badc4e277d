package components

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Test-side view of the dashboard body; decoding with unknown fields
// disallowed catches any property the test does not know about.
type (
	testDashboard struct {
		Widgets []testWidget `json:"widgets"`
	}
	testWidget struct {
		Type                string `json:"type"`
		X, Y, Width, Height int
		Properties          json.RawMessage `json:"properties"`
	}
	testMetricWidget struct {
		Title   string            `json:"title"`
		Region  string            `json:"region"`
		View    string            `json:"view"`
		Stacked bool              `json:"stacked"`
		Period  int               `json:"period"`
		Stat    string            `json:"stat"`
		Metrics []json.RawMessage `json:"metrics"`
	}
	testAlarmWidget struct {
		Title  string   `json:"title"`
		Alarms []string `json:"alarms"`
	}
)

// dashboardMetric is one metric line: namespace, name and dimensions.
type dashboardMetric struct {
	Namespace, Name string
	Dimensions      map[string]string
}

func (m dashboardMetric) key() string {
	return fmt.Sprintf("%s %s %v", m.Namespace, m.Name, m.Dimensions)
}

// parseMetricLine decodes [namespace, name, dim, value, ..., options].
func parseMetricLine(t *testing.T, raw json.RawMessage) dashboardMetric {
	t.Helper()
	var line []json.RawMessage
	decodeJSON(t, "metric line", string(raw), &line)
	if len(line) < 3 || len(line)%2 != 1 {
		t.Fatalf("metric line %s is not [namespace, name, dimension, value, ..., options]", raw)
	}
	var parts []string
	for _, p := range line[:len(line)-1] {
		var s string
		decodeJSON(t, "metric line element", string(p), &s)
		parts = append(parts, s)
	}
	var opts struct {
		Label string `json:"label"`
		Stat  string `json:"stat"`
	}
	decodeJSON(t, "metric options", string(line[len(line)-1]), &opts)
	m := dashboardMetric{Namespace: parts[0], Name: parts[1], Dimensions: map[string]string{}}
	for i := 2; i < len(parts); i += 2 {
		m.Dimensions[parts[i]] = parts[i+1]
	}
	return m
}

func TestDashboard(t *testing.T) {
	c := allPresets(t)
	d := c.only(t, tDashboard)
	if got := str(t, d, "dashboardName"); got != stackUnique {
		t.Errorf("dashboard name %q, want %q", got, stackUnique)
	}
	var body testDashboard
	decodeJSON(t, "dashboard body", str(t, d, "dashboardBody"), &body)

	sources := presetSourceNames()
	reasons := append(slices.Clone(contract.RejectReasons), contract.RetryReasons...)
	reasons = append(reasons, contract.ReasonConflict)
	// belongs reports whether m is a metric of this stack's resources: its
	// dimensions are exactly those its namespace uses here, with values that
	// are this stack's resources and the handler's values.
	belongs := func(m dashboardMetric) bool {
		keys := slices.Sorted(maps.Keys(m.Dimensions))
		switch m.Namespace {
		case "AWS/ApiGateway":
			return maps.Equal(m.Dimensions, map[string]string{"ApiId": nAPI + "-id"})
		case "AWS/SQS":
			return len(keys) == 1 && (m.Dimensions["QueueName"] == nQueue || m.Dimensions["QueueName"] == nDLQ)
		case "AWS/Lambda":
			return maps.Equal(m.Dimensions, map[string]string{"FunctionName": nProcessor})
		case contract.MetricNamespace:
			// The dimension sets the handler's EMF lines declare, each with
			// this stack's function.
			fn := contract.DimensionFunction
			sets := [][]string{
				{fn, contract.DimensionOutcome},
				{fn, contract.DimensionSource, contract.DimensionOutcome},
				{fn, contract.DimensionOutcome, contract.DimensionReason},
				{fn, contract.DimensionSource, contract.DimensionOutcome, contract.DimensionReason},
			}
			known := false
			for _, set := range sets {
				known = known || slices.Equal(keys, slices.Sorted(slices.Values(set)))
			}
			src, hasSource := m.Dimensions[contract.DimensionSource]
			reason, hasReason := m.Dimensions[contract.DimensionReason]
			return known && m.Name == contract.MetricRecords && m.Dimensions[fn] == nProcessor &&
				slices.Contains(contract.Outcomes, m.Dimensions[contract.DimensionOutcome]) &&
				(!hasSource || slices.Contains(sources, src)) &&
				(!hasReason || slices.Contains(reasons, reason))
		}
		return false
	}

	seen := map[string]bool{}
	var alarmWidgets []testAlarmWidget
	occupied := map[[2]int]bool{}
	for i, w := range body.Widgets {
		if w.X < 0 || w.Width < 1 || w.X+w.Width > 24 || w.Y < 0 || w.Height < 1 {
			t.Errorf("widget %d at (%d,%d) size %dx%d is off the 24-column grid", i, w.X, w.Y, w.Width, w.Height)
		}
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				if occupied[[2]int{x, y}] {
					t.Errorf("widget %d overlaps another at (%d,%d)", i, x, y)
				}
				occupied[[2]int{x, y}] = true
			}
		}
		switch w.Type {
		case "metric":
			var p testMetricWidget
			decodeJSON(t, "metric widget", string(w.Properties), &p)
			if p.Region != testRegion {
				t.Errorf("widget %q shows region %q, want the stack's %s", p.Title, p.Region, testRegion)
			}
			if p.Period != 300 || p.Stat == "" || p.View != "timeSeries" || p.Title == "" {
				t.Errorf("widget %q: period %d, stat %q, view %q", p.Title, p.Period, p.Stat, p.View)
			}
			if len(p.Metrics) == 0 {
				t.Errorf("widget %q has no metrics", p.Title)
			}
			for _, raw := range p.Metrics {
				m := parseMetricLine(t, raw)
				if !belongs(m) {
					t.Errorf("widget %q shows %s, not a metric of this stack", p.Title, m.key())
				}
				seen[m.key()] = true
			}
		case "alarm":
			var p testAlarmWidget
			decodeJSON(t, "alarm widget", string(w.Properties), &p)
			alarmWidgets = append(alarmWidgets, p)
		default:
			t.Errorf("widget %d has type %q", i, w.Type)
		}
	}

	// Every part of the pipeline is on the dashboard.
	api := map[string]string{"ApiId": nAPI + "-id"}
	want := []dashboardMetric{
		{"AWS/ApiGateway", "Count", api}, {"AWS/ApiGateway", "4xx", api}, {"AWS/ApiGateway", "5xx", api},
		{"AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": nQueue}},
		{"AWS/SQS", "ApproximateAgeOfOldestMessage", map[string]string{"QueueName": nQueue}},
		{"AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": nDLQ}},
	}
	for _, name := range []string{"Invocations", "Errors", "Throttles", "Duration"} {
		want = append(want, dashboardMetric{"AWS/Lambda", name, map[string]string{"FunctionName": nProcessor}})
	}
	records := func(dims ...string) dashboardMetric {
		m := dashboardMetric{contract.MetricNamespace, contract.MetricRecords, map[string]string{contract.DimensionFunction: nProcessor}}
		for i := 0; i < len(dims); i += 2 {
			m.Dimensions[dims[i]] = dims[i+1]
		}
		return m
	}
	for _, o := range contract.Outcomes {
		want = append(want, records(contract.DimensionOutcome, o))
	}
	for _, s := range sources {
		for _, o := range []string{contract.OutcomeQuarantined, contract.OutcomeRejected} {
			want = append(want, records(contract.DimensionSource, s, contract.DimensionOutcome, o))
		}
	}
	for _, r := range contract.RejectReasons {
		want = append(want,
			records(contract.DimensionOutcome, contract.OutcomeQuarantined, contract.DimensionReason, r),
			records(contract.DimensionOutcome, contract.OutcomeRejected, contract.DimensionReason, r))
	}
	want = append(want, records(contract.DimensionOutcome, contract.OutcomeConflict, contract.DimensionReason, contract.ReasonConflict))
	for _, r := range contract.RetryReasons {
		want = append(want, records(contract.DimensionOutcome, contract.OutcomeRetry, contract.DimensionReason, r))
	}
	for _, m := range want {
		if !seen[m.key()] {
			t.Errorf("the dashboard does not show %s", m.key())
		}
	}

	// The alarm widget shows exactly the stack's alarms.
	var alarmARNs []string
	for _, a := range c.all(tAlarm) {
		alarmARNs = append(alarmARNs, "arn:aws:cloudwatch:"+testRegion+":"+testAccount+":alarm:"+str(t, a, "name"))
	}
	if len(alarmWidgets) != 1 {
		t.Fatalf("%d alarm widgets, want 1", len(alarmWidgets))
	}
	if got := slices.Sorted(slices.Values(alarmWidgets[0].Alarms)); !slices.Equal(got, slices.Sorted(slices.Values(alarmARNs))) {
		t.Errorf("alarm widget shows\n%v\nwant the stack's alarms\n%v", got, alarmARNs)
	}
}

// recordLine is one line of a panel of the handler's records: its label
// and the values of its dimensions besides the function ("" when absent).
type recordLine struct {
	Label, Source, Outcome, Reason string
}

// TestDashboardRecords checks the panels of the handler's records, line by
// line, for a stack with a source that quarantines and one that does not.
func TestDashboardRecords(t *testing.T) {
	cfg := testConfig()
	cfg[testProject+":sources"] = `[{"name":"orders","preset":"generic"},{"name":"gh","preset":"github","quarantine":false}]`
	cfg[testProject+":secrets"] = `{"orders":"` + ordersSecret + `","gh":"gh-secret"}`
	var body testDashboard
	decodeJSON(t, "dashboard body", str(t, mustRun(t, cfg).only(t, tDashboard), "dashboardBody"), &body)

	var titles []string
	got := map[string][]recordLine{}
	for _, w := range body.Widgets {
		if w.Type != "metric" {
			continue
		}
		var p testMetricWidget
		decodeJSON(t, "metric widget", string(w.Properties), &p)
		titles = append(titles, p.Title)
		for _, raw := range p.Metrics {
			m := parseMetricLine(t, raw)
			if m.Namespace != "WebhookIngest" {
				continue
			}
			if m.Name != "Records" || m.Dimensions["function"] != nProcessor || p.Stat != "Sum" {
				t.Errorf("widget %q: %s (stat %s), want the Sum of this function's Records", p.Title, m.key(), p.Stat)
			}
			var line []json.RawMessage
			decodeJSON(t, "metric line", string(raw), &line)
			var opts metricOptions
			decodeJSON(t, "metric options", string(line[len(line)-1]), &opts)
			got[p.Title] = append(got[p.Title], recordLine{opts.Label, m.Dimensions["source"], m.Dimensions["outcome"], m.Dimensions["reason_code"]})
		}
	}
	wantTitles := []string{
		"API requests", "Queue depth", "Oldest message in the queue (seconds)", "Function invocations",
		"Function duration (ms) and concurrency", "Records by outcome", "Quarantined and rejected records by source", "Records by reason code",
	}
	if !slices.Equal(titles, wantTitles) {
		t.Errorf("metric widgets\n%q\nwant\n%q", titles, wantTitles)
	}

	var byReason []recordLine
	for _, outcome := range []string{"quarantined", "rejected"} {
		for _, code := range []string{
			"missing_signature", "malformed_signature", "missing_timestamp", "malformed_timestamp", "no_matching_secret",
			"outside_window", "unverified", "unknown_source", "missing_attribute", "unusable_id", "source_not_allowed",
		} {
			byReason = append(byReason, recordLine{outcome + ": " + code, "", outcome, code})
		}
	}
	byReason = append(byReason, recordLine{"conflict: conflict", "", "conflict", "conflict"})
	for _, code := range []string{"store_failed", "duplicate_check_failed", "quarantine_failed", "publish_failed", "deadline", "panic"} {
		byReason = append(byReason, recordLine{"retry: " + code, "", "retry", code})
	}
	want := map[string][]recordLine{
		"Records by outcome": {
			{"stored", "", "stored", ""},
			{"duplicate", "", "duplicate", ""},
			{"conflict", "", "conflict", ""},
			{"quarantined", "", "quarantined", ""},
			{"rejected", "", "rejected", ""},
			{"retry", "", "retry", ""},
		},
		// Both outcomes for each source, whatever its setting: a source
		// whose setting changed keeps its history on the panel.
		"Quarantined and rejected records by source": {
			{"orders: quarantined", "orders", "quarantined", ""},
			{"orders: rejected", "orders", "rejected", ""},
			{"gh: quarantined", "gh", "quarantined", ""},
			{"gh: rejected", "gh", "rejected", ""},
		},
		"Records by reason code": byReason,
	}
	for title, lines := range want {
		if !slices.Equal(got[title], lines) {
			t.Errorf("widget %q shows\n%v\nwant\n%v", title, got[title], lines)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the handler's records are on widgets %v, want only %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}

func TestDashboardSwitch(t *testing.T) {
	cfg := testConfig()
	cfg[testProject+":dashboard"] = "false"
	if n := len(mustRun(t, cfg).all(tDashboard)); n != 0 {
		t.Errorf("%d dashboards with dashboard off", n)
	}

	// Without alarms the dashboard has no alarm widget: an empty one would
	// show nothing.
	cfg = testConfig()
	for _, k := range []string{"alarmDeadLetterQueue", "alarmQueueAge", "alarmFunctionErrors", "alarmFunctionThrottles", "alarmRejected", "alarmConflict", "alarmApi5xx"} {
		cfg[testProject+":"+k] = "false"
	}
	c := mustRun(t, cfg)
	if n := len(c.all(tAlarm)); n != 0 {
		t.Fatalf("%d alarms with every alarm off", n)
	}
	var body testDashboard
	decodeJSON(t, "dashboard body", str(t, c.only(t, tDashboard), "dashboardBody"), &body)
	for _, w := range body.Widgets {
		if w.Type != "metric" {
			t.Errorf("widget of type %q without alarms", w.Type)
		}
	}
}
