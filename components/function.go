package components

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// ProcessorArgs configures a Processor.
type ProcessorArgs struct {
	// Code is the deployment package: an archive holding the handler
	// executable as "bootstrap".
	Code           pulumi.Archive
	Architecture   string
	MemorySize     int
	TimeoutSeconds int

	LogGroupName     string
	LogRetentionDays int

	// Sources become the handler's WEBHOOK_SOURCES, each with its
	// SecretParameter set to the matching SecretSelectors entry: its
	// parameter's name pinned to a version (see Secrets.Selectors).
	// SecretARNs are the parameters' ARNs, in the same order.
	Sources         []contract.Source
	SecretSelectors pulumi.StringArrayOutput
	SecretARNs      pulumi.StringArrayOutput
	BucketName      pulumi.StringOutput
	BucketARN       pulumi.StringOutput
	QueueARN        pulumi.StringOutput
	// EventBus, when not nil, receives the hand-off events.
	EventBus *Bus

	BatchSize             int
	BatchingWindowSeconds int
	MaximumConcurrency    int
}

// Processor is the handler Lambda, its log group and execution role, and the
// event source mapping that feeds it from the queue.
type Processor struct {
	pulumi.ResourceState

	FunctionName pulumi.StringOutput
	FunctionARN  pulumi.StringOutput
	LogGroupName pulumi.StringOutput
}

// NewProcessor creates the function and its event source mapping.
func NewProcessor(ctx *pulumi.Context, name string, args *ProcessorArgs, opts ...pulumi.ResourceOption) (*Processor, error) {
	p := &Processor{}
	if err := ctx.RegisterComponentResource("webhook-ingest:function:Processor", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)

	logs, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(args.LogGroupName),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("create function log group: %w", err)
	}

	names := make([]string, len(args.Sources))
	for i, s := range args.Sources {
		names[i] = s.Name
	}
	arns := []any{logs.Arn, args.QueueARN, args.BucketARN, args.SecretARNs}
	if args.EventBus != nil {
		arns = append(arns, args.EventBus.ARN)
	}
	policy := pulumi.All(arns...).ApplyT(func(v []any) string {
		g := processorGrants{
			LogGroupARN:   v[0].(string),
			QueueARN:      v[1].(string),
			BucketARN:     v[2].(string),
			Sources:       names,
			ParameterARNs: v[3].([]string),
		}
		if args.EventBus != nil {
			g.EventBusARN = v[4].(string)
		}
		return processorPolicy(g).String()
	}).(pulumi.StringOutput)
	role, err := newServiceRole(ctx, name, "lambda.amazonaws.com",
		"Webhook processor: consume the webhook queue, store bodies, read source secrets", policy, parent)
	if err != nil {
		return nil, err
	}

	env := pulumi.StringMap{
		contract.EnvBucket: args.BucketName,
		contract.EnvSources: args.SecretSelectors.ApplyT(func(selectors []string) (string, error) {
			return sourcesVariable(args.Sources, selectors)
		}).(pulumi.StringOutput),
	}
	if args.EventBus != nil {
		env[contract.EnvEventBus] = args.EventBus.Name
	}

	// The function waits for its log group, so its first lines never land
	// in an auto-created group without retention, and for its policy, so
	// its first invocation can already read its secrets.
	fn, err := lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Description:   pulumi.String("Verifies webhook signatures and stores each webhook body once"),
		Runtime:       lambda.RuntimeCustomAL2023,
		Handler:       pulumi.String("bootstrap"),
		Architectures: pulumi.StringArray{pulumi.String(args.Architecture)},
		Code:          args.Code,
		MemorySize:    pulumi.Int(args.MemorySize),
		Timeout:       pulumi.Int(args.TimeoutSeconds),
		Role:          role.Role.Arn,
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("JSON"),
			LogGroup:  logs.Name,
		},
		Environment: &lambda.FunctionEnvironmentArgs{Variables: env},
	}, parent, pulumi.DependsOn([]pulumi.Resource{logs, role.Policy}))
	if err != nil {
		return nil, fmt.Errorf("create function: %w", err)
	}

	// Lambda checks the role's queue permissions when the mapping is
	// created, so the mapping waits for the policy.
	if _, err := lambda.NewEventSourceMapping(ctx, name, &lambda.EventSourceMappingArgs{
		EventSourceArn:                 args.QueueARN,
		FunctionName:                   fn.Arn,
		BatchSize:                      pulumi.Int(args.BatchSize),
		MaximumBatchingWindowInSeconds: pulumi.Int(args.BatchingWindowSeconds),
		FunctionResponseTypes:          pulumi.StringArray{pulumi.String("ReportBatchItemFailures")},
		ScalingConfig: &lambda.EventSourceMappingScalingConfigArgs{
			MaximumConcurrency: pulumi.Int(args.MaximumConcurrency),
		},
	}, parent, pulumi.DependsOn([]pulumi.Resource{role.Policy})); err != nil {
		return nil, fmt.Errorf("create event source mapping: %w", err)
	}

	p.FunctionName, p.FunctionARN, p.LogGroupName = fn.Name, fn.Arn, logs.Name
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{
		"functionName": p.FunctionName,
		"functionArn":  p.FunctionARN,
		"logGroupName": p.LogGroupName,
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// sourcesVariable is the value of WEBHOOK_SOURCES: sources with each
// SecretParameter set to the selector at the same index.
func sourcesVariable(sources []contract.Source, selectors []string) (string, error) {
	if len(selectors) != len(sources) {
		return "", fmt.Errorf("%d secret selectors for %d sources", len(selectors), len(sources))
	}
	pinned := slices.Clone(sources)
	for i := range pinned {
		pinned[i].SecretParameter = selectors[i]
	}
	return mustMarshal(pinned), nil
}
