package components

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// wantAlarm is what one alarm must watch; every alarm fires when the value
// over one 5-minute period is above its threshold. Says, when not empty, is
// what its description must tell.
type wantAlarm struct {
	Namespace, Metric, Statistic string
	Dimensions                   map[string]string
	Threshold                    float64
	Says                         string
}

// alarmThresholds are the configured thresholds of a test run.
type alarmThresholds struct {
	QueueAge, Errors, Throttles, Rejected, Conflict, API5xx float64
}

// Endings of the descriptions of a source's alarm on its failed records.
const (
	saysQuarantined = "until the quarantine expires: fix the cause, then recover them with webhook-ops reverify."
	saysRejected    = "the source's quarantine is off, so they were dropped: ask the sender to deliver them again once the cause is fixed."
)

// wantAlarms returns the alarms the program must create for the test stack
// whose sources end their failed records in the outcome given (quarantined
// or rejected), keyed by alarm name. The dimensions name the test stack's
// own resources as the mock cloud names them.
func wantAlarms(sources map[string]string, th alarmThresholds) map[string]wantAlarm {
	want := map[string]wantAlarm{
		stackUnique + "-dead-letter-queue":  {"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", map[string]string{"QueueName": nDLQ}, 0, ""},
		stackUnique + "-queue-age":          {"AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", map[string]string{"QueueName": nQueue}, th.QueueAge, ""},
		stackUnique + "-function-errors":    {"AWS/Lambda", "Errors", "Sum", map[string]string{"FunctionName": nProcessor}, th.Errors, ""},
		stackUnique + "-function-throttles": {"AWS/Lambda", "Throttles", "Sum", map[string]string{"FunctionName": nProcessor}, th.Throttles, ""},
		stackUnique + "-api-5xx":            {"AWS/ApiGateway", "5xx", "Sum", map[string]string{"ApiId": nAPI + "-id"}, th.API5xx, ""},
		// [function, outcome] counts the records of every source.
		stackUnique + "-conflict": {"WebhookIngest", "Records", "Sum", map[string]string{"function": nProcessor, "outcome": "conflict"}, th.Conflict,
			"reused a webhook id with a different body: the body stored first stays, the later one is quarantined with reason conflict (dropped where the source's quarantine is off)."},
	}
	for s, outcome := range sources {
		// [function, source, outcome] is one of the dimension sets the
		// handler's EMF lines declare (contract/metrics.go); CloudWatch
		// finds a metric only by its exact set. The function is this
		// stack's, so that no other stack's records count.
		says := saysRejected
		if outcome == "quarantined" {
			says = "they are kept, never trusted, under _quarantine/" + s + "/ " + saysQuarantined
		}
		want[stackUnique+"-rejected-"+s] = wantAlarm{"WebhookIngest", "Records", "Sum",
			map[string]string{"function": nProcessor, "source": s, "outcome": outcome}, th.Rejected, says}
	}
	return want
}

// presetSourceOutcomes is the outcome of the failed records of each source
// of allPresetsConfig: quarantined, but for the source that turns its
// quarantine off.
func presetSourceOutcomes() map[string]string {
	out := map[string]string{}
	for _, pc := range presetCases {
		out[pc.source.Name] = "quarantined"
	}
	out["chat"] = "rejected"
	return out
}

func presetSourceNames() []string {
	var names []string
	for _, pc := range presetCases {
		names = append(names, pc.source.Name)
	}
	return names
}

