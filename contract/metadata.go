package contract

import (
	"net/url"
	"strings"
)

// S3 user-metadata names the handler writes on every stored webhook (and,
// where noted, on quarantined records) and replay reads back with
// HeadObject. S3 sends them as x-amz-meta-<name> and
// the SDK returns them lower-cased, so they are lower-case here. Values are
// written with EncodeMetaValue and may be cut short to keep within S3's 2 KB
// limit on user metadata (MetaTruncated says which). Readers must cope with
// any of them being absent, as on an object stored by hand.
const (
	// MetaSource is the configured source name (also the key's prefix).
	MetaSource = "source"
	// MetaTopic is the sender's topic, absent when the sender has none.
	MetaTopic = "topic"
	// MetaWebhookID is the delivery id as the sender sent it; the key holds
	// it only when it is short and plain (see ObjectKey).
	MetaWebhookID = "webhook-id"
	// MetaMessageID is the SQS message id of the delivery that stored it.
	MetaMessageID = "sqs-message-id"
	// MetaReceivedAt is when the delivery was received: API Gateway's
	// request time (AttrRequestTime), else when it entered the queue (SQS's
	// SentTimestamp); in UTC, formatted with ReceivedAtLayout. Parse it with
	// time.RFC3339, which accepts any fraction of a second.
	MetaReceivedAt = "received-at"
	// MetaSourceIP is the address the delivery came from (AttrSourceIP).
	MetaSourceIP = "source-ip"
	// MetaTruncated lists, comma-separated, the names whose values were cut
	// short.
	MetaTruncated = "truncated"
	// MetaReasonCode is the reason code of a quarantined record, on both
	// of its objects, so that a listing needs no more than a HeadObject.
	MetaReasonCode = "reason-code"
	// MetaBodySHA256 is the lower-case hex SHA-256 of the body. A delivery
	// that finds its key taken compares it with its own body to tell a
	// duplicate from a conflict.
	MetaBodySHA256 = "body-sha256"
)

// ReceivedAtLayout is the time layout of MetaReceivedAt: RFC 3339 with
// milliseconds, the precision of both sources of the time, so that values
// sort as text and a replayed hand-off event carries the same time as the
// original.
const ReceivedAtLayout = "2006-01-02T15:04:05.000Z07:00"

// EncodeMetaValue makes s safe as a user-metadata value. S3 drops values that
// are not printable US-ASCII and HTTP trims surrounding spaces, so every byte
// outside '!'..'~' and every '%' is percent-encoded; DecodeMetaValue restores
// s exactly. Plain values such as "orders/create" are written unchanged.
func EncodeMetaValue(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// needsEscape reports whether a rune has bytes EncodeMetaValue escapes; every
// rune that is not printable ASCII (invalid UTF-8 included) does.
func needsEscape(r rune) bool { return r <= ' ' || r >= 0x7f || r == '%' }

// DecodeMetaValue reverses EncodeMetaValue. A value that is not valid percent
// encoding was not written by EncodeMetaValue and is returned as it is.
func DecodeMetaValue(v string) string {
	s, err := url.PathUnescape(v)
	if err != nil {
		return v
	}
	return s
}
