package components

import (
	"cmp"
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// deadLetterRetentionSeconds is how long the dead-letter queue keeps a
// message, decided in contract (the handler relies on it).
const deadLetterRetentionSeconds = int(contract.DeadLetterRetention / time.Second)

// visibilityTimeoutSecondsRange is what SQS accepts: up to 12 hours.
var visibilityTimeoutSecondsRange = stackconfig.Range{Lo: 1, Hi: 12 * 3600}

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
	a.VisibilityTimeoutSeconds = cmp.Or(a.VisibilityTimeoutSeconds, stackconfig.Defaults().VisibilityTimeoutSeconds())
	a.MaxReceiveCount = cmp.Or(a.MaxReceiveCount, stackconfig.DefaultMaxReceiveCount)
	if err := visibilityTimeoutSecondsRange.Check("QueueArgs.VisibilityTimeoutSeconds", a.VisibilityTimeoutSeconds); err != nil {
		return a, err
	}
	return a, stackconfig.MaxReceiveCountRange.Check("QueueArgs.MaxReceiveCount", a.MaxReceiveCount)
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
		MaxMessageSize:          pulumi.Int(stackconfig.MaxMessageBytes),
		MessageRetentionSeconds: pulumi.Int(deadLetterRetentionSeconds),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("create dead-letter queue: %w", err)
	}

	main, err := sqs.NewQueue(ctx, name, &sqs.QueueArgs{
		SqsManagedSseEnabled:     pulumi.Bool(true),
		MaxMessageSize:           pulumi.Int(stackconfig.MaxMessageBytes),
		MessageRetentionSeconds:  pulumi.Int(stackconfig.QueueRetentionSeconds),
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
