package components

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/lambdabuild"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// Lambda architectures (the values AWS accepts in a function's Architectures).
const (
	ArchARM64 = stackconfig.ArchARM64
	ArchX8664 = stackconfig.ArchX8664
)

// ProcessorArgs configures a Processor. Zero values take the defaults noted.
type ProcessorArgs struct {
	// Code is the deployment package: an archive holding the handler
	// executable as "bootstrap" (see Build). Required.
	Code pulumi.Archive
	// Architecture is ArchARM64 (default) or ArchX8664.
	Architecture string
	// MemorySize is in MB (default 512); TimeoutSeconds defaults to 30.
	MemorySize     int
	TimeoutSeconds int

	// LogGroupName names the function's log group (default: a name Pulumi
	// makes up); LogRetentionDays 0 keeps its events forever.
	LogGroupName     string
	LogRetentionDays int

	// Sources become the handler's contract.EnvSources, each with the
	// SecretSelectors entry at its index ("<parameter>:<version>", see
	// Secrets.Selectors); SecretARNs are the parameters' ARNs, in the same
	// order. Required.
	Sources         []contract.ResolvedSource
	SecretSelectors pulumi.StringArrayInput
	SecretARNs      pulumi.StringArrayInput
	BucketName      pulumi.StringInput
	BucketARN       pulumi.StringInput
	QueueARN        pulumi.StringInput
	// EventBus, when not nil, receives the hand-off events.
	EventBus *Bus
	// Quarantine has the handler keep the records that fail a check under
	// contract.QuarantinePrefix of the bucket (except those of a source
	// whose quarantine is false), and lets it write there. False drops
	// them, and no source may then set its quarantine to true.
	Quarantine bool

	// RecordConcurrency bounds the records of one batch the handler
	// processes at once (default contract.DefaultConcurrency).
	RecordConcurrency int

	// BatchSize (default 10) over 10 needs a BatchingWindowSeconds of at
	// least 1. MaximumConcurrency defaults to 5.
	BatchSize             int
	BatchingWindowSeconds int
	MaximumConcurrency    int
}

