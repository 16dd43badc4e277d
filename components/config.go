package components

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Config is the validated stack configuration (namespace: the project name,
// "webhook-ingest"). Pulumi.yaml declares the same keys with the same
// defaults; docs/infrastructure.md is the reference.
type Config struct {
	// Sources are the configured senders, in configuration order, each with
	// its SecretParameter left empty (the program names the parameters).
	Sources []contract.Source
	// Secrets maps each source name to its signing secrets (one per line,
	// newest first) as a Pulumi secret, so they stay encrypted in state.
	Secrets map[string]pulumi.StringOutput

	MemorySize            int
	TimeoutSeconds        int
	Architecture          string
	BatchSize             int
	BatchingWindowSeconds int
	MaximumConcurrency    int
	MaxReceiveCount       int
	BodyRetentionDays     int
	LogRetentionDays      int
	ThrottlingBurstLimit  int
	ThrottlingRateLimit   int
	ForceDestroy          bool

	// EventBus creates the stack's EventBridge bus and has the handler
	// publish one hand-off event per stored webhook on it.
	EventBus bool
	// Dashboard creates the stack's CloudWatch dashboard.
	Dashboard bool
	Alarms    AlarmConfig
}

// AlarmConfig switches the stack's alarms on and off and sets their
// thresholds. Every alarm looks at one 5-minute period and fires when the
// value is above its threshold.
type AlarmConfig struct {
	// Email, when set, subscribes this address to an SNS topic that every
	// alarm notifies when it fires and when it recovers.
	Email string

	DeadLetterQueue            bool
	QueueAge                   bool
	QueueAgeSeconds            int
	FunctionErrors             bool
	FunctionErrorsThreshold    int
	FunctionThrottles          bool
	FunctionThrottlesThreshold int
	// Rejected creates one alarm per source on its rejected records.
	Rejected          bool
	RejectedThreshold int
	API5xx            bool
	API5xxThreshold   int
}

// Lambda architectures (the values AWS accepts in a function's Architectures).
const (
	ArchARM64 = "arm64"
	ArchX8664 = "x86_64"
)

// defaults are the values of the optional keys when the stack sets none.
var defaults = Config{
	MemorySize:            128,
	TimeoutSeconds:        30,
	Architecture:          ArchARM64,
	BatchSize:             10,
	BatchingWindowSeconds: 0,
	MaximumConcurrency:    5,
	MaxReceiveCount:       5,
	BodyRetentionDays:     0,
	LogRetentionDays:      30,
	ThrottlingBurstLimit:  200,
	ThrottlingRateLimit:   100,
	ForceDestroy:          false,
	EventBus:              false,
	Dashboard:             true,
	Alarms: AlarmConfig{
		DeadLetterQueue:   true,
		QueueAge:          true,
		QueueAgeSeconds:   900,
		FunctionErrors:    true,
		FunctionThrottles: true,
		Rejected:          true,
		API5xx:            true,
	},
}

// maxAlarmThreshold bounds the count thresholds: far above anything one
// stack sees in five minutes.
const maxAlarmThreshold = 1000000

// logRetentionValues are the retention periods CloudWatch Logs accepts; 0
// keeps events forever.
var logRetentionValues = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// maxEnvironmentBytes is Lambda's limit on the total size of a function's
// environment variables (names and values).
const maxEnvironmentBytes = 4096

// maxParameterBytes is the largest value of a Standard-tier SSM parameter,
// which holds a source's secrets.
const maxParameterBytes = 4096

// maxBucketNameBytes is the longest S3 bucket name, the one part of the
// function's environment not known before deployment.
const maxBucketNameBytes = 63

// LoadConfig reads and validates the stack configuration of ctx. Every error
// names the offending key and how to fix it, and never contains a secret.
func LoadConfig(ctx *pulumi.Context) (Config, error) {
	r := configReader{ctx: ctx, ns: ctx.Project()}
	cfg := defaults

	var err error
	if cfg.Sources, err = r.sources(); err != nil {
		return Config{}, err
	}
	if cfg.Secrets, err = r.secrets(cfg.Sources); err != nil {
		return Config{}, err
	}
	ints := []struct {
		key      string
		dst      *int
		min, max int
	}{
		{"memorySize", &cfg.MemorySize, 128, 10240},
		{"timeoutSeconds", &cfg.TimeoutSeconds, 1, 900},
		{"batchSize", &cfg.BatchSize, 1, 10000},
		{"batchingWindowSeconds", &cfg.BatchingWindowSeconds, 0, 300},
		{"maximumConcurrency", &cfg.MaximumConcurrency, 2, 1000},
		{"maxReceiveCount", &cfg.MaxReceiveCount, 5, 1000},
		{"bodyRetentionDays", &cfg.BodyRetentionDays, 0, 36500},
		{"logRetentionDays", &cfg.LogRetentionDays, 0, 3653},
		{"throttlingBurstLimit", &cfg.ThrottlingBurstLimit, 1, 5000},
		{"throttlingRateLimit", &cfg.ThrottlingRateLimit, 1, 10000},
		// From a minute to the main queue's retention: an older message
		// has expired.
		{"alarmQueueAgeSeconds", &cfg.Alarms.QueueAgeSeconds, 60, queueRetentionSeconds},
		{"alarmFunctionErrorsThreshold", &cfg.Alarms.FunctionErrorsThreshold, 0, maxAlarmThreshold},
		{"alarmFunctionThrottlesThreshold", &cfg.Alarms.FunctionThrottlesThreshold, 0, maxAlarmThreshold},
		{"alarmRejectedThreshold", &cfg.Alarms.RejectedThreshold, 0, maxAlarmThreshold},
		{"alarmApi5xxThreshold", &cfg.Alarms.API5xxThreshold, 0, maxAlarmThreshold},
	}
	for _, s := range ints {
		if err := r.intInRange(s.key, s.dst, s.min, s.max); err != nil {
			return Config{}, err
		}
	}
	bools := []struct {
		key string
		dst *bool
	}{
		{"forceDestroy", &cfg.ForceDestroy},
		{"eventBus", &cfg.EventBus},
		{"dashboard", &cfg.Dashboard},
		{"alarmDeadLetterQueue", &cfg.Alarms.DeadLetterQueue},
		{"alarmQueueAge", &cfg.Alarms.QueueAge},
		{"alarmFunctionErrors", &cfg.Alarms.FunctionErrors},
		{"alarmFunctionThrottles", &cfg.Alarms.FunctionThrottles},
		{"alarmRejected", &cfg.Alarms.Rejected},
		{"alarmApi5xx", &cfg.Alarms.API5xx},
	}
	for _, s := range bools {
		if err := r.boolean(s.key, s.dst); err != nil {
			return Config{}, err
		}
	}
	if !slices.Contains(logRetentionValues, cfg.LogRetentionDays) {
		return Config{}, fmt.Errorf("%s = %d is not a retention CloudWatch Logs accepts: use one of %v (0 keeps logs forever)",
			r.key("logRetentionDays"), cfg.LogRetentionDays, logRetentionValues)
	}
	if cfg.BatchSize > 10 && cfg.BatchingWindowSeconds < 1 {
		return Config{}, fmt.Errorf("%s = %d needs %s of at least 1 (Lambda requires a batching window for batches over 10): set it, or lower the batch size",
			r.key("batchSize"), cfg.BatchSize, r.key("batchingWindowSeconds"))
	}
	if v, ok := r.get("architecture"); ok {
		if v != ArchARM64 && v != ArchX8664 {
			return Config{}, fmt.Errorf("%s = %q is not a Lambda architecture: set it to %q or %q", r.key("architecture"), v, ArchARM64, ArchX8664)
		}
		cfg.Architecture = v
	}
	if cfg.Alarms.Email, err = r.email("alarmEmail"); err != nil {
		return Config{}, err
	}
	if n := environmentBytes(cfg, r.ctx.Project(), r.ctx.Stack()); n > maxEnvironmentBytes {
		return Config{}, fmt.Errorf("%s: %d sources need %d bytes of Lambda environment, over its %d-byte limit: split the sources across stacks",
			r.key("sources"), len(cfg.Sources), n, maxEnvironmentBytes)
	}
	return cfg, nil
}

// stackName returns the name of the stack's resources that need one unique
// in the account and region (event bus, alarms, dashboard):
// "<project>-<stack>", with the characters dashboard names refuse replaced.
func stackName(project, stack string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, project+"-"+stack)
}

