package fakeawsprovider

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// kind is what the stand-in knows of one AWS resource type: the same facts
// the real provider's schema holds for the properties this project sets.
type kind struct {
	// autoName is the input the real provider fills with
	// "<logical name>-<7 hex digits>" when the program leaves it unset ("":
	// the type has no physical name). maxLen is the longest name AWS
	// accepts; lower makes the name lower-case (S3 bucket names).
	autoName string
	maxLen   int
	lower    bool
	// required are the inputs the provider refuses to do without.
	required []string
	// json are inputs that must hold a JSON document when known (policies,
	// dashboard bodies): the real provider validates them in Check.
	json []string
	// replaceOn are the inputs whose change replaces the resource (ForceNew
	// in the provider's schema); any other change updates it in place.
	replaceOn []string
	// outputs returns the ID and the computed outputs AWS gives a new
	// resource with inputs in.
	outputs func(at location, in resource.PropertyMap) (id string, out resource.PropertyMap)
	// versioned outputs count the resource's updates: AWS stores a new
	// version on every update (an SSM parameter's "version").
	versioned string
}

// location is where the stand-in pretends to create resources.
type location struct {
	Region  string
	Account string
}

// arn returns the ARN of resource in service at l; global services pass
// an empty region.
func (l location) arn(service, region, res string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, l.Account, res)
}

