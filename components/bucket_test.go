package components

import (
	"maps"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

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

	// Bodies expire after bodyRetentionDays (90) under each source's own
	// prefix, and quarantined records after quarantineDays (30).
	want := []lifecycleRule{}
	for _, name := range presetSourceNames() {
		want = append(want, lifecycleRule{"expire-bodies-" + name, "Enabled", name + "/", 90})
	}
	want = append(want, lifecycleRule{"expire-quarantine", "Enabled", "_quarantine/", 30})
	if got := lifecycleRulesOf(t, c); !slices.Equal(got, want) {
		t.Errorf("lifecycle rules\n%v\nwant\n%v", got, want)
	}
}

// lifecycleRule is one expiry rule of the bucket's lifecycle configuration.
type lifecycleRule struct {
	ID, Status, Prefix string
	Days               float64
}

// lifecycleRulesOf returns the rules of the one lifecycle configuration of
// c, failing the test on any property a rule has besides an id, a status, a
// prefix filter and an expiry in days.
func lifecycleRulesOf(t *testing.T, c *cloud) []lifecycleRule {
	t.Helper()
	lc := c.only(t, tLifecycle)
	if got := str(t, lc, "bucket"); got != nBucket {
		t.Errorf("lifecycle configuration of %q, want %q", got, nBucket)
	}
	var rules []lifecycleRule
	for _, v := range prop(t, lc, "rules").ArrayValue() {
		rule := unwrap(v).ObjectValue()
		if keys := slices.Sorted(maps.Keys(rule)); !slices.Equal(keys, []resource.PropertyKey{"expiration", "filter", "id", "status"}) {
			t.Errorf("lifecycle rule %v has properties %v, want only id, status, filter and expiration", rule, keys)
		}
		filter, expiration := unwrap(rule["filter"]).ObjectValue(), unwrap(rule["expiration"]).ObjectValue()
		if len(filter) != 1 || len(expiration) != 1 {
			t.Errorf("lifecycle rule %v: want a filter of one prefix and an expiration in days only", rule)
		}
		rules = append(rules, lifecycleRule{
			ID:     unwrap(rule["id"]).StringValue(),
			Status: unwrap(rule["status"]).StringValue(),
			Prefix: unwrap(filter["prefix"]).StringValue(),
			Days:   unwrap(expiration["days"]).NumberValue(),
		})
	}
	return rules
}

// TestBucketLifecycle checks that each retention applies to exactly its own
// objects: bodies under each source's prefix, quarantined records under
// _quarantine/, and that a retention of 0 has no rule.
func TestBucketLifecycle(t *testing.T) {
	twoSources := map[string]string{
		"sources": `[{"name":"orders","preset":"generic"},{"name":"gh","preset":"github","quarantine":false}]`,
		"secrets": `{"orders":"` + ordersSecret + `","gh":"gh-secret"}`,
	}
	for _, tc := range []struct {
		name string
		set  map[string]string
		want []lifecycleRule // nil: no lifecycle configuration
	}{
		{"defaults: bodies forever, quarantine 14 days", nil, []lifecycleRule{
			{"expire-quarantine", "Enabled", "_quarantine/", 14},
		}},
		{"bodies only", map[string]string{"bodyRetentionDays": "30", "quarantineDays": "0"}, []lifecycleRule{
			{"expire-bodies-orders", "Enabled", "orders/", 30},
		}},
		{"both, two sources", map[string]string{"bodyRetentionDays": "7", "quarantineDays": "365", "sources": twoSources["sources"], "secrets": twoSources["secrets"]}, []lifecycleRule{
			{"expire-bodies-orders", "Enabled", "orders/", 7},
			{"expire-bodies-gh", "Enabled", "gh/", 7},
			{"expire-quarantine", "Enabled", "_quarantine/", 365},
		}},
		{"quarantine longer than bodies", map[string]string{"bodyRetentionDays": "1", "quarantineDays": "2"}, []lifecycleRule{
			{"expire-bodies-orders", "Enabled", "orders/", 1},
			{"expire-quarantine", "Enabled", "_quarantine/", 2},
		}},
		{"neither", map[string]string{"bodyRetentionDays": "0", "quarantineDays": "0"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			for k, v := range tc.set {
				cfg[testProject+":"+k] = v
			}
			c := mustRun(t, cfg)
			if tc.want == nil {
				if n := len(c.all(tLifecycle)); n != 0 {
					t.Errorf("%d lifecycle configurations, want none: nothing expires", n)
				}
				return
			}
			if got := lifecycleRulesOf(t, c); !slices.Equal(got, tc.want) {
				t.Errorf("lifecycle rules\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

func TestBucketDefaults(t *testing.T) {
	c := mustRun(t, testConfig())
	if boolean(t, c.only(t, tBucket), "forceDestroy") {
		t.Error("forceDestroy is on by default")
	}
}

func TestBucketArgs(t *testing.T) {
	// The zero value keeps bodies forever and has no quarantine: nothing
	// to expire.
	c, err := runWith(func(ctx *pulumi.Context) error {
		_, err := NewBucket(ctx, "b", &BucketArgs{})
		return err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.all(tLifecycle)); n != 0 {
		t.Errorf("zero BucketArgs: %d lifecycle configurations, want none", n)
	}

	for _, tc := range []struct {
		args BucketArgs
		want string
	}{
		{BucketArgs{RetentionDays: -1}, "BucketArgs.RetentionDays = -1 is out of range: set it between 0 and 36500"},
		{BucketArgs{QuarantineDays: -1}, "BucketArgs.QuarantineDays = -1 is out of range: set it between 0 and 365"},
		{BucketArgs{QuarantineDays: 366}, "BucketArgs.QuarantineDays = 366 is out of range: set it between 0 and 365"},
		{BucketArgs{RetentionDays: 30}, "BucketArgs.Sources is empty: RetentionDays expires the bodies under each source's prefix, so list the sources"},
		{BucketArgs{Sources: []string{"orders", "_quarantine"}}, `BucketArgs.Sources[1]: source name "_quarantine" must be`},
		{BucketArgs{Sources: []string{"orders", "orders"}, RetentionDays: 1}, `BucketArgs.Sources[1]: source "orders" is listed twice: list each source once`},
	} {
		assertComponentError(t, func(ctx *pulumi.Context) error {
			_, err := NewBucket(ctx, "b", &tc.args)
			return err
		}, tc.want)
	}
}