// secretParameterName returns the name of the SSM parameter that holds the
// secrets of source in the given project and stack.
func secretParameterName(project, stack, source string) string {
	return "/" + project + "/" + stack + "/" + source
}

type configReader struct {
	ctx *pulumi.Context
	ns  string
}

func (r configReader) key(k string) string { return r.ns + ":" + k }

func (r configReader) get(k string) (string, bool) { return r.ctx.GetConfig(r.key(k)) }

func (r configReader) intInRange(k string, dst *int, lo, hi int) error {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%s = %q is not a whole number: set an integer between %d and %d", r.key(k), v, lo, hi)
	}
	if n < lo || n > hi {
		return fmt.Errorf("%s = %d is out of range: set it between %d and %d", r.key(k), n, lo, hi)
	}
	*dst = n
	return nil
}

func (r configReader) boolean(k string, dst *bool) error {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%s = %q is not a boolean: set it to true or false", r.key(k), v)
	}
	*dst = b
	return nil
}

// email reads an optional plain e-mail address ("ops@example.com"); unset
// or empty means none.
func (r configReader) email(k string) (string, error) {
	v, ok := r.get(k)
	if !ok || v == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v || !strings.Contains(v[strings.LastIndex(v, "@")+1:], ".") {
		return "", fmt.Errorf("%s = %q is not a plain e-mail address: set it to one such as ops@example.com, or remove it (pulumi config rm %s) to send no notifications", r.key(k), v, k)
	}
	return v, nil
}

