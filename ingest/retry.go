package ingest

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// Retry policy of the handler's AWS calls inside one invocation. SQS
// redelivery is the real retry: its visibility timeout is a far longer
// backoff than a Lambda can afford to sleep, and a record given up is never
// lost. So the SDK makes one quick second attempt to absorb a lone 500,
// throttle or reset connection, and no more: a second failure means trouble
// that waiting inside the invocation would only turn into a timed-out batch.
const (
	maxAttempts = 2
	maxBackoff  = 500 * time.Millisecond
)

// newRetryer returns a retryer with that policy, for S3Options and
// EventBridgeOptions.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.MaxBackoff = maxBackoff
	})
}
