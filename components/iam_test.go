package components

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

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
		"WriteOwnLogs":        {Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resource: []string{logGroupARN("/webhook-ingest/dev/processor") + ":*"}},
		"ConsumeQueue":        {Effect: "Allow", Action: []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, Resource: []string{queueARN(nQueue)}},
		"StoreBodies":         {Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: objects},
		"CompareStoredBodies": {Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: objects},
		"ReadSourceSecrets":   {Effect: "Allow", Action: []string{"ssm:GetParameters"}, Resource: params},
		"PublishHandoffEvents": {Effect: "Allow", Action: []string{"events:PutEvents"}, Resource: []string{busARN},
			Condition: map[string]map[string]string{"StringEquals": {"events:source": contract.EventSource}}},
		// The slack source ("chat") drops its failed records, but records
		// of unknown sources are still quarantined: the grant follows the
		// stack.
		"QuarantineFailedRecords": {Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{bucketARN + "/_quarantine/*"}},
	})
}

// TestQuarantineGrant checks the function's S3 access for each quarantine
// setting: PutObject on the quarantine prefix exactly when the stack has a
// quarantine, GetObject on the sources' prefixes always (a delivery whose
// key is taken compares bodies), and nothing else in the bucket.
func TestQuarantineGrant(t *testing.T) {
	bucketARN := "arn:aws:s3:::" + nBucket
	twoSources := `[{"name":"orders","preset":"generic"},{"name":"gh","preset":"github","quarantine":false}]`
	for _, tc := range []struct {
		name           string
		quarantineDays string
		want           map[string]iamStatement
	}{
		{"with quarantine", "14", map[string]iamStatement{
			"StoreBodies":             {Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{bucketARN + "/orders/*", bucketARN + "/gh/*"}},
			"CompareStoredBodies":     {Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{bucketARN + "/orders/*", bucketARN + "/gh/*"}},
			"QuarantineFailedRecords": {Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{bucketARN + "/_quarantine/*"}},
		}},
		{"without quarantine", "0", map[string]iamStatement{
			"StoreBodies":         {Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{bucketARN + "/orders/*", bucketARN + "/gh/*"}},
			"CompareStoredBodies": {Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{bucketARN + "/orders/*", bucketARN + "/gh/*"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg[testProject+":sources"] = twoSources
			cfg[testProject+":secrets"] = `{"orders":"` + ordersSecret + `","gh":"gh-secret"}`
			cfg[testProject+":quarantineDays"] = tc.quarantineDays
			doc := parsePolicy(t, str(t, mustRun(t, cfg).one(t, tRolePolicy, nProcessor), "policy"))
			got := map[string]iamStatement{}
			for _, s := range doc.Statement {
				for _, r := range s.Resource {
					if strings.HasPrefix(r, bucketARN) {
						got[s.Sid] = s
						break
					}
				}
			}
			assertStatements(t, nProcessor, iamDoc{Statement: slices.Collect(maps.Values(got))}, tc.want)
			if n := len(doc.Statement); n != len(tc.want)+3 {
				t.Errorf("%d statements, want the %d on the bucket and the 3 on logs, queue and secrets", n, len(tc.want))
			}
		})
	}
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
