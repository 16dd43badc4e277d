// Package stackconfig reads and validates a webhook-ingest stack's
// configuration (namespace: the project name, "webhook-ingest"), whoever
// holds it: the Pulumi program reads it from its context
// (components.LoadConfig), webhook-ops from the stack file
// (Pulumi.<stack>.yaml, see ReadStackFile). Both get the same Config and the
// same errors, each naming the key at fault and the fix, never a secret.
//
// It also holds the defaults, ranges and limits the components check their
// own arguments against, and the names the stack's resources derive from
// the project and stack names. It imports no Pulumi or AWS package.
package stackconfig

import (
	"fmt"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Config is the validated stack configuration without the sources' secrets
// (see Secrets). Defaults is the one authority on default values:
// Pulumi.yaml declares the same keys, and a test holds its defaults and
// ranges to these. docs/infrastructure.md is the reference.
type Config struct {
	// Sources are the configured senders, resolved, in configuration order.
	Sources []contract.ResolvedSource

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
	Alarms    Alarms

	// Domain is the API's custom domain; nil without one.
	Domain *Domain
	// DisableExecuteAPIEndpoint turns the API's default execute-api
	// endpoint off, so that senders reach it only through Domain.
	DisableExecuteAPIEndpoint bool
}

// Alarms switches the stack's alarms on and off and sets their thresholds.
// Every alarm looks at one 5-minute period and fires when the value is above
// its threshold; a zero threshold fires on the first one.
type Alarms struct {
	// Email, when set, subscribes this address to an SNS topic that every
	// alarm notifies when it fires and when it recovers.
	Email string

	DeadLetterQueue bool
	QueueAge        bool
	// QueueAgeSeconds is the queue-age alarm's threshold (default 900).
	QueueAgeSeconds            int
	FunctionErrors             bool
	FunctionErrorsThreshold    int
	FunctionThrottles          bool
	FunctionThrottlesThreshold int
	// Rejected creates one alarm per source on its records that failed a
	// check, whatever the reason: quarantined ones where the source
	// quarantines, rejected (dropped) ones where it does not.
	Rejected          bool
	RejectedThreshold int
	// Conflict creates an alarm on deliveries that reuse a webhook id with
	// a different body.
	Conflict          bool
	ConflictThreshold int
	API5xx            bool
	API5xxThreshold   int
}

// Defaults returns the values of the optional keys when the stack sets none.
func Defaults() Config {
	return Config{
		MemorySize:            DefaultMemorySize,
		TimeoutSeconds:        DefaultTimeoutSeconds,
		Architecture:          ArchARM64,
		BatchSize:             DefaultBatchSize,
		BatchingWindowSeconds: 0,
		MaximumConcurrency:    DefaultMaximumConcurrency,
		RecordConcurrency:     contract.DefaultConcurrency,
		MaxReceiveCount:       DefaultMaxReceiveCount,
		BodyRetentionDays:     0,
		QuarantineDays:        DefaultQuarantineDays,
		LogRetentionDays:      DefaultLogRetentionDays,
		ThrottlingBurstLimit:  DefaultThrottlingBurstLimit,
		ThrottlingRateLimit:   DefaultThrottlingRateLimit,
		ForceDestroy:          false,
		EventBus:              false,
		Dashboard:             true,
		Alarms: Alarms{
			DeadLetterQueue:   true,
			QueueAge:          true,
			QueueAgeSeconds:   DefaultAlarmQueueAgeSeconds,
			FunctionErrors:    true,
			FunctionThrottles: true,
			Rejected:          true,
			Conflict:          true,
			API5xx:            true,
		},
	}
}

// Quarantine reports whether the stack keeps the records that fail a check.
func (c Config) Quarantine() bool { return c.QuarantineDays > 0 }

// VisibilityTimeoutSeconds is the queue's visibility timeout: 6 × the
// function timeout + the batching window, as Lambda's SQS guide asks.
func (c Config) VisibilityTimeoutSeconds() int {
	return 6*c.TimeoutSeconds + c.BatchingWindowSeconds
}

// intSetting is an integer configuration key, the field it sets and the
// values it accepts.
type intSetting struct {
	key   string
	field func(*Config) *int
	r     Range
}

// intSettings are the integer keys that take a range (logRetentionDays takes
// a list of values).
var intSettings = []intSetting{
	{"memorySize", func(c *Config) *int { return &c.MemorySize }, MemorySizeRange},
	{"timeoutSeconds", func(c *Config) *int { return &c.TimeoutSeconds }, TimeoutSecondsRange},
	{"batchSize", func(c *Config) *int { return &c.BatchSize }, BatchSizeRange},
	{"batchingWindowSeconds", func(c *Config) *int { return &c.BatchingWindowSeconds }, BatchingWindowSecondsRange},
	{"maximumConcurrency", func(c *Config) *int { return &c.MaximumConcurrency }, MaximumConcurrencyRange},
	{"recordConcurrency", func(c *Config) *int { return &c.RecordConcurrency }, RecordConcurrencyRange},
	{"maxReceiveCount", func(c *Config) *int { return &c.MaxReceiveCount }, MaxReceiveCountRange},
	{"bodyRetentionDays", func(c *Config) *int { return &c.BodyRetentionDays }, BodyRetentionDaysRange},
	{"quarantineDays", func(c *Config) *int { return &c.QuarantineDays }, QuarantineDaysRange},
	{"throttlingBurstLimit", func(c *Config) *int { return &c.ThrottlingBurstLimit }, ThrottlingBurstLimitRange},
	{"throttlingRateLimit", func(c *Config) *int { return &c.ThrottlingRateLimit }, ThrottlingRateLimitRange},
	{"alarmQueueAgeSeconds", func(c *Config) *int { return &c.Alarms.QueueAgeSeconds }, AlarmQueueAgeSecondsRange},
	{"alarmFunctionErrorsThreshold", func(c *Config) *int { return &c.Alarms.FunctionErrorsThreshold }, AlarmThresholdRange},
	{"alarmFunctionThrottlesThreshold", func(c *Config) *int { return &c.Alarms.FunctionThrottlesThreshold }, AlarmThresholdRange},
	{"alarmRejectedThreshold", func(c *Config) *int { return &c.Alarms.RejectedThreshold }, AlarmThresholdRange},
	{"alarmConflictThreshold", func(c *Config) *int { return &c.Alarms.ConflictThreshold }, AlarmThresholdRange},
	{"alarmApi5xxThreshold", func(c *Config) *int { return &c.Alarms.API5xxThreshold }, AlarmThresholdRange},
}

// Load reads and validates the configuration of stack in the namespace
// project from v, all but the secrets (see Secrets).
func Load(project, stack string, v Values) (Config, error) {
	r := reader{v: v, ns: project}
	cfg := Defaults()

	var err error
	if cfg.Sources, err = r.sources(); err != nil {
		return Config{}, err
	}
	for _, s := range intSettings {
		if err := r.intInRange(s.key, s.field(&cfg), s.r); err != nil {
			return Config{}, err
		}
	}
	if err := r.intInRange("logRetentionDays", &cfg.LogRetentionDays, Range{0, logRetentionValues[len(logRetentionValues)-1]}); err != nil {
		return Config{}, err
	}
	if err := CheckLogRetention(r.key("logRetentionDays"), cfg.LogRetentionDays); err != nil {
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
		{"disableExecuteApiEndpoint", &cfg.DisableExecuteAPIEndpoint},
	}
	for _, s := range bools {
		if err := r.boolean(s.key, s.dst); err != nil {
			return Config{}, err
		}
	}
	if cfg.BatchSize > MaxUnwindowedBatchSize && cfg.BatchingWindowSeconds < 1 {
		return Config{}, fmt.Errorf("%s = %d needs %s of at least 1 (Lambda requires a batching window for batches over %d): set it, or lower the batch size",
			r.key("batchSize"), cfg.BatchSize, r.key("batchingWindowSeconds"), MaxUnwindowedBatchSize)
	}
	if i := QuarantineWithoutStack(cfg.Sources, cfg.Quarantine()); i >= 0 {
		return Config{}, fmt.Errorf("%s[%d].quarantine is true, but %s is 0 (no quarantine): set %s between 1 and %d, or remove the key (pulumi config rm --path 'sources[%d].quarantine')",
			r.key("sources"), i, r.key("quarantineDays"), r.key("quarantineDays"), QuarantineDaysRange.Hi, i)
	}
	if err := CheckSourceThrottling(r.key("sources"), cfg.Sources); err != nil {
		return Config{}, err
	}
	if cfg.Domain, err = r.domain("domain"); err != nil {
		return Config{}, err
	}
	if cfg.DisableExecuteAPIEndpoint && cfg.Domain == nil {
		return Config{}, fmt.Errorf("%s is true, but %s is not set, so nothing could reach the API: set the domain (pulumi config set --path 'domain.name' hooks.example.com, and its hostedZoneId or certificateArn), or set %s to false",
			r.key("disableExecuteApiEndpoint"), r.key("domain"), r.key("disableExecuteApiEndpoint"))
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
	bus := ""
	if cfg.EventBus {
		bus = StackName(project, stack)
	}
	if n := EnvironmentBytes(cfg.Sources, PathPrefix(project, stack), bus, cfg.Quarantine()); n > MaxEnvironmentBytes {
		return Config{}, fmt.Errorf("%s: %d sources need %d bytes of Lambda environment, over its %d-byte limit: split the sources across stacks",
			r.key("sources"), len(cfg.Sources), n, MaxEnvironmentBytes)
	}
	return cfg, nil
}
