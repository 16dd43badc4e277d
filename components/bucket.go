package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// bodyRetentionDaysRange bounds how long bodies are kept: 0 (forever) to a
// hundred years.
var bodyRetentionDaysRange = intRange{0, 36500}

// BucketArgs configures a Bucket; the zero value keeps bodies forever.
type BucketArgs struct {
	// RetentionDays expires stored bodies after this many days; 0 keeps
	// them forever.
	RetentionDays int
	// ForceDestroy lets `pulumi destroy` delete a bucket that still holds
	// bodies. Meant for throwaway stacks.
	ForceDestroy bool
}

// Bucket stores webhook bodies: private, owner-enforced, encrypted at rest,
// reachable only over TLS.
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
	if err := bodyRetentionDaysRange.check("BucketArgs.RetentionDays", args.RetentionDays); err != nil {
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

	if args.RetentionDays > 0 {
		if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, name, &s3.BucketLifecycleConfigurationV2Args{
			Bucket: bucket.ID(),
			Rules: s3.BucketLifecycleConfigurationV2RuleArray{
				&s3.BucketLifecycleConfigurationV2RuleArgs{
					Id:         pulumi.String("expire-bodies"),
					Status:     pulumi.String("Enabled"),
					Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
					Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(args.RetentionDays)},
				},
			},
		}, parent); err != nil {
			return nil, fmt.Errorf("configure body retention: %w", err)
		}
	}

	b.Name, b.ARN = bucket.Bucket, bucket.Arn
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"name": b.Name, "arn": b.ARN}); err != nil {
		return nil, err
	}
	return b, nil
}
