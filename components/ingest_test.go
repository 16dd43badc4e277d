package components

import (
	"archive/zip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// Resource types the program creates.
const (
	tAPI          = "aws:apigatewayv2/api:Api"
	tStage        = "aws:apigatewayv2/stage:Stage"
	tIntegration  = "aws:apigatewayv2/integration:Integration"
	tRoute        = "aws:apigatewayv2/route:Route"
	tLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	tQueue        = "aws:sqs/queue:Queue"
	tRedriveAllow = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"
	tBucket       = "aws:s3/bucketV2:BucketV2"
	tPublicBlock  = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tOwnership    = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tEncryption   = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tBucketPolicy = "aws:s3/bucketPolicy:BucketPolicy"
	tLifecycle    = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tFunction     = "aws:lambda/function:Function"
	tMapping      = "aws:lambda/eventSourceMapping:EventSourceMapping"
	tRole         = "aws:iam/role:Role"
	tRolePolicy   = "aws:iam/rolePolicy:RolePolicy"
	tParameter    = "aws:ssm/parameter:Parameter"
	tAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tEventBus     = "aws:cloudwatch/eventBus:EventBus"
	tDashboard    = "aws:cloudwatch/dashboard:Dashboard"
	tTopic        = "aws:sns/topic:Topic"
	tTopicPolicy  = "aws:sns/topicPolicy:TopicPolicy"
	tSubscription = "aws:sns/topicSubscription:TopicSubscription"
	tKey          = "aws:kms/key:Key"
)

// Logical names of the program's resources.
const (
	nAPI       = "webhook-ingest-api"
	nSend      = "webhook-ingest-api-sqs-send"
	nAccess    = "webhook-ingest-api-access"
	nQueue     = "webhook-ingest-queue"
	nDLQ       = "webhook-ingest-queue-dlq"
	nBucket    = "webhook-ingest-bodies"
	nProcessor = "webhook-ingest-processor"
	nBus       = "webhook-ingest-events"
	nAlarms    = "webhook-ingest-alarms"
	nDashboard = "webhook-ingest-dashboard"
)

// accessLogGroup is the test stack's API access log group.
const accessLogGroup = "/aws/vendedlogs/webhook-ingest/dev/api-access"

// stackUnique is the name of the test stack's resources that must be unique
// in the account and region.
const stackUnique = "webhook-ingest-dev"

// ARNs of the test stack's operations resources, as the mock cloud computes
// them.
const (
	busARN   = "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/" + stackUnique
	topicARN = "arn:aws:sns:" + testRegion + ":" + testAccount + ":" + stackUnique + "-alarms"
)

// presetCase is one source per preset, with the headers its sender's
// documentation says it always sends, lower-cased as API Gateway reads them.
type presetCase struct {
	source  contract.Source
	secret  string
	headers map[string]string // message attribute -> header
}

func whsec(key string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(key)) }

var presetCases = []presetCase{
	{contract.Source{Name: "orders", Preset: "generic"}, "generic-secret-a1",
		map[string]string{contract.AttrSignature: "x-hmac", contract.AttrWebhookID: "x-webhook-id", contract.AttrTopic: "x-topic"}},
	{contract.Source{Name: "shop", Preset: "shopify"}, "shopify-secret-b2",
		map[string]string{contract.AttrSignature: "x-shopify-hmac-sha256", contract.AttrWebhookID: "x-shopify-webhook-id", contract.AttrTopic: "x-shopify-topic"}},
	{contract.Source{Name: "gh", Preset: "github"}, "github-secret-c3",
		map[string]string{contract.AttrSignature: "x-hub-signature-256", contract.AttrWebhookID: "x-github-delivery", contract.AttrTopic: "x-github-event"}},
	{contract.Source{Name: "payments", Preset: "stripe", ToleranceSeconds: 600}, "whsec_stripe-secret-d4",
		map[string]string{contract.AttrSignature: "stripe-signature"}},
	{contract.Source{Name: "std", Preset: "standard-webhooks"}, whsec("standard-key-e5") + "\n" + whsec("standard-key-old-e5"),
		map[string]string{contract.AttrSignature: "webhook-signature", contract.AttrWebhookID: "webhook-id", contract.AttrTimestamp: "webhook-timestamp"}},
	{contract.Source{Name: "svix-app", Preset: "svix"}, whsec("svix-key-f6"),
		map[string]string{contract.AttrSignature: "svix-signature", contract.AttrWebhookID: "svix-id", contract.AttrTimestamp: "svix-timestamp"}},
	{contract.Source{Name: "chat", Preset: "slack"}, "slack-secret-g7",
		map[string]string{contract.AttrSignature: "x-slack-signature", contract.AttrTimestamp: "x-slack-request-timestamp"}},
	{contract.Source{Name: "subs", Preset: "recharge"}, "recharge-secret-h8",
		map[string]string{contract.AttrSignature: "x-recharge-hmac-sha256", contract.AttrTopic: "x-recharge-topic"}},
	{contract.Source{Name: "acme", Preset: contract.CustomPreset, Custom: &contract.Custom{
		SignatureHeader: "X-Acme-Signature", IDHeader: "X-Acme-Delivery", TopicHeader: "X-Acme-Event",
		TimestampHeader: "X-Acme-Timestamp", Encoding: contract.Base64, SignedContent: "{timestamp}.{body}",
	}}, "custom-secret-i9",
		map[string]string{contract.AttrSignature: "x-acme-signature", contract.AttrWebhookID: "x-acme-delivery", contract.AttrTopic: "x-acme-event", contract.AttrTimestamp: "x-acme-timestamp"}},
}

