package components

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The IAM a deploy needs, per resource type the program registers, checked
// against the policies docs/ci-and-deploy.md gives the deploy and preview
// roles.
//
// Each need is derived from the Terraform resource the pinned provider
// (pulumi-aws v6.83.4 bridges the Terraform AWS provider's v5 line) maps the
// type to: its create, read (which refresh and every update run), update,
// delete and tag calls, and what AWS authorizes each call against. The
// provider's own code is not in its Go SDK, so these lists are reasoned from
// the resource types and the AWS service authorization references, not read
// from the calls; the docs say so and how to add a missing action.

// Placeholders of the documented policies and what the test puts in.
var policyPlaceholders = strings.NewReplacer(
	"REGION", testRegion,
	"ACCOUNT", testAccount,
	"KEY-ID", stateKeyID,
	"STATE-BUCKET", stateBucket,
	"HOSTED-ZONE-ID", testZoneID,
)

const (
	stateBucket = "acme-pulumi-state"
	stateKeyID  = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
	// autoSuffix stands in for the random suffix Pulumi appends to a
	// logical name to make a physical one.
	autoSuffix = "-a1b2c3d"
	apiID      = "a1b2c3d4e5"
	esmUUID    = "14e0db71-5f0a-4e5c-9c1b-2f3e4d5c6b7a"
	keyUUID    = "6f5e4d3c-2b1a-4098-8765-43210fedcba9"
	// subscriptionUUID ends a subscription's ARN, after its topic's.
	subscriptionUUID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	certificateUUID  = "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a"
	apiMappingID     = "1a2b3c"
	// changeID is a Route 53 change, whose status the provider polls until
	// the change is in sync.
	changeID = "C2682N5HXP0BZ4"
)

// need is one call a deploy makes: an IAM action, the resource ARN AWS
// authorizes it against ("*" for an action that takes none), and the
// request's condition keys.
type need struct {
	action   string
	resource string
	context  map[string]string
}

func needs(resource string, actions ...string) []need {
	out := make([]need, len(actions))
	for i, a := range actions {
		out[i] = need{action: a, resource: resource}
	}
	return out
}

func withContext(ns []need, key, value string) []need {
	for i := range ns {
		ns[i].context = map[string]string{key: value}
	}
	return ns
}

func arnOf(service, resource string) string {
	return "arn:aws:" + service + ":" + testRegion + ":" + testAccount + ":" + resource
}

func apiPath(path string) string { return "arn:aws:apigateway:" + testRegion + "::" + path }

// apiTags is the resource API Gateway authorizes tagging of the API against.
var apiTags = apiPath("/tags/" + url.PathEscape(apiPath("/apis/"+apiID)))

