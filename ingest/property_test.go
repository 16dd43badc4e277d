package ingest_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
)

// TestPropertyQueueDrains feeds random batches of valid, invalid, duplicated
// and hostile webhooks through a simulated SQS queue to a Processor whose S3
// fails at random, redelivering what Handle reports for retry, until the
// queue is empty. Every valid webhook must end stored exactly once with its
// exact bytes, no invalid one ever, and a record SQS deletes (not reported)
// must already be durably stored or rightly rejected.
//
// Most runs also hand off to an EventBridge that fails at random. Then every
// valid webhook must also be published at least once, no invalid one ever,
// and a stored or duplicate record's event must be published before SQS
// deletes it (consumers dedupe on detail.key, so more than once is fine).
//
// INGEST_PROPERTY_SEED replays a run; the seed fixes the workload and the
// fault draws, goroutine scheduling may still vary.
func TestPropertyQueueDrains(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("INGEST_PROPERTY_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("INGEST_PROPERTY_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with INGEST_PROPERTY_SEED=%d)", seed, seed)
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for i := range iterations {
		s1, s2 := rng.Uint64(), rng.Uint64()
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			runQueue(t, rand.New(rand.NewPCG(s1, s2)))
		})
	}
}

// webhook is one delivery a sender makes, possibly carried by several SQS
// messages (the sender retried, or the gateway accepted it twice).
type webhook struct {
	kind  string
	valid bool
	id    string
	key   string // where a valid webhook must end up
	body  string
}

// busFaults fails PutEvents calls and entries at random, at a rate drawn per
// run, with errors EventBridge documents: throttling and internal failures
// (which the Publisher resends) and access denied (which it does not).
type busFaults struct {
	mu   sync.Mutex
	rng  *rand.Rand
	rate float64
}

var busFaultKinds = []eventbridgetest.Failure{
	{Code: "ThrottlingException", Message: "Rate exceeded"},
	{Code: "InternalFailure", Message: "internal failure"},
	{Code: "AccessDeniedException", Message: "not authorized"},
}

func (f *busFaults) draw() *eventbridgetest.Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng.Float64() >= f.rate {
		return nil
	}
	fail := busFaultKinds[f.rng.IntN(len(busFaultKinds))]
	return &fail
}

func (f *busFaults) install(srv *eventbridgetest.Server) {
	srv.FailCalls(func(int) *eventbridgetest.Failure {
		if fail := f.draw(); fail != nil && fail.Code == "InternalFailure" {
			return &eventbridgetest.Failure{Status: http.StatusInternalServerError, Code: "InternalException", Message: fail.Message}
		}
		return nil
	})
	srv.FailEntries(func(int, eventbridgetest.Entry) *eventbridgetest.Failure { return f.draw() })
}

// queueFaults answers PUTs with random S3 faults, lost responses, hang-ups
// and delays, at a rate drawn per run.
type queueFaults struct {
	mu   sync.Mutex
	rng  *rand.Rand
	rate float64
}

var queueFaultKinds = []s3Fault{slowDown, accessDenied, internalError, conditionalRace, hangUp, lostResponse}

func (f *queueFaults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(w, r)
			return
		}
		f.mu.Lock()
		faulty := f.rng.Float64() < f.rate
		kind := f.rng.IntN(len(queueFaultKinds) + 1)
		delay := time.Duration(f.rng.IntN(30)) * time.Millisecond
		f.mu.Unlock()
		switch {
		case !faulty:
			next.ServeHTTP(w, r)
		case kind < len(queueFaultKinds):
			if fault := queueFaultKinds[kind]; fault.afterStore {
				next.ServeHTTP(discardResponse{}, r)
			} else {
				io.Copy(io.Discard, r.Body)
			}
			queueFaultKinds[kind].write(w)
		default:
			// Slow: the store may land after Handle has given up on it.
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return
			}
			time.Sleep(delay)
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
		}
	})
}

