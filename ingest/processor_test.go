package ingest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

// hostileIDs are delivery ids a sender (or an attacker with a valid secret)
// could send; each must be stored inside its source's prefix.
var hostileIDs = map[string]string{
	"slash":         "/",
	"dotdot":        "..",
	"dot":           ".",
	"traversal":     "../../other-source/evt",
	"inner slash":   "a/b",
	"unicode":       "ü-日本-🎉",
	"2 KB":          strings.Repeat("x", 2048),
	"control chars": "a\x00b\r\nc\x7f\x1b[31m",
	"leading space": " evt-1",
	"escaped dots":  "%2e%2e",
	"tilde":         "~" + strings.Repeat("a", 64),
	"invalid utf-8": "evt-\xff\xfe",
}

func withAttr(m events.SQSMessage, name, value string) events.SQSMessage {
	m.MessageAttributes[name] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(value)}
	return m
}

func withoutAttr(m events.SQSMessage, name string) events.SQSMessage {
	delete(m.MessageAttributes, name)
	return m
}

type outcomeCase struct {
	name    string
	before  []events.SQSMessage // handled first, to set up duplicates
	rec     events.SQSMessage
	outcome ingest.Outcome
	reason  string // prefix of the logged reason
	code    string // the logged reason code (contract.Reason*)
	key     string // where the body must be, for stored and duplicate
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestHandleOutcomes(t *testing.T) {
	now := time.Now()
	const body = `{"order":42,"total":"9.99"}`
	generic := func(id string) events.SQSMessage {
		return message("m-1", body, now, genericAttrs(id, "orders/create", body))
	}
	mustKey := func(source, id string) string {
		k, err := contract.ObjectKey(source, id)
		if err != nil {
			t.Fatalf("ObjectKey(%q, %q): %v", source, id, err)
		}
		return k
	}
	stripeBody := `{"id":"evt_1Nq","type":"invoice.paid","data":{}}`
	noIDBody := `{"type":"invoice.paid"}`
	tampered := generic("evt-1")
	tampered.Body = `{"order":43,"total":"9.99"}`

	cases := []outcomeCase{
		{name: "generic stored", rec: generic("evt-1"), outcome: ingest.Stored, key: "orders/evt-1"},
		{name: "generic non-JSON body", rec: message("m-1", "a=1&b=\x00\xff", now, genericAttrs("evt-2", "t", "a=1&b=\x00\xff")), outcome: ingest.Stored, key: "orders/evt-2"},
		{name: "empty body", rec: message("m-1", "", now, genericAttrs("evt-3", "t", "")), outcome: ingest.Stored, key: "orders/evt-3"},
		{name: "no topic", rec: withoutAttr(generic("evt-4"), contract.AttrTopic), outcome: ingest.Stored, key: "orders/evt-4"},
		{name: "no SentTimestamp, untimed scheme", rec: message("m-1", body, time.Time{}, genericAttrs("evt-5", "t", body)), outcome: ingest.Stored, key: "orders/evt-5"},
		{name: "duplicate", before: []events.SQSMessage{generic("evt-1")}, rec: func() events.SQSMessage { m := generic("evt-1"); m.MessageId = "m-2"; return m }(), outcome: ingest.Duplicate, key: "orders/evt-1"},
		{name: "standard-webhooks stored", rec: message("m-1", body, now, standardAttrs("msg_2x", now, body)), outcome: ingest.Stored, key: "hooks/msg_2x"},
		{name: "stripe id and topic from body", rec: message("m-1", stripeBody, now, stripeAttrs(now, stripeBody)), outcome: ingest.Stored, key: "pay/evt_1Nq"},
		{name: "stripe body without id gets a derived id", rec: message("m-1", noIDBody, now, stripeAttrs(now, noIDBody)), outcome: ingest.Stored, key: mustKey(stripeSource, "sha256-"+sha256Hex(noIDBody))},

		{name: "unknown source", rec: withAttr(generic("evt-1"), contract.AttrSource, "nobody"), outcome: ingest.Rejected, reason: "unknown source", code: contract.ReasonUnknownSource},
		{name: "missing source", rec: withoutAttr(generic("evt-1"), contract.AttrSource), outcome: ingest.Rejected, reason: "unknown source", code: contract.ReasonUnknownSource},
		{name: "hostile source", rec: withAttr(generic("evt-1"), contract.AttrSource, "../orders"), outcome: ingest.Rejected, reason: "unknown source", code: contract.ReasonUnknownSource},
		{name: "missing signature", rec: withoutAttr(generic("evt-1"), contract.AttrSignature), outcome: ingest.Rejected, reason: contract.ErrMissingSignature.Error(), code: contract.ReasonMissingSignature},
		{name: "empty signature", rec: withAttr(generic("evt-1"), contract.AttrSignature, ""), outcome: ingest.Rejected, reason: contract.ErrMissingSignature.Error(), code: contract.ReasonMissingSignature},
		{name: "signature not hex", rec: withAttr(generic("evt-1"), contract.AttrSignature, "zz"+strings.Repeat("0", 62)), outcome: ingest.Rejected, reason: contract.ErrMalformedSignature.Error(), code: contract.ReasonMalformedSignature},
		{name: "signature wrong length", rec: withAttr(generic("evt-1"), contract.AttrSignature, "abcd"), outcome: ingest.Rejected, reason: contract.ErrMalformedSignature.Error(), code: contract.ReasonMalformedSignature},
		{name: "signature by another secret", rec: withAttr(generic("evt-1"), contract.AttrSignature, strings.Repeat("ab", 32)), outcome: ingest.Rejected, reason: contract.ErrNoMatchingSecret.Error(), code: contract.ReasonNoMatchingSecret},
		{name: "tampered body", rec: tampered, outcome: ingest.Rejected, reason: contract.ErrNoMatchingSecret.Error(), code: contract.ReasonNoMatchingSecret},
		{name: "missing webhook id", rec: withoutAttr(generic("evt-1"), contract.AttrWebhookID), outcome: ingest.Rejected, reason: "unusable id: empty webhook id", code: contract.ReasonUnusableID},
		{name: "blank webhook id", rec: generic("  \t"), outcome: ingest.Rejected, reason: "unusable id: empty webhook id", code: contract.ReasonUnusableID},
		{name: "standard-webhooks old timestamp", rec: message("m-1", body, now, standardAttrs("msg_1", now.Add(-time.Hour), body)), outcome: ingest.Rejected, reason: contract.ErrOutsideWindow.Error(), code: contract.ReasonOutsideWindow},
		{name: "standard-webhooks timestamp judged by SentTimestamp, not now", rec: message("m-1", body, now.Add(-2*time.Hour), standardAttrs("msg_3", now.Add(-2*time.Hour), body)), outcome: ingest.Stored, key: "hooks/msg_3"},
		{name: "standard-webhooks missing timestamp", rec: withoutAttr(message("m-1", body, now, standardAttrs("msg_1", now, body)), contract.AttrTimestamp), outcome: ingest.Rejected, reason: contract.ErrMissingTimestamp.Error(), code: contract.ReasonMissingTimestamp},
		{name: "standard-webhooks timestamp not decimal", rec: withAttr(message("m-1", body, now, standardAttrs("msg_1", now, body)), contract.AttrTimestamp, "12x"), outcome: ingest.Rejected, reason: contract.ErrMalformedTimestamp.Error(), code: contract.ReasonMalformedTimestamp},
		{name: "standard-webhooks missing SentTimestamp", rec: message("m-1", body, time.Time{}, standardAttrs("msg_1", now, body)), outcome: ingest.Rejected, reason: "missing receive time", code: contract.ReasonMissingAttribute},
		{name: "standard-webhooks unparsable SentTimestamp", rec: func() events.SQSMessage {
			m := message("m-1", body, now, standardAttrs("msg_1", now, body))
			m.Attributes["SentTimestamp"] = "yesterday"
			return m
		}(), outcome: ingest.Rejected, reason: "missing receive time", code: contract.ReasonMissingAttribute},
		{name: "standard-webhooks id not the signed one", rec: withAttr(message("m-1", body, now, standardAttrs("msg_1", now, body)), contract.AttrWebhookID, "msg_2"), outcome: ingest.Rejected, reason: contract.ErrNoMatchingSecret.Error(), code: contract.ReasonNoMatchingSecret},
		{name: "no attributes at all", rec: message("m-1", body, now, nil), outcome: ingest.Rejected, reason: "unknown source", code: contract.ReasonUnknownSource},
	}
	for name, id := range hostileIDs {
		cases = append(cases, outcomeCase{name: "hostile id " + name, rec: generic(id), outcome: ingest.Stored, key: mustKey(genericSource, id)})
		cases = append(cases, outcomeCase{name: "hostile signed id " + name, rec: message("m-1", body, now, standardAttrs(id, now, body)), outcome: ingest.Stored, key: mustKey(standardSource, id)})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			if len(tc.before) > 0 {
				h.handle(tc.before...)
			}
			resp, lines := h.handle(tc.rec)
			got := outcomes(t, []events.SQSMessage{tc.rec}, resp, lines)[tc.rec.MessageId]
			if got.Outcome != string(tc.outcome) || !strings.HasPrefix(got.Reason, tc.reason) || got.ReasonCode != tc.code {
				t.Fatalf("outcome %q reason %q (%q), want %q reason starting %q (%q)", got.Outcome, got.Reason, got.ReasonCode, tc.outcome, tc.reason, tc.code)
			}
			if tc.outcome == ingest.Rejected || tc.outcome == ingest.Retry {
				if keys := h.keys(); len(keys) != len(tc.before) {
					t.Fatalf("a %s record changed the bucket: %q", tc.outcome, keys)
				}
				return
			}
			if got.Key != tc.key {
				t.Fatalf("logged key %q, want %q", got.Key, tc.key)
			}
			source := aws.ToString(tc.rec.MessageAttributes[contract.AttrSource].StringValue)
			name, inPrefix := strings.CutPrefix(tc.key, source+"/")
			if !inPrefix || strings.Contains(name, "/") || name == "." || name == ".." {
				t.Fatalf("key %q leaves source %q's prefix", tc.key, source)
			}
			stored, _, ok := h.object(tc.key)
			if !ok {
				t.Fatalf("nothing stored at %q; bucket holds %q", tc.key, h.keys())
			}
			want := tc.rec.Body
			if len(tc.before) > 0 {
				want = tc.before[0].Body
			}
			if string(stored) != want {
				t.Fatalf("stored %q, want the exact body %q", stored, want)
			}
			if keys := h.keys(); len(keys) != 1 {
				t.Fatalf("bucket holds %q, want only %q", keys, tc.key)
			}
		})
	}
}

