package ingest

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// Defaults for the Processor's tuning fields.
const (
	// DefaultConcurrency bounds the records in flight (see contract).
	DefaultConcurrency = contract.DefaultConcurrency
	// DefaultDeadlineMargin is the most a batch keeps back before its
	// deadline.
	DefaultDeadlineMargin = time.Second
)

// Processor handles batches of SQS records. Build it once per cold start; it
// is safe for concurrent use.
type Processor struct {
	// S3 is the client that stores bodies; build it with S3Options.
	S3     *s3.Client
	Bucket string
	// Receivers maps a record's source attribute to the source's receiver.
	Receivers map[string]Receiver
	// FunctionName is the Lambda function's name (contract.EnvFunctionName),
	// the value of contract.DimensionFunction; it must not be empty.
	FunctionName string
	// Quarantine keeps the records that fail a check under
	// contract.QuarantinePrefix, except a source's whose configuration turns
	// it off; false drops them (outcome rejected).
	Quarantine bool
	// Publisher, when not nil, receives one hand-off event per stored or
	// duplicate record; a record whose event it fails to publish is retried.
	Publisher *handoff.Publisher
	// Logger receives one line per record, the batch's metrics lines and
	// one batch line (default slog.Default()). The metrics are in CloudWatch
	// Embedded Metric Format, which CloudWatch extracts only from top-level
	// JSON members: give it a slog.JSONHandler writing to stdout, with no
	// group.
	Logger *slog.Logger
	// Concurrency bounds the records of one batch in flight: a batch runs
	// min(its size, Concurrency) at once (default DefaultConcurrency). Give
	// the S3 client a connection pool as large (see HTTPClient).
	Concurrency int
	// DeadlineMargin is the most time before the invocation deadline at
	// which records still running are given up and reported for retry
	// (default 1s). The margin is never more than a tenth of the time the
	// batch has, so that a short timeout still leaves time to work.
	DeadlineMargin time.Duration
}

// Handle processes one batch. Every record ends in one Outcome, retries
// reported in BatchItemFailures, and is logged once with it.
//
// Records run concurrently, at most Concurrency at a time. When ctx has a
// deadline, Handle returns a margin before it (see DeadlineMargin): records
// not finished by then are reported for retry, and their late results, if
// any, are ignored (a store that lands anyway turns the redelivery into a
// duplicate).
//
// The error is always nil. Each failure is reported against its own record,
// which retries exactly what needs it; a whole-batch error would redeliver
// the records already stored or quarantined too, and count a receive against
// each of them on the way to the dead-letter queue.
func (p *Processor) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	start := time.Now()
	work, cancel := p.workContext(ctx)
	defer cancel()

	n := len(ev.Records)
	// Buffered for every record, so a worker that finishes after Handle has
	// returned never blocks.
	results := make(chan result, n)
	go p.dispatch(work, ev.Records, results)

	done := make([]bool, n)
	var out events.SQSEventResponse
	groups := make(map[metricGroup]int)
	finish := func(r result) {
		done[r.index] = true
		groups[p.groupOf(r)]++
		if r.outcome == Retry {
			out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[r.index].MessageId})
		}
		p.logRecord(ctx, &ev.Records[r.index], r)
	}

collect:
	for pending := n; pending > 0; pending-- {
		select {
		case r := <-results:
			finish(r)
		case <-work.Done():
			break collect
		}
	}
	if work.Err() != nil {
		// Keep what finished in time, then give up on the rest.
		for drained := false; !drained; {
			select {
			case r := <-results:
				finish(r)
			default:
				drained = true
			}
		}
		for i := range ev.Records {
			if !done[i] {
				rec := &ev.Records[i]
				finish(newResult(i, rec).end(Retry, contract.ReasonDeadline, reasonDeadline))
			}
		}
	}

	p.logMetrics(ctx, groups, time.Now())
	counts := make(map[Outcome]int, len(contract.Outcomes))
	for g, n := range groups {
		counts[g.outcome] += n
	}
	attrs := make([]slog.Attr, 0, len(contract.Outcomes)+2)
	attrs = append(attrs, slog.Int("records", n))
	for _, o := range contract.Outcomes {
		attrs = append(attrs, slog.Int(o, counts[Outcome(o)]))
	}
	attrs = append(attrs, slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
	p.logger().LogAttrs(ctx, slog.LevelInfo, "batch", attrs...)
	return out, nil
}

// workContext returns the context records run under: ctx, ending a margin
// before ctx's deadline when it has one: DeadlineMargin, or a tenth of the
// time left if that is less. The margin is the time to write the lines and
// return the response, a few milliseconds, with room for a slow moment.
func (p *Processor) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := p.DeadlineMargin
	if margin <= 0 {
		margin = DefaultDeadlineMargin
	}
	margin = min(margin, time.Until(deadline)/10)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

func (p *Processor) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// maxLoggedValue bounds attacker-controlled values (source, webhook id) in
// log lines.
const maxLoggedValue = 256

// logRecord writes the one outcome line of a record. It names the record,
// never its body, signature or any secret. The key is left out when it is
// just the source and the id.
func (p *Processor) logRecord(ctx context.Context, rec *events.SQSMessage, r result) {
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String(contract.DimensionSource, clip(r.source)),
		slog.String("webhook_id", clip(r.id)),
		slog.String("message_id", clip(rec.MessageId)),
		slog.String(contract.DimensionOutcome, string(r.outcome)),
	)
	level := slog.LevelInfo
	if r.reason != "" {
		attrs = append(attrs, slog.String("reason", r.reason), slog.String(contract.DimensionReason, r.code))
		level = slog.LevelWarn
	}
	if r.warning != "" {
		attrs = append(attrs, slog.String("warning", r.warning))
		level = slog.LevelWarn
	}
	if r.key != "" && r.key != r.source+"/"+r.id {
		attrs = append(attrs, slog.String("key", r.key))
	}
	if r.quarantined != "" {
		attrs = append(attrs, slog.String("quarantine", r.quarantined))
	}
	if r.handedOff {
		attrs = append(attrs, slog.Bool("published", r.published))
	}
	p.logger().LogAttrs(ctx, level, "record", attrs...)
}

func clip(s string) string {
	if len(s) <= maxLoggedValue {
		return s
	}
	return s[:maxLoggedValue] + "…"
}