// allPresetsConfig configures one source per preset with non-default
// tunables, so that every value can be traced to its resource.
func allPresetsConfig(t *testing.T) map[string]string {
	t.Helper()
	var sources []contract.Source
	secrets := map[string]string{}
	for _, c := range presetCases {
		sources = append(sources, c.source)
		secrets[c.source.Name] = c.secret
	}
	return map[string]string{
		testProject + ":sources":                         mustMarshal(sources),
		testProject + ":secrets":                         mustMarshal(secrets),
		testProject + ":memorySize":                      "256",
		testProject + ":timeoutSeconds":                  "20",
		testProject + ":batchSize":                       "50",
		testProject + ":batchingWindowSeconds":           "7",
		testProject + ":maximumConcurrency":              "12",
		testProject + ":maxReceiveCount":                 "8",
		testProject + ":bodyRetentionDays":               "90",
		testProject + ":logRetentionDays":                "14",
		testProject + ":throttlingBurstLimit":            "300",
		testProject + ":throttlingRateLimit":             "150",
		testProject + ":forceDestroy":                    "true",
		testProject + ":eventBus":                        "true",
		testProject + ":alarmEmail":                      testAlarmEmail,
		testProject + ":alarmQueueAgeSeconds":            "600",
		testProject + ":alarmFunctionErrorsThreshold":    "3",
		testProject + ":alarmFunctionThrottlesThreshold": "4",
		testProject + ":alarmRejectedThreshold":          "5",
		testProject + ":alarmApi5xxThreshold":            "6",
	}
}

// testAlarmEmail receives the alarms of allPresetsConfig.
const testAlarmEmail = "ops@example.com"

var (
	allPresetsOnce  sync.Once
	allPresetsCloud *cloud
	allPresetsErr   error
)

// allPresets runs the program once with allPresetsConfig and shares the
// result between tests, which only read it.
func allPresets(t *testing.T) *cloud {
	t.Helper()
	allPresetsOnce.Do(func() { allPresetsCloud, allPresetsErr = runProgram(allPresetsConfig(t)) })
	if allPresetsErr != nil {
		t.Fatalf("program failed: %v", allPresetsErr)
	}
	return allPresetsCloud
}

func decodeJSON(t *testing.T, what, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not the expected JSON: %v\n%s", what, err, s)
	}
}

// Queue and role attributes as the mock cloud computes them.
func queueARN(name string) string {
	return "arn:aws:sqs:" + testRegion + ":" + testAccount + ":" + name
}

func queueURL(name string) string {
	return "https://sqs." + testRegion + ".amazonaws.com/" + testAccount + "/" + name
}

func roleARN(name string) string { return "arn:aws:iam::" + testAccount + ":role/" + name }

func logGroupARN(name string) string {
	return "arn:aws:logs:" + testRegion + ":" + testAccount + ":log-group:" + name
}

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