// assertAlarms checks that c holds exactly the alarms want, each notifying
// actions (none when empty) on ALARM and on OK.
func assertAlarms(t *testing.T, c *cloud, want map[string]wantAlarm, actions []string) {
	t.Helper()
	got := map[string]registered{}
	for _, r := range c.all(tAlarm) {
		got[str(t, r, "name")] = r
	}
	if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
		t.Fatalf("alarms\n%v\nwant\n%v", g, w)
	}
	for name, w := range want {
		r := got[name]
		if r.Name != nAlarms+strings.TrimPrefix(name, stackUnique) {
			t.Errorf("alarm %s has logical name %s", name, r.Name)
		}
		for key, v := range map[string]string{
			"namespace":          w.Namespace,
			"metricName":         w.Metric,
			"statistic":          w.Statistic,
			"comparisonOperator": "GreaterThanThreshold",
			"treatMissingData":   "notBreaching",
		} {
			if got := str(t, r, key); got != v {
				t.Errorf("alarm %s: %s = %q, want %q", name, key, got, v)
			}
		}
		for key, v := range map[string]float64{
			"threshold":         w.Threshold,
			"period":            300,
			"evaluationPeriods": 1,
			"datapointsToAlarm": 1,
		} {
			if got := num(t, r, key); got != v {
				t.Errorf("alarm %s: %s = %v, want %v", name, key, got, v)
			}
		}
		dims := map[string]string{}
		for k, v := range prop(t, r, "dimensions").ObjectValue() {
			dims[string(k)] = unwrap(v).StringValue()
		}
		if !maps.Equal(dims, w.Dimensions) {
			t.Errorf("alarm %s: dimensions %v, want %v", name, dims, w.Dimensions)
		}
		for _, k := range []string{"extendedStatistic", "metricQueries", "unit"} {
			if has(r, k) {
				t.Errorf("alarm %s sets %s, which would keep it from matching the metric as published", name, k)
			}
		}
		if !boolean(t, r, "actionsEnabled") {
			t.Errorf("alarm %s has its actions disabled", name)
		}
		for _, k := range []string{"alarmActions", "okActions"} {
			var got []string
			if has(r, k) {
				got = strs(t, r, k)
			}
			if !slices.Equal(got, actions) {
				t.Errorf("alarm %s: %s = %v, want %v", name, k, got, actions)
			}
		}
		d := str(t, r, "alarmDescription")
		if !strings.Contains(d, "docs/operations.md") {
			t.Errorf("alarm %s: description %q does not point to the runbook", name, d)
		}
		if !strings.Contains(d, w.Says) {
			t.Errorf("alarm %s: description %q does not say %q", name, d, w.Says)
		}
	}
}

func TestAlarms(t *testing.T) {
	c := allPresets(t)
	assertAlarms(t, c, wantAlarms(presetSourceOutcomes(), alarmThresholds{QueueAge: 600, Errors: 3, Throttles: 4, Rejected: 5, Conflict: 7, API5xx: 6}), []string{topicARN})
	// An alarm could fire before CloudWatch may publish to the topic.
	policy := c.only(t, tTopicPolicy)
	for _, a := range c.all(tAlarm) {
		if !dependsOn(a, policy) {
			t.Errorf("alarm %s does not wait for the topic policy", a.Name)
		}
	}
}

func TestAlarmDefaults(t *testing.T) {
	c := mustRun(t, testConfig())
	assertAlarms(t, c, wantAlarms(map[string]string{"orders": "quarantined"}, alarmThresholds{QueueAge: float64(stackconfig.Defaults().Alarms.QueueAgeSeconds)}), nil)
	for _, typ := range []string{tTopic, tTopicPolicy, tSubscription, tKey} {
		if n := len(c.all(typ)); n != 0 {
			t.Errorf("%d %s without an alarm e-mail", n, typ)
		}
	}
}

func TestAlarmSwitches(t *testing.T) {
	all := wantAlarms(map[string]string{"orders": "quarantined"}, alarmThresholds{QueueAge: float64(stackconfig.Defaults().Alarms.QueueAgeSeconds)})
	for key, off := range map[string][]string{
		"alarmDeadLetterQueue":   {"dead-letter-queue"},
		"alarmQueueAge":          {"queue-age"},
		"alarmFunctionErrors":    {"function-errors"},
		"alarmFunctionThrottles": {"function-throttles"},
		"alarmRejected":          {"rejected-orders"},
		"alarmConflict":          {"conflict"},
		"alarmApi5xx":            {"api-5xx"},
	} {
		t.Run(key, func(t *testing.T) {
			cfg := testConfig()
			cfg[testProject+":"+key] = "false"
			want := maps.Clone(all)
			for _, suffix := range off {
				delete(want, stackUnique+"-"+suffix)
			}
			assertAlarms(t, mustRun(t, cfg), want, nil)
		})
	}
}

