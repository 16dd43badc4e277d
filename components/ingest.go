package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// IngestArgs configures an Ingest.
type IngestArgs struct {
	Config Config
	// Code is the handler's deployment package (see Build).
	Code pulumi.Archive
}

// Ingest is the whole pipeline: an HTTP API that queues each webhook, a
// queue with its dead-letter queue, the Lambda that verifies and stores
// webhooks, the bucket that keeps their bodies, and the sources' secrets.
//
// Operations are components of their own too: the alarms, and, when the
// configuration asks for them, the hand-off event bus and the dashboard.
type Ingest struct {
	pulumi.ResourceState

	API       *API
	Queue     *Queue
	Bucket    *Bucket
	Secrets   *Secrets
	Processor *Processor
	Alarms    *Alarms
	// Bus is nil unless the stack enables the event hand-off.
	Bus *Bus
	// Dashboard is nil when the stack turns it off.
	Dashboard *Dashboard
}

// NewIngest creates the pipeline described by args.Config.
func NewIngest(ctx *pulumi.Context, name string, args *IngestArgs, opts ...pulumi.ResourceOption) (*Ingest, error) {
	in := &Ingest{}
	if err := ctx.RegisterComponentResource("webhook-ingest:index:Ingest", name, in, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(in)
	cfg := args.Config
	prefix := stackconfig.PathPrefix(ctx.Project(), ctx.Stack())
	unique := stackconfig.StackName(ctx.Project(), ctx.Stack())
	names := make([]string, len(cfg.Sources))
	for i, s := range cfg.Sources {
		names[i] = s.Name()
	}

	var err error
	if in.Secrets, err = NewSecrets(ctx, name+"-secrets", &SecretsArgs{
		ParameterPrefix: prefix,
		Sources:         cfg.Sources,
		Values:          cfg.Secrets,
	}, parent); err != nil {
		return nil, err
	}
	if in.Queue, err = NewQueue(ctx, name+"-queue", &QueueArgs{
		VisibilityTimeoutSeconds: cfg.VisibilityTimeoutSeconds(),
		MaxReceiveCount:          cfg.MaxReceiveCount,
	}, parent); err != nil {
		return nil, err
	}
	if in.Bucket, err = NewBucket(ctx, name+"-bodies", &BucketArgs{
		Sources:        names,
		RetentionDays:  cfg.BodyRetentionDays,
		QuarantineDays: cfg.QuarantineDays,
		ForceDestroy:   cfg.ForceDestroy,
	}, parent); err != nil {
		return nil, err
	}
	if cfg.EventBus {
		if in.Bus, err = NewBus(ctx, name+"-events", &BusArgs{Name: unique}, parent); err != nil {
			return nil, err
		}
	}
	if in.Processor, err = NewProcessor(ctx, name+"-processor", &ProcessorArgs{
		Code:                  args.Code,
		Architecture:          cfg.Architecture,
		MemorySize:            cfg.MemorySize,
		TimeoutSeconds:        cfg.TimeoutSeconds,
		LogGroupName:          prefix + "/processor",
		LogRetentionDays:      cfg.LogRetentionDays,
		Sources:               cfg.Sources,
		SecretSelectors:       in.Secrets.Selectors,
		SecretARNs:            in.Secrets.ARNs,
		BucketName:            in.Bucket.Name,
		BucketARN:             in.Bucket.ARN,
		QueueARN:              in.Queue.ARN,
		EventBus:              in.Bus,
		Quarantine:            cfg.Quarantine(),
		BatchSize:             cfg.BatchSize,
		BatchingWindowSeconds: cfg.BatchingWindowSeconds,
		MaximumConcurrency:    cfg.MaximumConcurrency,
		RecordConcurrency:     cfg.RecordConcurrency,
	}, parent); err != nil {
		return nil, err
	}
	if in.API, err = NewAPI(ctx, name+"-api", &APIArgs{
		Sources:                   cfg.Sources,
		QueueURL:                  in.Queue.URL,
		QueueARN:                  in.Queue.ARN,
		ThrottlingBurstLimit:      cfg.ThrottlingBurstLimit,
		ThrottlingRateLimit:       cfg.ThrottlingRateLimit,
		Domain:                    cfg.Domain,
		DisableExecuteAPIEndpoint: cfg.DisableExecuteAPIEndpoint,
		// API Gateway delivers access logs as vended logs: each group is
		// named in the account's log-delivery resource policy, which holds
		// at most 5120 characters. Near that limit CloudWatch Logs allows
		// /aws/vendedlogs/* instead and takes no more names: a new stack
		// logging to a group outside that prefix then fails to create its
		// stage.
		AccessLogGroupName: "/aws/vendedlogs" + prefix + "/api-access",
		LogRetentionDays:   cfg.LogRetentionDays,
	}, parent); err != nil {
		return nil, err
	}
	watched := Watched{
		Name:                unique,
		Sources:             watchedSources(cfg.Sources, cfg.Quarantine()),
		APIID:               in.API.ID,
		QueueName:           in.Queue.Name,
		DeadLetterQueueName: in.Queue.DeadLetterName,
		FunctionName:        in.Processor.FunctionName,
		QueueARN:            in.Queue.ARN,
	}
	if in.Alarms, err = NewAlarms(ctx, name+"-alarms", &AlarmsArgs{Config: cfg.Alarms, Watched: watched}, parent); err != nil {
		return nil, err
	}
	if cfg.Dashboard {
		if in.Dashboard, err = NewDashboard(ctx, name+"-dashboard", &DashboardArgs{Watched: watched, AlarmARNs: in.Alarms.ARNs}, parent); err != nil {
			return nil, err
		}
	}

	if err := ctx.RegisterResourceOutputs(in, outputs(in)); err != nil {
		return nil, err
	}
	return in, nil
}

// outputs are the values a user of the stack needs: where senders post,
// the queues, bucket and function to look at, the secret parameter of each
// source (which webhook-ops reverify reads), and, when the stack has them,
// the target of the custom domain (for a DNS record of the user's own),
// the bus consumers subscribe on, the alarm topic and the dashboard.
func outputs(in *Ingest) pulumi.Map {
	m := pulumi.Map{
		"webhookUrls":        in.API.WebhookURLs,
		"queueUrl":           in.Queue.URL,
		"deadLetterQueueUrl": in.Queue.DeadLetterURL,
		"bucketName":         in.Bucket.Name,
		"functionName":       in.Processor.FunctionName,
		"secretParameters":   in.Secrets.ParameterNames,
	}
	if d := in.API.Domain; d != nil {
		m["domainTarget"] = d.TargetDomainName
		m["domainHostedZoneId"] = d.HostedZoneID
	}
	if in.Bus != nil {
		m["eventBusName"] = in.Bus.Name
		m["eventBusArn"] = in.Bus.ARN
	}
	if in.Alarms.notifies {
		m["alarmTopicArn"] = in.Alarms.TopicARN
	}
	if in.Dashboard != nil {
		m["dashboardName"] = in.Dashboard.Name
	}
	return m
}