func TestQueues(t *testing.T) {
	c := allPresets(t)
	if n := len(c.all(tQueue)); n != 2 {
		t.Fatalf("%d queues, want the queue and its dead-letter queue", n)
	}
	q, dlq := c.one(t, tQueue, nQueue), c.one(t, tQueue, nDLQ)
	for _, r := range []registered{q, dlq} {
		if !boolean(t, r, "sqsManagedSseEnabled") {
			t.Errorf("%s is not encrypted (sqsManagedSseEnabled)", r.Name)
		}
		if got := num(t, r, "maxMessageSize"); got != maxMessageBytes {
			t.Errorf("%s maxMessageSize %v, want %d", r.Name, got, maxMessageBytes)
		}
	}
	// 6 × timeoutSeconds (20) + batchingWindowSeconds (7).
	if got := num(t, q, "visibilityTimeoutSeconds"); got != 127 {
		t.Errorf("visibility timeout %v, want 127", got)
	}
	if got := num(t, dlq, "messageRetentionSeconds"); got != 1209600 {
		t.Errorf("dead-letter retention %v, want 14 days", got)
	}
	if qr, dr := num(t, q, "messageRetentionSeconds"), num(t, dlq, "messageRetentionSeconds"); qr >= dr {
		t.Errorf("queue retention %v is not shorter than the dead-letter queue's %v", qr, dr)
	}
	if has(dlq, "redrivePolicy") {
		t.Error("the dead-letter queue has a redrive policy of its own")
	}

	var redrive map[string]any
	decodeJSON(t, "redrive policy", str(t, q, "redrivePolicy"), &redrive)
	if redrive["deadLetterTargetArn"] != queueARN(nDLQ) {
		t.Errorf("redrive target %v, want %s", redrive["deadLetterTargetArn"], queueARN(nDLQ))
	}
	// SQS wants a JSON number here, not a string.
	if n, ok := redrive["maxReceiveCount"].(float64); !ok || n != 8 {
		t.Errorf("maxReceiveCount %#v, want the number 8", redrive["maxReceiveCount"])
	}

	allow := c.only(t, tRedriveAllow)
	if got := str(t, allow, "queueUrl"); got != queueURL(nDLQ) {
		t.Errorf("redrive-allow policy on %q, want the dead-letter queue", got)
	}
	var ap struct {
		RedrivePermission string   `json:"redrivePermission"`
		SourceQueueARNs   []string `json:"sourceQueueArns"`
	}
	decodeJSON(t, "redrive-allow policy", str(t, allow, "redriveAllowPolicy"), &ap)
	if ap.RedrivePermission != "byQueue" || !slices.Equal(ap.SourceQueueARNs, []string{queueARN(nQueue)}) {
		t.Errorf("redrive-allow policy %+v, want byQueue from the main queue only", ap)
	}
}

func TestBucket(t *testing.T) {
	c := allPresets(t)
	b := c.only(t, tBucket)
	if !boolean(t, b, "forceDestroy") {
		t.Error("forceDestroy = true did not reach the bucket")
	}
	for _, typ := range []string{tPublicBlock, tOwnership, tEncryption, tBucketPolicy, tLifecycle} {
		if got := str(t, c.only(t, typ), "bucket"); got != nBucket {
			t.Errorf("%s applies to %q, want %q", typ, got, nBucket)
		}
	}
	pab := c.only(t, tPublicBlock)
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		if !boolean(t, pab, k) {
			t.Errorf("public access block: %s is not true", k)
		}
	}
	if got := str(t, c.only(t, tOwnership), "rule", "objectOwnership"); got != "BucketOwnerEnforced" {
		t.Errorf("object ownership %q", got)
	}
	rules := prop(t, c.only(t, tEncryption), "rules").ArrayValue()
	if len(rules) != 1 {
		t.Fatalf("%d encryption rules", len(rules))
	}
	if got := unwrap(rules[0]).ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()["sseAlgorithm"]; got.StringValue() != "AES256" {
		t.Errorf("encryption %v, want AES256", got)
	}

	pol := c.only(t, tBucketPolicy)
	if !dependsOn(pol, pab) {
		t.Error("the bucket policy does not wait for the public access block")
	}
	doc := parsePolicy(t, str(t, pol, "policy"))
	bucketARN := "arn:aws:s3:::" + nBucket
	if len(doc.Statement) != 1 {
		t.Fatalf("bucket policy has %d statements, want the TLS-only deny", len(doc.Statement))
	}
	s := doc.Statement[0]
	if s.Effect != "Deny" || s.Principal != "*" || !slices.Equal(s.Action, []string{"s3:*"}) ||
		!slices.Equal(s.Resource, []string{bucketARN, bucketARN + "/*"}) ||
		s.Condition["Bool"]["aws:SecureTransport"] != "false" {
		t.Errorf("bucket policy statement %+v is not a deny of non-TLS access to the bucket and its objects", s)
	}

	lc := c.only(t, tLifecycle)
	lr := prop(t, lc, "rules").ArrayValue()
	if len(lr) != 1 {
		t.Fatalf("%d lifecycle rules", len(lr))
	}
	rule := unwrap(lr[0]).ObjectValue()
	if rule["status"].StringValue() != "Enabled" || rule["expiration"].ObjectValue()["days"].NumberValue() != 90 {
		t.Errorf("lifecycle rule %v, want enabled expiry after 90 days", rule)
	}
	if p := rule["filter"].ObjectValue()["prefix"].StringValue(); p != "" {
		t.Errorf("lifecycle rule covers prefix %q, want the whole bucket", p)
	}
}

