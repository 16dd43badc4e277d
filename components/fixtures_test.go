// The stack the tests deploy under the mocks (mock_test.go): resource types
// and names, one source per preset, and helpers to read what was created.

package components

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/webhook-ingest/webhook-ingest/contract"
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
	tCertificate  = "aws:acm/certificate:Certificate"
	tValidation   = "aws:acm/certificateValidation:CertificateValidation"
	tRecord       = "aws:route53/record:Record"
	tDomainName   = "aws:apigatewayv2/domainName:DomainName"
	tAPIMapping   = "aws:apigatewayv2/apiMapping:ApiMapping"
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
	nDomain    = "webhook-ingest-api-domain"
)

// The test stack's custom domain: its name, the hosted zone that holds it,
// and a certificate of the stack's region the user brings instead.
const (
	testDomain         = "hooks.example.com"
	testZoneID         = "Z0123456789ABCDEFGHIJ"
	testCertificateARN = "arn:aws:acm:" + testRegion + ":" + testAccount + ":certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
)

// withDomain returns cfg with the custom domain given by zone, the hosted
// zone, or cert, the certificate ARN.
func withDomain(cfg map[string]string, zone, cert string) map[string]string {
	d := map[string]string{"name": testDomain}
	if zone != "" {
		d["hostedZoneId"] = zone
	}
	if cert != "" {
		d["certificateArn"] = cert
	}
	cfg[testProject+":domain"] = mustMarshal(d)
	return cfg
}

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
	// Slack's source drops its failed records: the stack's only source
	// without quarantine.
	{contract.Source{Name: "chat", Preset: "slack", Quarantine: new(false)}, "slack-secret-g7",
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
		testProject + ":recordConcurrency":               "250",
		testProject + ":maxReceiveCount":                 "8",
		testProject + ":bodyRetentionDays":               "90",
		testProject + ":quarantineDays":                  "30",
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
		testProject + ":alarmConflictThreshold":          "7",
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

// testPrefix starts the names of the test stack's log groups and parameters.
const testPrefix = "/" + testProject + "/" + testStack

// resolve resolves sources, failing the test on error.
func resolve(t *testing.T, sources []contract.Source) []contract.ResolvedSource {
	t.Helper()
	r, err := contract.ResolveSources(sources)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// assertComponentError runs body under the mocks and checks that it fails
// with an error containing want, before registering any resource.
func assertComponentError(t *testing.T, body pulumi.RunFunc, want string) {
	t.Helper()
	c, err := runWith(body, nil)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
	if n := len(c.resources); n != 0 {
		t.Errorf("%d resources registered before the error, want none", n)
	}
}