func (r configReader) sources() ([]contract.Source, error) {
	k := r.key("sources")
	example := "pulumi config set --path 'sources[0].name' orders && pulumi config set --path 'sources[0].preset' generic"
	v, ok := r.get("sources")
	if !ok {
		return nil, fmt.Errorf("%s is not set: list at least one source, e.g. %s", k, example)
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	var sources []contract.Source
	if err := dec.Decode(&sources); err != nil {
		return nil, fmt.Errorf("%s must be a list of {name, preset, toleranceSeconds, custom} objects: %w", k, err)
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("%s is empty: list at least one source, e.g. %s", k, example)
	}
	if err := contract.CheckSources(sources); err != nil {
		return nil, fmt.Errorf("%s%w", k, err)
	}
	for i, s := range sources {
		if s.SecretParameter != "" {
			return nil, fmt.Errorf("%s[%d]: remove secretParameter: the program names each source's parameter itself", k, i)
		}
	}
	return sources, nil
}

// maxVersionSelector stands for the longest ":<version>" a secret parameter
// selector is allowed to have: ten digits, more updates than a parameter
// will ever see.
const maxVersionSelector = ":9999999999"

// environmentBytes is the size of the handler's environment for cfg at the
// longest possible bucket name and parameter versions.
func environmentBytes(cfg Config, project, stack string) int {
	pinned := withParameters(cfg.Sources, project, stack)
	for i := range pinned {
		pinned[i].SecretParameter += maxVersionSelector
	}
	n := len(contract.EnvSources) + len(mustMarshal(pinned)) + len(contract.EnvBucket) + maxBucketNameBytes
	if cfg.EventBus {
		n += len(contract.EnvEventBus) + len(stackName(project, stack))
	}
	return n
}

// withParameters returns a copy of sources with SecretParameter filled in.
func withParameters(sources []contract.Source, project, stack string) []contract.Source {
	out := slices.Clone(sources)
	for i := range out {
		out[i].SecretParameter = secretParameterName(project, stack, out[i].Name)
	}
	return out
}

// secrets reads the secrets map. The value is plaintext here, so no error
// below may include it or an error derived from parsing it.
func (r configReader) secrets(sources []contract.Source) (map[string]pulumi.StringOutput, error) {
	k := r.key("secrets")
	setHint := "pulumi config set --secret --path 'secrets.<source>' <secret>"
	v, ok := r.get("secrets")
	if !ok {
		return nil, fmt.Errorf("%s is not set: give every source its signing secret with %s", k, setHint)
	}
	if !r.ctx.IsConfigSecret(k) {
		return nil, fmt.Errorf("%s is stored in plaintext: remove it (pulumi config rm secrets) and set each value with %s", k, setHint)
	}
	var values map[string]string
	// The decode error is dropped on purpose: a syntax error quotes the
	// offending character, which may belong to a secret.
	if err := json.Unmarshal([]byte(v), &values); err != nil {
		return nil, fmt.Errorf("%s must map each source name to its secret string: set each with %s", k, setHint)
	}
	known := make(map[string]bool, len(sources))
	out := make(map[string]pulumi.StringOutput, len(sources))
	for _, s := range sources {
		known[s.Name] = true
		secret, ok := values[s.Name]
		if !ok {
			return nil, fmt.Errorf("%s.%s is missing: set the signing secret of source %q with pulumi config set --secret --path 'secrets.%s' <secret>", k, s.Name, s.Name, s.Name)
		}
		if len(secret) > maxParameterBytes {
			return nil, fmt.Errorf("%s.%s is %d bytes, more than the %d bytes of its SSM parameter: keep only the secrets in use (drop retired ones) and set it again with pulumi config set --secret --path 'secrets.%s' <secret>",
				k, s.Name, len(secret), maxParameterBytes, s.Name)
		}
		p, _, err := s.Resolve()
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", k, s.Name, err)
		}
		// Scheme.Keys reports line numbers and decoding offsets, never
		// secret bytes; the tests hold it to that.
		if _, err := p.Scheme.Keys(secret); err != nil {
			return nil, fmt.Errorf("%s.%s is not a usable %s secret (%w): set it again with pulumi config set --secret --path 'secrets.%s' <secret>", k, s.Name, p.Name, err, s.Name)
		}
		out[s.Name] = pulumi.ToSecret(pulumi.String(secret)).(pulumi.StringOutput)
	}
	var unknown []string
	for name := range values {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("%s has secrets for unknown sources %q: add them to %s or remove them with pulumi config rm --path 'secrets.<source>'", k, unknown, r.key("sources"))
	}
	return out, nil
}
