package components

import (
	"cmp"
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// maxMessageBytes is the queues' MaximumMessageSize. SQS accepts up to
// 1 MiB (1048576) since August 2025, but pulumi-aws v6 (the newest major the
// module proxy serves here) still validates maxMessageSize against the old
// 256 KiB ceiling and rejects larger values at preview (pulumi-aws#6321;
// fixed upstream only in the v6 Terraform provider, i.e. pulumi-aws v7). Raise
// this to 1048576 when the module moves to pulumi-aws v7.
const maxMessageBytes = 262144

// Retention periods, decided in contract (the handler relies on them).
const (
	queueRetentionSeconds      = int(contract.QueueRetention / time.Second)
	deadLetterRetentionSeconds = int(contract.DeadLetterRetention / time.Second)
)

// Defaults and ranges of the queue settings. Lambda's SQS guide asks for a
// visibility timeout of at least 6 × the function timeout + the batching
// window and a maxReceiveCount of at least 5; SQS caps the timeout at 12
// hours.
const (
	defaultMaxReceiveCount          = 5
	defaultVisibilityTimeoutSeconds = 6 * defaultTimeoutSeconds
)

var (
	maxReceiveCountRange          = intRange{5, 1000}
	visibilityTimeoutSecondsRange = intRange{1, 12 * 3600}
)

// QueueArgs configures a Queue. Zero values take the defaults noted.
type QueueArgs struct {
	// VisibilityTimeoutSeconds must cover a whole batch's processing plus
	// retries: 6 × the function timeout + the batching window (default 180,
	// for the default function timeout of 30 seconds).
	VisibilityTimeoutSeconds int
	// MaxReceiveCount is the number of receives before a message moves to
	// the dead-letter queue (default 5, at least 5).
	MaxReceiveCount int
}

// withDefaults returns a copy of a with the zero values defaulted, or what is
// wrong with it.
func (a QueueArgs) withDefaults() (QueueArgs, error) {
	a.VisibilityTimeoutSeconds = cmp.Or(a.VisibilityTimeoutSeconds, defaultVisibilityTimeoutSeconds)
	a.MaxReceiveCount = cmp.Or(a.MaxReceiveCount, defaultMaxReceiveCount)
	if err := visibilityTimeoutSecondsRange.check("QueueArgs.VisibilityTimeoutSeconds", a.VisibilityTimeoutSeconds); err != nil {
		return a, err
	}
	return a, maxReceiveCountRange.check("QueueArgs.MaxReceiveCount", a.MaxReceiveCount)
}

// Queue is the webhook queue and its dead-letter queue, both encrypted with
// SQS-managed keys.
type Queue struct {
	pulumi.ResourceState

	URL            pulumi.StringOutput
	ARN            pulumi.StringOutput
	Name           pulumi.StringOutput
	DeadLetterURL  pulumi.StringOutput
	DeadLetterARN  pulumi.StringOutput
	DeadLetterName pulumi.StringOutput
}

type redrivePolicy struct {
	DeadLetterTargetARN string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueARNs   []string `json:"sourceQueueArns"`
}

// NewQueue creates the queue pair. The main queue names its dead-letter queue
// in its own redrive policy, so it never exists without one; the
// dead-letter queue's redrive-allow policy names the main queue and so is a
// separate resource, which keeps the graph acyclic.
func NewQueue(ctx *pulumi.Context, name string, args *QueueArgs, opts ...pulumi.ResourceOption) (*Queue, error) {
	a, err := args.withDefaults()
	if err != nil {
		return nil, err
	}
	q := &Queue{}
	if err := ctx.RegisterComponentResource("webhook-ingest:queue:Queue", name, q, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(q)

	dlq, err := sqs.NewQueue(ctx, name+"-dlq", &sqs.QueueArgs{
		SqsManagedSseEnabled:    pulumi.Bool(true),
		MaxMessageSize:          pulumi.Int(maxMessageBytes),
		MessageRetentionSeconds: pulumi.Int(deadLetterRetentionSeconds),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("create dead-letter queue: %w", err)
	}

	main, err := sqs.NewQueue(ctx, name, &sqs.QueueArgs{
		SqsManagedSseEnabled:     pulumi.Bool(true),
		MaxMessageSize:           pulumi.Int(maxMessageBytes),
		MessageRetentionSeconds:  pulumi.Int(queueRetentionSeconds),
		VisibilityTimeoutSeconds: pulumi.Int(a.VisibilityTimeoutSeconds),
		RedrivePolicy: dlq.Arn.ApplyT(func(arn string) string {
			return mustMarshal(redrivePolicy{DeadLetterTargetARN: arn, MaxReceiveCount: a.MaxReceiveCount})
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("create queue: %w", err)
	}

	if _, err := sqs.NewRedriveAllowPolicy(ctx, name+"-dlq", &sqs.RedriveAllowPolicyArgs{
		QueueUrl: dlq.Url,
		RedriveAllowPolicy: main.Arn.ApplyT(func(arn string) string {
			return mustMarshal(redriveAllowPolicy{RedrivePermission: "byQueue", SourceQueueARNs: []string{arn}})
		}).(pulumi.StringOutput),
	}, parent); err != nil {
		return nil, fmt.Errorf("create redrive-allow policy: %w", err)
	}

	q.URL, q.ARN, q.Name = main.Url, main.Arn, main.Name
	q.DeadLetterURL, q.DeadLetterARN, q.DeadLetterName = dlq.Url, dlq.Arn, dlq.Name
	if err := ctx.RegisterResourceOutputs(q, pulumi.Map{
		"url":            q.URL,
		"arn":            q.ARN,
		"deadLetterUrl":  q.DeadLetterURL,
		"deadLetterArn":  q.DeadLetterARN,
		"name":           q.Name,
		"deadLetterName": q.DeadLetterName,
	}); err != nil {
		return nil, err
	}
	return q, nil
}
