package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Every IAM policy and the bucket policy are written in this file, so that
// one file answers "who can do what" (the dead-letter queue's redrive-allow
// policy is in queue.go). Documents are Go values encoded with encoding/json
// over resolved ARNs, never strings assembled by hand.

// policyDocument is an IAM policy document.
type policyDocument struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// statement is one statement of a policyDocument.
type statement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

const policyVersion = "2012-10-17"

func (d policyDocument) String() string { return mustMarshal(d) }

// assumeRolePolicy lets the AWS service principal service assume a role.
func assumeRolePolicy(service string) policyDocument {
	return policyDocument{Version: policyVersion, Statement: []statement{{
		Effect:    "Allow",
		Principal: map[string]string{"Service": service},
		Action:    []string{"sts:AssumeRole"},
	}}}
}

// sendMessagePolicy lets API Gateway's integration role put messages on the
// queue and do nothing else. The queue uses SQS-managed encryption, so no KMS
// permission is needed.
func sendMessagePolicy(queueARN string) policyDocument {
	return policyDocument{Version: policyVersion, Statement: []statement{{
		Sid:      "SendWebhooks",
		Effect:   "Allow",
		Action:   []string{"sqs:SendMessage"},
		Resource: []string{queueARN},
	}}}
}

// processorGrants are the resolved ARNs the processor's role is scoped to.
type processorGrants struct {
	LogGroupARN string
	QueueARN    string
	BucketARN   string
	// Sources are the source names; the handler writes only under
	// "<source>/" (contract.ObjectKey), so writes are granted per prefix.
	Sources       []string
	ParameterARNs []string
}

// processorPolicy is the execution role's policy: write its own log group,
// consume its queue (the actions the SQS event source mapping needs), create
// objects under the sources' prefixes, and read exactly the sources' secret
// parameters. The parameters use the AWS managed key aws/ssm, whose key
// policy lets every principal of the account decrypt through SSM, so no
// kms:Decrypt grant is needed.
func processorPolicy(g processorGrants) policyDocument {
	objects := make([]string, len(g.Sources))
	for i, s := range g.Sources {
		objects[i] = g.BucketARN + "/" + s + "/*"
	}
	return policyDocument{Version: policyVersion, Statement: []statement{
		{
			Sid:      "WriteOwnLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{g.LogGroupARN + ":*"},
		},
		{
			Sid:      "ConsumeQueue",
			Effect:   "Allow",
			Action:   []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
			Resource: []string{g.QueueARN},
		},
		{
			Sid:      "StoreBodies",
			Effect:   "Allow",
			Action:   []string{"s3:PutObject"},
			Resource: objects,
		},
		{
			Sid:      "ReadSourceSecrets",
			Effect:   "Allow",
			Action:   []string{"ssm:GetParameters"},
			Resource: g.ParameterARNs,
		},
	}}
}

// tlsOnlyBucketPolicy denies every request to the bucket and its objects
// that does not arrive over TLS.
func tlsOnlyBucketPolicy(bucketARN string) policyDocument {
	return policyDocument{Version: policyVersion, Statement: []statement{{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: "*",
		Action:    []string{"s3:*"},
		Resource:  []string{bucketARN, bucketARN + "/*"},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}}}
}

// serviceRole is an IAM role for an AWS service with one inline policy.
type serviceRole struct {
	Role   *iam.Role
	Policy *iam.RolePolicy
}

// newServiceRole creates a role that service may assume, with policy as its
// only permissions. Resources that must not act before the permissions exist
// depend on Policy, not only on Role.
func newServiceRole(ctx *pulumi.Context, name, service, description string, policy pulumi.StringInput, opts ...pulumi.ResourceOption) (*serviceRole, error) {
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy(service).String()),
		Description:      pulumi.String(description),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("create role %s: %w", name, err)
	}
	rp, err := iam.NewRolePolicy(ctx, name, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("create policy of role %s: %w", name, err)
	}
	return &serviceRole{Role: role, Policy: rp}, nil
}
