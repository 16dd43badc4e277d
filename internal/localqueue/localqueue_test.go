package localqueue

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, path string, opts Options) *Queue {
	t.Helper()
	q, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func send(t *testing.T, q *Queue, bodies ...string) []Message {
	t.Helper()
	var out []Message
	for _, b := range bodies {
		m, err := q.Send([]byte(b), map[string]string{"source": "orders"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func receive(t *testing.T, q *Queue, max int) []Message {
	t.Helper()
	ms, err := q.Receive(max)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func bodies(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Body))
	}
	return out
}

func handles(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ReceiptHandle)
	}
	return out
}

// waitVisible waits out the visibility timeout of what was just received.
func waitVisible(q *Queue) { time.Sleep(q.opts.Visibility + time.Millisecond) }

// deadLetters returns the messages of the dead-letter queue, oldest first.
func deadLetters(t *testing.T, q *Queue) []Message {
	t.Helper()
	var out []Message
	err := q.db.View(func(tx *bolt.Tx) error {
		return forEach(tx.Bucket(deadBucket), func(_ []byte, r *record) error {
			out = append(out, r.Message)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSendReceiveDelete(t *testing.T) {
	q := open(t, filepath.Join(t.TempDir(), "q.db"), Options{Visibility: time.Hour, MaxReceiveCount: 5})
	sent := send(t, q, "a", "b", "c")
	got := receive(t, q, 2)
	if !slices.Equal(bodies(got), []string{"a", "b"}) || got[0].ID != sent[0].ID || got[0].ReceiveCount != 1 || got[0].Attributes["source"] != "orders" {
		t.Fatalf("first receive %+v", got)
	}
	if again := receive(t, q, 10); !slices.Equal(bodies(again), []string{"c"}) {
		t.Fatalf("second receive %v: in-flight messages must stay invisible", bodies(again))
	}
	if err := q.Delete(handles(got)); err != nil {
		t.Fatal(err)
	}
	s, err := q.Stats()
	if err != nil || s != (Stats{Visible: 0, InFlight: 1, DeadLetters: 0}) {
		t.Errorf("stats %+v, %v", s, err)
	}
	if err := q.Delete([]string{"nonsense"}); err == nil {
		t.Error("a malformed receipt handle was accepted")
	}
}

// TestRedelivery: what is not deleted comes back after the visibility
// timeout, with its receive count up; a handle of an earlier receive no
// longer deletes it; after MaxReceiveCount receives it moves to the
// dead-letter queue.
func TestRedelivery(t *testing.T) {
	q := open(t, filepath.Join(t.TempDir(), "q.db"), Options{Visibility: 20 * time.Millisecond, MaxReceiveCount: 3})
	send(t, q, "retry me")
	var first Message
	for n := 1; n <= 3; n++ {
		if n > 1 {
			waitVisible(q)
		}
		got := receive(t, q, 10)
		if len(got) != 1 || got[0].ReceiveCount != n {
			t.Fatalf("receive %d: %+v", n, got)
		}
		if n == 1 {
			first = got[0]
		}
	}
	if err := q.Delete([]string{first.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	waitVisible(q)
	if got := receive(t, q, 10); len(got) != 0 {
		t.Fatalf("receive after %d receives: %+v, want none (dead-lettered)", 3, got)
	}
	dead := deadLetters(t, q)
	if len(dead) != 1 || string(dead[0].Body) != "retry me" || dead[0].ReceiveCount != 3 || dead[0].ID != first.ID {
		t.Fatalf("dead letters %+v", dead)
	}
	if s, _ := q.Stats(); s != (Stats{DeadLetters: 1}) {
		t.Errorf("stats %+v", s)
	}
}

// TestRestart: what was sent survives closing the file, and what was in
// flight is visible at once after a restart, its receive counted.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := Open(path, Options{Visibility: time.Hour, MaxReceiveCount: 5})
	if err != nil {
		t.Fatal(err)
	}
	send(t, q, "in flight", "waiting")
	receive(t, q, 1)
	if _, err := Open(path, Options{Visibility: time.Hour, MaxReceiveCount: 5}); !errors.Is(err, ErrLocked) {
		t.Errorf("second Open of a file in use: %v, want ErrLocked", err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = open(t, path, Options{Visibility: time.Hour, MaxReceiveCount: 5})
	got := receive(t, q, 10)
	if !slices.Equal(bodies(got), []string{"in flight", "waiting"}) || got[0].ReceiveCount != 2 || got[1].ReceiveCount != 1 {
		t.Fatalf("after restart %+v", got)
	}
}

func TestOpenOptions(t *testing.T) {
	for _, o := range []Options{{MaxReceiveCount: 5}, {Visibility: time.Second}} {
		if _, err := Open(filepath.Join(t.TempDir(), "q.db"), o); err == nil {
			t.Errorf("Open with %+v succeeded", o)
		}
	}
}

// poll runs p until stop is called; done gets Run's error.
func poll(p *Poller) (stop context.CancelFunc, done <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	return cancel, errc
}

// TestPoller: batches of at most BatchSize; the failed messages of a
// batch come back and the rest are deleted; a message that keeps failing
// ends in the dead-letter queue; stopping lets the batch in flight finish.
func TestPoller(t *testing.T) {
	q := open(t, filepath.Join(t.TempDir(), "q.db"), Options{Visibility: 20 * time.Millisecond, MaxReceiveCount: 2})
	var (
		mu      sync.Mutex
		sizes   []int
		handled = map[string]int{}
	)
	p := &Poller{Queue: q, BatchSize: 3, Concurrency: 1, Timeout: time.Second, Interval: 5 * time.Millisecond,
		Handle: func(ctx context.Context, batch []Message) []string {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("a batch without the function timeout")
			}
			mu.Lock()
			defer mu.Unlock()
			sizes = append(sizes, len(batch))
			var failed []string
			for _, m := range batch {
				handled[string(m.Body)]++
				if string(m.Body) == "poison" {
					failed = append(failed, m.ID)
				}
			}
			return failed
		}}
	for i := range 7 {
		send(t, q, fmt.Sprint("m", i))
	}
	send(t, q, "poison")
	stop, done := poll(p)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err := q.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if s == (Stats{DeadLetters: 1}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v after 10s", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, n := range sizes {
		if n > 3 {
			t.Errorf("batch of %d, over BatchSize 3", n)
		}
	}
	for i := range 7 {
		if handled[fmt.Sprint("m", i)] != 1 {
			t.Errorf("m%d handled %d times, want once", i, handled[fmt.Sprint("m", i)])
		}
	}
	if handled["poison"] != 2 {
		t.Errorf("poison handled %d times, want MaxReceiveCount (2)", handled["poison"])
	}
}

// TestPollerWindow: with a batching window, a batch waits for more messages
// until it is full.
func TestPollerWindow(t *testing.T) {
	q := open(t, filepath.Join(t.TempDir(), "q.db"), Options{Visibility: time.Minute, MaxReceiveCount: 5})
	batches := make(chan int, 10)
	p := &Poller{Queue: q, BatchSize: 3, Window: time.Minute, Concurrency: 1, Timeout: time.Second, Interval: 5 * time.Millisecond,
		Handle: func(_ context.Context, batch []Message) []string {
			batches <- len(batch)
			return nil
		}}
	stop, done := poll(p)
	send(t, q, "1")
	send(t, q, "2")
	select {
	case n := <-batches:
		t.Fatalf("a batch of %d left before the window or a full batch", n)
	case <-time.After(50 * time.Millisecond):
	}
	send(t, q, "3")
	select {
	case n := <-batches:
		if n != 3 {
			t.Errorf("batch of %d, want the full 3", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no batch once full")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPollerDrains: stopping waits for the batch in flight, which is not
// cancelled, and its messages are deleted.
func TestPollerDrains(t *testing.T) {
	q := open(t, filepath.Join(t.TempDir(), "q.db"), Options{Visibility: time.Minute, MaxReceiveCount: 5})
	started, release := make(chan struct{}), make(chan struct{})
	p := &Poller{Queue: q, BatchSize: 10, Concurrency: 2, Timeout: time.Minute, Interval: 5 * time.Millisecond,
		Handle: func(ctx context.Context, _ []Message) []string {
			close(started)
			<-release
			if ctx.Err() != nil {
				t.Error("the batch in flight was cancelled by the stop")
			}
			return nil
		}}
	send(t, q, "slow")
	stop, done := poll(p)
	<-started
	stop()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) before the batch in flight finished", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s, _ := q.Stats(); s != (Stats{}) {
		t.Errorf("stats after the drain %+v, want empty", s)
	}
}