func runQueue(t *testing.T, rng *rand.Rand) {
	faults := &queueFaults{rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), rate: rng.Float64() * 0.5}
	h := newHarness(t, faults.wrap, noSDKRetries)
	h.proc.Concurrency = 1 + rng.IntN(10)
	h.proc.DeadlineMargin = 5 * time.Millisecond
	var bus *eventbridgetest.Server
	if rng.IntN(4) > 0 {
		bus = withEventBridge(h)
		(&busFaults{rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), rate: rng.Float64() * 0.5}).install(bus)
	}
	// publishedKeys returns the keys of the events EventBridge accepted so
	// far, checking each against its webhook.
	byKey := make(map[string]*webhook)
	publishedKeys := func() map[string]bool {
		keys := make(map[string]bool)
		for _, e := range bus.Accepted() {
			ev := detail(t, e)
			w, ok := byKey[ev.Key]
			if !ok {
				t.Fatalf("published an event for %q, which is no valid webhook's key", ev.Key)
			}
			if ev.Size != int64(len(w.body)) || ev.Bucket != h.bucket || ev.WebhookID != w.id || ev.Source != strings.SplitN(w.key, "/", 2)[0] {
				t.Fatalf("event %+v does not describe its webhook (id %q, %d bytes)", ev, w.id, len(w.body))
			}
			keys[ev.Key] = true
		}
		return keys
	}

	now := time.Now()
	var hooks []*webhook
	byMessage := make(map[string]*webhook)
	var queue []events.SQSMessage
	enqueue := func(w *webhook, attrs map[string]string) {
		copies := 1
		if rng.IntN(5) == 0 {
			copies += 1 + rng.IntN(2)
		}
		for range copies {
			id := fmt.Sprintf("m-%d", len(byMessage))
			byMessage[id] = w
			queue = append(queue, message(id, w.body, now.Add(time.Duration(rng.IntN(1000))*time.Millisecond), attrs))
		}
	}

	n := 5 + rng.IntN(40)
	for i := range n {
		id := randomID(rng, i)
		body := randomBody(rng, i)
		w := &webhook{id: id, body: body}
		var attrs map[string]string
		switch k := rng.IntN(10); {
		case k < 4:
			w.kind, w.valid, attrs = "generic", true, genericAttrs(id, "topic-"+strconv.Itoa(i), body)
		case k < 7:
			w.kind, w.valid, attrs = "standard", true, standardAttrs(id, now, body)
		default:
			w.kind, attrs = invalidAttrs(rng, id, now, w, hooks)
		}
		if w.valid {
			src := attrs[contract.AttrSource]
			key, err := contract.ObjectKey(src, id)
			if err != nil {
				t.Fatalf("ObjectKey(%q, %q): %v", src, id, err)
			}
			w.key = key
			byKey[key] = w
		}
		hooks = append(hooks, w)
		enqueue(w, attrs)
	}
	rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })

	storedLines := make(map[string]int)
	for round := 0; len(queue) > 0; round++ {
		if round > 2000 {
			t.Fatalf("queue did not drain: %d messages left after %d batches", len(queue), round)
		}
		size := min(len(queue), 1+rng.IntN(10))
		batch := slices.Clone(queue[:size])
		queue = queue[size:]

		timeout := 30 * time.Second
		if rng.IntN(10) == 0 {
			// A tight invocation: some records are cut off by the deadline.
			timeout = h.proc.DeadlineMargin + time.Duration(rng.IntN(20))*time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		resp, lines := h.handleCtx(ctx, batch...)
		cancel()
		got := outcomes(t, batch, resp, lines)
		var onBus map[string]bool
		if bus != nil {
			onBus = publishedKeys()
		}

		for _, rec := range batch {
			w, o := byMessage[rec.MessageId], got[rec.MessageId]
			switch o.Outcome {
			case "retry":
				at := rng.IntN(len(queue) + 1)
				queue = slices.Insert(queue, at, rec)
				continue
			case "stored", "duplicate":
				if !w.valid {
					t.Fatalf("%s (%s webhook, invalid) ended %s at %q", rec.MessageId, w.kind, o.Outcome, o.Key)
				}
				if o.Key != w.key {
					t.Fatalf("%s ended %s at %q, want key %q", rec.MessageId, o.Outcome, o.Key, w.key)
				}
				if o.Outcome == "stored" {
					if storedLines[w.key]++; storedLines[w.key] > 1 {
						t.Fatalf("%q stored twice", w.key)
					}
				}
				// SQS deletes this message now: the body must be durable,
				// and its event published.
				if body, _, ok := h.object(w.key); !ok || string(body) != w.body {
					t.Fatalf("%s acknowledged as %s but %q holds %q (present %v), want %q", rec.MessageId, o.Outcome, w.key, body, ok, w.body)
				}
				if bus != nil && (!onBus[w.key] || o.Published == nil || !*o.Published) {
					t.Fatalf("%s acknowledged as %s but the event of %q is not published (logged published %s)", rec.MessageId, o.Outcome, w.key, published(o))
				}
			case "rejected":
				if w.valid {
					t.Fatalf("%s (valid %s webhook) rejected: %s", rec.MessageId, w.kind, o.Reason)
				}
			}
		}
	}

	want := make(map[string]string)
	for _, w := range hooks {
		if w.valid {
			want[w.key] = w.body
		}
	}
	if bus != nil {
		onBus := publishedKeys()
		for k := range want {
			if !onBus[k] {
				t.Fatalf("valid webhook %q was never published", k)
			}
		}
	}
	keys := h.keys()
	if len(keys) != len(want) {
		t.Fatalf("bucket holds %d objects, want %d (one per valid webhook)", len(keys), len(want))
	}
	for _, k := range keys {
		wantBody, ok := want[k]
		if !ok {
			t.Fatalf("unexpected object %q", k)
		}
		if body, _, _ := h.object(k); string(body) != wantBody {
			t.Fatalf("%q holds %q, want %q", k, body, wantBody)
		}
	}
}

