package ingest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// Outcome is how one SQS record ended. Every record ends in exactly one.
type Outcome string

// Record outcomes, as they appear in the logs and metrics (see contract).
const (
	// Stored means the body was written to S3 by this delivery (and, with a
	// hand-off, its event published).
	Stored Outcome = contract.OutcomeStored
	// Duplicate means the delivery's key already held the same body (and,
	// with a hand-off, its event was published again).
	Duplicate Outcome = contract.OutcomeDuplicate
	// Conflict means the delivery's key already held a different body; this
	// one is quarantined where the quarantine is on.
	Conflict Outcome = contract.OutcomeConflict
	// Quarantined means the record failed a check (unknown source, bad
	// signature, unusable id, …) and is kept under contract.QuarantinePrefix
	// with its cause, for webhook-ops reverify.
	Quarantined Outcome = contract.OutcomeQuarantined
	// Rejected means the record failed a check and was dropped, because the
	// stack or its source turned the quarantine off.
	Rejected Outcome = contract.OutcomeRejected
	// Retry means the record was reported in batchItemFailures so that SQS
	// delivers it again (and, after maxReceiveCount, to the dead-letter
	// queue).
	Retry Outcome = contract.OutcomeRetry
)

// Reasons that are not a verifier's or an S3 error's own text.
const (
	reasonUnknownSource = "unknown source"
	reasonNoReceiveTime = "missing receive time: no usable request-time attribute or SQS SentTimestamp, so the replay window cannot be checked"
	reasonUnusableID    = "unusable id"
	reasonDeadline      = "deadline: not finished before the invocation's safety margin"
	reasonConflict      = "conflict: the key holds a different body"
	reasonNotAllowed    = "source address not allowed: the request came from outside the source's allowedCidrs"
	warnRequestTime     = "request-time attribute is not a plausible time in Unix milliseconds: receive time taken from SQS SentTimestamp"
)

// sentTimestamp is the SQS system attribute holding, in milliseconds since
// the epoch, when the message entered the queue.
const sentTimestamp = "SentTimestamp"

// result is the outcome of one record plus what its log line says.
type result struct {
	index   int
	outcome Outcome
	// code is the reason's contract.Reason* code, for every outcome but
	// stored and duplicate.
	code    string
	reason  string
	warning string
	source  string
	id      string
	// key is the record's object key once known; quarantined is the
	// directory the record was quarantined in, if it was.
	key, quarantined string
	// handedOff reports that the record reached the hand-off, and published
	// that its event was accepted.
	handedOff, published bool
}

// newResult is the result of record index before any check: what its
// attributes say of its source and id.
func newResult(index int, rec *events.SQSMessage) result {
	return result{index: index, source: attribute(rec, contract.AttrSource), id: attribute(rec, contract.AttrWebhookID)}
}

func (r result) end(o Outcome, code, reason string) result {
	r.outcome, r.code, r.reason = o, code, reason
	return r
}

// verdict is what the checks of one record found: where its body belongs,
// or the check it failed (code and reason set).
type verdict struct {
	received time.Time
	// body is the one copy of the record's body: verification,
	// identification and the uploads all read this slice.
	body         []byte
	topic        string
	code, reason string
}

func (v verdict) failed() bool { return v.code != "" }

// process takes one record to its outcome. A panic anywhere below becomes a
// retry of this record alone: the delivery may be fine and the bug fixed by
// the time SQS redelivers it, or it lands in the dead-letter queue intact.
func (p *Processor) process(ctx context.Context, index int, rec *events.SQSMessage) (res result) {
	res = newResult(index, rec)
	defer func() {
		if v := recover(); v != nil {
			res = res.end(Retry, contract.ReasonPanic, panicReason(v))
		}
	}()

	v := p.judge(rec, &res)
	if v.failed() {
		return p.refuse(ctx, res, rec, v)
	}
	sum := sha256.Sum256(v.body)
	res = p.store(ctx, res, v.body, sum, objectMetadata(res.source, res.id, v.topic, rec.MessageId, attribute(rec, contract.AttrSourceIP), v.received, sum))
	if res.outcome == Duplicate {
		if res = p.compare(ctx, res, v.body, sum); res.outcome == Conflict {
			v.code, v.reason = res.code, res.reason
			return p.refuse(ctx, res, rec, v)
		}
	}
	if p.Publisher == nil || (res.outcome != Stored && res.outcome != Duplicate) {
		return res
	}
	// A duplicate is published too: the attempt that stored it may have
	// failed to publish, and this one is its retry.
	return p.handOff(ctx, res, handoff.Event{
		Source:     res.source,
		Topic:      v.topic,
		WebhookID:  res.id,
		Bucket:     p.Bucket,
		Key:        res.key,
		Size:       int64(len(v.body)),
		ReceivedAt: v.received,
	})
}

