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
	"github.com/webhook-ingest/webhook-ingest/ingest"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
)

// TestPropertyQueueDrains feeds random batches of valid, invalid, duplicated,
// conflicting and hostile webhooks through a simulated SQS queue to a
// Processor whose S3 fails at random, redelivering what Handle reports for
// retry, until the queue is empty. Every record ends stored, duplicate,
// conflict, quarantined (rejected where the quarantine is off) or retry.
// Every key ends holding exactly one of its valid webhooks' bodies, byte for
// byte, no invalid one ever; a conflicting body and every invalid one is in
// the quarantine, byte for byte, with the record that explains it; and a
// record SQS deletes (not reported) must already be durably stored or kept.
//
// Most runs also hand off to an EventBridge that fails at random. Then every
// valid webhook must also be published at least once, no invalid one ever,
// and a stored or duplicate record's event must be published before SQS
// deletes it (consumers dedupe on detail.key, so more than once is fine).
//
// INGEST_PROPERTY_SEED replays a run; the seed fixes the workload and the
// fault draws, goroutine scheduling may still vary.
func TestPropertyQueueDrains(t *testing.T) {
	seed := propertySeed(t)
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for i := range iterations {
		s1, s2 := rng.Uint64(), rng.Uint64()
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			runQueue(t, rand.New(rand.NewPCG(s1, s2)), 10, 5+int(s1%40))
		})
	}
}

// TestPropertyLargeBatches runs the same property with batches of up to
// 100 and 1,000 records, where records run DefaultConcurrency at a time and
// the deadline cuts off more of them.
func TestPropertyLargeBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(propertySeed(t), 0x1a7e))
	for _, run := range []struct{ maxBatch, webhooks int }{{100, 300}, {100, 300}, {1000, 1200}} {
		s1, s2 := rng.Uint64(), rng.Uint64()
		t.Run(fmt.Sprintf("batch=%d", run.maxBatch), func(t *testing.T) {
			runQueue(t, rand.New(rand.NewPCG(s1, s2)), run.maxBatch, run.webhooks)
		})
	}
}

// propertySeed returns the seed of a property run, INGEST_PROPERTY_SEED or
// else the time, and logs how to replay it.
func propertySeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("INGEST_PROPERTY_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("INGEST_PROPERTY_SEED: %v", err)
		}
	}
	t.Logf("seed %d (replay with INGEST_PROPERTY_SEED=%d)", seed, seed)
	return seed
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

// conflictKind is a validly signed webhook that reuses an earlier valid
// webhook's id with another body: one of the two bodies wins the key.
const conflictKind = "conflicting body"

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
		if r.Method != http.MethodPut && r.Method != http.MethodHead {
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

// runQueue drains a queue of about n webhooks in batches of 1 to maxBatch
// records.
func runQueue(t *testing.T, rng *rand.Rand, maxBatch, n int) {
	faults := &queueFaults{rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), rate: rng.Float64() * 0.5}
	h := newHarness(t, faults.wrap, noSDKRetries)
	h.proc.Concurrency = 1 + rng.IntN(10)
	if maxBatch > 10 {
		h.proc.Concurrency = ingest.DefaultConcurrency
	}
	h.proc.DeadlineMargin = 5 * time.Millisecond
	h.proc.Quarantine = rng.IntN(4) > 0
	var bus *eventbridgetest.Server
	if rng.IntN(4) > 0 {
		bus = withEventBridge(h)
		(&busFaults{rng: rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), rate: rng.Float64() * 0.5}).install(bus)
	}
	// publishedKeys returns the keys of the events EventBridge accepted so
	// far, checking each against its webhook.
	byKey := make(map[string][]*webhook)
	publishedKeys := func() map[string]bool {
		keys := make(map[string]bool)
		for _, e := range bus.Accepted() {
			ev := detail(t, e)
			group, ok := byKey[ev.Key]
			if !ok {
				t.Fatalf("published an event for %q, which is no valid webhook's key", ev.Key)
			}
			stored, _, _ := h.object(ev.Key)
			w := group[slices.IndexFunc(group, func(w *webhook) bool { return w.body == string(stored) })]
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

	for i := range n {
		id := randomID(rng, i)
		body := randomBody(rng, i)
		w := &webhook{id: id, body: body}
		var attrs map[string]string
		switch k := rng.IntN(11); {
		case k < 4:
			w.kind, w.valid, attrs = "generic", true, genericAttrs(id, "topic-"+strconv.Itoa(i), body)
		case k < 7:
			w.kind, w.valid, attrs = "standard", true, standardAttrs(id, now, body)
		case k < 8:
			if e := earlierValid(hooks, "generic"); e != nil {
				w.id = e.id
				w.kind, w.valid, attrs = conflictKind, true, genericAttrs(e.id, "t", body)
				break
			}
			fallthrough
		default:
			w.kind, attrs = invalidAttrs(rng, id, now, w, hooks)
		}
		if w.valid {
			src := attrs[contract.AttrSource]
			key, err := contract.ObjectKey(src, w.id)
			if err != nil {
				t.Fatalf("ObjectKey(%q, %q): %v", src, w.id, err)
			}
			w.key = key
			byKey[key] = append(byKey[key], w)
		}
		hooks = append(hooks, w)
		enqueue(w, attrs)
	}
	rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })

	storedLines := make(map[string]int)
	// quarantined holds the quarantine directories of the records that
	// ended quarantined or conflict.
	quarantined := make(map[string]bool)
	for round := 0; len(queue) > 0; round++ {
		if round > 2000+n {
			t.Fatalf("queue did not drain: %d messages left after %d batches", len(queue), round)
		}
		size := min(len(queue), 1+rng.IntN(maxBatch))
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
			case "conflict":
				if !w.valid || len(byKey[w.key]) < 2 {
					t.Fatalf("%s (%s webhook) ended conflict: %s", rec.MessageId, w.kind, o.Reason)
				}
				if body, _, ok := h.object(w.key); !ok || string(body) == w.body {
					t.Fatalf("%s ended conflict but %q holds its own body (present %v)", rec.MessageId, w.key, ok)
				}
				checkQuarantined(t, h, rec, o, w.body)
				if o.Quarantine != "" {
					quarantined[o.Quarantine] = true
				}
			case "quarantined":
				if w.valid || !h.proc.Quarantine {
					t.Fatalf("%s (%s webhook, valid %v) quarantined with quarantine %v: %s", rec.MessageId, w.kind, w.valid, h.proc.Quarantine, o.Reason)
				}
				checkQuarantined(t, h, rec, o, w.body)
				quarantined[o.Quarantine] = true
			case "rejected":
				if w.valid || h.proc.Quarantine {
					t.Fatalf("%s (%s webhook, valid %v) rejected with quarantine %v: %s", rec.MessageId, w.kind, w.valid, h.proc.Quarantine, o.Reason)
				}
			}
		}
	}

	if bus != nil {
		onBus := publishedKeys()
		for k := range byKey {
			if !onBus[k] {
				t.Fatalf("valid webhook %q was never published", k)
			}
		}
	}
	var stored, inQuarantine []string
	for _, k := range h.keys() {
		if strings.HasPrefix(k, contract.QuarantinePrefix) {
			inQuarantine = append(inQuarantine, k)
		} else {
			stored = append(stored, k)
		}
	}
	if len(stored) != len(byKey) {
		t.Fatalf("bucket holds %d objects, want %d (one per valid key)", len(stored), len(byKey))
	}
	for _, k := range stored {
		group, ok := byKey[k]
		if !ok {
			t.Fatalf("unexpected object %q", k)
		}
		body, _, _ := h.object(k)
		if !slices.ContainsFunc(group, func(w *webhook) bool { return w.body == string(body) }) {
			t.Fatalf("%q holds %q, none of its webhooks' bodies", k, body)
		}
	}
	var wantQuarantine []string
	for dir := range quarantined {
		wantQuarantine = append(wantQuarantine, dir+contract.QuarantineBody, dir+contract.QuarantineRecordFile)
	}
	if slices.Sort(inQuarantine); !slices.Equal(inQuarantine, slices.Sorted(slices.Values(wantQuarantine))) {
		t.Fatalf("quarantine holds %q, want %q", inQuarantine, slices.Sorted(slices.Values(wantQuarantine)))
	}
}

