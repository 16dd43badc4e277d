package components

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

func TestComponentsParentEverything(t *testing.T) {
	c := allPresets(t)
	components := map[string]string{
		"webhook-ingest:index:Ingest":        "webhook-ingest",
		"webhook-ingest:api:API":             nAPI,
		"webhook-ingest:queue:Queue":         nQueue,
		"webhook-ingest:storage:Bucket":      nBucket,
		"webhook-ingest:function:Processor":  nProcessor,
		"webhook-ingest:secrets:Secrets":     "webhook-ingest-secrets",
		"webhook-ingest:events:Bus":          nBus,
		"webhook-ingest:alarms:Alarms":       nAlarms,
		"webhook-ingest:dashboard:Dashboard": nDashboard,
	}
	for typ, name := range components {
		r := c.one(t, typ, name)
		if r.Custom {
			t.Errorf("%s is registered as a custom resource", typ)
		}
	}
	ingest := urnOf(c.one(t, "webhook-ingest:index:Ingest", "webhook-ingest"))
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.resources {
		switch {
		case r.Type == "webhook-ingest:index:Ingest":
		case !r.Custom:
			if r.Parent != ingest {
				t.Errorf("component %s %s is not a child of the Ingest component", r.Type, r.Name)
			}
		case !strings.Contains(r.Parent, "webhook-ingest:index:Ingest$webhook-ingest:"):
			t.Errorf("%s %s has parent %q, not one of the Ingest's components", r.Type, r.Name, r.Parent)
		}
	}
}

// stackOutputs runs the program with cfg and returns the resolved outputs
// it exports.
func stackOutputs(t *testing.T, cfg map[string]string) map[string]any {
	t.Helper()
	var (
		wg  sync.WaitGroup
		got = map[string]any{}
		mu  sync.Mutex
	)
	_, err := runWith(func(ctx *pulumi.Context) error {
		in, err := deploy(ctx)
		if err != nil {
			return err
		}
		for name, v := range outputs(in) {
			wg.Add(1)
			pulumi.ToOutput(v).ApplyT(func(x any) any {
				mu.Lock()
				got[name] = x
				mu.Unlock()
				wg.Done()
				return x
			})
		}
		wg.Wait()
		return nil
	}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOutputs(t *testing.T) {
	endpoint := "https://" + nAPI + "-id.execute-api." + testRegion + ".amazonaws.com"
	want := map[string]any{
		"webhookUrls":        map[string]any{"orders": endpoint + "/webhooks/orders"},
		"queueUrl":           queueURL(nQueue),
		"deadLetterQueueUrl": queueURL(nDLQ),
		"bucketName":         nBucket,
		"functionName":       nProcessor,
		"secretParameters":   map[string]any{"orders": "/webhook-ingest/dev/orders"},
		"dashboardName":      stackUnique,
	}
	if got := stackOutputs(t, testConfig()); mustMarshal(got) != mustMarshal(want) {
		t.Errorf("outputs\n%v\nwant\n%v", got, want)
	}

	// With the hand-off bus and an alarm e-mail, the stack also tells where
	// consumers subscribe and where alarms are sent.
	got := stackOutputs(t, allPresetsConfig(t))
	parameters := map[string]any{}
	for _, pc := range presetCases {
		parameters[pc.source.Name] = "/webhook-ingest/dev/" + pc.source.Name
	}
	if mustMarshal(got["secretParameters"]) != mustMarshal(parameters) {
		t.Errorf("output secretParameters = %v, want %v", got["secretParameters"], parameters)
	}
	for key, v := range map[string]string{
		"eventBusName":  stackUnique,
		"eventBusArn":   "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/" + stackUnique,
		"alarmTopicArn": topicARN,
		"dashboardName": stackUnique,
	} {
		if got[key] != v {
			t.Errorf("output %s = %v, want %q", key, got[key], v)
		}
	}
}

func TestDefaultsReachResources(t *testing.T) {
	c := mustRun(t, testConfig())
	fn := c.only(t, tFunction)
	m := c.only(t, tMapping)
	q := c.one(t, tQueue, nQueue)
	st := c.only(t, tStage)
	for what, pair := range map[string][2]float64{
		"memorySize":           {num(t, fn, "memorySize"), float64(stackconfig.Defaults().MemorySize)},
		"timeout":              {num(t, fn, "timeout"), float64(stackconfig.Defaults().TimeoutSeconds)},
		"batchSize":            {num(t, m, "batchSize"), float64(stackconfig.Defaults().BatchSize)},
		"batchingWindow":       {num(t, m, "maximumBatchingWindowInSeconds"), float64(stackconfig.Defaults().BatchingWindowSeconds)},
		"maximumConcurrency":   {num(t, m, "scalingConfig", "maximumConcurrency"), float64(stackconfig.Defaults().MaximumConcurrency)},
		"visibilityTimeout":    {num(t, q, "visibilityTimeoutSeconds"), float64(6*stackconfig.Defaults().TimeoutSeconds + stackconfig.Defaults().BatchingWindowSeconds)},
		"throttlingBurstLimit": {num(t, st, "defaultRouteSettings", "throttlingBurstLimit"), float64(stackconfig.Defaults().ThrottlingBurstLimit)},
		"throttlingRateLimit":  {num(t, st, "defaultRouteSettings", "throttlingRateLimit"), float64(stackconfig.Defaults().ThrottlingRateLimit)},
		"functionLogRetention": {num(t, c.one(t, tLogGroup, nProcessor), "retentionInDays"), float64(stackconfig.Defaults().LogRetentionDays)},
		"accessLogRetention":   {num(t, c.one(t, tLogGroup, nAccess), "retentionInDays"), float64(stackconfig.Defaults().LogRetentionDays)},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %v, want the default %v", what, pair[0], pair[1])
		}
	}
	var redrive map[string]any
	decodeJSON(t, "redrive policy", str(t, q, "redrivePolicy"), &redrive)
	if redrive["maxReceiveCount"] != float64(stackconfig.Defaults().MaxReceiveCount) {
		t.Errorf("maxReceiveCount %v, want the default %d", redrive["maxReceiveCount"], stackconfig.Defaults().MaxReceiveCount)
	}
	if got := str(t, fn, "environment", "variables", contract.EnvConcurrency); got != strconv.Itoa(stackconfig.Defaults().RecordConcurrency) {
		t.Errorf("%s = %q, want the default %d", contract.EnvConcurrency, got, stackconfig.Defaults().RecordConcurrency)
	}
	if got := strs(t, fn, "architectures"); !slices.Equal(got, []string{stackconfig.Defaults().Architecture}) {
		t.Errorf("architectures %v", got)
	}
}
