// Package handoff tells consumers about stored webhooks: one EventBridge event
// per webhook, published by the handler after the S3 write and again by
// replay, so that teams subscribe by topic with a rule instead of polling S3.
//
// Every event has Source EventSource and detail-type the webhook's topic, and
// its detail is an Event encoded as JSON. A consumer's rule looks like
//
//	{"source": ["webhook-ingest"], "detail-type": ["orders/create"], "detail": {"source": ["shop"]}}
package handoff

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// EventSource is the Source of every event. It is one fixed name rather than
// one per sender so that the publisher's IAM policy can pin it with the
// events:source condition; consumers tell senders apart by detail.source.
const EventSource = "webhook-ingest"

// DefaultDetailType is the detail-type of a webhook whose sender gave no topic.
const DefaultDetailType = "webhook"

// maxDetailTypeLen is EventBridge's limit on a detail-type, in characters.
const maxDetailTypeLen = 128

// Event is the detail of one hand-off event: where a stored webhook is and
// what it is. Its JSON field names are the event's public shape.
type Event struct {
	// Source is the configured sender name.
	Source string `json:"source"`
	// Topic is the sender's topic exactly as sent, "" when it has none.
	Topic string `json:"topic"`
	// WebhookID is the sender's delivery id.
	WebhookID string `json:"webhookId"`
	// Bucket and Key locate the stored body.
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// Size is the body's length in bytes.
	Size int64 `json:"size"`
	// ReceivedAt is when the delivery was received; it is published in UTC.
	ReceivedAt time.Time `json:"receivedAt"`
}

// DetailType returns the event's detail-type: the topic made acceptable to
// EventBridge, which wants 1 to 128 characters. Control characters are
// dropped, invalid UTF-8 becomes U+FFFD, surrounding space is trimmed, a long
// topic is cut to 128 UTF-16 code units (never more characters by any count),
// and an empty result is DefaultDetailType. detail.topic keeps the topic as
// sent, for consumers whose topics are not plain.
func (e Event) DetailType() string {
	t := strings.ToValidUTF8(e.Topic, "\uFFFD")
	t = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, t)
	t = strings.TrimSpace(t)
	units := 0
	for i, r := range t {
		units += utf16.RuneLen(r)
		if units > maxDetailTypeLen {
			t = strings.TrimRightFunc(t[:i], unicode.IsSpace)
			break
		}
	}
	if t == "" {
		return DefaultDetailType
	}
	return t
}

// entry builds the PutEvents entry of e for bus and returns it with its size
// as EventBridge counts it: Source, DetailType and Detail in UTF-8.
func (e Event) entry(bus string) (types.PutEventsRequestEntry, int, error) {
	e.ReceivedAt = e.ReceivedAt.UTC()
	detail, err := json.Marshal(e)
	if err != nil {
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("encode event of %s: %w", e.Key, err)
	}
	dt := e.DetailType()
	ent := types.PutEventsRequestEntry{
		Source:       aws.String(EventSource),
		DetailType:   aws.String(dt),
		Detail:       aws.String(string(detail)),
		EventBusName: aws.String(bus),
	}
	return ent, len(EventSource) + len(dt) + len(detail), nil
}
