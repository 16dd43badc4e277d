package components

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// APIArgs configures an API. Zero values take the defaults noted.
type APIArgs struct {
	// Sources each get a route POST /webhooks/<name>. Required.
	Sources []contract.ResolvedSource
	// QueueURL and QueueARN name the queue the routes send to. Required.
	QueueURL pulumi.StringInput
	QueueARN pulumi.StringInput

	// ThrottlingBurstLimit (default 200) and ThrottlingRateLimit (requests
	// per second, default 100) apply to every route of the stage whose
	// source sets no limit of its own.
	ThrottlingBurstLimit int
	ThrottlingRateLimit  int

	// Domain, when set, is the custom domain the webhook URLs use (see
	// Domain). DisableExecuteAPIEndpoint turns the API's default
	// execute-api endpoint off, so that senders cannot bypass the domain;
	// it needs Domain.
	Domain                    *stackconfig.Domain
	DisableExecuteAPIEndpoint bool

	// AccessLogGroupName names the access log group (default: a name
	// Pulumi makes up); LogRetentionDays 0 keeps its events forever.
	AccessLogGroupName string
	LogRetentionDays   int
}

// withDefaults returns a copy of a with the zero values defaulted, or what is
// wrong with it.
func (a APIArgs) withDefaults() (APIArgs, error) {
	a.ThrottlingBurstLimit = cmp.Or(a.ThrottlingBurstLimit, stackconfig.DefaultThrottlingBurstLimit)
	a.ThrottlingRateLimit = cmp.Or(a.ThrottlingRateLimit, stackconfig.DefaultThrottlingRateLimit)
	if len(a.Sources) == 0 {
		return a, errors.New("APIArgs.Sources is empty: give the API at least one source")
	}
	if a.QueueURL == nil || a.QueueARN == nil {
		return a, errors.New("APIArgs.QueueURL and APIArgs.QueueARN are required")
	}
	if err := stackconfig.ThrottlingBurstLimitRange.Check("APIArgs.ThrottlingBurstLimit", a.ThrottlingBurstLimit); err != nil {
		return a, err
	}
	if err := stackconfig.ThrottlingRateLimitRange.Check("APIArgs.ThrottlingRateLimit", a.ThrottlingRateLimit); err != nil {
		return a, err
	}
	if err := stackconfig.CheckSourceThrottling("APIArgs.Sources", a.Sources); err != nil {
		return a, err
	}
	if a.Domain != nil {
		if err := a.Domain.Check("APIArgs.Domain", ""); err != nil {
			return a, err
		}
	} else if a.DisableExecuteAPIEndpoint {
		return a, errors.New("APIArgs.DisableExecuteAPIEndpoint needs APIArgs.Domain: without either endpoint nothing could reach the API")
	}
	return a, stackconfig.CheckLogRetention("APIArgs.LogRetentionDays", a.LogRetentionDays)
}

// API is the public HTTP API: one route per source, each integrated directly
// with SQS SendMessage, so a webhook is queued before any code of ours runs.
type API struct {
	pulumi.ResourceState

	ID       pulumi.StringOutput
	Endpoint pulumi.StringOutput
	// WebhookURLs maps each source name to the URL its sender posts to: on
	// the custom domain when there is one.
	WebhookURLs        pulumi.StringMapOutput
	AccessLogGroupName pulumi.StringOutput
	// Domain is nil without a custom domain.
	Domain *Domain
}

// webhookPath returns the path of source's route.
func webhookPath(source string) string { return "/webhooks/" + source }

// routeKey returns the route key of source's route.
func routeKey(source string) string { return "POST " + webhookPath(source) }

// routeThrottling returns the burst and rate limits of s's route: its own,
// or else the stage's.
func routeThrottling(s contract.ResolvedSource, burst, rate int) (int, int) {
	if v := s.Source.ThrottlingBurstLimit; v != nil {
		burst = *v
	}
	if v := s.Source.ThrottlingRateLimit; v != nil {
		rate = *v
	}
	return burst, rate
}

// accessLogFormat is the stage's JSON access log line. It records what is
// needed to trace a delivery and diagnose a failed SendMessage, and no
// request header, so no signature ever reaches the logs.
var accessLogFormat = mustMarshal(map[string]string{
	"requestId":               "$context.requestId",
	"extendedRequestId":       "$context.extendedRequestId",
	"requestTime":             "$context.requestTime",
	"ip":                      "$context.identity.sourceIp",
	"userAgent":               "$context.identity.userAgent",
	"httpMethod":              "$context.httpMethod",
	"routeKey":                "$context.routeKey",
	"path":                    "$context.path",
	"protocol":                "$context.protocol",
	"status":                  "$context.status",
	"responseLength":          "$context.responseLength",
	"responseLatency":         "$context.responseLatency",
	"errorMessage":            "$context.error.message",
	"integrationStatus":       "$context.integrationStatus",
	"integrationLatency":      "$context.integrationLatency",
	"integrationErrorMessage": "$context.integrationErrorMessage",
})

