package components

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

func TestPresetsMapExactlyTheirHeaders(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range presetCases {
		covered[c.source.Preset] = true
	}
	for _, p := range contract.PresetNames() {
		if !covered[p] {
			t.Errorf("preset %q has no case in presetCases", p)
		}
	}

	c := allPresets(t)
	if got, want := len(c.all(tIntegration)), len(presetCases); got != want {
		t.Fatalf("%d integrations, want one per source (%d)", got, want)
	}
	for _, pc := range presetCases {
		t.Run(pc.source.Preset, func(t *testing.T) {
			in := c.one(t, tIntegration, nAPI+"-"+pc.source.Name)
			for key, want := range map[string]string{
				"integrationType":      "AWS_PROXY",
				"integrationSubtype":   "SQS-SendMessage",
				"payloadFormatVersion": "1.0",
				"credentialsArn":       roleARN(nSend),
				"apiId":                nAPI + "-id",
			} {
				if got := str(t, in, key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			params := prop(t, in, "requestParameters").ObjectValue()
			if got := slices.Sorted(maps.Keys(params)); !slices.Equal(got, []resource.PropertyKey{"MessageAttributes", "MessageBody", "QueueUrl"}) {
				t.Errorf("request parameters %v, want exactly MessageAttributes, MessageBody, QueueUrl", got)
			}
			if got := str(t, in, "requestParameters", "QueueUrl"); got != queueURL(nQueue) {
				t.Errorf("QueueUrl = %q, want the main queue's URL %q", got, queueURL(nQueue))
			}
			if got := str(t, in, "requestParameters", "MessageBody"); got != "$request.body" {
				t.Errorf("MessageBody = %q, want the raw body $request.body", got)
			}

			var attrs map[string]struct{ DataType, StringValue string }
			decodeJSON(t, "MessageAttributes", str(t, in, "requestParameters", "MessageAttributes"), &attrs)
			want := map[string]string{
				contract.AttrSource:      pc.source.Name,
				contract.AttrRequestTime: "${context.requestTimeEpoch}",
				contract.AttrSourceIP:    "${context.identity.sourceIp}",
			}
			for attr, header := range pc.headers {
				want[attr] = "${request.header." + header + "}"
			}
			got := map[string]string{}
			for name, a := range attrs {
				if a.DataType != "String" {
					t.Errorf("attribute %s has DataType %q, want String", name, a.DataType)
				}
				got[name] = a.StringValue
			}
			if !maps.Equal(got, want) {
				t.Errorf("MessageAttributes map\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	c := allPresets(t)
	if got, want := len(c.all(tRoute)), len(presetCases); got != want {
		t.Fatalf("%d routes, want %d", got, want)
	}
	for _, pc := range presetCases {
		r := c.one(t, tRoute, nAPI+"-"+pc.source.Name)
		if got, want := str(t, r, "routeKey"), "POST /webhooks/"+pc.source.Name; got != want {
			t.Errorf("route key %q, want %q", got, want)
		}
		if got, want := str(t, r, "target"), "integrations/"+nAPI+"-"+pc.source.Name+"-id"; got != want {
			t.Errorf("route %s targets %q, want its own integration %q", pc.source.Name, got, want)
		}
		if got := str(t, r, "apiId"); got != nAPI+"-id" {
			t.Errorf("route on API %q", got)
		}
	}
}

func TestAPIAndStage(t *testing.T) {
	c := allPresets(t)
	if got := str(t, c.only(t, tAPI), "protocolType"); got != "HTTP" {
		t.Errorf("protocol %q, want HTTP", got)
	}
	st := c.only(t, tStage)
	if got := str(t, st, "name"); got != "$default" {
		t.Errorf("stage %q, want $default", got)
	}
	if !boolean(t, st, "autoDeploy") {
		t.Error("stage does not auto-deploy")
	}
	if got := num(t, st, "defaultRouteSettings", "throttlingBurstLimit"); got != 300 {
		t.Errorf("burst limit %v, want 300", got)
	}
	if got := num(t, st, "defaultRouteSettings", "throttlingRateLimit"); got != 150 {
		t.Errorf("rate limit %v, want 150", got)
	}

	// Under /aws/vendedlogs/, so no stack grows the account's log-delivery
	// resource policy (see ingest.go).
	access := c.one(t, tLogGroup, nAccess)
	if got := str(t, access, "name"); got != accessLogGroup {
		t.Errorf("access log group %q, want %q", got, accessLogGroup)
	}
	if got := num(t, access, "retentionInDays"); got != 14 {
		t.Errorf("access log retention %v, want 14", got)
	}
	if got := str(t, st, "accessLogSettings", "destinationArn"); got != logGroupARN(accessLogGroup) {
		t.Errorf("access logs go to %q", got)
	}
	var format map[string]string
	decodeJSON(t, "access log format", str(t, st, "accessLogSettings", "format"), &format)
	for field, variable := range map[string]string{
		"requestId":               "$context.requestId",
		"integrationErrorMessage": "$context.integrationErrorMessage",
		"status":                  "$context.status",
		"routeKey":                "$context.routeKey",
		"ip":                      "$context.identity.sourceIp",
		"requestTime":             "$context.requestTime",
		"integrationStatus":       "$context.integrationStatus",
		"errorMessage":            "$context.error.message",
	} {
		if format[field] != variable {
			t.Errorf("access log field %s = %q, want %s", field, format[field], variable)
		}
	}
	for field, v := range format {
		if !strings.HasPrefix(v, "$context.") {
			t.Errorf("access log field %s = %q logs something other than request context", field, v)
		}
	}
}

func TestAPIArgs(t *testing.T) {
	sources := resolve(t, []contract.Source{{Name: "orders", Preset: "generic"}})
	queue := pulumi.String(queueURL("q"))
	arn := pulumi.String(queueARN("q"))
	c, err := runWith(func(ctx *pulumi.Context) error {
		_, err := NewAPI(ctx, "a", &APIArgs{Sources: sources, QueueURL: queue, QueueARN: arn})
		return err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := c.only(t, tStage)
	if got := num(t, st, "defaultRouteSettings", "throttlingBurstLimit"); got != stackconfig.DefaultThrottlingBurstLimit {
		t.Errorf("zero throttling: burst %v, want %d", got, stackconfig.DefaultThrottlingBurstLimit)
	}
	if got := num(t, st, "defaultRouteSettings", "throttlingRateLimit"); got != stackconfig.DefaultThrottlingRateLimit {
		t.Errorf("zero throttling: rate %v, want %d", got, stackconfig.DefaultThrottlingRateLimit)
	}
	if logs := c.only(t, tLogGroup); has(logs, "name") {
		t.Errorf("no AccessLogGroupName, but the log group is named %q", str(t, logs, "name"))
	}

	for _, tc := range []struct {
		args APIArgs
		want string
	}{
		{APIArgs{QueueURL: queue, QueueARN: arn}, "APIArgs.Sources is empty"},
		{APIArgs{Sources: sources}, "APIArgs.QueueURL and APIArgs.QueueARN are required"},
		{APIArgs{Sources: sources, QueueURL: queue, QueueARN: arn, ThrottlingBurstLimit: 5001}, "APIArgs.ThrottlingBurstLimit = 5001 is out of range"},
		{APIArgs{Sources: sources, QueueURL: queue, QueueARN: arn, ThrottlingRateLimit: 10001}, "APIArgs.ThrottlingRateLimit = 10001 is out of range"},
		{APIArgs{Sources: sources, QueueURL: queue, QueueARN: arn, LogRetentionDays: 2}, "APIArgs.LogRetentionDays = 2 is not a retention CloudWatch Logs accepts"},
	} {
		assertComponentError(t, func(ctx *pulumi.Context) error {
			_, err := NewAPI(ctx, "a", &tc.args)
			return err
		}, tc.want)
	}
}

func TestRouteThrottling(t *testing.T) {
	cfg := testConfig()
	cfg[testProject+":sources"] = `[{"name":"orders","preset":"generic","throttlingRateLimit":5,"throttlingBurstLimit":10},` +
		`{"name":"gh","preset":"github","throttlingRateLimit":2000},{"name":"pay","preset":"stripe","throttlingBurstLimit":1},{"name":"shop","preset":"shopify"}]`
	cfg[testProject+":secrets"] = `{"orders":"a","gh":"b","pay":"whsec_c","shop":"d"}`
	cfg[testProject+":throttlingBurstLimit"] = "300"
	cfg[testProject+":throttlingRateLimit"] = "150"
	c := mustRun(t, cfg)
	st := c.only(t, tStage)

	want := map[string][2]float64{ // route key -> burst, rate
		"POST /webhooks/orders": {10, 5},
		"POST /webhooks/gh":     {300, 2000},
		"POST /webhooks/pay":    {1, 150},
		"POST /webhooks/shop":   {300, 150},
	}
	got := map[string][2]float64{}
	for _, s := range elements(t, st, "routeSettings") {
		if keys := slices.Sorted(maps.Keys(s)); !slices.Equal(keys, []resource.PropertyKey{"routeKey", "throttlingBurstLimit", "throttlingRateLimit"}) {
			t.Errorf("route setting %v sets %v, want only the route key and its limits", s, keys)
		}
		got[field(s, "routeKey").(string)] = [2]float64{field(s, "throttlingBurstLimit").(float64), field(s, "throttlingRateLimit").(float64)}
	}
	if !maps.Equal(got, want) {
		t.Errorf("route settings %v, want %v", got, want)
	}
	if burst, rate := num(t, st, "defaultRouteSettings", "throttlingBurstLimit"), num(t, st, "defaultRouteSettings", "throttlingRateLimit"); burst != 300 || rate != 150 {
		t.Errorf("default route settings %v/%v, want the stack's 300/150", burst, rate)
	}
	routes := c.all(tRoute)
	if len(routes) != len(want) {
		t.Fatalf("%d routes, want %d", len(routes), len(want))
	}
	for _, r := range routes {
		if _, ok := want[str(t, r, "routeKey")]; !ok {
			t.Errorf("route %s has no route setting", str(t, r, "routeKey"))
		}
		if !dependsOn(st, r) {
			t.Errorf("the stage does not wait for route %s, which its route settings name", r.Name)
		}
	}
	if env := str(t, c.only(t, tFunction), "environment", "variables", contract.EnvSources); strings.Contains(env, "throttling") {
		t.Errorf("the handler's environment carries the sources' throttling: %s", env)
	}
}

// A single source with no limits of its own takes the stack's defaults on
// its route as well as on the stage.
func TestRouteThrottlingDefaults(t *testing.T) {
	st := mustRun(t, testConfig()).only(t, tStage)
	settings := elements(t, st, "routeSettings")
	want := resource.PropertyMap{
		"routeKey":             resource.NewProperty("POST /webhooks/orders"),
		"throttlingBurstLimit": resource.NewProperty(200.0),
		"throttlingRateLimit":  resource.NewProperty(100.0),
	}
	if len(settings) != 1 || !settings[0].DeepEquals(want) {
		t.Errorf("route settings %v, want [%v]", settings, want)
	}
}
