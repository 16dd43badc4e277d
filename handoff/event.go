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

	"github.com/webhook-ingest/webhook-ingest/contract"
)

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
	// ReceivedAt is when the delivery was received. It is published in UTC
	// with contract.ReceivedAtLayout (always three fractional digits), as the
	// stored object's metadata carries it.
	ReceivedAt time.Time `json:"receivedAt"`
}

// MarshalJSON encodes the event as its detail: the fields under their JSON
// names, with receivedAt in UTC and contract.ReceivedAtLayout, so that
// "2026-11-28T12:04:30.000Z" keeps its zeros (time.Time's own encoding would
// write "2026-11-28T12:04:30Z") and every event's time has one form and
// length. Decoding needs nothing of its own: time.Time parses the layout.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		ReceivedAt string `json:"receivedAt"`
	}{plain: plain(e), ReceivedAt: e.ReceivedAt.UTC().Format(contract.ReceivedAtLayout)})
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
	detail, err := json.Marshal(e)
	if err != nil {
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("encode event of %s: %w", e.Key, err)
	}
	dt := e.DetailType()
	ent := types.PutEventsRequestEntry{
		Source:       aws.String(contract.EventSource),
		DetailType:   aws.String(dt),
		Detail:       aws.String(string(detail)),
		EventBusName: aws.String(bus),
	}
	return ent, len(contract.EventSource) + len(dt) + len(detail), nil
}
