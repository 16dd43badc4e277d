package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// BucketArgs configures a Bucket; the zero value keeps bodies forever and
// has no quarantine.
type BucketArgs struct {
	// Sources are the source names: each source's bodies are under
	// "<source>/" (contract.ObjectKey). Required when RetentionDays > 0.
	Sources []string
	// RetentionDays expires stored bodies after this many days; 0 keeps
	// them forever.
	RetentionDays int
	// QuarantineDays expires quarantined records (under
	// contract.QuarantinePrefix) after this many days; 0 is a stack without
	// a quarantine, with nothing to expire. The zero value is not the
	// stack's default (14) because 0 is how a stack turns the quarantine off.
	QuarantineDays int
	// ForceDestroy lets `pulumi destroy` delete a bucket that still holds
	// bodies. Meant for throwaway stacks.
	ForceDestroy bool
}

// check reports what is wrong with a.
func (a *BucketArgs) check() error {
	if err := stackconfig.BodyRetentionDaysRange.Check("BucketArgs.RetentionDays", a.RetentionDays); err != nil {
		return err
	}
	if err := stackconfig.QuarantineDaysRange.Check("BucketArgs.QuarantineDays", a.QuarantineDays); err != nil {
		return err
	}
	if a.RetentionDays > 0 && len(a.Sources) == 0 {
		return errors.New("BucketArgs.Sources is empty: RetentionDays expires the bodies under each source's prefix, so list the sources")
	}
	seen := make(map[string]bool, len(a.Sources))
	for i, s := range a.Sources {
		if err := contract.ValidateSourceName(s); err != nil {
			return fmt.Errorf("BucketArgs.Sources[%d]: %w", i, err)
		}
		if seen[s] {
			return fmt.Errorf("BucketArgs.Sources[%d]: source %q is listed twice: list each source once", i, s)
		}
		seen[s] = true
	}
	return nil
}

// Bucket stores webhook bodies under their sources' prefixes and the
// quarantined records under contract.QuarantinePrefix: private,
// owner-enforced, encrypted at rest, reachable only over TLS.
//
// Versioning is deliberately off: the handler creates each key once
// (If-None-Match: *) through a role without any delete permission, so
// versions would mostly keep expired bodies past their configured retention.
type Bucket struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
	ARN  pulumi.StringOutput
}

// NewBucket creates the bucket and its access, encryption and lifecycle
// settings.
func NewBucket(ctx *pulumi.Context, name string, args *BucketArgs, opts ...pulumi.ResourceOption) (*Bucket, error) {
	if err := args.check(); err != nil {
		return nil, err
	}
	b := &Bucket{}
	if err := ctx.RegisterComponentResource("webhook-ingest:storage:Bucket", name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)

	bucket, err := s3.NewBucketV2(ctx, name, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(args.ForceDestroy),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("create bucket: %w", err)
	}

	block, err := s3.NewBucketPublicAccessBlock(ctx, name, &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("block public access: %w", err)
	}

	// Owner-enforced disables ACLs: every object belongs to the bucket
	// owner and access is decided by policies alone.
	if _, err := s3.NewBucketOwnershipControls(ctx, name, &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent); err != nil {
		return nil, fmt.Errorf("enforce bucket ownership: %w", err)
	}

	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name, &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
			&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
				ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
					SseAlgorithm: pulumi.String("AES256"),
				},
			},
		},
	}, parent); err != nil {
		return nil, fmt.Errorf("configure bucket encryption: %w", err)
	}

	// The policy waits for the public access block so the two never race
	// on a fresh bucket.
	if _, err := s3.NewBucketPolicy(ctx, name, &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: bucket.Arn.ApplyT(func(arn string) string {
			return tlsOnlyBucketPolicy(arn).String()
		}).(pulumi.StringOutput),
	}, parent, pulumi.DependsOn([]pulumi.Resource{block})); err != nil {
		return nil, fmt.Errorf("create bucket policy: %w", err)
	}

	if rules := lifecycleRules(args); len(rules) > 0 {
		if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, &s3.BucketLifecycleConfigurationV2Args{
			Bucket: bucket.ID(),
			Rules:  rules,
		}, parent); err != nil {
			return nil, fmt.Errorf("configure bucket lifecycle: %w", err)
		}
	}

	b.Name, b.ARN = bucket.Bucket, bucket.Arn
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"name": b.Name, "arn": b.ARN}); err != nil {
		return nil, err
	}
	return b, nil
}

// lifecycleRules are the expiry rules of args: one per source prefix for
// the bodies, and one for the quarantine. A lifecycle filter can select a
// prefix but never exclude one, so a single bucket-wide body rule would also
// expire the quarantine after the body retention; prefixes of their own let
// each retention apply exactly to its objects. Source names hold no '_', so
// no source prefix overlaps contract.QuarantinePrefix.
func lifecycleRules(args *BucketArgs) s3.BucketLifecycleConfigurationV2RuleArray {
	var rules s3.BucketLifecycleConfigurationV2RuleArray
	expire := func(id, prefix string, days int) {
		rules = append(rules, &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String(id),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(prefix)},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(days)},
		})
	}
	if args.RetentionDays > 0 {
		for _, s := range args.Sources {
			expire("expire-bodies-"+s, s+"/", args.RetentionDays)
		}
	}
	if args.QuarantineDays > 0 {
		expire("expire-quarantine", contract.QuarantinePrefix, args.QuarantineDays)
	}
	return rules
}
