package components

import (
	"slices"
	"testing"

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

func TestBucketArgs(t *testing.T) {
	assertComponentError(t, func(ctx *pulumi.Context) error {
		_, err := NewBucket(ctx, "b", &BucketArgs{RetentionDays: -1})
		return err
	}, "BucketArgs.RetentionDays = -1 is out of range: set it between 0 and 36500")
}
