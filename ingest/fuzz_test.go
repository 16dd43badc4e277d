package ingest_test

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// FuzzHandleRecord sends one record with arbitrary attributes and body
// through the Processor and a healthy S3: it must end in exactly one outcome,
// never by a panic, never by a retry (a healthy S3 refusing a request means
// the Processor built a bad key or header), and a stored body must be the
// exact bytes. Seeds carry valid signatures, so that mutations of the id,
// topic and timestamp reach S3.
func FuzzHandleRecord(f *testing.F) {
	now := time.Now()
	sent := strconv.FormatInt(now.UnixMilli(), 10)
	add := func(attrs map[string]string, body string) {
		f.Add(attrs[contract.AttrSource], attrs[contract.AttrSignature], attrs[contract.AttrWebhookID],
			attrs[contract.AttrTopic], attrs[contract.AttrTimestamp], sent, body)
	}
	const body = `{"order":1}`
	add(genericAttrs("evt-1", "orders/create", body), body)
	add(genericAttrs("../../x", "ü\r\n", body), body)
	add(genericAttrs(strings.Repeat("i", 2048), strings.Repeat("t", 2048), body), body)
	add(genericAttrs("evt-2", "t", "\x00\xff"), "\x00\xff")
	add(standardAttrs("msg_1", now, body), body)
	add(stripeAttrs(now, `{"id":"evt_1","type":"x"}`), `{"id":"evt_1","type":"x"}`)
	add(stripeAttrs(now, `{"id":7,"type":["x"]}`), `{"id":7,"type":["x"]}`)
	add(map[string]string{contract.AttrSource: "nobody"}, body)

	h := newHarness(f, nil)
	f.Fuzz(func(t *testing.T, source, signature, id, topic, timestamp, sentMillis, body string) {
		attrs := map[string]string{}
		for name, v := range map[string]string{contract.AttrSource: source, contract.AttrSignature: signature,
			contract.AttrWebhookID: id, contract.AttrTopic: topic, contract.AttrTimestamp: timestamp} {
			if v != "" {
				attrs[name] = v
			}
		}
		rec := message("m-fuzz", body, time.Time{}, attrs)
		rec.Attributes["SentTimestamp"] = sentMillis

		// A harness and Processor of its own, so that its log holds this
		// record only and failures are reported against t.
		hh, p := *h, *h.proc
		hh.t, hh.proc, hh.logs = t, &p, new(bytes.Buffer)
		p.Logger = slog.New(slog.NewJSONHandler(hh.logs, nil))
		resp, lines := hh.handleCtx(t.Context(), rec)
		o := outcomes(t, []events.SQSMessage{rec}, resp, lines)["m-fuzz"]
		switch o.Outcome {
		case "retry":
			t.Fatalf("retry against a healthy S3: %s", o.Reason)
		case "stored", "duplicate":
			if !strings.HasPrefix(o.Key, source+"/") {
				t.Fatalf("key %q outside source %q's prefix", o.Key, source)
			}
			if o.Outcome == "stored" {
				if got, _, ok := hh.object(o.Key); !ok || string(got) != body {
					t.Fatalf("stored %q (present %v), want %q", got, ok, body)
				}
			}
		}
	})
}