// NewAPI creates the HTTP API, its $default stage, and a route and SQS
// integration per source.
func NewAPI(ctx *pulumi.Context, name string, args *APIArgs, opts ...pulumi.ResourceOption) (*API, error) {
	in, err := args.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &API{}
	if err := ctx.RegisterComponentResource("webhook-ingest:api:API", name, a, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(a)

	api, err := apigatewayv2.NewApi(ctx, name, &apigatewayv2.ApiArgs{
		ProtocolType:              pulumi.String("HTTP"),
		Description:               pulumi.String("Receives webhooks and queues them for verification and storage"),
		DisableExecuteApiEndpoint: pulumi.Bool(in.DisableExecuteAPIEndpoint),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("create HTTP API: %w", err)
	}

	send, err := newServiceRole(ctx, name+"-sqs-send", "apigateway.amazonaws.com",
		"Webhook API: send received webhooks to the webhook queue",
		in.QueueARN.ToStringOutput().ApplyT(func(arn string) string { return sendMessagePolicy(arn).String() }).(pulumi.StringOutput),
		parent)
	if err != nil {
		return nil, err
	}

	var routes []pulumi.Resource
	var routeSettings apigatewayv2.StageRouteSettingArray
	for _, s := range in.Sources {
		attributes, err := contract.MessageAttributesMapping(s.Name(), s.Preset)
		if err != nil {
			return nil, err
		}
		// The integration waits for the role's policy so a route never
		// goes live with credentials that cannot send yet.
		integration, err := apigatewayv2.NewIntegration(ctx, name+"-"+s.Name(), &apigatewayv2.IntegrationArgs{
			ApiId:                api.ID(),
			Description:          pulumi.String(fmt.Sprintf("Queue webhooks of source %s (preset %s)", s.Name(), s.Preset.Name)),
			IntegrationType:      pulumi.String("AWS_PROXY"),
			IntegrationSubtype:   pulumi.String("SQS-SendMessage"),
			PayloadFormatVersion: pulumi.String("1.0"),
			CredentialsArn:       send.Role.Arn,
			RequestParameters: pulumi.StringMap{
				"QueueUrl": in.QueueURL,
				// The whole raw body: a JSONPath selection would re-encode
				// it and break the signature.
				"MessageBody":       pulumi.String("$request.body"),
				"MessageAttributes": pulumi.String(attributes),
			},
		}, parent, pulumi.DependsOn([]pulumi.Resource{send.Policy}))
		if err != nil {
			return nil, fmt.Errorf("create integration of source %s: %w", s.Name(), err)
		}
		route, err := apigatewayv2.NewRoute(ctx, name+"-"+s.Name(), &apigatewayv2.RouteArgs{
			ApiId:    api.ID(),
			RouteKey: pulumi.String(routeKey(s.Name())),
			Target:   pulumi.Sprintf("integrations/%s", integration.ID()),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("create route of source %s: %w", s.Name(), err)
		}
		routes = append(routes, route)
		// Each route's own limits, so that one noisy sender cannot use up
		// another's share.
		burst, rate := routeThrottling(s, in.ThrottlingBurstLimit, in.ThrottlingRateLimit)
		routeSettings = append(routeSettings, &apigatewayv2.StageRouteSettingArgs{
			RouteKey:             pulumi.String(routeKey(s.Name())),
			ThrottlingBurstLimit: pulumi.Int(burst),
			ThrottlingRateLimit:  pulumi.Float64(float64(rate)),
		})
	}

	logArgs := &cloudwatch.LogGroupArgs{RetentionInDays: pulumi.Int(in.LogRetentionDays)}
	if in.AccessLogGroupName != "" {
		logArgs.Name = pulumi.String(in.AccessLogGroupName)
	}
	accessLogs, err := cloudwatch.NewLogGroup(ctx, name+"-access", logArgs, parent)
	if err != nil {
		return nil, fmt.Errorf("create access log group: %w", err)
	}

	// The stage waits for the routes: API Gateway refuses route settings
	// of a route that does not exist yet.
	stage, err := apigatewayv2.NewStage(ctx, name, &apigatewayv2.StageArgs{
		ApiId:      api.ID(),
		Name:       pulumi.String("$default"),
		AutoDeploy: pulumi.Bool(true),
		AccessLogSettings: &apigatewayv2.StageAccessLogSettingsArgs{
			DestinationArn: accessLogs.Arn,
			Format:         pulumi.String(accessLogFormat),
		},
		DefaultRouteSettings: &apigatewayv2.StageDefaultRouteSettingsArgs{
			ThrottlingBurstLimit: pulumi.Int(in.ThrottlingBurstLimit),
			ThrottlingRateLimit:  pulumi.Float64(float64(in.ThrottlingRateLimit)),
		},
		RouteSettings: routeSettings,
	}, parent, pulumi.DependsOn(routes))
	if err != nil {
		return nil, fmt.Errorf("create stage: %w", err)
	}

	base := api.ApiEndpoint
	if in.Domain != nil {
		if a.Domain, err = NewDomain(ctx, name+"-domain", &DomainArgs{
			Domain: *in.Domain,
			APIID:  api.ID(),
			Stage:  stage.Name,
		}, parent); err != nil {
			return nil, err
		}
		base = pulumi.String("https://" + in.Domain.Name).ToStringOutput()
	}
	urls := pulumi.StringMap{}
	for _, s := range in.Sources {
		urls[s.Name()] = pulumi.Sprintf("%s%s", base, webhookPath(s.Name()))
	}

	a.ID, a.Endpoint = api.ID().ToStringOutput(), api.ApiEndpoint
	a.WebhookURLs = urls.ToStringMapOutput()
	a.AccessLogGroupName = accessLogs.Name
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{
		"id":                 a.ID,
		"endpoint":           a.Endpoint,
		"webhookUrls":        a.WebhookURLs,
		"accessLogGroupName": a.AccessLogGroupName,
	}); err != nil {
		return nil, err
	}
	return a, nil
}
