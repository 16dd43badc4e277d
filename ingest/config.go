package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// maxGetParameters is the most names SSM accepts in one GetParameters call.
const maxGetParameters = 10

// Load builds the Processor of a cold start from the handler's environment
// (read through getenv) and the SSM SecureString parameters it names, fetched
// with decryption in as few GetParameters calls as SSM allows. Every error is
// a broken configuration; it names the variable, source or parameter at
// fault and never a secret value.
func Load(ctx context.Context, awsCfg aws.Config, getenv func(string) string, logger *slog.Logger) (*Processor, error) {
	bucket := getenv(contract.EnvBucket)
	if bucket == "" {
		return nil, fmt.Errorf("%s is not set", contract.EnvBucket)
	}
	// Lambda always sets the function name; a run outside Lambda must set
	// it too. Every metric dimension set names the function, so that the
	// sets never change and the alarms always match: leaving the dimension
	// out would hide the metrics from the alarms, and a stand-in value would
	// mix the metrics of every run that used it.
	function := getenv(contract.EnvFunctionName)
	if function == "" {
		return nil, fmt.Errorf("%s is not set: Lambda sets it; outside Lambda set it to a name for the metrics", contract.EnvFunctionName)
	}
	rawSources := getenv(contract.EnvSources)
	if rawSources == "" {
		return nil, fmt.Errorf("%s is not set", contract.EnvSources)
	}
	configured, err := contract.ParseSources(rawSources)
	if err != nil {
		return nil, err
	}

	names := make([]string, 0, len(configured))
	for _, s := range configured {
		if !slices.Contains(names, s.SecretParameter) {
			names = append(names, s.SecretParameter)
		}
	}
	secrets, missing, err := getSecureStrings(ctx, ssm.NewFromConfig(awsCfg), names)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		var which []string
		for _, s := range configured {
			if slices.Contains(missing, s.SecretParameter) {
				which = append(which, fmt.Sprintf("%s (source %q)", s.SecretParameter, s.Name))
			}
		}
		return nil, errors.New("secret parameters not found in SSM or not readable by this function: " + strings.Join(which, ", "))
	}

	sources := make(map[string]Source, len(configured))
	described := make([]string, 0, len(configured))
	for _, s := range configured {
		preset, tolerance, err := s.Resolve()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", contract.EnvSources, err)
		}
		v, err := contract.NewVerifier(preset.Scheme, secrets[s.SecretParameter], tolerance)
		if err != nil {
			return nil, fmt.Errorf("source %q: secret parameter %q: %w", s.Name, s.SecretParameter, err)
		}
		sources[s.Name] = Source{Name: s.Name, Preset: preset, Verifier: v}
		described = append(described, s.Name+":"+preset.Name)
	}
	p := &Processor{
		S3:           s3.NewFromConfig(awsCfg, S3Options),
		Bucket:       bucket,
		Sources:      sources,
		FunctionName: function,
		Logger:       logger,
	}
	bus := getenv(contract.EnvEventBus)
	if bus != "" {
		p.Publisher = &handoff.Publisher{Client: eventbridge.NewFromConfig(awsCfg, EventBridgeOptions), BusName: bus}
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "configuration loaded",
		slog.String("bucket", bucket), slog.Any("sources", described), slog.String("event_bus", bus),
		slog.String(contract.DimensionFunction, function))
	return p, nil
}

// getSecureStrings returns the decrypted values of the SecureString
// parameters called names, keyed by name as asked for (with its version
// selector, if any), and the names SSM does not have.
func getSecureStrings(ctx context.Context, client *ssm.Client, names []string) (values map[string]string, missing []string, err error) {
	values = make(map[string]string, len(names))
	for batch := range slices.Chunk(names, maxGetParameters) {
		out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: batch, WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, nil, fmt.Errorf("read secret parameters %s from SSM: %w", strings.Join(batch, ", "), err)
		}
		for _, p := range out.Parameters {
			// A parameter asked for at a version ("name:3") comes back
			// under its bare name, with that version and a Selector; one
			// asked for by ARN may come back under its name.
			var version string
			if aws.ToString(p.Selector) != "" {
				version = ":" + strconv.FormatInt(p.Version, 10)
			}
			name := aws.ToString(p.Name) + version
			if !slices.Contains(batch, name) && slices.Contains(batch, aws.ToString(p.ARN)+version) {
				name = aws.ToString(p.ARN) + version
			}
			if p.Type != ssmtypes.ParameterTypeSecureString {
				return nil, nil, fmt.Errorf("secret parameter %q is a %s, want %s: secrets are stored encrypted", name, p.Type, ssmtypes.ParameterTypeSecureString)
			}
			values[name] = aws.ToString(p.Value)
		}
	}
	// InvalidParameters lists the unknown names; checking every name against
	// what came back also catches a parameter SSM left out silently.
	for _, name := range names {
		if _, ok := values[name]; !ok {
			missing = append(missing, name)
		}
	}
	return values, missing, nil
}