// deployNeeds returns the calls that create, read, update, tag and delete r.
// ok is false for a type it does not know: a new resource type needs its
// entry here and its permissions in the documented policy.
func deployNeeds(t *testing.T, r registered) (ns []need, ok bool) {
	t.Helper()
	auto := r.Name + autoSuffix
	input := func(key string) string { return str(t, r, key) }
	role := func(logical string) string { return "arn:aws:iam::" + testAccount + ":role/" + logical + autoSuffix }
	crud := func(collection, item string) []need {
		return append(needs(apiPath("/apis/"+apiID+"/"+collection), "apigateway:POST"),
			needs(apiPath("/apis/"+apiID+"/"+collection+"/"+item), "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE")...)
	}
	bucket := "arn:aws:s3:::" + auto
	switch r.Type {
	case tAPI:
		ns = append(needs(apiPath("/apis"), "apigateway:POST"),
			needs(apiPath("/apis/"+apiID), "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE")...)
		ns = append(ns, needs(apiTags, "apigateway:GET", "apigateway:POST", "apigateway:DELETE")...)
	case tStage:
		ns = append(crud("stages", "$default"), needs(apiTags, "apigateway:POST", "apigateway:DELETE")...)
		// Access logging, as the API Gateway guide lists it for HTTP APIs.
		ns = append(ns, needs("*", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
			"logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies")...)
		ns = append(ns, needs(arnOf("logs", "log-group:"+accessLogGroup), "logs:CreateLogGroup")...)
	case tIntegration:
		ns = append(crud("integrations", "abc1234"),
			withContext(needs(role(nSend), "iam:PassRole"), "iam:PassedToService", "apigateway.amazonaws.com")...)
	case tRoute:
		ns = crud("routes", "def5678")
	case tLogGroup:
		group := arnOf("logs", "log-group:"+input("name"))
		ns = append(needs(group, "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
			"logs:DeleteRetentionPolicy", "logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:TagResource", "logs:UntagResource"),
			needs("*", "logs:DescribeLogGroups")...)
	case tQueue:
		ns = needs(arnOf("sqs", auto), "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes",
			"sqs:SetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue")
	case tRedriveAllow:
		// Its logical name is the dead-letter queue's.
		ns = needs(arnOf("sqs", auto), "sqs:GetQueueAttributes", "sqs:SetQueueAttributes")
	case tBucket:
		ns = needs(bucket, "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket",
			"s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCORS",
			"s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment",
			"s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
			"s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration")
		if boolean(t, r, "forceDestroy") {
			// Destroy empties the bucket: the provider lists and deletes
			// every object version, whether or not versioning is on.
			ns = append(ns, needs(bucket, "s3:ListBucketVersions")...)
			ns = append(ns, needs(bucket+"/orders/evt-1", "s3:DeleteObject", "s3:DeleteObjectVersion")...)
		}
	// The bucket's parts share the bucket's logical name.
	case tPublicBlock:
		ns = needs(bucket, "s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock")
	case tOwnership:
		ns = needs(bucket, "s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls")
	case tEncryption:
		ns = needs(bucket, "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration")
	case tBucketPolicy:
		ns = needs(bucket, "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy")
	case tLifecycle:
		ns = needs(bucket, "s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration")
	case tFunction:
		ns = append(needs(arnOf("lambda", "function:"+auto), "lambda:CreateFunction", "lambda:DeleteFunction",
			"lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig",
			"lambda:ListVersionsByFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
			"lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"),
			withContext(needs(role(nProcessor), "iam:PassRole"), "iam:PassedToService", "lambda.amazonaws.com")...)
	case tMapping:
		// The mapping is authorized against its own ARN, a random UUID, with
		// the function it feeds as a condition key; its tags are read and
		// written by that ARN (the provider reads them after creating it).
		fn := arnOf("lambda", "function:"+nProcessor+autoSuffix)
		mapping := arnOf("lambda", "event-source-mapping:"+esmUUID)
		ns = withContext(needs("*", "lambda:CreateEventSourceMapping"), "lambda:FunctionArn", fn)
		ns = append(ns, withContext(needs(mapping, "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"), "lambda:FunctionArn", fn)...)
		ns = append(ns, needs(mapping, "lambda:GetEventSourceMapping", "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource")...)
		ns = append(ns, needs("*", "lambda:ListEventSourceMappings")...)
	case tRole:
		ns = needs(role(r.Name), "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole",
			"iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
			"iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole")
	case tRolePolicy:
		ns = needs(role(r.Name), "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy")
	case tParameter:
		// SecureString under the AWS managed key aws/ssm, whose key policy
		// lets the account's principals use it through SSM: no KMS need.
		ns = append(needs(arnOf("ssm", "parameter"+input("name")), "ssm:PutParameter", "ssm:GetParameter",
			"ssm:GetParameters", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource",
			"ssm:ListTagsForResource"), needs("*", "ssm:DescribeParameters")...)
	case tAlarm:
		ns = append(needs(arnOf("cloudwatch", "alarm:"+input("name")), "cloudwatch:PutMetricAlarm",
			"cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
			needs("*", "cloudwatch:DescribeAlarms")...)
	case tDashboard:
		ns = needs("arn:aws:cloudwatch::"+testAccount+":dashboard/"+input("dashboardName"),
			"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards")
	case tEventBus:
		ns = needs(arnOf("events", "event-bus/"+input("name")), "events:CreateEventBus", "events:DeleteEventBus",
			"events:DescribeEventBus", "events:UpdateEventBus", "events:ListTagsForResource", "events:TagResource", "events:UntagResource")
	case tTopic:
		ns = needs(arnOf("sns", input("name")), "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes",
			"sns:SetTopicAttributes", "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource")
	case tTopicPolicy:
		ns = needs(input("arn"), "sns:SetTopicAttributes", "sns:GetTopicAttributes")
	case tSubscription:
		topic := input("topic")
		ns = append(needs(topic, "sns:Subscribe", "sns:ListSubscriptionsByTopic"),
			needs(topic+":"+subscriptionUUID, "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe")...)
	case tCertificate:
		// Requested with no ARN to authorize against; the validation reads
		// the same certificate until ACM issues it.
		ns = append(needs("*", "acm:RequestCertificate"), needs(arnOf("acm", "certificate/"+certificateUUID),
			"acm:DescribeCertificate", "acm:DeleteCertificate", "acm:ListTagsForCertificate",
			"acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate")...)
	case tValidation:
		ns = needs(arnOf("acm", "certificate/"+certificateUUID), "acm:DescribeCertificate")
	case tRecord:
		// The provider reads the zone's name to build the record's FQDN,
		// and waits for each change to reach every name server.
		ns = append(needs("arn:aws:route53:::hostedzone/"+input("zoneId"),
			"route53:GetHostedZone", "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"),
			needs("arn:aws:route53:::change/"+changeID, "route53:GetChange")...)
	case tDomainName:
		domain := apiPath("/domainnames/" + input("domainName"))
		ns = append(needs(apiPath("/domainnames"), "apigateway:POST"),
			needs(domain, "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE")...)
		ns = append(ns, needs(apiPath("/tags/"+url.PathEscape(domain)), "apigateway:POST", "apigateway:DELETE")...)
	case tAPIMapping:
		mappings := apiPath("/domainnames/" + input("domainName") + "/apimappings")
		ns = append(needs(mappings, "apigateway:POST"),
			needs(mappings+"/"+apiMappingID, "apigateway:GET", "apigateway:PATCH", "apigateway:DELETE")...)
	case tKey:
		ns = append(needs("*", "kms:CreateKey"), needs(arnOf("kms", "key/"+keyUUID), "kms:DescribeKey",
			"kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
			"kms:UpdateKeyDescription", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion")...)
	default:
		return nil, false
	}
	return ns, true
}

// backendNeeds are the calls of `pulumi up` itself on an S3 backend with a
// KMS secrets provider: read and write the state, decrypt the stack's data
// key. kms:Encrypt is needed only where the provider is set up (stack init).
var backendNeeds = append(append(
	needs("arn:aws:s3:::"+stateBucket+"/.pulumi/stacks/webhook-ingest/dev.json", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
	needs("arn:aws:s3:::"+stateBucket, "s3:ListBucket")...),
	needs(arnOf("kms", "key/"+stateKeyID), "kms:Decrypt")...)

// previewNeeds are the calls of `pulumi preview` on that backend: it reads
// the state and decrypts the configuration, and takes no lock and saves
// nothing (the diy backend of pkg/v3 v3.274.1 locks only update, refresh,
// import and destroy, and gives previews a persister that discards).
var previewNeeds = append(append(
	needs("arn:aws:s3:::"+stateBucket+"/.pulumi/stacks/webhook-ingest/dev.json", "s3:GetObject"),
	needs("arn:aws:s3:::"+stateBucket, "s3:ListBucket")...),
	needs(arnOf("kms", "key/"+stateKeyID), "kms:Decrypt")...)

// integrationNeeds are the integration test's own reads of what it deployed
// (integration/webhook_test.go): GetObject and HeadObject, ListObjectsV2
// (which also lets a missing key answer NoSuchKey rather than 403), and the
// queues' attributes.
func integrationNeeds(c *cloud) []need {
	var ns []need
	for _, q := range c.all(tQueue) {
		ns = append(ns, needs(arnOf("sqs", q.Name+autoSuffix), "sqs:GetQueueAttributes")...)
	}
	bucket := "arn:aws:s3:::" + nBucket + autoSuffix
	ns = append(ns, needs(bucket, "s3:ListBucket")...)
	return append(ns, needs(bucket+"/itest/good-1", "s3:GetObject")...)
}

// actionsWithoutResource are the actions a documented policy may grant on
// "*": AWS authorizes them against no resource ARN, or (the event source
// mappings) against a random one, scoped by a condition instead.
var actionsWithoutResource = []string{
	"logs:DescribeLogGroups", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
	"logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
	"ssm:DescribeParameters", "cloudwatch:DescribeAlarms", "kms:CreateKey", "acm:RequestCertificate",
	"lambda:GetEventSourceMapping", "lambda:ListEventSourceMappings",
	"lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping",
}

// conditionalOnStar are the write actions among them, which a statement on
// "*" must scope with a condition.
var conditionalOnStar = []string{"lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"}

func TestDocumentedDeployPolicy(t *testing.T) {
	doc, err := os.ReadFile("../docs/ci-and-deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	deploy := documentedPolicy(t, doc, "deploy")
	devAdditions := documentedPolicy(t, doc, "deploy-dev-additions")
	preview := documentedPolicy(t, doc, "preview")
	for name, p := range map[string]policy{"deploy": deploy, "deploy-dev-additions": devAdditions, "preview": preview} {
		p.checkShape(t, name)
	}

	used := map[string]bool{}
	check := func(what string, p policy, ns []need) {
		t.Helper()
		for _, n := range ns {
			sid, ok := p.allows(n)
			if !ok {
				t.Errorf("%s: the documented policy does not allow %s on %s (context %v)", what, n.action, n.resource, n.context)
			}
			used[sid] = true
		}
	}

	// A production stack: every optional resource on, forceDestroy off, a
	// custom domain whose certificate and records the stack makes, the
	// execute-api endpoint off; and one that brings its own certificate.
	prod := withDomain(allPresetsConfig(t), testZoneID, "")
	prod[testProject+":forceDestroy"] = "false"
	prod[testProject+":disableExecuteApiEndpoint"] = "true"
	ownCertificate := withDomain(allPresetsConfig(t), "", testCertificateARN)
	ownCertificate[testProject+":forceDestroy"] = "false"
	// A throwaway stack as the integration test deploys it in the dev
	// account: forceDestroy on, checked with the dev-account additions.
	throwaway := allPresetsConfig(t)
	for _, run := range []struct {
		name   string
		cfg    map[string]string
		policy policy
		extra  func(*cloud) []need
	}{
		{"prod", prod, deploy, nil},
		{"prod with its own certificate", ownCertificate, deploy, nil},
		{"throwaway", throwaway, deploy.with(devAdditions), integrationNeeds},
	} {
		c := mustRun(t, run.cfg)
		seen := map[string]bool{}
		for _, r := range c.resources {
			if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
				continue
			}
			ns, ok := deployNeeds(t, r)
			if !ok {
				if !seen[r.Type] {
					t.Errorf("the program creates %s, whose IAM needs are unknown: add them to deployNeeds and to the deploy role's policy in docs/ci-and-deploy.md", r.Type)
				}
				seen[r.Type] = true
				continue
			}
			check(run.name+" "+r.Type+" "+r.Name, run.policy, ns)
		}
		check(run.name+" state backend", run.policy, backendNeeds)
		if run.extra != nil {
			check(run.name+" integration test", run.policy, run.extra(c))
		}
	}
	for _, p := range []policy{deploy, devAdditions} {
		for _, s := range p.Statement {
			if !used[s.Sid] {
				t.Errorf("deploy policy statement %s is needed by no resource the program creates: remove it or add the need to deployNeeds", s.Sid)
			}
		}
	}

	// The preview role reads and decrypts; it writes nothing.
	for _, n := range previewNeeds {
		if _, ok := preview.allows(n); !ok {
			t.Errorf("preview: the documented policy does not allow %s on %s", n.action, n.resource)
		}
	}
	for _, s := range preview.Statement {
		for _, a := range s.Action {
			if !slices.Contains([]string{"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}, a) {
				t.Errorf("preview policy statement %s grants %s: a pull request's branch controls the preview job, so the role may only read state and decrypt", s.Sid, a)
			}
		}
	}
}

// policy is an IAM policy document as the docs give it.
type policy struct {
	Version   string
	Statement []policyStatement
}

type policyStatement struct {
	Sid       string
	Effect    string
	Action    stringList
	Resource  stringList
	Condition map[string]map[string]stringList
	// Fields a documented policy must not use: the evaluation below does
	// not implement them.
	NotAction   stringList
	NotResource stringList
	Principal   any
}

// stringList is an IAM value that is one string or a list of them.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

var policyBlock = regexp.MustCompile("(?s)<!-- policy: ([a-z-]+) -->\\s*```json\\n(.*?)```")

// documentedPolicy returns the JSON block of docs/ci-and-deploy.md that
// follows the comment <!-- policy: name -->, with its placeholders filled.
func documentedPolicy(t *testing.T, doc []byte, name string) policy {
	t.Helper()
	for _, m := range policyBlock.FindAllSubmatch(doc, -1) {
		if string(m[1]) != name {
			continue
		}
		var p policy
		dec := json.NewDecoder(strings.NewReader(policyPlaceholders.Replace(string(m[2]))))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("policy %s in docs/ci-and-deploy.md is not a policy document: %v", name, err)
		}
		return p
	}
	t.Fatalf("docs/ci-and-deploy.md has no <!-- policy: %s --> followed by a json block", name)
	return policy{}
}

func (p policy) with(q policy) policy {
	p.Statement = append(slices.Clone(p.Statement), q.Statement...)
	return p
}

// checkShape checks what the evaluation relies on, and that "*" is granted
// only where AWS takes no resource.
func (p policy) checkShape(t *testing.T, name string) {
	t.Helper()
	if p.Version != "2012-10-17" {
		t.Errorf("policy %s: Version %q", name, p.Version)
	}
	sids := map[string]bool{}
	for _, s := range p.Statement {
		if s.Sid == "" || sids[s.Sid] {
			t.Errorf("policy %s: statement Sid %q is empty or repeated", name, s.Sid)
		}
		sids[s.Sid] = true
		if s.Effect != "Allow" || s.NotAction != nil || s.NotResource != nil || s.Principal != nil || len(s.Action) == 0 || len(s.Resource) == 0 {
			t.Errorf("policy %s statement %s: want an Allow with Action and Resource only", name, s.Sid)
		}
		if slices.Contains(s.Resource, "*") {
			for _, a := range s.Action {
				if !slices.Contains(actionsWithoutResource, a) {
					t.Errorf("policy %s statement %s grants %s on every resource", name, s.Sid, a)
				}
				if slices.Contains(conditionalOnStar, a) && len(s.Condition) == 0 {
					t.Errorf("policy %s statement %s grants %s on every resource without a condition", name, s.Sid, a)
				}
			}
		}
		for _, a := range s.Action {
			_, op, _ := strings.Cut(a, ":")
			if strings.Contains(a, "*") && !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Describe") {
				t.Errorf("policy %s statement %s: action %s is a wildcard that may grant writes", name, s.Sid, a)
			}
		}
	}
}

// allows reports whether a statement of p allows n, and which.
func (p policy) allows(n need) (string, bool) {
	for _, s := range p.Statement {
		if !slices.ContainsFunc(s.Action, func(a string) bool { return globMatch(strings.ToLower(a), strings.ToLower(n.action)) }) {
			continue
		}
		if !slices.ContainsFunc(s.Resource, func(r string) bool { return r == "*" || n.resource != "*" && globMatch(r, n.resource) }) {
			continue
		}
		if conditionsHold(s.Condition, n.context) {
			return s.Sid, true
		}
	}
	return "", false
}

// conditionsHold evaluates the condition operators the documented policies
// use. A key the request does not carry fails its condition, as in IAM.
func conditionsHold(cond map[string]map[string]stringList, ctx map[string]string) bool {
	for op, keys := range cond {
		for key, values := range keys {
			got, ok := ctx[key]
			if !ok {
				return false
			}
			var match func(pattern, s string) bool
			switch op {
			case "StringEquals", "ArnEquals":
				match = func(p, s string) bool { return p == s }
			case "StringLike", "ArnLike":
				match = globMatch
			default:
				panic(fmt.Sprintf("condition operator %s is not implemented here", op))
			}
			if !slices.ContainsFunc(values, func(v string) bool { return match(v, got) }) {
				return false
			}
		}
	}
	return true
}

// globMatch matches s against an IAM pattern, in which * is any run of
// characters and ? any one.
func globMatch(pattern, s string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(s)
}
