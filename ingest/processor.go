// Package ingest is the processing core of the webhook Lambda: it verifies
// each SQS record against its source's scheme and stores the body in S3
// exactly once. It knows nothing of the Lambda runtime, so it is tested
// directly.
package ingest

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Source is one configured sender, ready to verify deliveries.
type Source struct {
	Name     string
	Preset   contract.Preset
	Verifier *contract.Verifier
}

// Processor handles batches of SQS records. Build it once per cold start; it
// is safe for concurrent use.
type Processor struct {
	S3      *s3.Client
	Bucket  string
	Sources map[string]Source
	Logger  *slog.Logger
	// Concurrency bounds the records of one batch in flight (default 10).
	Concurrency int
	// DeadlineMargin is how long before the invocation deadline records
	// still running are given up and reported for retry (default 1s).
	DeadlineMargin time.Duration
}

// Handle processes one batch. Every record ends stored, duplicate, rejected or
// reported in BatchItemFailures; the error is non-nil only when the whole
// batch must be retried.
func (p *Processor) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	panic("SKELETON: to be implemented")
}
