package ingest_test

import (
	"bufio"
	"context"
	"net/http"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// lateClient holds every PUT whose path holds "slow" until release is
// closed, and then sends it whatever its context, as a store already on the
// wire does when the batch gives up on it.
type lateClient struct {
	next    s3.HTTPClient
	release <-chan struct{}
}

func (c lateClient) Do(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "slow") {
		<-c.release
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	return c.next.Do(r)
}

// TestWorkersOutliveBatches runs batches one after another on one Processor.
// A record given up at the first batch's deadline lands while the second
// batch is running: the second counts only its own records, and the late
// record's redelivery is a duplicate. The records ran on the process's
// workers, which are still there after their batches.
func TestWorkersOutliveBatches(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	h := newHarness(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/b-1") {
				// Let the late store go, and keep this batch running
				// while it lands.
				once.Do(func() { close(release) })
				time.Sleep(200 * time.Millisecond)
			}
			next.ServeHTTP(w, r)
		})
	}, func(o *s3.Options) { o.HTTPClient = lateClient{awshttp.NewBuildableClient(), release} })
	h.proc.Concurrency = 10
	h.proc.DeadlineMargin = time.Millisecond

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	first := validBatch(time.Now(), "slow-1", "a-1", "a-2")
	resp, lines := h.handleCtx(ctx, first...)
	if got := outcomes(t, first, resp, lines)["m-slow-1"]; got.Outcome != "retry" || got.ReasonCode != "deadline" {
		t.Fatalf("slow record: %+v, want retry on the deadline", got)
	}

	second := validBatch(time.Now(), "b-1", "b-2", "b-3")
	resp, lines = h.handle(second...)
	for id, o := range outcomes(t, second, resp, lines) {
		if o.Outcome != "stored" {
			t.Fatalf("%s: %q (%s)", id, o.Outcome, o.Reason)
		}
	}
	if _, _, ok := h.object("orders/slow-1"); !ok {
		t.Fatal("the slow record's late store did not land while the second batch ran")
	}
	resp, lines = h.handle(first[0])
	if got := outcomes(t, first[:1], resp, lines)["m-slow-1"]; got.Outcome != "duplicate" {
		t.Fatalf("redelivered slow record: %+v, want duplicate", got)
	}
	if n := workerGoroutines(t); n == 0 {
		t.Fatal("no worker goroutine outlived its batch")
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