func TestStoredObjectMetadata(t *testing.T) {
	sent := time.Date(2026, 11, 28, 21, 25, 7, 123_000_000, time.UTC)
	longTopic := strings.Repeat("topic/é", 400)
	cases := []struct {
		name        string
		rec         events.SQSMessage
		contentType string
		meta        map[string]string // decoded values; "" keys must be absent
		truncated   string
	}{
		{
			name:        "json body",
			rec:         message("3f0c6d9e-0c1a-4b8e-9d5e-7a1b2c3d4e5f", `{"a":1}`, sent, genericAttrs("evt-1", "orders/create", `{"a":1}`)),
			contentType: "application/json",
			meta: map[string]string{
				contract.MetaSource: genericSource, contract.MetaWebhookID: "evt-1", contract.MetaTopic: "orders/create",
				contract.MetaMessageID: "3f0c6d9e-0c1a-4b8e-9d5e-7a1b2c3d4e5f", contract.MetaReceivedAt: "2026-11-28T21:25:07.123Z",
			},
		},
		{
			name:        "binary body, no SentTimestamp, no topic",
			rec:         withoutAttr(message("m-2", "\x00\x01binary", time.Time{}, genericAttrs("evt-2", "", "\x00\x01binary")), contract.AttrTopic),
			contentType: "application/octet-stream",
			meta:        map[string]string{contract.MetaSource: genericSource, contract.MetaWebhookID: "evt-2", contract.MetaMessageID: "m-2", contract.MetaTopic: "", contract.MetaReceivedAt: ""},
		},
		{
			name:        "non-ASCII and control characters are percent-encoded",
			rec:         message("m-3", `{}`, sent, genericAttrs("ü 100%\r\n", "naïve topic", `{}`)),
			contentType: "application/json",
			meta:        map[string]string{contract.MetaWebhookID: "ü 100%\r\n", contract.MetaTopic: "naïve topic"},
		},
		{
			name:        "2 KB id and 2.8 KB topic are truncated to fit S3's 2 KB",
			rec:         message("m-4", `{}`, sent, genericAttrs(strings.Repeat("i", 2048), longTopic, `{}`)),
			contentType: "application/json",
			meta:        map[string]string{contract.MetaSource: genericSource, contract.MetaMessageID: "m-4"},
			truncated:   "webhook-id,topic",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			resp, lines := h.handle(tc.rec)
			got := outcomes(t, []events.SQSMessage{tc.rec}, resp, lines)[tc.rec.MessageId]
			if got.Outcome != "stored" {
				t.Fatalf("outcome %q (%s), want stored", got.Outcome, got.Reason)
			}
			body, out, ok := h.object(got.Key)
			if !ok || string(body) != tc.rec.Body {
				t.Fatalf("stored %q (present %v), want %q", body, ok, tc.rec.Body)
			}
			if ct := aws.ToString(out.ContentType); ct != tc.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			total := 0
			for k, v := range out.Metadata {
				total += len("x-amz-meta-") + len(k) + len(v)
				for _, c := range []byte(v) {
					if c <= ' ' || c >= 0x7f {
						t.Errorf("metadata %s=%q holds byte %#x outside printable ASCII", k, v, c)
					}
				}
			}
			if total > 2048 {
				t.Errorf("user metadata takes %d bytes, over S3's 2 KB", total)
			}
			for k, want := range tc.meta {
				raw, present := out.Metadata[k]
				if want == "" {
					if present {
						t.Errorf("metadata %s=%q, want it absent", k, raw)
					}
					continue
				}
				dec, err := url.PathUnescape(raw)
				if err != nil || dec != want {
					t.Errorf("metadata %s=%q decodes to %q (%v), want %q", k, raw, dec, err, want)
				}
			}
			if tr := out.Metadata[contract.MetaTruncated]; tr != tc.truncated {
				t.Errorf("metadata truncated=%q, want %q", tr, tc.truncated)
			}
			if tc.truncated != "" {
				id, _ := url.PathUnescape(out.Metadata[contract.MetaWebhookID])
				topic, _ := url.PathUnescape(out.Metadata[contract.MetaTopic])
				if id == "" || !strings.HasPrefix(strings.Repeat("i", 2048), id) || topic == "" || !strings.HasPrefix(longTopic, topic) {
					t.Errorf("truncated values %q, %q are not prefixes of the originals", id, topic)
				}
			}
		})
	}
}
