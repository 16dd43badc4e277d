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
)

// Outcome is how one SQS record ended. Every record ends in exactly one.
type Outcome string

// Record outcomes, as they appear in the logs.
const (
	// Stored means the body was written to S3 by this delivery.
	Stored Outcome = "stored"
	// Duplicate means an object already held this delivery's key.
	Duplicate Outcome = "duplicate"
	// Rejected means the record can never be stored (unknown source, bad
	// signature, unusable id); it is logged with the reason and dropped.
	Rejected Outcome = "rejected"
	// Retry means the record was reported in batchItemFailures so that SQS
	// delivers it again (and, after maxReceiveCount, to the dead-letter
	// queue).
	Retry Outcome = "retry"
)

// Reasons that are not a verifier's or an S3 error's own text.
const (
	reasonUnknownSource = "unknown source"
	reasonNoSentTime    = "missing SQS SentTimestamp: the replay window cannot be checked"
	reasonUnusableID    = "unusable id"
	reasonDeadline      = "deadline: not finished before the invocation's safety margin"
)

// sentTimestamp is the SQS system attribute holding, in milliseconds since
// the epoch, when the message entered the queue.
const sentTimestamp = "SentTimestamp"

// result is the outcome of one record plus what its log line says.
type result struct {
	index   int
	outcome Outcome
	reason  string
	source  string
	id      string
	key     string
}

func (r result) end(o Outcome, reason string) result {
	r.outcome, r.reason = o, reason
	return r
}

// process takes one record to its outcome. A panic anywhere below becomes a
// retry of this record alone: the delivery may be fine and the bug fixed by
// the time SQS redelivers it, or it lands in the dead-letter queue intact.
func (p *Processor) process(ctx context.Context, index int, rec *events.SQSMessage) (res result) {
	res = result{index: index, source: attribute(rec, contract.AttrSource), id: attribute(rec, contract.AttrWebhookID)}
	defer func() {
		if v := recover(); v != nil {
			res = res.end(Retry, panicReason(v))
		}
	}()

	src, ok := p.Sources[res.source]
	if !ok {
		return res.end(Rejected, reasonUnknownSource)
	}
	received, known := receivedAt(rec)
	if !known && src.Preset.Scheme.UsesTimestamp() {
		// Judging the window against the time of processing would reject a
		// good delivery that waited in a backlog. Real SQS always sets the
		// attribute, so only a hand-made event lands here.
		return res.end(Rejected, reasonNoSentTime)
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
		return res.end(Rejected, err.Error())
	}
	id, topic, err := src.Preset.Identify(d.ID, attribute(rec, contract.AttrTopic), body)
	if err != nil {
		return res.end(Rejected, reasonUnusableID+": "+err.Error())
	}
	res.id = id
	key, err := contract.ObjectKey(res.source, id)
	if err != nil {
		return res.end(Rejected, reasonUnusableID+": "+err.Error())
	}
	res.key = key
	return p.store(ctx, res, body, objectMetadata(res.source, id, topic, rec.MessageId, received))
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
		return res.end(Stored, "")
	case errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusPreconditionFailed:
		return res.end(Duplicate, "")
	case ctx.Err() != nil:
		return res.end(Retry, reasonDeadline)
	default:
		// Everything else is retried, AccessDenied included: it is a
		// configuration fault, and redelivery (or the dead-letter queue)
		// keeps the delivery until someone fixes it.
		return res.end(Retry, s3Reason(err))
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

// receivedAt returns the record's SentTimestamp and whether it had a usable
// one.
func receivedAt(rec *events.SQSMessage) (time.Time, bool) {
	ms, err := strconv.ParseInt(rec.Attributes[sentTimestamp], 10, 64)
	if err != nil || ms <= 0 {
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