// kinds are the resource types this project creates, by type token. A type
// not listed here fails Check, so a new resource in the program needs its
// entry here before the engine test passes.
var kinds = map[string]kind{
	"aws:sqs/queue:Queue": {
		autoName: "name", maxLen: 80,
		json:      []string{"policy", "redrivePolicy", "redriveAllowPolicy"},
		replaceOn: []string{"name", "namePrefix", "fifoQueue"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "name")
			url := fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", at.Region, at.Account, name)
			return url, props("arn", at.arn("sqs", at.Region, name), "url", url)
		},
	},
	"aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": {
		required:  []string{"queueUrl", "redriveAllowPolicy"},
		json:      []string{"redriveAllowPolicy"},
		replaceOn: []string{"queueUrl"},
		outputs:   idFrom("queueUrl"),
	},
	"aws:s3/bucketV2:BucketV2": {
		autoName: "bucket", maxLen: 63, lower: true,
		replaceOn: []string{"bucket", "bucketPrefix", "objectLockEnabled"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			b := str(in, "bucket")
			return b, props(
				"arn", "arn:aws:s3:::"+b,
				"bucketDomainName", b+".s3.amazonaws.com",
				"bucketRegionalDomainName", fmt.Sprintf("%s.s3.%s.amazonaws.com", b, at.Region),
				"region", at.Region,
			)
		},
	},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     bucketSetting(),
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     bucketSetting("rule"),
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": bucketSetting("rules"),
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       bucketSetting("rules"),
	"aws:s3/bucketPolicy:BucketPolicy": {
		required:  []string{"bucket", "policy"},
		json:      []string{"policy"},
		replaceOn: []string{"bucket"},
		outputs:   idFrom("bucket"),
	},
	"aws:iam/role:Role": {
		autoName: "name", maxLen: 64,
		required:  []string{"assumeRolePolicy"},
		json:      []string{"assumeRolePolicy"},
		replaceOn: []string{"name", "namePrefix", "path"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "name")
			return name, props("arn", at.arn("iam", "", "role/"+name), "uniqueId", "AROA"+strings.ToUpper(randomID(17)))
		},
	},
	"aws:iam/rolePolicy:RolePolicy": {
		autoName: "name", maxLen: 128,
		required:  []string{"policy", "role"},
		json:      []string{"policy"},
		replaceOn: []string{"name", "namePrefix", "role"},
		outputs: func(_ location, in resource.PropertyMap) (string, resource.PropertyMap) {
			return str(in, "role") + ":" + str(in, "name"), props()
		},
	},
	"aws:cloudwatch/logGroup:LogGroup": {
		autoName: "name", maxLen: 512,
		replaceOn: []string{"name", "namePrefix", "logGroupClass"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "name")
			return name, props("arn", at.arn("logs", at.Region, "log-group:"+name))
		},
	},
	"aws:ssm/parameter:Parameter": {
		autoName: "name", maxLen: 2048,
		required:  []string{"type"},
		replaceOn: []string{"name"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "name")
			out := props("arn", at.arn("ssm", at.Region, "parameter/"+strings.TrimPrefix(name, "/")))
			out["version"] = resource.NewProperty(1.0)
			return name, out
		},
		versioned: "version",
	},
	"aws:lambda/function:Function": {
		autoName: "name", maxLen: 64,
		required:  []string{"role"},
		replaceOn: []string{"name", "packageType"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "name")
			arn := at.arn("lambda", at.Region, "function:"+name)
			return name, props(
				"arn", arn,
				"qualifiedArn", arn+":$LATEST",
				"invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", at.Region, arn),
				"version", "$LATEST",
			)
		},
	},
	"aws:lambda/eventSourceMapping:EventSourceMapping": {
		required:  []string{"functionName"},
		replaceOn: []string{"eventSourceArn", "startingPosition", "startingPositionTimestamp"},
		outputs: func(_ location, in resource.PropertyMap) (string, resource.PropertyMap) {
			id := uuid()
			return id, props("uuid", id, "functionArn", str(in, "functionName"), "state", "Enabled")
		},
	},
	"aws:apigatewayv2/api:Api": {
		autoName: "name", maxLen: 128,
		required:  []string{"protocolType"},
		replaceOn: []string{"protocolType"},
		outputs: func(at location, _ resource.PropertyMap) (string, resource.PropertyMap) {
			id := randomID(10)
			return id, props(
				"apiEndpoint", fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com", id, at.Region),
				"arn", fmt.Sprintf("arn:aws:apigateway:%s::/apis/%s", at.Region, id),
				"executionArn", at.arn("execute-api", at.Region, id),
			)
		},
	},
	"aws:apigatewayv2/integration:Integration": {
		required:  []string{"apiId", "integrationType"},
		replaceOn: []string{"apiId", "integrationType", "integrationSubtype"},
		outputs: func(location, resource.PropertyMap) (string, resource.PropertyMap) {
			return randomID(7), props()
		},
	},
	"aws:apigatewayv2/route:Route": {
		required:  []string{"apiId", "routeKey"},
		replaceOn: []string{"apiId"},
		outputs: func(location, resource.PropertyMap) (string, resource.PropertyMap) {
			return randomID(7), props()
		},
	},
	"aws:apigatewayv2/stage:Stage": {
		autoName: "name", maxLen: 128,
		required:  []string{"apiId"},
		replaceOn: []string{"apiId", "name"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			api, name := str(in, "apiId"), str(in, "name")
			path := name + "/"
			if name == "$default" {
				path = ""
			}
			return name, props(
				"arn", fmt.Sprintf("arn:aws:apigateway:%s::/apis/%s/stages/%s", at.Region, api, name),
				"executionArn", at.arn("execute-api", at.Region, api+"/"+name),
				"invokeUrl", fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", api, at.Region, path),
			)
		},
	},
	"aws:cloudwatch/eventBus:EventBus": {
		autoName: "name", maxLen: 256,
		replaceOn: []string{"name", "eventSourceName"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "name")
			return name, props("arn", at.arn("events", at.Region, "event-bus/"+name))
		},
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {
		autoName: "name", maxLen: 255,
		required:  []string{"comparisonOperator", "evaluationPeriods"},
		replaceOn: []string{"name"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "name")
			return name, props("arn", at.arn("cloudwatch", at.Region, "alarm:"+name))
		},
	},
	"aws:cloudwatch/dashboard:Dashboard": {
		required:  []string{"dashboardBody", "dashboardName"},
		json:      []string{"dashboardBody"},
		replaceOn: []string{"dashboardName"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			name := str(in, "dashboardName")
			return name, props("dashboardArn", at.arn("cloudwatch", "", "dashboard/"+name))
		},
	},
	"aws:sns/topic:Topic": {
		autoName: "name", maxLen: 256,
		json:      []string{"policy", "deliveryPolicy"},
		replaceOn: []string{"name", "namePrefix", "fifoTopic"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			arn := at.arn("sns", at.Region, str(in, "name"))
			return arn, props("arn", arn, "owner", at.Account)
		},
	},
	"aws:sns/topicPolicy:TopicPolicy": {
		required:  []string{"arn", "policy"},
		json:      []string{"policy"},
		replaceOn: []string{"arn"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			return str(in, "arn"), props("owner", at.Account)
		},
	},
	"aws:sns/topicSubscription:TopicSubscription": {
		required:  []string{"endpoint", "protocol", "topic"},
		replaceOn: []string{"endpoint", "protocol", "topic"},
		outputs: func(at location, in resource.PropertyMap) (string, resource.PropertyMap) {
			arn := str(in, "topic") + ":" + uuid()
			return arn, props("arn", arn, "ownerId", at.Account)
		},
	},
	"aws:kms/key:Key": {
		json:      []string{"policy"},
		replaceOn: []string{"customerMasterKeySpec", "keyUsage", "multiRegion"},
		outputs: func(at location, _ resource.PropertyMap) (string, resource.PropertyMap) {
			id := uuid()
			return id, props("arn", at.arn("kms", at.Region, "key/"+id), "keyId", id)
		},
	},
}

// bucketSetting is a resource that configures one aspect of a bucket: it
// is the bucket's, and moving it to another bucket replaces it.
func bucketSetting(required ...string) kind {
	return kind{
		required:  append([]string{"bucket"}, required...),
		replaceOn: []string{"bucket", "expectedBucketOwner"},
		outputs:   idFrom("bucket"),
	}
}

// idFrom is the outputs of a resource whose ID is its input key.
func idFrom(key resource.PropertyKey) func(location, resource.PropertyMap) (string, resource.PropertyMap) {
	return func(_ location, in resource.PropertyMap) (string, resource.PropertyMap) {
		return str(in, key), props()
	}
}

// str returns the string input key of in, or "" when it is not a known
// string; secrets are unwrapped.
func str(in resource.PropertyMap, key resource.PropertyKey) string {
	v, ok := in[key]
	if !ok {
		return ""
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// props returns a property map of string values from key, value pairs.
func props(kv ...string) resource.PropertyMap {
	m := resource.PropertyMap{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[resource.PropertyKey(kv[i])] = resource.NewProperty(kv[i+1])
	}
	return m
}

// randomID returns n random lower-case letters and digits, the shape of
// API Gateway's identifiers.
func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// uuid returns a random version-4 UUID.
func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
