package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// lateClient sends every PUT whose path holds "slow" half a second late and
// whatever its context, as a store already on the wire does when the batch
// gives up on it.
type lateClient struct{ next s3.HTTPClient }

func (c lateClient) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "slow") {
		time.Sleep(500 * time.Millisecond)
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	return c.next.Do(r)
}

// TestWorkersOutliveBatches runs batches one after another on one Processor.
// A record given up at the first batch's deadline lands while the second
// runs: the second counts only its own records, and the late record's
// redelivery is a duplicate. The goroutines that run records outlive their
// batch and are reused: ten batches of 25 at a concurrency of 10 start no
// more than 10 of them.
func TestWorkersOutliveBatches(t *testing.T) {
	before := workerGoroutines(t)
	h := newHarness(t, nil, func(o *s3.Options) { o.HTTPClient = lateClient{awshttp.NewBuildableClient()} })
	h.proc.Concurrency = 10
	h.proc.DeadlineMargin = time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	first := validBatch(time.Now(), "slow-1", "a-1", "a-2")
	resp, lines := h.handleCtx(ctx, first...)
	if got := outcomes(t, first, resp, lines)["m-slow-1"]; got.Outcome != "retry" || got.ReasonCode != "deadline" {
		t.Fatalf("slow record: %+v, want retry on the deadline", got)
	}
	if _, _, ok := h.object("orders/slow-1"); ok {
		t.Fatal("the slow record landed before its batch gave up on it; the test proves nothing")
	}

	second := validBatch(time.Now(), "b-1", "b-2", "b-3", "b-4")
	for range 20 {
		resp, lines = h.handle(second...)
		for id, o := range outcomes(t, second, resp, lines) {
			if o.Outcome != "stored" && o.Outcome != "duplicate" {
				t.Fatalf("%s: %q (%s)", id, o.Outcome, o.Reason)
			}
		}
		if _, _, ok := h.object("orders/slow-1"); ok {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, _, ok := h.object("orders/slow-1"); !ok {
		t.Fatal("the slow record's late store never landed")
	}
	resp, lines = h.handle(first[0])
	if got := outcomes(t, first[:1], resp, lines)["m-slow-1"]; got.Outcome != "duplicate" {
		t.Fatalf("redelivered slow record: %+v, want duplicate", got)
	}

	for i := range 10 {
		var ids []string
		for j := range 25 {
			ids = append(ids, fmt.Sprintf("c-%d-%d", i, j))
		}
		recs := validBatch(time.Now(), ids...)
		if resp, lines := h.handle(recs...); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("batch %d: %+v", i, outcomes(t, recs, resp, lines))
		}
	}
	after := workerGoroutines(t)
	if after == 0 {
		t.Fatal("no worker goroutine outlived its batch")
	}
	if after-before > h.proc.Concurrency {
		t.Errorf("%d workers started for batches of at most %d records in flight", after-before, h.proc.Concurrency)
	}
}

// workerGoroutines counts the goroutines in ingest's record worker, from the
// goroutine profile, which groups goroutines by stack.
func workerGoroutines(t *testing.T) int {
	t.Helper()
	var b strings.Builder
	if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
		t.Fatal(err)
	}
	n, count, counted := 0, 0, false
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		line := sc.Text()
		if c, _, ok := strings.Cut(line, " @ "); ok {
			if v, err := strconv.Atoi(c); err == nil {
				count, counted = v, false
				continue
			}
		}
		if !counted && strings.Contains(line, "/ingest.work+") {
			n += count
			counted = true
		}
	}
	return n
}
