package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// DashboardArgs configures a Dashboard.
type DashboardArgs struct {
	Watched
	// AlarmARNs, when not nil, are shown in an alarm status widget.
	AlarmARNs pulumi.StringArrayInput
}

// Dashboard is a CloudWatch dashboard of the pipeline's health, from the
// sender's request to the stored webhook: API requests and errors, queue
// depth and age, the dead-letter queue, the function, the handler's records
// by outcome, the failed ones by source, every record with a reason code by
// reason, and the state of the stack's alarms.
type Dashboard struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
}

// The dashboard body, as CloudWatch's dashboard body structure documents it.
type (
	dashboardBody struct {
		Widgets []dashboardWidget `json:"widgets"`
	}
	dashboardWidget struct {
		Type       string `json:"type"`
		X          int    `json:"x"`
		Y          int    `json:"y"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		Properties any    `json:"properties"`
	}
	metricWidget struct {
		Title   string `json:"title"`
		Region  string `json:"region"`
		View    string `json:"view"`
		Stacked bool   `json:"stacked"`
		Period  int    `json:"period"`
		Stat    string `json:"stat"`
		// Metrics are [namespace, name, dimension, value, ..., options].
		Metrics [][]any `json:"metrics"`
	}
	metricOptions struct {
		Label string `json:"label,omitempty"`
		Stat  string `json:"stat,omitempty"`
	}
	alarmWidget struct {
		Title  string   `json:"title"`
		Alarms []string `json:"alarms"`
	}
)

// Dashboard grid: 24 columns; widgets are half the width, two per row.
const (
	widgetWidth   = 12
	widgetHeight  = 6
	widgetsPerRow = 24 / widgetWidth
)

// metric is one line of a metric widget: the metric with dimensions given as
// name, value, name, value, ….
func metric(namespace, name string, opts metricOptions, dimensions ...string) []any {
	m := []any{namespace, name}
	for _, d := range dimensions {
		m = append(m, d)
	}
	return append(m, opts)
}

// dashboardResources are the resolved names the dashboard shows.
type dashboardResources struct {
	Region, APIID, Queue, DeadLetterQueue, Function string
	Sources                                         []string
	AlarmARNs                                       []string
}

// body lays out the dashboard of r.
func (r dashboardResources) body() dashboardBody {
	widget := func(title, stat string, metrics ...[]any) metricWidget {
		return metricWidget{Title: title, Region: r.Region, View: "timeSeries", Period: alarmPeriodSeconds, Stat: stat, Metrics: metrics}
	}
	api := func(name, label string) []any {
		return metric("AWS/ApiGateway", name, metricOptions{Label: label}, "ApiId", r.APIID)
	}
	fn := func(name string, opts metricOptions) []any {
		return metric("AWS/Lambda", name, opts, "FunctionName", r.Function)
	}
	// The handler's metrics, of this stack's function only: every one of
	// its dimension sets names the function.
	records := func(label string, dimensions ...string) []any {
		dimensions = append([]string{contract.DimensionFunction, r.Function}, dimensions...)
		return metric(contract.MetricNamespace, contract.MetricRecords, metricOptions{Label: label}, dimensions...)
	}

	// Records that failed a check are quarantined or rejected depending on
	// the source's quarantine, so both are drawn for every source: a
	// source whose setting changed keeps its history on one panel.
	failed := []string{contract.OutcomeQuarantined, contract.OutcomeRejected}
	var byOutcome, bySource, byReason [][]any
	for _, o := range contract.Outcomes {
		byOutcome = append(byOutcome, records(o, contract.DimensionOutcome, o))
	}
	for _, s := range r.Sources {
		for _, o := range failed {
			bySource = append(bySource, records(s+": "+o, contract.DimensionSource, s, contract.DimensionOutcome, o))
		}
	}
	reasons := func(outcome string, codes ...string) {
		for _, code := range codes {
			byReason = append(byReason, records(outcome+": "+code, contract.DimensionOutcome, outcome, contract.DimensionReason, code))
		}
	}
	for _, o := range failed {
		reasons(o, contract.RejectReasons...)
	}
	reasons(contract.OutcomeConflict, contract.ReasonConflict)
	reasons(contract.OutcomeRetry, contract.RetryReasons...)

	panels := []any{
		widget("API requests", "Sum", api("Count", "requests"), api("4xx", "4xx"), api("5xx", "5xx")),
		widget("Queue depth", "Maximum",
			metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", metricOptions{Label: "waiting"}, "QueueName", r.Queue),
			metric("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", metricOptions{Label: "in flight"}, "QueueName", r.Queue),
			metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", metricOptions{Label: "dead-letter queue"}, "QueueName", r.DeadLetterQueue)),
		widget("Oldest message in the queue (seconds)", "Maximum",
			metric("AWS/SQS", "ApproximateAgeOfOldestMessage", metricOptions{Label: "queue"}, "QueueName", r.Queue),
			metric("AWS/SQS", "ApproximateAgeOfOldestMessage", metricOptions{Label: "dead-letter queue"}, "QueueName", r.DeadLetterQueue)),
		widget("Function invocations", "Sum",
			fn("Invocations", metricOptions{Label: "invocations"}),
			fn("Errors", metricOptions{Label: "errors"}),
			fn("Throttles", metricOptions{Label: "throttles"})),
		widget("Function duration (ms) and concurrency", "Average",
			fn("Duration", metricOptions{Label: "average"}),
			fn("Duration", metricOptions{Label: "p99", Stat: "p99"}),
			fn("Duration", metricOptions{Label: "maximum", Stat: "Maximum"}),
			fn("ConcurrentExecutions", metricOptions{Label: "concurrent executions", Stat: "Maximum"})),
		widget("Records by outcome", "Sum", byOutcome...),
		widget("Quarantined and rejected records by source", "Sum", bySource...),
		widget("Records by reason code", "Sum", byReason...),
	}
	if len(r.AlarmARNs) > 0 {
		panels = append(panels, alarmWidget{Title: "Alarms", Alarms: r.AlarmARNs})
	}

	var b dashboardBody
	for i, p := range panels {
		typ := "metric"
		if _, ok := p.(alarmWidget); ok {
			typ = "alarm"
		}
		b.Widgets = append(b.Widgets, dashboardWidget{
			Type: typ, Properties: p,
			X: i % widgetsPerRow * widgetWidth, Y: i / widgetsPerRow * widgetHeight,
			Width: widgetWidth, Height: widgetHeight,
		})
	}
	return b
}

// NewDashboard creates the dashboard.
func NewDashboard(ctx *pulumi.Context, name string, args *DashboardArgs, opts ...pulumi.ResourceOption) (*Dashboard, error) {
	if err := args.Watched.check(); err != nil {
		return nil, err
	}
	alarms := args.AlarmARNs
	if alarms == nil {
		alarms = pulumi.StringArray{}
	}
	names := make([]string, len(args.Sources))
	for i, s := range args.Sources {
		names[i] = s.Name
	}
	d := &Dashboard{}
	if err := ctx.RegisterComponentResource("webhook-ingest:dashboard:Dashboard", name, d, opts...); err != nil {
		return nil, err
	}
	body := pulumi.All(args.QueueARN, args.APIID, args.QueueName, args.DeadLetterQueueName, args.FunctionName, alarms).ApplyT(
		func(v []any) (string, error) {
			loc, err := locationOf(v[0].(string))
			if err != nil {
				return "", err
			}
			return mustMarshal(dashboardResources{
				Region:          loc.Region,
				APIID:           v[1].(string),
				Queue:           v[2].(string),
				DeadLetterQueue: v[3].(string),
				Function:        v[4].(string),
				Sources:         names,
				AlarmARNs:       v[5].([]string),
			}.body()), nil
		}).(pulumi.StringOutput)
	dash, err := cloudwatch.NewDashboard(ctx, name, &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(args.Name),
		DashboardBody: body,
	}, pulumi.Parent(d))
	if err != nil {
		return nil, fmt.Errorf("create dashboard: %w", err)
	}
	d.Name = dash.DashboardName
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{"name": d.Name}); err != nil {
		return nil, err
	}
	return d, nil
}
