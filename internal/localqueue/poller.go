package localqueue

import (
	"context"
	"sync"
	"time"
)

// DefaultInterval is how often an idle Poller looks again for messages whose
// visibility timeout ended.
const DefaultInterval = 100 * time.Millisecond

// Poller feeds a Queue's messages to a handler in batches, as Lambda's event
// source mapping feeds a function: up to BatchSize messages a batch, waiting
// up to Window to fill one, Concurrency batches at once. The messages of a
// batch that the handler does not report as failed are deleted; the failed
// ones come back after the visibility timeout.
type Poller struct {
	Queue       *Queue
	BatchSize   int
	Window      time.Duration
	Concurrency int
	// Timeout bounds the handling of one batch, as the function timeout
	// does: the handler's context ends then.
	Timeout time.Duration
	// Interval is how often an idle poller looks again (default
	// DefaultInterval); a Send wakes it at once.
	Interval time.Duration
	// Handle processes one batch and returns the IDs of the messages that
	// failed (the batchItemFailures).
	Handle func(ctx context.Context, batch []Message) (failed []string)
}

// Run polls until ctx ends, then receives nothing more and waits for the
// batches in flight, whose handling ctx does not cancel. One loop gathers
// the batches and hands each to a goroutine of its own, at most Concurrency
// at once. It returns the first error of the queue, which stops the loop.
func (p *Poller) Run(ctx context.Context) error {
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	slots := make(chan struct{}, max(p.Concurrency, 1))
	for ctx.Err() == nil && !failed() {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		sent := p.Queue.Sent()
		batch, err := p.receive(ctx)
		if err != nil {
			<-slots
			fail(err)
			break
		}
		if len(batch) == 0 {
			<-slots
			select {
			case <-ctx.Done():
			case <-sent:
			case <-time.After(interval):
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := p.handle(ctx, batch); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	return first
}

// receive returns the next batch: what is visible, and with a window, what
// arrives within it until the batch is full.
func (p *Poller) receive(ctx context.Context) ([]Message, error) {
	size := max(p.BatchSize, 1)
	batch, err := p.Queue.Receive(size)
	if err != nil || len(batch) == 0 || p.Window <= 0 {
		return batch, err
	}
	deadline := time.NewTimer(p.Window)
	defer deadline.Stop()
	for len(batch) < size {
		sent := p.Queue.Sent()
		more, err := p.Queue.Receive(size - len(batch))
		if err != nil {
			return batch, err
		}
		batch = append(batch, more...)
		if len(more) > 0 {
			continue
		}
		select {
		case <-sent:
		case <-deadline.C:
			return batch, nil
		case <-ctx.Done():
			return batch, nil
		}
	}
	return batch, nil
}

// handle runs one batch to its end, even when ctx ends meanwhile, and
// deletes the messages that did not fail.
func (p *Poller) handle(ctx context.Context, batch []Message) error {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.Timeout)
	failed := p.Handle(hctx, batch)
	cancel()
	keep := make(map[string]bool, len(failed))
	for _, id := range failed {
		keep[id] = true
	}
	handles := make([]string, 0, len(batch))
	for _, m := range batch {
		if !keep[m.ID] {
			handles = append(handles, m.ReceiptHandle)
		}
	}
	return p.Queue.Delete(handles)
}