// withDefaults returns a copy of a with the zero values defaulted, or what is
// wrong with it.
func (a ProcessorArgs) withDefaults() (ProcessorArgs, error) {
	a.Architecture = cmp.Or(a.Architecture, ArchARM64)
	a.MemorySize = cmp.Or(a.MemorySize, stackconfig.DefaultMemorySize)
	a.TimeoutSeconds = cmp.Or(a.TimeoutSeconds, stackconfig.DefaultTimeoutSeconds)
	a.BatchSize = cmp.Or(a.BatchSize, stackconfig.DefaultBatchSize)
	a.MaximumConcurrency = cmp.Or(a.MaximumConcurrency, stackconfig.DefaultMaximumConcurrency)
	a.RecordConcurrency = cmp.Or(a.RecordConcurrency, contract.DefaultConcurrency)
	if a.Code == nil {
		return a, errors.New("ProcessorArgs.Code is required: the handler's deployment package")
	}
	if len(a.Sources) == 0 {
		return a, errors.New("ProcessorArgs.Sources is empty: give the processor at least one source")
	}
	if _, err := goarchOf(a.Architecture); err != nil {
		return a, fmt.Errorf("ProcessorArgs.Architecture: %w", err)
	}
	for _, c := range []struct {
		field string
		v     int
		r     stackconfig.Range
	}{
		{"MemorySize", a.MemorySize, stackconfig.MemorySizeRange},
		{"TimeoutSeconds", a.TimeoutSeconds, stackconfig.TimeoutSecondsRange},
		{"BatchSize", a.BatchSize, stackconfig.BatchSizeRange},
		{"BatchingWindowSeconds", a.BatchingWindowSeconds, stackconfig.BatchingWindowSecondsRange},
		{"MaximumConcurrency", a.MaximumConcurrency, stackconfig.MaximumConcurrencyRange},
		{"RecordConcurrency", a.RecordConcurrency, stackconfig.RecordConcurrencyRange},
	} {
		if err := c.r.Check("ProcessorArgs."+c.field, c.v); err != nil {
			return a, err
		}
	}
	if a.BatchSize > stackconfig.MaxUnwindowedBatchSize && a.BatchingWindowSeconds < 1 {
		return a, fmt.Errorf("ProcessorArgs.BatchSize = %d needs a BatchingWindowSeconds of at least 1", a.BatchSize)
	}
	if i := stackconfig.QuarantineWithoutStack(a.Sources, a.Quarantine); i >= 0 {
		return a, fmt.Errorf("ProcessorArgs.Sources[%d] (source %q) sets quarantine true, which needs ProcessorArgs.Quarantine", i, a.Sources[i].Name())
	}
	if a.SecretSelectors == nil || a.SecretARNs == nil || a.BucketName == nil || a.BucketARN == nil || a.QueueARN == nil {
		return a, errors.New("ProcessorArgs.SecretSelectors, SecretARNs, BucketName, BucketARN and QueueARN are required")
	}
	return a, stackconfig.CheckLogRetention("ProcessorArgs.LogRetentionDays", a.LogRetentionDays)
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
	a, err := args.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Processor{}
	if err := ctx.RegisterComponentResource("webhook-ingest:function:Processor", name, p, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(p)

	logArgs := &cloudwatch.LogGroupArgs{RetentionInDays: pulumi.Int(a.LogRetentionDays)}
	if a.LogGroupName != "" {
		logArgs.Name = pulumi.String(a.LogGroupName)
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name, logArgs, parent)
	if err != nil {
		return nil, fmt.Errorf("create function log group: %w", err)
	}

	names := make([]string, len(a.Sources))
	for i, s := range a.Sources {
		names[i] = s.Name()
	}
	arns := []any{logs.Arn, a.QueueARN, a.BucketARN, a.SecretARNs}
	if a.EventBus != nil {
		arns = append(arns, a.EventBus.ARN)
	}
	policy := pulumi.All(arns...).ApplyT(func(v []any) string {
		g := processorGrants{
			LogGroupARN:   v[0].(string),
			QueueARN:      v[1].(string),
			BucketARN:     v[2].(string),
			Sources:       names,
			ParameterARNs: v[3].([]string),
			Quarantine:    a.Quarantine,
		}
		if a.EventBus != nil {
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
		contract.EnvBucket:      a.BucketName,
		contract.EnvConcurrency: pulumi.String(strconv.Itoa(a.RecordConcurrency)),
		contract.EnvSources: a.SecretSelectors.ToStringArrayOutput().ApplyT(func(selectors []string) (string, error) {
			return contract.EncodeEnvSources(a.Sources, selectors)
		}).(pulumi.StringOutput),
	}
	if a.EventBus != nil {
		env[contract.EnvEventBus] = a.EventBus.Name
	}
	if a.Quarantine {
		env[contract.EnvQuarantine] = pulumi.String(stackconfig.QuarantineOn)
	}

	// The function waits for its log group, so its first lines never land
	// in an auto-created group without retention, and for its policy, so
	// its first invocation can already read its secrets.
	fn, err := lambda.NewFunction(ctx, name, &lambda.FunctionArgs{
		Description:   pulumi.String("Verifies webhook signatures and stores each webhook body once"),
		Runtime:       lambda.RuntimeCustomAL2023,
		Handler:       pulumi.String(lambdabuild.Executable),
		Architectures: pulumi.StringArray{pulumi.String(a.Architecture)},
		Code:          a.Code,
		MemorySize:    pulumi.Int(a.MemorySize),
		Timeout:       pulumi.Int(a.TimeoutSeconds),
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
		EventSourceArn:                 a.QueueARN,
		FunctionName:                   fn.Arn,
		BatchSize:                      pulumi.Int(a.BatchSize),
		MaximumBatchingWindowInSeconds: pulumi.Int(a.BatchingWindowSeconds),
		FunctionResponseTypes:          pulumi.StringArray{pulumi.String("ReportBatchItemFailures")},
		ScalingConfig: &lambda.EventSourceMappingScalingConfigArgs{
			MaximumConcurrency: pulumi.Int(a.MaximumConcurrency),
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
