package ingest_test

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestWorkersOutliveBatches runs batches one after another on one Processor.
// A record cut off by the first batch's deadline finishes during the second
// and must not be counted there; and the goroutines that run records outlive
// their batch and are reused: never more of them than the most records in
// flight at once.
func TestWorkersOutliveBatches(t *testing.T) {
	others := workerGoroutines() // earlier tests' Processors keep theirs
	h := newHarness(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "slow") {
				time.Sleep(300 * time.Millisecond)
			}
			next.ServeHTTP(w, r)
		})
	})
	h.proc.Concurrency = 10
	h.proc.DeadlineMargin = time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	first := validBatch(time.Now(), "slow-1", "a-1", "a-2")
	resp, lines := h.handleCtx(ctx, first...)
	if got := outcomes(t, first, resp, lines)["m-slow-1"]; got.Outcome != "retry" || got.ReasonCode != "deadline" {
		t.Fatalf("slow record: %+v, want retry on the deadline", got)
	}

	second := validBatch(time.Now(), "b-1", "b-2", "b-3", "b-4")
	resp, lines = h.handle(second...)
	for id, o := range outcomes(t, second, resp, lines) {
		if o.Outcome != "stored" {
			t.Fatalf("%s: %q (%s)", id, o.Outcome, o.Reason)
		}
	}

	batch := func(i int) {
		var ids []string
		for j := range 25 {
			ids = append(ids, fmt.Sprintf("c-%d-%d", i, j))
		}
		recs := validBatch(time.Now(), ids...)
		resp, lines := h.handle(recs...)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch %d: %+v", i, outcomes(t, recs, resp, lines))
		}
	}
	time.Sleep(300 * time.Millisecond) // the slow record's worker is idle again
	for i := range 10 {
		batch(i)
		if n := workerGoroutines() - others; n < 1 || n > h.proc.Concurrency {
			t.Fatalf("after batch %d: %d workers, want 1 to %d (Concurrency)", i, n, h.proc.Concurrency)
		}
	}
}

// workerGoroutines counts the goroutines in ingest's record worker.
func workerGoroutines() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "ingest.(*Processor).work(")
}
