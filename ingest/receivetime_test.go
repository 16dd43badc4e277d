package ingest_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

func withRequestTime(m events.SQSMessage, value string) events.SQSMessage {
	return withAttr(m, contract.AttrRequestTime, value)
}

func unixMs(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// TestReceiveTime checks which time the replay window and the received-at
// metadata use: API Gateway's request time when the record has a usable
// request-time attribute, else SQS's SentTimestamp, with a warning on the
// record's line when the attribute is there but unusable.
func TestReceiveTime(t *testing.T) {
	now := time.Now().Truncate(time.Millisecond)
	earlier := now.Add(-10 * time.Minute) // twice the standard-webhooks tolerance
	const body = `{"type":"invoice.paid"}`
	// A standard-webhooks delivery signed at signed, entering the queue at
	// sent (zero: no SentTimestamp).
	delivery := func(signed, sent time.Time) events.SQSMessage {
		return message("m-1", body, sent, standardAttrs("msg_1", signed, body))
	}
	binary := delivery(now, now)
	binary.MessageAttributes[contract.AttrRequestTime] = events.SQSMessageAttribute{DataType: "Binary", BinaryValue: []byte(unixMs(now))}

	type receiveCase struct {
		name     string
		rec      events.SQSMessage
		outcome  ingest.Outcome
		code     string
		received time.Time // the received-at metadata, when stored
		warning  bool
	}
	cases := []receiveCase{
		{
			name:    "redriven: old request time and fresh SentTimestamp verify",
			rec:     withRequestTime(delivery(earlier, now), unixMs(earlier)),
			outcome: ingest.Stored, received: earlier,
		},
		{
			name:    "the same redriven delivery without a request time is stale",
			rec:     delivery(earlier, now),
			outcome: ingest.Rejected, code: contract.ReasonOutsideWindow,
		},
		{
			name:    "request time wins over a SentTimestamp in the window",
			rec:     withRequestTime(delivery(now, now), unixMs(now.Add(-time.Hour))),
			outcome: ingest.Rejected, code: contract.ReasonOutsideWindow,
		},
		{
			name:    "absent: SentTimestamp",
			rec:     delivery(now, now.Add(time.Second)),
			outcome: ingest.Stored, received: now.Add(time.Second),
		},
		{
			name:    "request time without SentTimestamp",
			rec:     withRequestTime(delivery(now, time.Time{}), unixMs(now)),
			outcome: ingest.Stored, received: now,
		},
		{
			name:    "untimed scheme: request time is the received-at",
			rec:     withRequestTime(message("m-1", body, now, genericAttrs("evt-1", "t", body)), unixMs(earlier)),
			outcome: ingest.Stored, received: earlier,
		},
		{
			name:    "garbage falls back to SentTimestamp, which judges the window",
			rec:     withRequestTime(delivery(earlier, now), "yesterday"),
			outcome: ingest.Rejected, code: contract.ReasonOutsideWindow, warning: true,
		},
		{
			name:    "garbage and no SentTimestamp",
			rec:     withRequestTime(delivery(now, time.Time{}), "yesterday"),
			outcome: ingest.Rejected, code: contract.ReasonMissingAttribute, warning: true,
		},
		{
			name:    "request time just after SentTimestamp, within clock skew",
			rec:     withRequestTime(delivery(now, now), unixMs(now.Add(2*time.Second))),
			outcome: ingest.Stored, received: now.Add(2 * time.Second),
		},
		{
			name:    "request time after SentTimestamp cannot be true",
			rec:     withRequestTime(delivery(now, now), unixMs(now.Add(time.Minute))),
			outcome: ingest.Stored, received: now, warning: true,
		},
		{
			name:    "redriven after 17 days: request time kept",
			rec:     withRequestTime(delivery(now.Add(-17*24*time.Hour), now), unixMs(now.Add(-17*24*time.Hour))),
			outcome: ingest.Stored, received: now.Add(-17 * 24 * time.Hour),
		},
		{
			name:    "request time older than both queues keep a message cannot be true",
			rec:     withRequestTime(delivery(now, now), unixMs(now.Add(-contract.QueueRetention-contract.DeadLetterRetention-time.Minute))),
			outcome: ingest.Stored, received: now, warning: true,
		},
		{
			name:    "binary request-time attribute",
			rec:     binary,
			outcome: ingest.Stored, received: now, warning: true,
		},
	}
	// 253402300800000 is 10000-01-01T00:00:00Z: a valid int64, but a time
	// that neither the received-at metadata nor a hand-off event can carry.
	for _, garbage := range []string{"", "yesterday", "0", "-1", "1.7e12", "1795903230101.5", " 1795903230101", "99999999999999999999", "253402300800000", "0x1a2b"} {
		cases = append(cases, receiveCase{
			name:    "garbage " + strconv.Quote(garbage) + " falls back to SentTimestamp",
			rec:     withRequestTime(delivery(now, now.Add(2*time.Second)), garbage),
			outcome: ingest.Stored, received: now.Add(2 * time.Second), warning: true,
		})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			resp, lines := h.handle(tc.rec)
			got := outcomes(t, []events.SQSMessage{tc.rec}, resp, lines)[tc.rec.MessageId]
			if got.Outcome != string(tc.outcome) || got.ReasonCode != tc.code {
				t.Fatalf("outcome %q %q (%s), want %q %q", got.Outcome, got.ReasonCode, got.Reason, tc.outcome, tc.code)
			}
			if tc.warning != (got.Warning != "") || (tc.warning && got.Level != "WARN") {
				t.Errorf("warning %q at level %s, want a warning: %v", got.Warning, got.Level, tc.warning)
			}
			if tc.outcome != ingest.Stored {
				return
			}
			_, out, ok := h.object(got.Key)
			if !ok {
				t.Fatalf("nothing stored at %q", got.Key)
			}
			want := tc.received.UTC().Format(contract.ReceivedAtLayout)
			if at := out.Metadata[contract.MetaReceivedAt]; at != want {
				t.Errorf("received-at %q, want %q", at, want)
			}
		})
	}
}
