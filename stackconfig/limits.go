package stackconfig

import (
	"fmt"
	"slices"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Range is the inclusive range of values an integer setting accepts. The
// stack configuration and the components' own Args checks use the same
// ranges, so each bound is written once.
type Range struct{ Lo, Hi int }

// Check reports whether field's value v lies in r.
func (r Range) Check(field string, v int) error {
	if v < r.Lo || v > r.Hi {
		return fmt.Errorf("%s = %d is out of range: set it between %d and %d", field, v, r.Lo, r.Hi)
	}
	return nil
}

// Lambda architectures (the values AWS accepts in a function's
// Architectures).
const (
	ArchARM64 = "arm64"
	ArchX8664 = "x86_64"
)

// Defaults of the function and its event source mapping. A handler that is
// CPU-bound at 128 MB is why memory defaults to 512 (see
// docs/infrastructure.md).
const (
	DefaultMemorySize         = 512
	DefaultTimeoutSeconds     = 30
	DefaultBatchSize          = 10
	DefaultMaximumConcurrency = 5
)

// Ranges of the function and its event source mapping that Lambda accepts.
var (
	MemorySizeRange            = Range{128, 10240}
	TimeoutSecondsRange        = Range{1, 900}
	BatchSizeRange             = Range{1, 10000}
	BatchingWindowSecondsRange = Range{0, 300}
	// Lambda's ScalingConfig accepts 2 to 1000 concurrent invocations.
	MaximumConcurrencyRange = Range{2, 1000}
	RecordConcurrencyRange  = Range{1, contract.MaxConcurrency}
)

// MaxUnwindowedBatchSize is the largest batch Lambda takes from a standard
// queue without a batching window.
const MaxUnwindowedBatchSize = 10

// MaxMessageBytes is the queues' MaximumMessageSize: the most bytes of body
// and message attributes one webhook may take. SQS accepts up to 1 MiB
// (1048576) since August 2025, but pulumi-aws v6 (the newest major the
// module proxy serves here) still validates maxMessageSize against the old
// 256 KiB ceiling and rejects larger values at preview (pulumi-aws#6321;
// fixed upstream only in the v6 Terraform provider, i.e. pulumi-aws v7).
// Raise this to 1048576 when the module moves to pulumi-aws v7.
const MaxMessageBytes = 262144

// QueueRetentionSeconds is how long the queue keeps a message, decided in
// contract (the handler relies on it).
const QueueRetentionSeconds = int(contract.QueueRetention / time.Second)

// DefaultMaxReceiveCount is how many receives a message gets before it moves
// to the dead-letter queue unless configured otherwise.
const DefaultMaxReceiveCount = 5

// MaxReceiveCountRange bounds the receives before a message moves to the
// dead-letter queue; Lambda's SQS guide asks for at least 5.
var MaxReceiveCountRange = Range{5, 1000}

// BodyRetentionDaysRange bounds how long bodies are kept: 0 (forever) to a
// hundred years. QuarantineDaysRange bounds how long quarantined records are
// kept: 0 (no quarantine) to a year, long enough to notice and fix any
// configuration mistake, short enough that what anyone may post to a public
// URL does not pile up for ever.
var (
	BodyRetentionDaysRange = Range{0, 36500}
	QuarantineDaysRange    = Range{0, 365}
)

// DefaultQuarantineDays is how long the stack keeps quarantined records
// unless configured otherwise.
const DefaultQuarantineDays = 14

// DefaultLogRetentionDays is how long the stack keeps its logs unless
// configured otherwise.
const DefaultLogRetentionDays = 30

// Defaults of the stage's throttling, per route; a source's own
// throttlingBurstLimit and throttlingRateLimit replace them on its route.
const (
	DefaultThrottlingBurstLimit = 200
	DefaultThrottlingRateLimit  = 100
)

// Ranges of the stage's throttling that API Gateway accepts, for the stack
// and for each source.
var (
	ThrottlingBurstLimitRange = Range{1, 5000}
	ThrottlingRateLimitRange  = Range{1, 10000}
)

// CheckSourceThrottling reports the first source whose own throttling is out
// of range, naming its field under key, the sources' key
// ("webhook-ingest:sources" gives "webhook-ingest:sources[1].throttlingRateLimit").
func CheckSourceThrottling(key string, sources []contract.ResolvedSource) error {
	for i, s := range sources {
		for _, f := range []struct {
			name  string
			value *int
			r     Range
		}{
			{"throttlingRateLimit", s.Source.ThrottlingRateLimit, ThrottlingRateLimitRange},
			{"throttlingBurstLimit", s.Source.ThrottlingBurstLimit, ThrottlingBurstLimitRange},
		} {
			if f.value == nil {
				continue
			}
			if err := f.r.Check(fmt.Sprintf("%s[%d].%s", key, i, f.name), *f.value); err != nil {
				return err
			}
		}
	}
	return nil
}

// DefaultAlarmQueueAgeSeconds is the queue-age alarm's default threshold.
const DefaultAlarmQueueAgeSeconds = 900

// Ranges of the alarm settings: the queue's age from a minute to the queue's
// retention (an older message has expired), and count thresholds far above
// anything one stack sees in five minutes.
var (
	AlarmQueueAgeSecondsRange = Range{60, QueueRetentionSeconds}
	AlarmThresholdRange       = Range{0, 1000000}
)

// logRetentionValues are the retention periods CloudWatch Logs accepts; 0
// keeps events forever.
var logRetentionValues = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// CheckLogRetention reports whether field's value v is a retention
// CloudWatch Logs accepts.
func CheckLogRetention(field string, v int) error {
	if !slices.Contains(logRetentionValues, v) {
		return fmt.Errorf("%s = %d is not a retention CloudWatch Logs accepts: use one of %v (0 keeps logs forever)", field, v, logRetentionValues)
	}
	return nil
}