// judge runs the checks of one record without writing anything: its
// source, receive time, signature and id. It fills in res's id, key and
// warning as it learns them.
func (p *Processor) judge(rec *events.SQSMessage, res *result) verdict {
	received, requestTimeUnusable := receivedAt(rec)
	if requestTimeUnusable {
		res.warning = warnRequestTime
	}
	v := verdict{received: received, body: []byte(rec.Body)}
	src, ok := p.Receivers[res.source]
	if !ok {
		v.code, v.reason = contract.ReasonUnknownSource, reasonUnknownSource
		return v
	}
	if !src.Allows(attribute(rec, contract.AttrSourceIP)) {
		v.code, v.reason = contract.ReasonSourceNotAllowed, reasonNotAllowed
		return v
	}
	if received.IsZero() && src.Preset.Scheme.UsesTimestamp() {
		// Judging the window against the time of processing would reject a
		// good delivery that waited in a backlog. Real SQS always sets
		// SentTimestamp, so only a hand-made event lands here.
		v.code, v.reason = contract.ReasonMissingAttribute, reasonNoReceiveTime
		return v
	}
	d := contract.Delivery{
		Body:      v.body,
		Signature: attribute(rec, contract.AttrSignature),
		ID:        res.id,
		Timestamp: attribute(rec, contract.AttrTimestamp),
	}
	if err := src.Verifier.Verify(d, received); err != nil {
		v.code, v.reason = contract.VerifyReason(err), err.Error()
		return v
	}
	id, topic, err := src.Preset.Identify(d.ID, attribute(rec, contract.AttrTopic), v.body)
	if err != nil {
		v.code, v.reason = contract.ReasonUnusableID, reasonUnusableID+": "+err.Error()
		return v
	}
	res.id, v.topic = id, topic
	key, err := contract.ObjectKey(res.source, id)
	if err != nil {
		v.code, v.reason = contract.ReasonUnusableID, reasonUnusableID+": "+err.Error()
		return v
	}
	res.key = key
	return v
}

// attribute returns the string value of a message attribute, or "".
func attribute(rec *events.SQSMessage, name string) string {
	if a, ok := rec.MessageAttributes[name]; ok && a.StringValue != nil {
		return *a.StringValue
	}
	return ""
}

// receivedAt returns when the record was received: API Gateway's request
// time, which survives a dead-letter redrive, else SQS's SentTimestamp, which
// a redrive resets, else the zero time. requestTimeUnusable reports a
// request-time attribute present but unusable; SentTimestamp then stands in.
func receivedAt(rec *events.SQSMessage) (received time.Time, requestTimeUnusable bool) {
	sent, sentOK := unixMilli(rec.Attributes[sentTimestamp])
	a, present := rec.MessageAttributes[contract.AttrRequestTime]
	if present {
		if t, ok := unixMilli(aws.ToString(a.StringValue)); ok && (!sentOK || plausible(t, sent)) {
			return t, false
		}
	}
	return sent, present
}

// requestTimeSkew is how far API Gateway's clock may run ahead of SQS's.
const requestTimeSkew = 5 * time.Second

// plausible reports whether a request at request can have been sent to the
// queue at sent: before it, and at most the queue's and the dead-letter
// queue's retention earlier, the most a redrive can put between them.
func plausible(request, sent time.Time) bool {
	return !request.After(sent.Add(requestTimeSkew)) &&
		!request.Before(sent.Add(-(contract.QueueRetention + contract.DeadLetterRetention)))
}

// maxUnixMilli is 9999-12-31T23:59:59.999Z. A later time has no RFC 3339
// form: the received-at metadata could not be parsed back and the hand-off
// event could not be encoded, so its record would be retried for good.
const maxUnixMilli = 253402300799999

// unixMilli parses decimal Unix milliseconds; the zero time and false when s
// is not a number of them between 1 and maxUnixMilli.
func unixMilli(s string) (time.Time, bool) {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 || ms > maxUnixMilli {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

// panicReason names a recovered panic by its runtime error text or value
// type, and where it happened. The value itself is not logged: it could
// carry a body or a secret.
func panicReason(v any) string {
	what := fmt.Sprintf("%T", v)
	if re, ok := v.(runtime.Error); ok {
		what = re.Error()
	}
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case inPanic && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf("panic: %s at %s (%s:%d)", what, f.Function, f.File, f.Line)
		}
		if !more {
			return "panic: " + what
		}
	}
}
