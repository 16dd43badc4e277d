package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// TestWorkerIdleBeforeResult checks the order that bounds the pool: a worker
// counts itself idle before its result can complete the batch, so that the
// next batch's records find it rather than starting more workers. The
// result channel here has no room, so the worker waits there; it must
// already be counted idle.
func TestWorkerIdleBeforeResult(t *testing.T) {
	p := &Processor{FunctionName: "f"}
	results := make(chan result)
	slots := make(chan struct{}, 1)
	slots <- struct{}{}
	idle := idleWorkers.Load()
	go work(job{p: p, ctx: context.Background(), index: 7, rec: &events.SQSMessage{MessageId: "m-1"}, results: results, slots: slots})
	for deadline := time.Now().Add(5 * time.Second); idleWorkers.Load() == idle; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the worker was not counted idle before its result was taken")
		}
	}
	if r := <-results; r.index != 7 || r.outcome != Rejected {
		t.Fatalf("result %+v, want record 7 rejected (no such source)", r)
	}
}
