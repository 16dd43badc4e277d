package ingest_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/ingest"
	"github.com/webhook-ingest/webhook-ingest/internal/s3test"
)

// BenchmarkBatch stores batches of 10, 100 and 1,000 × 1 KiB generic
// records through a real S3 protocol peer that adds latency to every
// request, with the handler's default concurrency and connection pool. With
// +20 ms per request a batch of up to DefaultConcurrency records should take
// about one request's latency. Allocations include the in-process gofakes3
// server's.
func BenchmarkBatch(b *testing.B) {
	const size = 1024
	body := benchBody(size)
	for _, records := range []int{10, 100, 1000} {
		for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
			b.Run(fmt.Sprintf("batch=%d/s3=+%dms", records, latency.Milliseconds()), func(b *testing.B) {
				p := benchProcessor(b, latency)
				b.SetBytes(int64(records * size))
				perBatch := timeBatches(b, p, func(i int) events.SQSEvent {
					ev := events.SQSEvent{Records: make([]events.SQSMessage, records)}
					now := time.Now()
					for j := range records {
						id := fmt.Sprintf("bench-%d-%d", i, j)
						ev.Records[j] = message("m-"+id, body, now, genericAttrs(id, "orders/create", body))
					}
					return ev
				})
				b.ReportMetric(float64(records)/(perBatch/1e9), "records/s")
			})
		}
	}
}

// benchBody returns a JSON body of size bytes.
func benchBody(size int) string {
	return `{"pad":"` + strings.Repeat("x", size-len(`{"pad":""}`)) + `"}`
}

// timeBatches runs b.N batches, batch(i) the i-th, through p, timing only
// Handle and failing on any record reported for retry. It reports and
// returns the time per batch in nanoseconds.
func timeBatches(b *testing.B, p *ingest.Processor, batch func(i int) events.SQSEvent) float64 {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ev := batch(i)
		b.StartTimer()
		resp, err := p.Handle(ctx, ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatalf("batch failed: %v %+v", err, resp.BatchItemFailures)
		}
	}
	b.StopTimer()
	perBatch := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perBatch/1e6, "ms/batch")
	return perBatch
}

// benchProcessor returns a Processor with the handler's connection pool and
// discarded logs, storing to an S3 protocol peer that adds latency to every
// request.
func benchProcessor(b *testing.B, latency time.Duration) *ingest.Processor {
	srv := s3test.Start(b, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(latency)
			next.ServeHTTP(w, r)
		})
	})
	return &ingest.Processor{
		S3:           srv.Client(ingest.S3Options, withPool),
		Bucket:       srv.Bucket,
		Receivers:    testReceivers(b),
		FunctionName: testFunction,
		Logger:       slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
}

// withPool gives an S3 client the handler's connection pool.
func withPool(o *s3.Options) { o.HTTPClient = ingest.HTTPClient(ingest.DefaultConcurrency) }

// BenchmarkBatchOutcomes prices each way a batch of 10 × 1 KiB generic
// records can end, against an S3 that adds latency to every request:
// stored (one PUT each, the baseline), duplicate (a PUT answered 412 and
// the HeadObject that tells it from a conflict), quarantined (two PUTs:
// the record file and the body) and rejected (dropped, no request). It
// reports each as a ratio to stored at the same latency.
func BenchmarkBatchOutcomes(b *testing.B) {
	const records, size = 10, 1024
	body := benchBody(size)
	storedNs := map[time.Duration]float64{}
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		for _, outcome := range []ingest.Outcome{ingest.Stored, ingest.Duplicate, ingest.Quarantined, ingest.Rejected} {
			b.Run(fmt.Sprintf("s3=+%dms/%s", latency.Milliseconds(), outcome), func(b *testing.B) {
				p := benchProcessor(b, latency)
				p.Quarantine = outcome != ingest.Rejected
				batch := func(i int) events.SQSEvent {
					ev := events.SQSEvent{Records: make([]events.SQSMessage, records)}
					now := time.Now()
					for j := range records {
						id := fmt.Sprintf("bench-%d-%d", i, j)
						if outcome == ingest.Duplicate {
							id = fmt.Sprintf("bench-%d", j)
						}
						attrs := genericAttrs(id, "orders/create", body)
						if outcome == ingest.Quarantined || outcome == ingest.Rejected {
							attrs["signature"] = strings.Repeat("00", 32)
						}
						ev.Records[j] = message(fmt.Sprintf("m-%d-%d", i, j), body, now, attrs)
					}
					return ev
				}
				if _, err := p.Handle(context.Background(), batch(-1)); err != nil {
					b.Fatal(err)
				}
				perBatch := timeBatches(b, p, batch)
				if outcome == ingest.Stored {
					storedNs[latency] = perBatch
				} else if base, ok := storedNs[latency]; ok {
					b.ReportMetric(perBatch/base, "x-stored")
				}
			})
		}
	}
}