// checkQuarantined checks that the record rec, logged o, is quarantined
// with body, byte for byte, and a record that gives its cause and every
// attribute it carried; or, where the quarantine is off, that it is not.
func checkQuarantined(t *testing.T, h *harness, rec events.SQSMessage, o logLine, body string) {
	t.Helper()
	if !h.proc.Quarantine {
		if o.Quarantine != "" {
			t.Fatalf("%s quarantined in %q with the quarantine off", rec.MessageId, o.Quarantine)
		}
		return
	}
	var source string
	if a := rec.MessageAttributes[contract.AttrSource]; a.StringValue != nil {
		source = *a.StringValue
	}
	if want := contract.QuarantineDir(source, rec.MessageId); o.Quarantine != want {
		t.Fatalf("%s quarantined in %q, want %q", rec.MessageId, o.Quarantine, want)
	}
	got, _, ok := h.object(o.Quarantine + contract.QuarantineBody)
	if !ok || string(got) != body {
		t.Fatalf("%s: quarantine body %q (present %v), want %q", rec.MessageId, got, ok, body)
	}
	raw, _, ok := h.object(o.Quarantine + contract.QuarantineRecordFile)
	if !ok {
		t.Fatalf("%s: no %s in %s", rec.MessageId, contract.QuarantineRecordFile, o.Quarantine)
	}
	q, err := contract.ParseQuarantineRecord(raw)
	if err != nil {
		t.Fatal(err)
	}
	if q.MessageID != rec.MessageId || q.ReasonCode != o.ReasonCode || q.Reason != o.Reason || q.Size != int64(len(body)) {
		t.Fatalf("%s: quarantine record %+v, logged %s %q", rec.MessageId, q, o.ReasonCode, o.Reason)
	}
	for name, a := range rec.MessageAttributes {
		if q.Attributes[name] != *a.StringValue {
			t.Fatalf("%s: quarantine record has %s = %q, want %q", rec.MessageId, name, q.Attributes[name], *a.StringValue)
		}
	}
}

// earlierValid returns an earlier valid webhook of kind, or nil.
func earlierValid(hooks []*webhook, kind string) *webhook {
	for _, e := range hooks {
		if e.valid && e.kind == kind {
			return e
		}
	}
	return nil
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
		if e := earlierValid(earlier, "generic"); e != nil {
			// The valid webhook's id and signature over a different body.
			return "replayed signature", genericAttrs(e.id, "t", e.body)
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
