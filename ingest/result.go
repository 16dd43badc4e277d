package ingest

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
)

// Result is how one record ended, as Process and Check report it.
type Result struct {
	Outcome Outcome
	// Code and Reason say why, for every outcome but stored and duplicate.
	Code, Reason string
	// ID is the delivery id once known, Key its object key, and Quarantine
	// the directory the record was quarantined in, if it was.
	ID, Key, Quarantine string
}

func (r result) export() Result {
	return Result{Outcome: r.outcome, Code: r.code, Reason: r.reason, ID: r.id, Key: r.key, Quarantine: r.quarantined}
}

// Process takes one record to its outcome exactly as Handle does, without a
// deadline margin or a log line: for tools that run a record through the
// handler's own path again, such as webhook-ops reverify.
func (p *Processor) Process(ctx context.Context, rec *events.SQSMessage) Result {
	return p.process(ctx, 0, rec).export()
}

// Check runs the checks of Process on rec and writes nothing. The Result is
// Stored with the Key the record would be stored at, or Rejected with the
// check it fails.
func (p *Processor) Check(rec *events.SQSMessage) Result {
	res := newResult(0, rec)
	if v := p.judge(rec, &res); v.failed() {
		return res.end(Rejected, v.code, v.reason).export()
	}
	return res.end(Stored, "", "").export()
}
