package ingest

import (
	"context"
	"crypto/sha256"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
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

// Check runs the checks of Process on rec and writes nothing: it reads what
// the record's key holds to tell how storing it would end. The Result is
// Stored with the Key the record would be stored at, Duplicate or Conflict
// when the key holds the same or another body, Rejected with the check the
// record fails, or Retry when the key could not be read.
func (p *Processor) Check(ctx context.Context, rec *events.SQSMessage) Result {
	res := newResult(0, rec)
	v := p.judge(rec, &res)
	if v.failed() {
		return res.end(Rejected, v.code, v.reason).export()
	}
	exists, same, err := p.holds(ctx, res.key, v.body, sha256.Sum256(v.body))
	switch {
	case err != nil:
		return res.end(Retry, contract.ReasonDuplicateCheckFailed, s3Reason("HeadObject", err)).export()
	case !exists:
		return res.end(Stored, "", "").export()
	case same:
		return res.end(Duplicate, "", "").export()
	}
	return res.end(Conflict, contract.ReasonConflict, reasonConflict).export()
}
