package ingest

import (
	"strings"
	"time"
)

// Object metadata keys. S3 stores them as user metadata and returns them as
// x-amz-meta-<key> headers.
const (
	// MetaSource is the configured source name, also the key's prefix.
	MetaSource = "source"
	// MetaWebhookID is the delivery id the key was derived from.
	MetaWebhookID = "webhook-id"
	// MetaTopic is the sender's event type, when it sends one.
	MetaTopic = "topic"
	// MetaMessageID is the SQS message id of the delivery that stored it.
	MetaMessageID = "sqs-message-id"
	// MetaReceivedAt is when the message entered the queue (SQS
	// SentTimestamp), RFC 3339 in UTC with millisecond precision.
	MetaReceivedAt = "received-at"
	// MetaTruncated lists, comma-separated, the keys whose values were cut.
	MetaTruncated = "truncated"
)

// Upper bounds on encoded metadata values. S3 allows 2 KB of user metadata
// per object, keys included; these keep the worst case near 700 bytes, so
// the object fits with room to spare even in stores that count the
// x-amz-meta- prefixes or other headers against the same limit.
const (
	maxMetaSource    = 64
	maxMetaID        = 256
	maxMetaTopic     = 256
	maxMetaMessageID = 128
)

// objectMetadata returns the user metadata of a stored delivery. Values are
// made safe with metaValue; a zero received time (unknown) is left out, as
// are empty values.
func objectMetadata(source, id, topic, messageID string, received time.Time) map[string]string {
	m := make(map[string]string, 6)
	var truncated []string
	add := func(key, value string, limit int) {
		if value == "" {
			return
		}
		v, cut := metaValue(value, limit)
		m[key] = v
		if cut {
			truncated = append(truncated, key)
		}
	}
	add(MetaSource, source, maxMetaSource)
	add(MetaWebhookID, id, maxMetaID)
	add(MetaTopic, topic, maxMetaTopic)
	add(MetaMessageID, messageID, maxMetaMessageID)
	if !received.IsZero() {
		m[MetaReceivedAt] = received.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	if truncated != nil {
		m[MetaTruncated] = strings.Join(truncated, ",")
	}
	return m
}

// metaValue percent-encodes (RFC 3986 %XX, upper-case hex) every byte of s
// outside '!'..'~' and '%' itself, so the value is printable ASCII that HTTP
// neither trims nor rejects, and any percent-decoder restores it exactly.
// Encoded values longer than limit are cut before limit without splitting an
// escape; cut reports it. The object key, not this value, identifies the
// delivery.
func metaValue(s string, limit int) (v string, cut bool) {
	if len(s) <= limit && !strings.ContainsFunc(s, needsEscape) {
		return s, false
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(min(3*len(s), limit))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !needsEscape(rune(c)) {
			if b.Len()+1 > limit {
				return b.String(), true
			}
			b.WriteByte(c)
			continue
		}
		if b.Len()+3 > limit {
			return b.String(), true
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	return b.String(), false
}

// needsEscape reports whether metaValue encodes c; any rune beyond ASCII is
// encoded byte by byte.
func needsEscape(c rune) bool {
	return c <= ' ' || c >= 0x7f || c == '%'
}
