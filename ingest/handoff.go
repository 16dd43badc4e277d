package ingest

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// EventBridge retry policy inside one invocation, for the same reason as S3's
// (see S3Options): SQS redelivery is the real retry.
const (
	eventBridgeMaxAttempts = 2
	eventBridgeMaxBackoff  = 500 * time.Millisecond
)

// EventBridgeOptions configures the hand-off's EventBridge client; pass it to
// eventbridge.NewFromConfig when the client is built at cold start. It makes
// one quick second attempt at a failed PutEvents call and no more
// (AWS_MAX_ATTEMPTS still overrides the attempt count); entries EventBridge
// fails within an accepted call are resent by handoff.Publisher.
func EventBridgeOptions(o *eventbridge.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = eventBridgeMaxAttempts
		so.MaxBackoff = eventBridgeMaxBackoff
	})
}

// handOff publishes the event of a stored or duplicate record. A failure
// makes the record a retry: the redelivery finds the object stored, ends as a
// duplicate and publishes again.
func (p *Processor) handOff(ctx context.Context, res result, ev handoff.Event) result {
	res.handedOff = true
	if err := p.Publisher.Publish(ctx, ev); err != nil {
		if ctx.Err() != nil {
			return res.end(Retry, contract.ReasonDeadline, reasonDeadline)
		}
		return res.end(Retry, contract.ReasonPublishFailed, "hand-off: "+err.Error())
	}
	res.published = true
	return res
}
