package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
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
	maxMetaSourceIP  = 64
)

// objectMetadata returns the user metadata of a stored delivery (names in
// contract), whose body has the SHA-256 digest sum. Empty values are left
// out, as is a zero (unknown) received time.
func objectMetadata(source, id, topic, messageID, sourceIP string, received time.Time, sum [sha256.Size]byte) map[string]string {
	m := make(map[string]string, 8)
	m[contract.MetaBodySHA256] = hex.EncodeToString(sum[:])
	var truncated []string
	add := func(name, value string, limit int) {
		if value == "" {
			return
		}
		v, cut := metaValue(value, limit)
		m[name] = v
		if cut {
			truncated = append(truncated, name)
		}
	}
	add(contract.MetaSource, source, maxMetaSource)
	add(contract.MetaWebhookID, id, maxMetaID)
	add(contract.MetaTopic, topic, maxMetaTopic)
	add(contract.MetaMessageID, messageID, maxMetaMessageID)
	add(contract.MetaSourceIP, sourceIP, maxMetaSourceIP)
	if !received.IsZero() {
		m[contract.MetaReceivedAt] = received.UTC().Format(contract.ReceivedAtLayout)
	}
	if truncated != nil {
		m[contract.MetaTruncated] = strings.Join(truncated, ",")
	}
	return m
}

// metaValue encodes s with contract.EncodeMetaValue and cuts the result to at
// most limit bytes without splitting a %XX escape; cut reports whether it
// did. A cut value decodes to a byte prefix of s. The object key, not this
// value, identifies the delivery.
func metaValue(s string, limit int) (v string, cut bool) {
	v = contract.EncodeMetaValue(s)
	if len(v) <= limit {
		return v, false
	}
	end := limit
	// '%' only ever starts an escape in encoded text.
	if i := strings.LastIndexByte(v[:end], '%'); i >= 0 && i+3 > end {
		end = i
	}
	return v[:end], true
}
