package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// Outcome is how one SQS record ended. Every record ends in exactly one.
type Outcome string

// Record outcomes, as they appear in the logs and metrics.
const (
	// Stored means the body was written to S3 by this delivery (and, with a
	// hand-off, its event published).
	Stored Outcome = contract.OutcomeStored
	// Duplicate means an object already held this delivery's key (and, with
	// a hand-off, its event was published again).
	Duplicate Outcome = contract.OutcomeDuplicate
	// Rejected means the record can never be stored (unknown source, bad
	// signature, unusable id); it is logged with the reason and dropped.
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
	warnRequestTime     = "request-time attribute is not Unix milliseconds: receive time taken from SQS SentTimestamp"
)

// sentTimestamp is the SQS system attribute holding, in milliseconds since
// the epoch, when the message entered the queue.
const sentTimestamp = "SentTimestamp"

// result is the outcome of one record plus what its log line says.
type result struct {
	index   int
	outcome Outcome
	// code is the reason's contract.Reason* code, for rejected and retry.
	code    string
	reason  string
	warning string
	source  string
	id      string
	key     string
	// handedOff reports that the record reached the hand-off, and published
	// that its event was accepted.
	handedOff, published bool
}

func (r result) end(o Outcome, code, reason string) result {
	r.outcome, r.code, r.reason = o, code, reason
	return r
}

// process takes one record to its outcome. A panic anywhere below becomes a
// retry of this record alone: the delivery may be fine and the bug fixed by
// the time SQS redelivers it, or it lands in the dead-letter queue intact.
func (p *Processor) process(ctx context.Context, index int, rec *events.SQSMessage) (res result) {
	res = result{index: index, source: attribute(rec, contract.AttrSource), id: attribute(rec, contract.AttrWebhookID)}
	defer func() {
		if v := recover(); v != nil {
			res = res.end(Retry, contract.ReasonPanic, panicReason(v))
		}
	}()

	src, ok := p.Receivers[res.source]
	if !ok {
		return res.end(Rejected, contract.ReasonUnknownSource, reasonUnknownSource)
	}
	received, requestTimeUnusable := receivedAt(rec)
	if requestTimeUnusable {
		res.warning = warnRequestTime
	}
	if received.IsZero() && src.Preset.Scheme.UsesTimestamp() {
		// Judging the window against the time of processing would reject a
		// good delivery that waited in a backlog. Real SQS always sets
		// SentTimestamp, so only a hand-made event lands here.
		return res.end(Rejected, contract.ReasonMissingAttribute, reasonNoReceiveTime)
	}
	// The one copy of the body: verification, identification and the upload
	// all read this slice.
	body := []byte(rec.Body)
	d := contract.Delivery{
		Body:      body,
		Signature: attribute(rec, contract.AttrSignature),
		ID:        res.id,
		Timestamp: attribute(rec, contract.AttrTimestamp),
	}
	if err := src.Verifier.Verify(d, received); err != nil {
		return res.end(Rejected, contract.VerifyReason(err), err.Error())
	}
	id, topic, err := src.Preset.Identify(d.ID, attribute(rec, contract.AttrTopic), body)
	if err != nil {
		return res.end(Rejected, contract.ReasonUnusableID, reasonUnusableID+": "+err.Error())
	}
	res.id = id
	key, err := contract.ObjectKey(res.source, id)
	if err != nil {
		return res.end(Rejected, contract.ReasonUnusableID, reasonUnusableID+": "+err.Error())
	}
	res.key = key
	res = p.store(ctx, res, body, objectMetadata(res.source, id, topic, rec.MessageId, received))
	if p.Publisher == nil || (res.outcome != Stored && res.outcome != Duplicate) {
		return res
	}
	// A duplicate is published too: the attempt that stored it may have
	// failed to publish, and this one is its retry.
	return p.handOff(ctx, res, handoff.Event{
		Source:     res.source,
		Topic:      topic,
		WebhookID:  id,
		Bucket:     p.Bucket,
		Key:        key,
		Size:       int64(len(body)),
		ReceivedAt: received,
	})
}

// store writes body under res.key unless an object is already there.
func (p *Processor) store(ctx context.Context, res result, body []byte, meta map[string]string) result {
	contentType := "application/octet-stream"
	if json.Valid(body) {
		contentType = "application/json"
	}
	_, err := p.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(p.Bucket),
		Key:           aws.String(res.key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
		Metadata:      meta,
		// Store once: S3 refuses (412) to replace an existing object, so a
		// redelivery, or a copy racing in the same batch, cannot overwrite it.
		IfNoneMatch: aws.String("*"),
	})
	var respErr *awshttp.ResponseError
	switch {
	case err == nil:
		return res.end(Stored, "", "")
	case errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusPreconditionFailed:
		return res.end(Duplicate, "", "")
	case ctx.Err() != nil:
		return res.end(Retry, contract.ReasonDeadline, reasonDeadline)
	default:
		// Everything else is retried, AccessDenied included: it is a
		// configuration fault, and redelivery (or the dead-letter queue)
		// keeps the delivery until someone fixes it.
		return res.end(Retry, contract.ReasonStoreFailed, s3Reason(err))
	}
}

// s3Reason describes a failed PutObject briefly: the S3 error code and HTTP
// status when S3 answered, else the SDK's error text.
func s3Reason(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		status := 0
		var respErr *awshttp.ResponseError
		if errors.As(err, &respErr) {
			status = respErr.HTTPStatusCode()
		}
		return fmt.Sprintf("s3 PutObject: %s (HTTP %d)", apiErr.ErrorCode(), status)
	}
	return "s3 PutObject: " + err.Error()
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
	a, present := rec.MessageAttributes[contract.AttrRequestTime]
	if present {
		if t, ok := unixMilli(aws.ToString(a.StringValue)); ok {
			return t, false
		}
	}
	t, _ := unixMilli(rec.Attributes[sentTimestamp])
	return t, present
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
