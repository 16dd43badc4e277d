package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
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
	// EventBusARN is the hand-off bus, "" when the stack has none.
	EventBusARN string
	// Quarantine is whether the stack keeps failed records under
	// contract.QuarantinePrefix.
	Quarantine bool
}

// processorPolicy is the execution role's policy: write its own log group,
// consume its queue (the actions the SQS event source mapping needs), create
// and read objects under the sources' prefixes, create objects in the
// quarantine if the stack has one, read exactly the sources' secret
// parameters, and put hand-off events on the stack's bus, if it has one.
//
// Reading a source's objects is for a delivery whose key is taken (a 412
// on its conditional write): HeadObject of the stored object tells a
// duplicate from a conflict by contract.MetaBodySHA256. There is no
// s3:ListBucket, so HeadObject of a missing key answers 403, not 404; the
// handler asks only after a 412, when the key exists.
//
// The quarantine takes records of any source attribute, configured or not
// (contract.QuarantineDir), so it is granted as one prefix, and for
// s3:PutObject alone: the function never reads, lists or deletes a
// quarantined record; re-verifying and removing one is for an operator's
// own credentials (webhook-ops reverify).
//
// The parameters use the AWS managed key aws/ssm, whose key policy lets every
// principal of the account decrypt through SSM, so no kms:Decrypt grant is
// needed. The handler asks for them at a version ("name:3"); SSM authorizes
// that against the parameter's ARN, which has no version.
//
// Events may go only to the stack's bus and only with the hand-off source,
// so the function cannot pose as another application on it.
func processorPolicy(g processorGrants) policyDocument {
	objects := make([]string, len(g.Sources))
	for i, s := range g.Sources {
		objects[i] = g.BucketARN + "/" + s + "/*"
	}
	doc := policyDocument{Version: policyVersion, Statement: []statement{
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
			Sid:      "CompareStoredBodies",
			Effect:   "Allow",
			Action:   []string{"s3:GetObject"},
			Resource: objects,
		},
		{
			Sid:      "ReadSourceSecrets",
			Effect:   "Allow",
			Action:   []string{"ssm:GetParameters"},
			Resource: g.ParameterARNs,
		},
	}}
	if g.Quarantine {
		doc.Statement = append(doc.Statement, statement{
			Sid:      "QuarantineFailedRecords",
			Effect:   "Allow",
			Action:   []string{"s3:PutObject"},
			Resource: []string{g.BucketARN + "/" + contract.QuarantinePrefix + "*"},
		})
	}
	if g.EventBusARN != "" {
		doc.Statement = append(doc.Statement, statement{
			Sid:       "PublishHandoffEvents",
			Effect:    "Allow",
			Action:    []string{"events:PutEvents"},
			Resource:  []string{g.EventBusARN},
			Condition: map[string]map[string]string{"StringEquals": {"events:source": contract.EventSource}},
		})
	}
	return doc
}

// alarmTopicPolicy lets CloudWatch publish to the alarm topic for the
// stack's own alarms only (names starting with alarmPrefix) in its account
// and region, which keeps another account's alarms from using it. The
// account's own principals need no statement: their IAM policies suffice.
func alarmTopicPolicy(topicARN string, loc location, alarmPrefix string) policyDocument {
	return policyDocument{Version: policyVersion, Statement: []statement{{
		Sid:       "CloudWatchAlarmsPublish",
		Effect:    "Allow",
		Principal: map[string]string{"Service": "cloudwatch.amazonaws.com"},
		Action:    []string{"sns:Publish"},
		Resource:  []string{topicARN},
		Condition: map[string]map[string]string{
			"StringEquals": {"aws:SourceAccount": loc.Account},
			"ArnLike":      {"aws:SourceArn": loc.arn("cloudwatch", "alarm:"+alarmPrefix+"*")},
		},
	}}}
}

// alarmKeyPolicy is the key policy of the alarm topic's KMS key. The topic
// cannot use the AWS managed key aws/sns: its policy, which nobody can edit,
// does not let CloudWatch encrypt, so alarms could not notify. This key lets
// CloudWatch create and use data keys to publish; the account's IAM policies
// govern everything else, as with a key created in the console. Key
// policies name their own key as "*".
func alarmKeyPolicy(loc location) policyDocument {
	return policyDocument{Version: policyVersion, Statement: []statement{
		{
			Sid:       "AccountIAMPoliciesGovernKey",
			Effect:    "Allow",
			Principal: map[string]string{"AWS": "arn:" + loc.Partition + ":iam::" + loc.Account + ":root"},
			Action:    []string{"kms:*"},
			Resource:  []string{"*"},
		},
		{
			Sid:       "CloudWatchAlarmsEncrypt",
			Effect:    "Allow",
			Principal: map[string]string{"Service": "cloudwatch.amazonaws.com"},
			Action:    []string{"kms:Decrypt", "kms:GenerateDataKey*"},
			Resource:  []string{"*"},
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