// TestAlarmTopic checks the notification topic: encrypted with a key
// CloudWatch may use, publishable by this stack's alarms only, and
// subscribed by the configured address.
func TestAlarmTopic(t *testing.T) {
	c := allPresets(t)
	topic, key := c.only(t, tTopic), c.only(t, tKey)
	keyARN := "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/key-" + key.Name
	if got := str(t, topic, "name"); got != stackUnique+"-alarms" {
		t.Errorf("topic name %q", got)
	}
	if got := str(t, topic, "kmsMasterKeyId"); got != keyARN {
		t.Errorf("topic encrypted with %q, want the stack's key %q (CloudWatch cannot use aws/sns)", got, keyARN)
	}
	if has(topic, "policy") {
		t.Error("the topic has an inline policy besides its TopicPolicy")
	}
	if !boolean(t, key, "enableKeyRotation") {
		t.Error("the topic key does not rotate")
	}

	keyDoc := parsePolicy(t, str(t, key, "policy"))
	wantKey := map[string]iamStatement{
		"AccountIAMPoliciesGovernKey": {Effect: "Allow", Principal: map[string]any{"AWS": "arn:aws:iam::" + testAccount + ":root"}, Action: []string{"kms:*"}, Resource: []string{"*"}},
		"CloudWatchAlarmsEncrypt":     {Effect: "Allow", Principal: map[string]any{"Service": "cloudwatch.amazonaws.com"}, Action: []string{"kms:Decrypt", "kms:GenerateDataKey*"}, Resource: []string{"*"}},
	}
	assertPolicyExactly(t, "topic key policy", keyDoc, wantKey)

	pol := c.only(t, tTopicPolicy)
	if got := str(t, pol, "arn"); got != topicARN {
		t.Errorf("topic policy on %q", got)
	}
	alarmPattern := "arn:aws:cloudwatch:" + testRegion + ":" + testAccount + ":alarm:" + stackUnique + "-*"
	topicDoc := parsePolicy(t, str(t, pol, "policy"))
	assertPolicyExactly(t, "topic policy", topicDoc, map[string]iamStatement{
		"CloudWatchAlarmsPublish": {
			Effect: "Allow", Principal: map[string]any{"Service": "cloudwatch.amazonaws.com"},
			Action: []string{"sns:Publish"}, Resource: []string{topicARN},
			Condition: map[string]map[string]string{
				"StringEquals": {"aws:SourceAccount": testAccount},
				"ArnLike":      {"aws:SourceArn": alarmPattern},
			},
		},
	})
	// The policy admits every alarm of the stack.
	match := arnLike(alarmPattern)
	for _, a := range c.all(tAlarm) {
		arn := "arn:aws:cloudwatch:" + testRegion + ":" + testAccount + ":alarm:" + str(t, a, "name")
		if !match.MatchString(arn) {
			t.Errorf("alarm %s may not publish: %s does not match %s", a.Name, arn, alarmPattern)
		}
	}

	sub := c.only(t, tSubscription)
	for key, want := range map[string]string{"topic": topicARN, "protocol": "email", "endpoint": testAlarmEmail} {
		if got := str(t, sub, key); got != want {
			t.Errorf("subscription %s = %q, want %q", key, got, want)
		}
	}
}

