package ingest_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

// hangPuts wraps an S3 handler so that PUTs never answer; they end when the
// client hangs up or release is called. Call release in a cleanup registered
// after the server's, so it runs before the server waits for its handlers.
func hangPuts() (wrap func(http.Handler) http.Handler, release func()) {
	released := make(chan struct{})
	wrap = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut {
				next.ServeHTTP(w, r)
				return
			}
			// Once the body is read, the server notices a client hanging up.
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-released:
			}
		})
	}
	return wrap, func() { close(released) }
}

// TestShortTimeouts runs a healthy batch against an S3 that takes 20 ms a
// request, under the shortest timeouts the stack accepts: every record is
// stored, none given up to the deadline margin.
func TestShortTimeouts(t *testing.T) {
	for _, timeout := range []time.Duration{time.Second, 2 * time.Second} {
		t.Run(timeout.String(), func(t *testing.T) {
			h := newHarness(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					time.Sleep(20 * time.Millisecond)
					next.ServeHTTP(w, r)
				})
			})
			recs := validBatch(time.Now(), "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			resp, lines := h.handleCtx(ctx, recs...)
			for id, o := range outcomes(t, recs, resp, lines) {
				if o.Outcome != "stored" {
					t.Errorf("%s: %s (%s), want stored", id, o.Outcome, o.Reason)
				}
			}
		})
	}
}

func validBatch(now time.Time, ids ...string) []events.SQSMessage {
	var recs []events.SQSMessage
	for _, id := range ids {
		body := `{"id":"` + id + `"}`
		recs = append(recs, message("m-"+id, body, now, genericAttrs(id, "t", body)))
	}
	return recs
}

// TestHandleDeadline checks when Handle gives up on records still running:
// DeadlineMargin before the deadline, or a tenth of the time the batch had if
// that is less.
func TestHandleDeadline(t *testing.T) {
	cases := []struct {
		name    string
		margin  time.Duration // Processor.DeadlineMargin; 0 means the default
		timeout time.Duration // until the invocation deadline
		// want is the margin Handle keeps.
		want time.Duration
	}{
		{name: "configured margin", margin: 30 * time.Millisecond, timeout: 400 * time.Millisecond, want: 30 * time.Millisecond},
		{name: "a tenth of a short batch", margin: 100 * time.Millisecond, timeout: 400 * time.Millisecond, want: 40 * time.Millisecond},
		{name: "a tenth, under the default", timeout: 1300 * time.Millisecond, want: 130 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hang, release := hangPuts()
			h := newHarness(t, hang)
			t.Cleanup(release)
			h.proc.Concurrency = 2
			h.proc.DeadlineMargin = tc.margin
			now := time.Now()
			bad := message("m-bad", "{}", now, genericAttrs("evt-bad", "t", "tampered"))
			// The rejected record goes first so it is not stuck behind hanging
			// ones; with Concurrency 2, two of the valid ones never start.
			recs := append([]events.SQSMessage{bad}, validBatch(now, "a", "b", "c", "d")...)

			start := time.Now()
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(tc.timeout))
			defer cancel()
			resp, lines := h.handleCtx(ctx, recs...)
			took := time.Since(start)

			// The lines take a few milliseconds; a loaded machine, more.
			if took < tc.timeout-tc.want || took > tc.timeout-tc.want+tc.want/2 {
				t.Errorf("Handle returned after %s, want just after %s (the deadline minus a margin of %s)", took, tc.timeout-tc.want, tc.want)
			}
			got := outcomes(t, recs, resp, lines)
			if o := got["m-bad"]; o.Outcome != "rejected" {
				t.Errorf("bad record: outcome %q (%s), want rejected", o.Outcome, o.Reason)
			}
			for _, r := range recs[1:] {
				if o := got[r.MessageId]; o.Outcome != "retry" || !strings.HasPrefix(o.Reason, "deadline") || o.ReasonCode != contract.ReasonDeadline {
					t.Errorf("%s: outcome %q reason %q (%s), want retry for the deadline", r.MessageId, o.Outcome, o.Reason, o.ReasonCode)
				}
			}
		})
	}
}

