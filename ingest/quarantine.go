package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// refuse ends a record that failed the check v names: quarantined where the
// stack and its source keep failed records, else rejected (dropped). A
// conflict stays a conflict either way. A quarantine write that fails makes
// the record a retry, so that an S3 hiccup loses nothing.
func (p *Processor) refuse(ctx context.Context, res result, rec *events.SQSMessage, v verdict) result {
	outcome := Quarantined
	if v.code == contract.ReasonConflict {
		outcome = Conflict
	}
	// The source is looked up again here rather than carried in the
	// verdict, where a pointer to it would cost every record an allocation;
	// only a quarantined record's copy of its configuration escapes.
	src, known := p.Receivers[res.source]
	keep := p.Quarantine
	if known {
		keep = src.Source.Quarantines(p.Quarantine)
	}
	if !keep {
		if outcome == Quarantined {
			outcome = Rejected
		}
		return res.end(outcome, v.code, v.reason)
	}
	var config *contract.Source
	if known {
		c := src.Source
		config = &c
	}
	dir := contract.QuarantineDir(res.source, rec.MessageId)
	if err := p.quarantine(ctx, dir, rec, v, config); err != nil {
		if ctx.Err() != nil {
			return res.end(Retry, contract.ReasonDeadline, reasonDeadline)
		}
		return res.end(Retry, contract.ReasonQuarantineFailed, fmt.Sprintf("quarantine after %s: %v", v.code, err))
	}
	res.quarantined = dir
	return res.end(outcome, v.code, v.reason)
}

// quarantine writes the record under dir: first its QuarantineRecordFile,
// with config, its source's configuration (nil for an unknown source), then
// its body, both once (a redelivery finds them written and goes on). Readers
// list bodies, so a record whose body write failed is not seen until the
// retry writes it.
func (p *Processor) quarantine(ctx context.Context, dir string, rec *events.SQSMessage, v verdict, config *contract.Source) error {
	q := contract.QuarantineRecord{
		Source:     attribute(rec, contract.AttrSource),
		MessageID:  rec.MessageId,
		ReceivedAt: v.received,
		ReasonCode: v.code,
		Reason:     v.reason,
		Config:     config,
		Attributes: make(map[string]string, len(rec.MessageAttributes)),
		Size:       int64(len(v.body)),
	}
	for name, a := range rec.MessageAttributes {
		if a.StringValue != nil {
			q.Attributes[name] = *a.StringValue
		}
	}
	record, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("encode %s: %w", contract.QuarantineRecordFile, err)
	}
	meta := map[string]string{contract.MetaReasonCode: v.code, contract.MetaMessageID: contract.EncodeMetaValue(rec.MessageId)}
	if !v.received.IsZero() {
		meta[contract.MetaReceivedAt] = v.received.UTC().Format(contract.ReceivedAtLayout)
	}
	for _, o := range []struct {
		key  string
		body []byte
	}{{dir + contract.QuarantineRecordFile, record}, {dir + contract.QuarantineBody, v.body}} {
		if err := p.putOnce(ctx, o.key, o.body, sha256.Sum256(o.body), meta); err != nil && !isPreconditionFailed(err) {
			return errors.New(s3Reason("PutObject "+o.key, err))
		}
	}
	return nil
}