func TestBucketDefaults(t *testing.T) {
	c := mustRun(t, testConfig())
	if n := len(c.all(tLifecycle)); n != 0 {
		t.Errorf("bodyRetentionDays 0 keeps bodies forever, but %d lifecycle configurations exist", n)
	}
	if boolean(t, c.only(t, tBucket), "forceDestroy") {
		t.Error("forceDestroy is on by default")
	}
}

func TestFunction(t *testing.T) {
	c := allPresets(t)
	fn := c.only(t, tFunction)
	for key, want := range map[string]string{
		"runtime": "provided.al2023",
		"handler": "bootstrap",
		"role":    roleARN(nProcessor),
	} {
		if got := str(t, fn, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got := strs(t, fn, "architectures"); !slices.Equal(got, []string{"arm64"}) {
		t.Errorf("architectures %v, want [arm64]", got)
	}
	if got := num(t, fn, "memorySize"); got != 256 {
		t.Errorf("memory %v", got)
	}
	if got := num(t, fn, "timeout"); got != 20 {
		t.Errorf("timeout %v", got)
	}

	logs := c.one(t, tLogGroup, nProcessor)
	if got := str(t, logs, "name"); got != "/webhook-ingest/dev/processor" {
		t.Errorf("function log group %q", got)
	}
	if got := num(t, logs, "retentionInDays"); got != 14 {
		t.Errorf("function log retention %v", got)
	}
	if got := str(t, fn, "loggingConfig", "logFormat"); got != "JSON" {
		t.Errorf("log format %q", got)
	}
	if got := str(t, fn, "loggingConfig", "logGroup"); got != "/webhook-ingest/dev/processor" {
		t.Errorf("function logs to %q", got)
	}
	if !dependsOn(fn, logs) {
		t.Error("the function does not wait for its log group")
	}
	if !dependsOn(fn, c.one(t, tRolePolicy, nProcessor)) {
		t.Error("the function does not wait for its role's policy")
	}

	vars := prop(t, fn, "environment", "variables").ObjectValue()
	if got, want := slices.Sorted(maps.Keys(vars)), slices.Sorted(slices.Values([]resource.PropertyKey{contract.EnvBucket, contract.EnvSources, contract.EnvEventBus})); !slices.Equal(got, want) {
		t.Errorf("environment %v, want exactly %v", got, want)
	}
	if got := str(t, fn, "environment", "variables", contract.EnvBucket); got != nBucket {
		t.Errorf("%s = %q, want %q", contract.EnvBucket, got, nBucket)
	}
	if got := str(t, fn, "environment", "variables", contract.EnvEventBus); got != stackUnique {
		t.Errorf("%s = %q, want the stack's bus %q", contract.EnvEventBus, got, stackUnique)
	}
	// The handler parses the variable with the contract's own parser.
	sources, err := contract.ParseSources(str(t, fn, "environment", "variables", contract.EnvSources))
	if err != nil {
		t.Fatalf("the handler would reject %s: %v", contract.EnvSources, err)
	}
	if len(sources) != len(presetCases) {
		t.Fatalf("%d sources in the environment, want %d", len(sources), len(presetCases))
	}
	// Each source reads its own parameter at the version deployed with the
	// function, so a changed secret changes the function's configuration.
	for i, s := range sources {
		want := presetCases[i].source
		param := "/webhook-ingest/dev/" + want.Name
		want.SecretParameter = fmt.Sprintf("%s:%d", param, parameterVersion(param))
		if mustMarshal(s) != mustMarshal(want) {
			t.Errorf("source %d in the environment is %+v, want %+v", i, s, want)
		}
	}

	code := prop(t, fn, "code")
	if !code.IsArchive() {
		t.Fatalf("code is %v, not an archive", code)
	}
	path := code.ArchiveValue().Path
	if path != sharedHandlerBuild(t, ArchARM64) {
		t.Errorf("code is %q, want the handler build %q", path, sharedHandlerBuild(t, ArchARM64))
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("open deployment package: %v", err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Errorf("deployment package holds %v, want only bootstrap", zr.File)
	}
}

func TestEventSourceMapping(t *testing.T) {
	c := allPresets(t)
	m := c.only(t, tMapping)
	if got := str(t, m, "eventSourceArn"); got != queueARN(nQueue) {
		t.Errorf("mapping reads %q", got)
	}
	if got, want := str(t, m, "functionName"), "arn:aws:lambda:"+testRegion+":"+testAccount+":function:"+nProcessor; got != want {
		t.Errorf("mapping invokes %q, want %q", got, want)
	}
	if got := strs(t, m, "functionResponseTypes"); !slices.Equal(got, []string{"ReportBatchItemFailures"}) {
		t.Errorf("function response types %v", got)
	}
	for path, want := range map[string]float64{
		"batchSize":                        50,
		"maximumBatchingWindowInSeconds":   7,
		"scalingConfig.maximumConcurrency": 12,
	} {
		if got := num(t, m, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if !dependsOn(m, c.one(t, tRolePolicy, nProcessor)) {
		t.Error("the mapping does not wait for the role's queue permissions")
	}
}

// iamDoc is an IAM policy document; Action, Resource and Principal may be a
// string or a list, as IAM allows.
type iamDoc struct {
	Version   string
	Statement []iamStatement
}

type iamStatement struct {
	Sid       string
	Effect    string
	Principal any
	Action    stringOrList
	Resource  stringOrList
	Condition map[string]map[string]string
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}

func parsePolicy(t *testing.T, s string) iamDoc {
	t.Helper()
	var d iamDoc
	decodeJSON(t, "policy", s, &d)
	if d.Version != "2012-10-17" {
		t.Errorf("policy version %q", d.Version)
	}
	return d
}

func TestRoles(t *testing.T) {
	c := allPresets(t)
	if n := len(c.all(tRole)); n != 2 {
		t.Fatalf("%d roles (%v), want the API's and the function's", n, names(c.all(tRole)))
	}
	for name, service := range map[string]string{nSend: "apigateway.amazonaws.com", nProcessor: "lambda.amazonaws.com"} {
		doc := parsePolicy(t, str(t, c.one(t, tRole, name), "assumeRolePolicy"))
		if len(doc.Statement) != 1 {
			t.Fatalf("role %s trust policy has %d statements", name, len(doc.Statement))
		}
		s := doc.Statement[0]
		p, _ := s.Principal.(map[string]any)
		if s.Effect != "Allow" || !slices.Equal(s.Action, []string{"sts:AssumeRole"}) || len(p) != 1 || p["Service"] != service {
			t.Errorf("role %s trusts %+v, want only %s", name, s, service)
		}
	}
	for _, typ := range []string{"aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment", "aws:iam/policy:Policy"} {
		if n := len(c.all(typ)); n != 0 {
			t.Errorf("%d %s: roles should carry only their inline least-privilege policy", n, typ)
		}
	}

	send := c.one(t, tRolePolicy, nSend)
	if got := str(t, send, "role"); got != nSend {
		t.Errorf("send policy attached to %q", got)
	}
	assertStatements(t, nSend, parsePolicy(t, str(t, send, "policy")), map[string]iamStatement{
		"SendWebhooks": {Effect: "Allow", Action: []string{"sqs:SendMessage"}, Resource: []string{queueARN(nQueue)}},
	})

	proc := c.one(t, tRolePolicy, nProcessor)
	if got := str(t, proc, "role"); got != nProcessor {
		t.Errorf("processor policy attached to %q", got)
	}
	bucketARN := "arn:aws:s3:::" + nBucket
	var objects, params []string
	for _, pc := range presetCases {
		objects = append(objects, bucketARN+"/"+pc.source.Name+"/*")
		params = append(params, "arn:aws:ssm:"+testRegion+":"+testAccount+":parameter/webhook-ingest/dev/"+pc.source.Name)
	}
	assertStatements(t, nProcessor, parsePolicy(t, str(t, proc, "policy")), map[string]iamStatement{
		"WriteOwnLogs":      {Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{logGroupARN("/webhook-ingest/dev/processor") + ":*"}},
		"ConsumeQueue":      {Effect: "Allow", Action: []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, Resource: []string{queueARN(nQueue)}},
		"StoreBodies":       {Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: objects},
		"ReadSourceSecrets": {Effect: "Allow", Action: []string{"ssm:GetParameters"}, Resource: params},
		"PublishHandoffEvents": {Effect: "Allow", Action: []string{"events:PutEvents"}, Resource: []string{busARN},
			Condition: map[string]map[string]string{"StringEquals": {"events:source": handoff.EventSource}}},
	})
}

// assertStatements checks that doc holds exactly the statements want, keyed
// by Sid, with no wildcard action and no resource wider than want's.
func assertStatements(t *testing.T, role string, doc iamDoc, want map[string]iamStatement) {
	t.Helper()
	if len(doc.Statement) != len(want) {
		t.Errorf("role %s: %d statements, want %d", role, len(doc.Statement), len(want))
	}
	for _, s := range doc.Statement {
		w, ok := want[s.Sid]
		if !ok {
			t.Errorf("role %s: unexpected statement %+v", role, s)
			continue
		}
		if s.Effect != w.Effect || s.Principal != nil || !reflect.DeepEqual(s.Condition, w.Condition) ||
			!slices.Equal(s.Action, w.Action) || !slices.Equal(s.Resource, w.Resource) {
			t.Errorf("role %s statement %s:\n got %+v\nwant %+v", role, s.Sid, s, w)
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("role %s: wildcard action %q", role, a)
			}
		}
		for _, r := range s.Resource {
			if r == "*" || strings.HasPrefix(r, "arn:aws:") && strings.Count(r, "*") > 1 {
				t.Errorf("role %s: resource %q is wider than this stack", role, r)
			}
		}
	}
}

func TestSecretParameters(t *testing.T) {
	c := allPresets(t)
	if got, want := len(c.all(tParameter)), len(presetCases); got != want {
		t.Fatalf("%d parameters, want one per source (%d)", got, want)
	}
	for _, pc := range presetCases {
		p := c.one(t, tParameter, "webhook-ingest-secrets-"+pc.source.Name)
		if got, want := str(t, p, "name"), "/webhook-ingest/dev/"+pc.source.Name; got != want {
			t.Errorf("parameter name %q, want %q", got, want)
		}
		if got := str(t, p, "type"); got != "SecureString" {
			t.Errorf("parameter %s type %q, want SecureString", pc.source.Name, got)
		}
		if has(p, "keyId") {
			t.Errorf("parameter %s names a key; the processor's role is granted no kms:Decrypt", pc.source.Name)
		}
		v := p.Inputs["value"]
		if !v.ContainsSecrets() {
			t.Errorf("parameter %s value is not a Pulumi secret, so state would hold it in plaintext", pc.source.Name)
		}
		if got := str(t, p, "value"); got != pc.secret {
			t.Errorf("parameter %s holds %d bytes, not the configured secret", pc.source.Name, len(got))
		}
	}
}

// TestNoSecretOutsideItsParameter walks every input of every resource,
// including the function's environment, for any secret or any line of one.
func TestNoSecretOutsideItsParameter(t *testing.T) {
	c := allPresets(t)
	var needles []string
	for _, pc := range presetCases {
		for line := range strings.SplitSeq(pc.secret, "\n") {
			needles = append(needles, line)
			if key, ok := strings.CutPrefix(line, "whsec_"); ok {
				needles = append(needles, key)
				raw, err := base64.StdEncoding.DecodeString(key)
				if err == nil {
					needles = append(needles, string(raw))
				}
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.resources {
		for key, v := range r.Inputs {
			if r.Type == tParameter && key == "value" {
				continue
			}
			walkStrings(v, func(s string) {
				for _, n := range needles {
					if strings.Contains(s, n) {
						t.Errorf("%s %s input %s contains a secret", r.Type, r.Name, key)
					}
				}
			})
		}
	}
}

func walkStrings(v resource.PropertyValue, f func(string)) {
	switch {
	case v.IsString():
		f(v.StringValue())
	case v.IsSecret():
		walkStrings(v.SecretValue().Element, f)
	case v.IsOutput():
		walkStrings(v.OutputValue().Element, f)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			walkStrings(e, f)
		}
	case v.IsObject():
		for k, e := range v.ObjectValue() {
			f(string(k))
			walkStrings(e, f)
		}
	case v.IsArchive():
		a := v.ArchiveValue()
		f(a.Path)
		f(a.URI)
	case v.IsAsset():
		a := v.AssetValue()
		f(a.Path)
		f(a.Text)
	}
}

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
		"dashboardName":      stackUnique,
	}
	if got := stackOutputs(t, testConfig()); mustMarshal(got) != mustMarshal(want) {
		t.Errorf("outputs\n%v\nwant\n%v", got, want)
	}

	// With the hand-off bus and an alarm e-mail, the stack also tells where
	// consumers subscribe and where alarms are sent.
	got := stackOutputs(t, allPresetsConfig(t))
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

func TestArchitectureX8664(t *testing.T) {
	cfg := testConfig()
	cfg[testProject+":architecture"] = ArchX8664
	c := mustRun(t, cfg)
	fn := c.only(t, tFunction)
	if got := strs(t, fn, "architectures"); !slices.Equal(got, []string{"x86_64"}) {
		t.Errorf("architectures %v, want [x86_64]", got)
	}
	path := prop(t, fn, "code").ArchiveValue().Path
	if path != sharedHandlerBuild(t, ArchX8664) {
		t.Errorf("code %q is not the x86_64 build", path)
	}
	assertELFMachine(t, path, "amd64")
}

func TestDefaultsReachResources(t *testing.T) {
	c := mustRun(t, testConfig())
	fn := c.only(t, tFunction)
	m := c.only(t, tMapping)
	q := c.one(t, tQueue, nQueue)
	st := c.only(t, tStage)
	for what, pair := range map[string][2]float64{
		"memorySize":           {num(t, fn, "memorySize"), float64(defaults.MemorySize)},
		"timeout":              {num(t, fn, "timeout"), float64(defaults.TimeoutSeconds)},
		"batchSize":            {num(t, m, "batchSize"), float64(defaults.BatchSize)},
		"batchingWindow":       {num(t, m, "maximumBatchingWindowInSeconds"), float64(defaults.BatchingWindowSeconds)},
		"maximumConcurrency":   {num(t, m, "scalingConfig", "maximumConcurrency"), float64(defaults.MaximumConcurrency)},
		"visibilityTimeout":    {num(t, q, "visibilityTimeoutSeconds"), float64(6*defaults.TimeoutSeconds + defaults.BatchingWindowSeconds)},
		"throttlingBurstLimit": {num(t, st, "defaultRouteSettings", "throttlingBurstLimit"), float64(defaults.ThrottlingBurstLimit)},
		"throttlingRateLimit":  {num(t, st, "defaultRouteSettings", "throttlingRateLimit"), float64(defaults.ThrottlingRateLimit)},
		"functionLogRetention": {num(t, c.one(t, tLogGroup, nProcessor), "retentionInDays"), float64(defaults.LogRetentionDays)},
		"accessLogRetention":   {num(t, c.one(t, tLogGroup, nAccess), "retentionInDays"), float64(defaults.LogRetentionDays)},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %v, want the default %v", what, pair[0], pair[1])
		}
	}
	var redrive map[string]any
	decodeJSON(t, "redrive policy", str(t, q, "redrivePolicy"), &redrive)
	if redrive["maxReceiveCount"] != float64(defaults.MaxReceiveCount) {
		t.Errorf("maxReceiveCount %v, want the default %d", redrive["maxReceiveCount"], defaults.MaxReceiveCount)
	}
	if got := strs(t, fn, "architectures"); !slices.Equal(got, []string{defaults.Architecture}) {
		t.Errorf("architectures %v", got)
	}
}
