package ingest

import (
	"context"
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

// ConfigError is an error of Load that lies in the configuration itself: a
// missing or malformed variable, a secret parameter that does not exist, is
// not a SecureString or holds no usable secret. It persists until someone
// fixes the stack; any other error of Load (SSM unreachable or throttling)
// may pass by itself.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// configErrorf returns a *ConfigError with a formatted message.
func configErrorf(format string, a ...any) error {
	return &ConfigError{Err: fmt.Errorf(format, a...)}
}

// Load builds the Processor of a cold start from the handler's environment
// (read through getenv) and the SSM SecureString parameters it names, fetched
// with decryption in as few GetParameters calls as SSM allows. Errors name
// the variable, source or parameter at fault and never a secret value; a
// broken configuration is a *ConfigError.
func Load(ctx context.Context, awsCfg aws.Config, getenv func(string) string, logger *slog.Logger) (*Processor, error) {
	bucket := getenv(contract.EnvBucket)
	if bucket == "" {
		return nil, configErrorf("%s is not set", contract.EnvBucket)
	}
	// Required: every metric names the function (see contract.DimensionFunction).
	function := getenv(contract.EnvFunctionName)
	if function == "" {
		return nil, configErrorf("%s is not set: Lambda sets it; outside Lambda set it to a name for the metrics", contract.EnvFunctionName)
	}
	concurrency := DefaultConcurrency
	if v := getenv(contract.EnvConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > contract.MaxConcurrency {
			return nil, configErrorf("%s = %q is not a whole number between 1 and %d", contract.EnvConcurrency, v, contract.MaxConcurrency)
		}
		concurrency = n
	}
	awsCfg.HTTPClient = HTTPClient(concurrency)
	quarantine := false
	if v := getenv(contract.EnvQuarantine); v != "" {
		var err error
		if quarantine, err = strconv.ParseBool(v); err != nil {
			return nil, configErrorf("%s = %q is not true or false", contract.EnvQuarantine, v)
		}
	}
	rawSources := getenv(contract.EnvSources)
	if rawSources == "" {
		return nil, configErrorf("%s is not set", contract.EnvSources)
	}
	configured, err := contract.ParseEnvSources(rawSources)
	if err != nil {
		return nil, &ConfigError{Err: err}
	}

	selectors := make([]string, 0, len(configured))
	for _, s := range configured {
		if !slices.Contains(selectors, s.SecretSelector) {
			selectors = append(selectors, s.SecretSelector)
		}
	}
	secrets, missing, err := getSecureStrings(ctx, ssm.NewFromConfig(awsCfg), selectors)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		var which []string
		for _, s := range configured {
			if slices.Contains(missing, s.SecretSelector) {
				which = append(which, fmt.Sprintf("%s (source %q)", s.SecretSelector, s.Name()))
			}
		}
		return nil, configErrorf("secret parameters not found in SSM or not readable by this function: %s", strings.Join(which, ", "))
	}

	receivers := make(map[string]Receiver, len(configured))
	described := make([]string, 0, len(configured))
	for _, s := range configured {
		v, err := contract.NewVerifier(s.Preset.Scheme, secrets[s.SecretSelector], s.Tolerance)
		if err != nil {
			return nil, configErrorf("source %q: secret parameter %q: %w", s.Name(), s.SecretSelector, err)
		}
		receivers[s.Name()] = Receiver{ResolvedSource: s.ResolvedSource, Verifier: v}
		described = append(described, s.Name()+":"+s.Preset.Name)
	}
	p := &Processor{
		S3:           s3.NewFromConfig(awsCfg, S3Options),
		Bucket:       bucket,
		Receivers:    receivers,
		Quarantine:   quarantine,
		Concurrency:  concurrency,
		FunctionName: function,
		Logger:       logger,
	}
	bus := getenv(contract.EnvEventBus)
	if bus != "" {
		p.Publisher = &handoff.Publisher{Client: eventbridge.NewFromConfig(awsCfg, EventBridgeOptions), BusName: bus}
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "configuration loaded",
		slog.String("bucket", bucket), slog.Any("sources", described), slog.String("event_bus", bus), slog.Bool("quarantine", quarantine), slog.Int("concurrency", concurrency),
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
				return nil, nil, configErrorf("secret parameter %q is a %s, want %s: secrets are stored encrypted", name, p.Type, ssmtypes.ParameterTypeSecureString)
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
