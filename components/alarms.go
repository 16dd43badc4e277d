package components

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// alarmPeriodSeconds is the period every alarm evaluates: one 5-minute
// period, the finest at which the AWS services here publish all their
// metrics at no extra cost.
const alarmPeriodSeconds = 300

// runbook is where docs/operations.md explains each alarm; descriptions
// point there, so a notification says where to look.
const runbook = "Runbook: docs/operations.md"

// AlarmConfig switches the stack's alarms on and off and sets their
// thresholds (see stackconfig.Alarms).
type AlarmConfig = stackconfig.Alarms

// AlarmsArgs configures Alarms.
type AlarmsArgs struct {
	Config AlarmConfig
	Watched
}

// withDefaults returns a copy of a with the zero values defaulted, or what is
// wrong with it.
func (a AlarmsArgs) withDefaults() (AlarmsArgs, error) {
	a.Config.QueueAgeSeconds = cmp.Or(a.Config.QueueAgeSeconds, stackconfig.DefaultAlarmQueueAgeSeconds)
	if err := a.Watched.check(); err != nil {
		return a, err
	}
	for _, c := range []struct {
		field string
		v     int
		r     stackconfig.Range
	}{
		{"QueueAgeSeconds", a.Config.QueueAgeSeconds, stackconfig.AlarmQueueAgeSecondsRange},
		{"FunctionErrorsThreshold", a.Config.FunctionErrorsThreshold, stackconfig.AlarmThresholdRange},
		{"FunctionThrottlesThreshold", a.Config.FunctionThrottlesThreshold, stackconfig.AlarmThresholdRange},
		{"RejectedThreshold", a.Config.RejectedThreshold, stackconfig.AlarmThresholdRange},
		{"ConflictThreshold", a.Config.ConflictThreshold, stackconfig.AlarmThresholdRange},
		{"API5xxThreshold", a.Config.API5xxThreshold, stackconfig.AlarmThresholdRange},
	} {
		if err := c.r.Check("AlarmConfig."+c.field, c.v); err != nil {
			return a, err
		}
	}
	return a, nil
}

// Watched names the pipeline's resources that alarms and the dashboard
// watch. Every field is required.
type Watched struct {
	// Name is "<project>-<stack>", unique in the account and region: it
	// starts the name of every alarm, names the notification topic and the
	// dashboard.
	Name string
	// Sources each get their own alarm and dashboard lines on the records
	// that failed a check.
	Sources             []WatchedSource
	APIID               pulumi.StringInput
	QueueName           pulumi.StringInput
	DeadLetterQueueName pulumi.StringInput
	// FunctionName is the handler's: the FunctionName of its AWS/Lambda
	// metrics and the function dimension of its own.
	FunctionName pulumi.StringInput
	// QueueARN tells the stack's partition, region and account.
	QueueARN pulumi.StringInput
}

// WatchedSource is one source as the alarms and the dashboard see it.
type WatchedSource struct {
	Name string
	// Quarantines is whether the records of the source that fail a check
	// are quarantined (outcome contract.OutcomeQuarantined) rather than
	// dropped (contract.OutcomeRejected): contract.Source.Quarantines of
	// the stack's quarantine.
	Quarantines bool
}

// watchedSources returns sources as alarms and the dashboard see them in a
// stack that has a quarantine or not.
func watchedSources(sources []contract.ResolvedSource, quarantine bool) []WatchedSource {
	out := make([]WatchedSource, len(sources))
	for i, s := range sources {
		out[i] = WatchedSource{Name: s.Name(), Quarantines: s.Source.Quarantines(quarantine)}
	}
	return out
}

// check reports whether every field of w is set.
func (w Watched) check() error {
	if w.Name == "" || len(w.Sources) == 0 || w.APIID == nil || w.QueueName == nil ||
		w.DeadLetterQueueName == nil || w.FunctionName == nil || w.QueueARN == nil {
		return errors.New("Watched: Name, Sources, APIID, QueueName, DeadLetterQueueName, FunctionName and QueueARN are all required")
	}
	for i, s := range w.Sources {
		if err := contract.ValidateSourceName(s.Name); err != nil {
			return fmt.Errorf("Watched.Sources[%d]: %w", i, err)
		}
	}
	return nil
}

// Alarms are the stack's CloudWatch alarms and, when an e-mail address is
// configured, the encrypted SNS topic they notify when they fire and when
// they recover.
type Alarms struct {
	pulumi.ResourceState

	// ARNs are the ARNs of the alarms, in creation order.
	ARNs pulumi.StringArrayOutput
	// TopicARN is the notification topic's ARN, "" without an e-mail
	// address.
	TopicARN pulumi.StringOutput

	// notifies is whether there is a topic.
	notifies bool
}