// arnLike compiles an IAM ArnLike pattern: * is any run of characters, ?
// any one.
func arnLike(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// assertPolicyExactly checks that doc holds exactly the statements want,
// keyed by Sid, principals and conditions included.
func assertPolicyExactly(t *testing.T, what string, doc iamDoc, want map[string]iamStatement) {
	t.Helper()
	if len(doc.Statement) != len(want) {
		t.Errorf("%s: %d statements, want %d", what, len(doc.Statement), len(want))
	}
	for _, s := range doc.Statement {
		w, ok := want[s.Sid]
		if !ok {
			t.Errorf("%s: unexpected statement %+v", what, s)
			continue
		}
		w.Sid = s.Sid
		if mustMarshal(s) != mustMarshal(w) {
			t.Errorf("%s statement %s:\n got %s\nwant %s", what, s.Sid, mustMarshal(s), mustMarshal(w))
		}
	}
}

func TestAlarmsArgs(t *testing.T) {
	watched := Watched{
		Name:                "w",
		Sources:             []WatchedSource{{Name: "orders"}},
		APIID:               pulumi.String("api"),
		QueueName:           pulumi.String("q"),
		DeadLetterQueueName: pulumi.String("dlq"),
		FunctionName:        pulumi.String("fn"),
		QueueARN:            pulumi.String(queueARN("q")),
	}
	c, err := runWith(func(ctx *pulumi.Context) error {
		_, err := NewAlarms(ctx, "a", &AlarmsArgs{Config: AlarmConfig{QueueAge: true}, Watched: watched})
		return err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := num(t, c.only(t, tAlarm), "threshold"); got != stackconfig.DefaultAlarmQueueAgeSeconds {
		t.Errorf("zero QueueAgeSeconds: threshold %v, want %d", got, stackconfig.DefaultAlarmQueueAgeSeconds)
	}

	for _, tc := range []struct {
		args AlarmsArgs
		want string
	}{
		{AlarmsArgs{}, "Watched: Name, Sources, APIID, QueueName, DeadLetterQueueName, FunctionName and QueueARN are all required"},
		{AlarmsArgs{Watched: watched, Config: AlarmConfig{QueueAgeSeconds: 59}}, "AlarmConfig.QueueAgeSeconds = 59 is out of range"},
		{AlarmsArgs{Watched: watched, Config: AlarmConfig{RejectedThreshold: -1}}, "AlarmConfig.RejectedThreshold = -1 is out of range"},
		{AlarmsArgs{Watched: watched, Config: AlarmConfig{ConflictThreshold: 1000001}}, "AlarmConfig.ConflictThreshold = 1000001 is out of range: set it between 0 and 1000000"},
		{AlarmsArgs{Watched: withSources(watched, WatchedSource{Name: "orders"}, WatchedSource{Name: ""})}, `Watched.Sources[1]: source name "" must be`},
	} {
		assertComponentError(t, func(ctx *pulumi.Context) error {
			_, err := NewAlarms(ctx, "a", &tc.args)
			return err
		}, tc.want)
	}
}

// withSources returns w watching sources.
func withSources(w Watched, sources ...WatchedSource) Watched {
	w.Sources = sources
	return w
}

// TestRejectedAlarmOutcome checks that the alarm of a source watches the
// outcome its failed records end in: quarantined where the source
// quarantines, rejected where the stack or the source turned it off.
func TestRejectedAlarmOutcome(t *testing.T) {
	for _, tc := range []struct {
		name           string
		source         string
		quarantineDays string // "" keeps the default
		want           string
	}{
		{"default", `{"name":"orders","preset":"generic"}`, "", "quarantined"},
		{"source on", `{"name":"orders","preset":"generic","quarantine":true}`, "1", "quarantined"},
		{"source off", `{"name":"orders","preset":"generic","quarantine":false}`, "", "rejected"},
		{"stack off", `{"name":"orders","preset":"generic"}`, "0", "rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg[testProject+":sources"] = "[" + tc.source + "]"
			if tc.quarantineDays != "" {
				cfg[testProject+":quarantineDays"] = tc.quarantineDays
			}
			assertAlarms(t, mustRun(t, cfg), wantAlarms(map[string]string{"orders": tc.want}, alarmThresholds{QueueAge: float64(stackconfig.Defaults().Alarms.QueueAgeSeconds)}), nil)
		})
	}
}
