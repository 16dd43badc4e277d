package contract

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// QuarantinePrefix starts the key of every quarantined record. It holds '_',
// which no source name does, so it lies outside every source's prefix and no
// consumer of a source ever lists a quarantined body.
const QuarantinePrefix = "_quarantine/"

// unknownSourceSegment stands for a source attribute that is not a valid
// source name in a quarantine key.
const unknownSourceSegment = "_unknown"

// Names of the two objects that make up one quarantined record under its
// QuarantineDir.
const (
	// QuarantineBody is the body exactly as received.
	QuarantineBody = "body"
	// QuarantineRecordFile is the QuarantineRecord as JSON: what
	// re-verification needs besides the body.
	QuarantineRecordFile = "record.json"
)

// QuarantineDir returns the key prefix of one quarantined record, ending in
// '/': "_quarantine/<source>/<message id>/". It depends only on the record's
// source attribute and SQS message id, so a redelivery maps to the same keys.
// A source that is not a valid name becomes "_unknown", and a message id that
// is not plain becomes "~<sha256>", as in ObjectKey.
func QuarantineDir(source, messageID string) string {
	if ValidateSourceName(source) != nil {
		source = unknownSourceSegment
	}
	return QuarantineSourcePrefix(source) + idSegment(messageID) + "/"
}

// QuarantineSourcePrefix returns the prefix under which the records whose
// source attribute was source are quarantined.
func QuarantineSourcePrefix(source string) string {
	return QuarantinePrefix + source + "/"
}

// QuarantineRecord is what the handler knew of a record it quarantined, so
// that the record can be verified again later exactly as it first was.
type QuarantineRecord struct {
	// Source is the record's source attribute, configured or not.
	Source string `json:"source"`
	// MessageID is the SQS message id.
	MessageID string `json:"messageId"`
	// ReceivedAt is the receive time the record was judged against (zero
	// when it had none).
	ReceivedAt time.Time `json:"receivedAt,omitzero"`
	// ReasonCode is one of RejectReasons or ReasonConflict, and Reason
	// the handler's text.
	ReasonCode string `json:"reasonCode"`
	Reason     string `json:"reason"`
	// Config is the source's configuration when the record was received,
	// nil for an unknown source.
	Config *Source `json:"config,omitempty"`
	// Attributes are the record's message attributes with a string value,
	// as SQS delivered them.
	Attributes map[string]string `json:"attributes"`
	// Size is the length of the body in bytes.
	Size int64 `json:"size"`
}

// MarshalJSON writes ReceivedAt in UTC with ReceivedAtLayout, as the stored
// objects' metadata does.
func (q QuarantineRecord) MarshalJSON() ([]byte, error) {
	type plain QuarantineRecord
	out := struct {
		plain
		ReceivedAt string `json:"receivedAt,omitempty"`
	}{plain: plain(q)}
	if !q.ReceivedAt.IsZero() {
		out.ReceivedAt = q.ReceivedAt.UTC().Format(ReceivedAtLayout)
	}
	return json.Marshal(out)
}

// ParseQuarantineRecord decodes a QuarantineRecordFile.
func ParseQuarantineRecord(b []byte) (QuarantineRecord, error) {
	var q QuarantineRecord
	if err := json.Unmarshal(b, &q); err != nil {
		return QuarantineRecord{}, fmt.Errorf("quarantine record: %w", err)
	}
	if q.MessageID == "" || q.ReasonCode == "" {
		return QuarantineRecord{}, fmt.Errorf("quarantine record: no messageId or reasonCode")
	}
	if q.Attributes == nil {
		q.Attributes = map[string]string{}
	}
	return q, nil
}

// IsQuarantineBody reports whether key is the body object of a quarantined
// record, and returns the record's directory.
func IsQuarantineBody(key string) (dir string, ok bool) {
	dir, ok = strings.CutSuffix(key, QuarantineBody)
	return dir, ok && strings.HasPrefix(dir, QuarantinePrefix) && strings.Count(dir, "/") == 3 && strings.HasSuffix(dir, "/")
}