// invalidAttrs returns a signed-looking delivery that must be rejected, and
// its kind. Some replay a valid webhook's id with another body, so a wrongly
// accepted one would collide with a real object.
func invalidAttrs(rng *rand.Rand, id string, now time.Time, w *webhook, earlier []*webhook) (string, map[string]string) {
	switch rng.IntN(7) {
	case 0:
		attrs := genericAttrs(id, "t", w.body)
		attrs[contract.AttrSignature] = hex.EncodeToString(hmacSHA256([]byte("not-the-secret"), w.body))
		return "wrong secret", attrs
	case 1:
		attrs := genericAttrs(id, "t", w.body)
		w.body += " "
		return "tampered body", attrs
	case 2:
		attrs := genericAttrs(id, "t", w.body)
		attrs[contract.AttrSource] = "ghost"
		return "unknown source", attrs
	case 3:
		attrs := genericAttrs(id, "t", w.body)
		delete(attrs, contract.AttrSignature)
		return "missing signature", attrs
	case 4:
		return "stale timestamp", standardAttrs(id, now.Add(-time.Hour), w.body)
	case 5:
		return "empty id", genericAttrs("", "t", w.body)
	default:
		for _, e := range earlier {
			if e.valid && e.kind == "generic" {
				// The valid webhook's id and signature over a different body.
				return "replayed signature", genericAttrs(e.id, "t", e.body)
			}
		}
		attrs := genericAttrs(id, "t", w.body)
		attrs[contract.AttrSignature] = ""
		return "empty signature", attrs
	}
}

// randomID returns a unique id, often a hostile one.
func randomID(rng *rand.Rand, i int) string {
	n := strconv.Itoa(i)
	switch rng.IntN(8) {
	case 0:
		return "../" + n
	case 1:
		return "/" + n + "/.."
	case 2:
		return "日本-ü-" + n
	case 3:
		return strings.Repeat("x", 2048) + n
	case 4:
		return "a\x00\r\n\x1b" + n
	case 5:
		return "." + n
	default:
		return "evt_" + n + "_" + strconv.FormatUint(rng.Uint64(), 36)
	}
}

// randomBody returns a JSON body or arbitrary bytes, unique per webhook.
func randomBody(rng *rand.Rand, i int) string {
	if rng.IntN(2) == 0 {
		return fmt.Sprintf(`{"n":%d,"pad":%q}`, i, strings.Repeat("p", rng.IntN(2000)))
	}
	b := make([]byte, rng.IntN(2000))
	for j := range b {
		b[j] = byte(rng.Uint32())
	}
	return strconv.Itoa(i) + ":" + string(b)
}