// alarmSpec is one alarm: it fires when the statistic of the metric over
// one period is above the threshold.
type alarmSpec struct {
	// suffix ends the alarm's logical and AWS name.
	suffix      string
	description string
	namespace   string
	metric      string
	statistic   string
	dimensions  pulumi.StringMap
	threshold   int
}

// NewAlarms creates the alarms args.Config switches on, and the topic.
func NewAlarms(ctx *pulumi.Context, name string, in *AlarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	args, err := in.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Alarms{}
	if err := ctx.RegisterComponentResource("webhook-ingest:alarms:Alarms", name, a, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(a)
	cfg := args.Config

	a.TopicARN = pulumi.String("").ToStringOutput()
	var actions pulumi.Array
	alarmOpts := []pulumi.ResourceOption{parent}
	if cfg.Email != "" {
		topic, ready, err := newAlarmTopic(ctx, name, &args, parent)
		if err != nil {
			return nil, err
		}
		a.TopicARN, a.notifies = topic, true
		actions = pulumi.Array{topic}
		// An alarm that fires before CloudWatch may publish would lose its
		// notification.
		alarmOpts = append(alarmOpts, pulumi.DependsOn(ready))
	}

	var specs []alarmSpec
	if cfg.DeadLetterQueue {
		specs = append(specs, alarmSpec{
			suffix:      "dead-letter-queue",
			description: "Webhooks are in the dead-letter queue: their records failed maxReceiveCount times and wait for a redrive.",
			namespace:   "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", statistic: "Maximum",
			dimensions: pulumi.StringMap{"QueueName": args.DeadLetterQueueName},
		})
	}
	if cfg.QueueAge {
		specs = append(specs, alarmSpec{
			suffix:      "queue-age",
			description: fmt.Sprintf("The oldest webhook in the queue has waited more than %d seconds: the function is not keeping up or keeps failing.", cfg.QueueAgeSeconds),
			namespace:   "AWS/SQS", metric: "ApproximateAgeOfOldestMessage", statistic: "Maximum",
			dimensions: pulumi.StringMap{"QueueName": args.QueueName},
			threshold:  cfg.QueueAgeSeconds,
		})
	}
	if cfg.FunctionErrors {
		specs = append(specs, alarmSpec{
			suffix:      "function-errors",
			description: fmt.Sprintf("More than %d invocations of the webhook function failed in 5 minutes: every record of a failed invocation is retried.", cfg.FunctionErrorsThreshold),
			namespace:   "AWS/Lambda", metric: "Errors", statistic: "Sum",
			dimensions: pulumi.StringMap{"FunctionName": args.FunctionName},
			threshold:  cfg.FunctionErrorsThreshold,
		})
	}
	if cfg.FunctionThrottles {
		specs = append(specs, alarmSpec{
			suffix:      "function-throttles",
			description: fmt.Sprintf("More than %d invocations of the webhook function were throttled in 5 minutes: batches wait, and each throttled attempt counts towards maxReceiveCount.", cfg.FunctionThrottlesThreshold),
			namespace:   "AWS/Lambda", metric: "Throttles", statistic: "Sum",
			dimensions: pulumi.StringMap{"FunctionName": args.FunctionName},
			threshold:  cfg.FunctionThrottlesThreshold,
		})
	}
	if cfg.Rejected {
		// The dimensions are exactly one of the handler's EMF dimension
		// sets (see contract.MetricRecords).
		for _, s := range args.Sources {
			outcome, fate := contract.OutcomeRejected, "the source's quarantine is off, so they were dropped: ask the sender to deliver them again once the cause is fixed."
			if s.Quarantines {
				outcome = contract.OutcomeQuarantined
				fate = fmt.Sprintf("they are kept, never trusted, under %s until the quarantine expires: fix the cause, then recover them with webhook-ops reverify.", contract.QuarantineSourcePrefix(s.Name))
			}
			specs = append(specs, alarmSpec{
				suffix:      "rejected-" + s.Name,
				description: fmt.Sprintf("More than %d webhooks of source %s were %s in 5 minutes (failed verification: wrong secret, wrong preset or forged requests; or an unusable id or receive time); %s", cfg.RejectedThreshold, s.Name, outcome, fate),
				namespace:   contract.MetricNamespace, metric: contract.MetricRecords, statistic: "Sum",
				dimensions: pulumi.StringMap{
					contract.DimensionFunction: args.FunctionName,
					contract.DimensionSource:   pulumi.String(s.Name),
					contract.DimensionOutcome:  pulumi.String(outcome),
				},
				threshold: cfg.RejectedThreshold,
			})
		}
	}
	if cfg.Conflict {
		specs = append(specs, alarmSpec{
			suffix:      "conflict",
			description: fmt.Sprintf("More than %d verified deliveries in 5 minutes reused a webhook id with a different body: the body stored first stays, the later one is quarantined with reason %s (dropped where the source's quarantine is off). A sender that reuses ids, or a signed body replayed under another delivery's id.", cfg.ConflictThreshold, contract.ReasonConflict),
			namespace:   contract.MetricNamespace, metric: contract.MetricRecords, statistic: "Sum",
			dimensions: pulumi.StringMap{
				contract.DimensionFunction: args.FunctionName,
				contract.DimensionOutcome:  pulumi.String(contract.OutcomeConflict),
			},
			threshold: cfg.ConflictThreshold,
		})
	}
	if cfg.API5xx {
		specs = append(specs, alarmSpec{
			suffix:      "api-5xx",
			description: fmt.Sprintf("The webhook API answered more than %d requests with 5xx in 5 minutes: it could not queue them, and senders retry or give up.", cfg.API5xxThreshold),
			namespace:   "AWS/ApiGateway", metric: "5xx", statistic: "Sum",
			dimensions: pulumi.StringMap{"ApiId": args.APIID},
			threshold:  cfg.API5xxThreshold,
		})
	}

	arns := make(pulumi.StringArray, 0, len(specs))
	for _, spec := range specs {
		// Every metric here is published only while there is activity, so
		// no data means nothing to report.
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+spec.suffix, &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(args.Name + "-" + spec.suffix),
			AlarmDescription:   pulumi.String(spec.description + " " + runbook),
			Namespace:          pulumi.String(spec.namespace),
			MetricName:         pulumi.String(spec.metric),
			Dimensions:         spec.dimensions,
			Statistic:          pulumi.String(spec.statistic),
			Period:             pulumi.Int(alarmPeriodSeconds),
			EvaluationPeriods:  pulumi.Int(1),
			DatapointsToAlarm:  pulumi.Int(1),
			ComparisonOperator: pulumi.String("GreaterThanThreshold"),
			Threshold:          pulumi.Float64(float64(spec.threshold)),
			TreatMissingData:   pulumi.String("notBreaching"),
			ActionsEnabled:     pulumi.Bool(true),
			AlarmActions:       actions,
			OkActions:          actions,
		}, alarmOpts...)
		if err != nil {
			return nil, fmt.Errorf("create alarm %s: %w", spec.suffix, err)
		}
		arns = append(arns, alarm.Arn)
	}

	a.ARNs = arns.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{"arns": a.ARNs, "topicArn": a.TopicARN}); err != nil {
		return nil, err
	}
	return a, nil
}

