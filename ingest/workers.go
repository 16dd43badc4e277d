package ingest

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"
)

// Records run on worker goroutines that outlive their batch, shared by every
// Processor of the process. A record goes through the SDK's deep middleware
// chain, where a fresh goroutine grows its stack by copying it several
// times: 11 % of the CPU of batches of 100 in process, against 5 % with
// workers, which keep their grown stacks (the GC halves an idle one at most
// once per cycle). There are never more workers than the most records in
// flight at once in the process.
var (
	// idleWorkers counts the workers committed to take the next job.
	idleWorkers atomic.Int64
	jobs        = make(chan job)
)

// job is one record of a batch, with where its result goes and the batch's
// slot it holds.
type job struct {
	p       *Processor
	ctx     context.Context
	index   int
	rec     *events.SQSMessage
	results chan<- result
	slots   <-chan struct{}
}

// dispatch runs each record on a worker, at most Concurrency of the batch
// at once, and stops handing records out when ctx ends.
func (p *Processor) dispatch(ctx context.Context, records []events.SQSMessage, results chan<- result) {
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
		run(job{p: p, ctx: ctx, index: i, rec: &records[i], results: results, slots: slots})
	}
}

// run hands j to an idle worker, or to a new one when none is idle.
func run(j job) {
	for {
		n := idleWorkers.Load()
		if n == 0 {
			go work(j)
			return
		}
		if idleWorkers.CompareAndSwap(n, n-1) {
			jobs <- j
			return
		}
	}
}

// work runs j, then every job handed to it. It counts itself idle before it
// hands over its result and frees its slot, either of which lets a record
// start (the next of this batch, or the first of the next batch once this
// one is complete), so that the record finds it rather than starting
// another worker. Neither blocks: results has room for every record of the
// batch, and slots holds this job's token. It drops each job before
// waiting, so that an idle worker keeps no batch alive.
func work(j job) {
	for {
		r := j.p.process(j.ctx, j.index, j.rec)
		results, slots := j.results, j.slots
		j = job{}
		idleWorkers.Add(1)
		results <- r
		<-slots
		j = <-jobs
	}
}
