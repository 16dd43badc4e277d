package ingest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// EventBridgeOptions configures the hand-off's EventBridge client; pass it to
// eventbridge.NewFromConfig. It sets the quick retry policy of newRetryer for
// whole calls; handoff.Publisher resends the entries of an accepted call.
func EventBridgeOptions(o *eventbridge.Options) {
	o.Retryer = newRetryer()
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