// newAlarmTopic creates the notification topic, encrypted with a key of its
// own that CloudWatch may use, its policy, and the e-mail subscription. It
// returns the topic's ARN and the resources an alarm must wait for.
func newAlarmTopic(ctx *pulumi.Context, name string, args *AlarmsArgs, parent pulumi.ResourceOption) (pulumi.StringOutput, []pulumi.Resource, error) {
	key, err := kms.NewKey(ctx, name, &kms.KeyArgs{
		Description:       pulumi.String("Encrypts the alarm notifications of " + args.Name),
		EnableKeyRotation: pulumi.Bool(true),
		Policy: args.QueueARN.ToStringOutput().ApplyT(func(q string) (string, error) {
			loc, err := locationOf(q)
			if err != nil {
				return "", err
			}
			return alarmKeyPolicy(loc).String(), nil
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("create alarm topic key: %w", err)
	}
	topic, err := sns.NewTopic(ctx, name, &sns.TopicArgs{
		Name:           pulumi.String(args.Name + "-alarms"),
		DisplayName:    pulumi.String(args.Name),
		KmsMasterKeyId: key.Arn,
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("create alarm topic: %w", err)
	}
	policy, err := sns.NewTopicPolicy(ctx, name, &sns.TopicPolicyArgs{
		Arn: topic.Arn,
		Policy: pulumi.All(topic.Arn, args.QueueARN).ApplyT(func(v []any) (string, error) {
			loc, err := locationOf(v[1].(string))
			if err != nil {
				return "", err
			}
			return alarmTopicPolicy(v[0].(string), loc, args.Name+"-").String(), nil
		}).(pulumi.StringOutput),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("create alarm topic policy: %w", err)
	}
	// The address must confirm the subscription from the e-mail SNS sends
	// before it receives anything.
	if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
		Topic:    topic.Arn,
		Protocol: pulumi.String("email"),
		Endpoint: pulumi.String(args.Config.Email),
	}, parent); err != nil {
		return pulumi.StringOutput{}, nil, fmt.Errorf("subscribe %s to the alarm topic: %w", args.Config.Email, err)
	}
	return topic.Arn, []pulumi.Resource{policy}, nil
}