// TestHandleDeadlineLateStore covers a PUT that S3 completes after Handle
// gave up on it: the record was reported for retry, so the redelivery finds
// the object and ends as a duplicate, with the body intact.
func TestHandleDeadlineLateStore(t *testing.T) {
	landed := make(chan struct{}, 2)
	h := newHarness(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut {
				next.ServeHTTP(w, r)
				return
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				t.Errorf("read PUT body: %v", err)
				return
			}
			time.Sleep(300 * time.Millisecond)
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
			landed <- struct{}{}
		})
	})
	h.proc.DeadlineMargin = 50 * time.Millisecond
	recs := validBatch(time.Now(), "late")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	resp, lines := h.handleCtx(ctx, recs...)
	if o := outcomes(t, recs, resp, lines)["m-late"]; o.Outcome != "retry" {
		t.Fatalf("first delivery: outcome %q, want retry", o.Outcome)
	}
	select {
	case <-landed:
	case <-time.After(5 * time.Second):
		t.Fatal("the first delivery's PUT never reached the store")
	}

	resp, lines = h.handle(recs...)
	if o := outcomes(t, recs, resp, lines)["m-late"]; o.Outcome != "duplicate" {
		t.Fatalf("redelivery: outcome %q (%s), want duplicate", o.Outcome, o.Reason)
	}
	if body, _, ok := h.object("orders/late"); !ok || string(body) != recs[0].Body {
		t.Fatalf("stored %q (present %v), want %q", body, ok, recs[0].Body)
	}
}

func TestHandlePastDeadline(t *testing.T) {
	h := newHarness(t, nil)
	recs := validBatch(time.Now(), "a", "b")
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	resp, lines := h.handleCtx(ctx, recs...)
	for id, o := range outcomes(t, recs, resp, lines) {
		if o.Outcome != "retry" {
			t.Errorf("%s: outcome %q, want retry when no time is left", id, o.Outcome)
		}
	}
}

func TestHandleEmptyBatch(t *testing.T) {
	h := newHarness(t, nil)
	resp, lines := h.handle()
	outcomes(t, nil, resp, lines)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v for an empty batch", resp.BatchItemFailures)
	}
}

// TestHandlePanic uses a source configured without a verifier: processing
// its record dereferences nil inside the contract package. That record is
// retried; the rest of the batch is unaffected.
func TestHandlePanic(t *testing.T) {
	h := newHarness(t, nil)
	h.proc.Receivers["broken"] = brokenReceiver(t, "broken")
	now := time.Now()
	recs := validBatch(now, "a", "b")
	recs = append(recs, withAttr(message("m-broken", "{}", now, genericAttrs("evt-x", "t", "{}")), contract.AttrSource, "broken"))
	resp, lines := h.handle(recs...)
	got := outcomes(t, recs, resp, lines)
	const want = "panic: runtime error: invalid memory address or nil pointer dereference at github.com/webhook-ingest/webhook-ingest/contract.(*Verifier).Verify ("
	if o := got["m-broken"]; o.Outcome != "retry" || !strings.HasPrefix(o.Reason, want) {
		t.Fatalf("broken record: outcome %q reason %q, want retry with reason starting %q", o.Outcome, o.Reason, want)
	}
	for _, id := range []string{"m-a", "m-b"} {
		if o := got[id]; o.Outcome != "stored" {
			t.Errorf("%s: outcome %q beside a panicking record, want stored", id, o.Outcome)
		}
	}
}

// TestHandleConcurrency measures how many PUTs are in flight at once when
// each takes 100 ms: exactly the configured bound for a batch larger than it.
func TestHandleConcurrency(t *testing.T) {
	for _, limit := range []int{1, 3, 0} {
		want := cmp.Or(limit, ingest.DefaultConcurrency)
		t.Run(fmt.Sprintf("limit %d", want), func(t *testing.T) {
			var mu sync.Mutex
			inFlight, peak := 0, 0
			h := newHarness(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPut {
						mu.Lock()
						inFlight++
						peak = max(peak, inFlight)
						mu.Unlock()
						time.Sleep(100 * time.Millisecond)
						defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
					}
					next.ServeHTTP(w, r)
				})
			})
			h.proc.Concurrency = limit
			ids := make([]string, want+2)
			for i := range ids {
				ids[i] = fmt.Sprintf("evt-%d", i)
			}
			recs := validBatch(time.Now(), ids...)
			resp, lines := h.handle(recs...)
			for id, o := range outcomes(t, recs, resp, lines) {
				if o.Outcome != "stored" {
					t.Fatalf("%s: outcome %q (%s)", id, o.Outcome, o.Reason)
				}
			}
			if peak != want {
				t.Fatalf("%d PUTs in flight at most, want %d", peak, want)
			}
		})
	}
}
