package components

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Config is the validated stack configuration (namespace: the project name,
// "webhook-ingest"). defaults below is the one authority on default values:
// Pulumi.yaml declares the same keys, and a test holds its defaults and
// ranges to these. docs/infrastructure.md is the reference.
type Config struct {
	// Sources are the configured senders, resolved, in configuration order.
	Sources []contract.ResolvedSource
	// Secrets maps each source name to its signing secrets (one per line,
	// newest first) as a Pulumi secret, so they stay encrypted in state.
	Secrets map[string]pulumi.StringInput

	MemorySize            int
	TimeoutSeconds        int
	Architecture          string
	BatchSize             int
	BatchingWindowSeconds int
	MaximumConcurrency    int
	RecordConcurrency     int
	MaxReceiveCount       int
	BodyRetentionDays     int
	QuarantineDays        int
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

// defaults are the values of the optional keys when the stack sets none.
var defaults = Config{
	MemorySize:            defaultMemorySize,
	TimeoutSeconds:        defaultTimeoutSeconds,
	Architecture:          ArchARM64,
	BatchSize:             defaultBatchSize,
	BatchingWindowSeconds: 0,
	MaximumConcurrency:    defaultMaximumConcurrency,
	RecordConcurrency:     contract.DefaultConcurrency,
	MaxReceiveCount:       defaultMaxReceiveCount,
	BodyRetentionDays:     0,
	QuarantineDays:        defaultQuarantineDays,
	LogRetentionDays:      30,
	ThrottlingBurstLimit:  defaultThrottlingBurstLimit,
	ThrottlingRateLimit:   defaultThrottlingRateLimit,
	ForceDestroy:          false,
	EventBus:              false,
	Dashboard:             true,
	Alarms: AlarmConfig{
		DeadLetterQueue:   true,
		QueueAge:          true,
		QueueAgeSeconds:   defaultAlarmQueueAgeSeconds,
		FunctionErrors:    true,
		FunctionThrottles: true,
		Rejected:          true,
		Conflict:          true,
		API5xx:            true,
	},
}

// quarantine reports whether the stack keeps the records that fail a check.
func (c Config) quarantine() bool { return c.QuarantineDays > 0 }

// intSetting is an integer configuration key, the field it sets and the
// values it accepts.
type intSetting struct {
	key   string
	field func(*Config) *int
	r     intRange
}

// intSettings are the integer keys that take a range (logRetentionDays takes
// a list of values).
var intSettings = []intSetting{
	{"memorySize", func(c *Config) *int { return &c.MemorySize }, memorySizeRange},
	{"timeoutSeconds", func(c *Config) *int { return &c.TimeoutSeconds }, timeoutSecondsRange},
	{"batchSize", func(c *Config) *int { return &c.BatchSize }, batchSizeRange},
	{"batchingWindowSeconds", func(c *Config) *int { return &c.BatchingWindowSeconds }, batchingWindowSecondsRange},
	{"maximumConcurrency", func(c *Config) *int { return &c.MaximumConcurrency }, maximumConcurrencyRange},
	{"recordConcurrency", func(c *Config) *int { return &c.RecordConcurrency }, recordConcurrencyRange},
	{"maxReceiveCount", func(c *Config) *int { return &c.MaxReceiveCount }, maxReceiveCountRange},
	{"bodyRetentionDays", func(c *Config) *int { return &c.BodyRetentionDays }, bodyRetentionDaysRange},
	{"quarantineDays", func(c *Config) *int { return &c.QuarantineDays }, quarantineDaysRange},
	{"throttlingBurstLimit", func(c *Config) *int { return &c.ThrottlingBurstLimit }, throttlingBurstLimitRange},
	{"throttlingRateLimit", func(c *Config) *int { return &c.ThrottlingRateLimit }, throttlingRateLimitRange},
	{"alarmQueueAgeSeconds", func(c *Config) *int { return &c.Alarms.QueueAgeSeconds }, alarmQueueAgeSecondsRange},
	{"alarmFunctionErrorsThreshold", func(c *Config) *int { return &c.Alarms.FunctionErrorsThreshold }, alarmThresholdRange},
	{"alarmFunctionThrottlesThreshold", func(c *Config) *int { return &c.Alarms.FunctionThrottlesThreshold }, alarmThresholdRange},
	{"alarmRejectedThreshold", func(c *Config) *int { return &c.Alarms.RejectedThreshold }, alarmThresholdRange},
	{"alarmConflictThreshold", func(c *Config) *int { return &c.Alarms.ConflictThreshold }, alarmThresholdRange},
	{"alarmApi5xxThreshold", func(c *Config) *int { return &c.Alarms.API5xxThreshold }, alarmThresholdRange},
}

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
	for _, s := range intSettings {
		if err := r.intInRange(s.key, s.field(&cfg), s.r); err != nil {
			return Config{}, err
		}
	}
	if err := r.intInRange("logRetentionDays", &cfg.LogRetentionDays, intRange{0, logRetentionValues[len(logRetentionValues)-1]}); err != nil {
		return Config{}, err
	}
	if err := checkLogRetention(r.key("logRetentionDays"), cfg.LogRetentionDays); err != nil {
		return Config{}, err
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
		{"alarmConflict", &cfg.Alarms.Conflict},
		{"alarmApi5xx", &cfg.Alarms.API5xx},
	}
	for _, s := range bools {
		if err := r.boolean(s.key, s.dst); err != nil {
			return Config{}, err
		}
	}
	if cfg.BatchSize > maxUnwindowedBatchSize && cfg.BatchingWindowSeconds < 1 {
		return Config{}, fmt.Errorf("%s = %d needs %s of at least 1 (Lambda requires a batching window for batches over %d): set it, or lower the batch size",
			r.key("batchSize"), cfg.BatchSize, r.key("batchingWindowSeconds"), maxUnwindowedBatchSize)
	}
	if i := quarantineWithoutStack(cfg.Sources, cfg.quarantine()); i >= 0 {
		return Config{}, fmt.Errorf("%s[%d].quarantine is true, but %s is 0 (no quarantine): set %s between 1 and %d, or remove the key (pulumi config rm --path 'sources[%d].quarantine')",
			r.key("sources"), i, r.key("quarantineDays"), r.key("quarantineDays"), quarantineDaysRange.hi, i)
	}
	if v, ok := r.get("architecture"); ok {
		if _, err := goarchOf(v); err != nil {
			return Config{}, fmt.Errorf("%s = %q is not a Lambda architecture: set it to %q or %q", r.key("architecture"), v, ArchARM64, ArchX8664)
		}
		cfg.Architecture = v
	}
	if cfg.Alarms.Email, err = r.email("alarmEmail"); err != nil {
		return Config{}, err
	}
	bus := ""
	if cfg.EventBus {
		bus = stackName(ctx.Project(), ctx.Stack())
	}
	if n := environmentBytes(cfg.Sources, pathPrefix(ctx.Project(), ctx.Stack()), bus, cfg.quarantine()); n > maxEnvironmentBytes {
		return Config{}, fmt.Errorf("%s: %d sources need %d bytes of Lambda environment, over its %d-byte limit: split the sources across stacks",
			r.key("sources"), len(cfg.Sources), n, maxEnvironmentBytes)
	}
	return cfg, nil
}
