package handoff

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// PutEvents limits: at most 10 entries per call, and entries that total less
// than 256 KB. The SDK documents 1 MB since 2026; the older, stricter figure
// keeps batches valid wherever the larger one has not arrived, and costs
// nothing here because one event is a few hundred bytes.
const (
	maxEntriesPerCall = 10
	maxCallBytes      = 256*1024 - 1
)

// Defaults of Publisher's retry settings.
const (
	defaultMaxAttempts = 3
	defaultBackoff     = 100 * time.Millisecond
)

// permanentCodes are result-entry error codes that no resend can fix; the
// SDK documents them as non-retryable. Other codes (InternalFailure,
// ThrottlingException, and any new one) are resent.
var permanentCodes = map[string]bool{
	"AccessDeniedException":               true,
	"InvalidAccountIdException":           true,
	"InvalidArgument":                     true,
	"MalformedDetail":                     true,
	"RedactionFailure":                    true,
	"NotAuthorizedForSourceException":     true,
	"NotAuthorizedForDetailTypeException": true,
}

// Publisher puts hand-off events on one event bus. It is safe for concurrent
// use.
type Publisher struct {
	Client *eventbridge.Client
	// BusName is the name or ARN of the event bus.
	BusName string
	// MaxAttempts bounds how many times an entry EventBridge failed with a
	// retryable code is sent in all (default 3). Whole-call failures are
	// retried by the SDK client's own retryer, not here.
	MaxAttempts int
	// Backoff is the pause before the first resend, doubled before each
	// further one (default 100ms).
	Backoff time.Duration
}

// Publish publishes the event of one stored webhook. A non-nil error means the
// event was not published and the delivery should be retried.
func (p *Publisher) Publish(ctx context.Context, ev Event) error {
	return p.PublishAll(ctx, []Event{ev})
}

// PublishAll publishes events in as few PutEvents calls as the limits allow,
// resending entries that fail with a retryable code. It returns nil when all
// were published, else a *PublishError listing every event that was not.
func (p *Publisher) PublishAll(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	entries := make([]types.PutEventsRequestEntry, len(events))
	sizes := make([]int, len(events))
	errs := make([]error, len(events))
	var pending []int
	for i, ev := range events {
		var err error
		if entries[i], sizes[i], err = ev.entry(p.BusName); err != nil {
			errs[i] = err
			continue
		}
		pending = append(pending, i)
	}

	pause := cmp.Or(p.Backoff, defaultBackoff)
	for attempt := 1; len(pending) > 0; attempt++ {
		var resend []int
		for _, batch := range batches(pending, sizes) {
			resend = append(resend, p.put(ctx, batch, entries, errs)...)
		}
		if len(resend) == 0 || attempt >= cmp.Or(p.MaxAttempts, defaultMaxAttempts) {
			break
		}
		if err := sleep(ctx, pause); err != nil {
			for _, i := range resend {
				errs[i] = fmt.Errorf("%w; not resent: %w", errs[i], err)
			}
			break
		}
		pause *= 2
		pending = resend
	}

	perr := &PublishError{Bus: p.BusName, Total: len(events)}
	for i, ev := range events {
		if errs[i] != nil {
			perr.Failed = append(perr.Failed, Failure{Event: ev, Err: errs[i]})
		}
	}
	if len(perr.Failed) == 0 {
		return nil
	}
	return perr
}

// put sends one batch of entries (by index) and records each outcome in errs:
// nil when published. It returns the indexes worth resending.
func (p *Publisher) put(ctx context.Context, batch []int, entries []types.PutEventsRequestEntry, errs []error) []int {
	in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(batch))}
	for k, i := range batch {
		in.Entries[k] = entries[i]
	}
	out, err := p.Client.PutEvents(ctx, in)
	if err == nil && len(out.Entries) != len(batch) {
		err = fmt.Errorf("PutEvents answered %d result entries for %d events", len(out.Entries), len(batch))
	}
	if err != nil {
		for _, i := range batch {
			errs[i] = err
		}
		return nil
	}
	var resend []int
	for k, i := range batch {
		r := out.Entries[k]
		if r.ErrorCode == nil && r.EventId != nil {
			errs[i] = nil
			continue
		}
		ee := &EntryError{Code: aws.ToString(r.ErrorCode), Message: aws.ToString(r.ErrorMessage)}
		errs[i] = ee
		if !permanentCodes[ee.Code] {
			resend = append(resend, i)
		}
	}
	return resend
}

// batches splits the pending indexes, in order, into groups that fit one
// PutEvents call. An entry too large for any call goes alone, and EventBridge
// decides.
func batches(pending []int, sizes []int) [][]int {
	var out [][]int
	var cur []int
	bytes := 0
	for _, i := range pending {
		if len(cur) == maxEntriesPerCall || (len(cur) > 0 && bytes+sizes[i] > maxCallBytes) {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
		cur = append(cur, i)
		bytes += sizes[i]
	}
	return append(out, cur)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// EntryError is EventBridge's refusal of one entry of an accepted PutEvents
// call.
type EntryError struct {
	Code    string
	Message string
}

func (e *EntryError) Error() string {
	if e.Code == "" {
		return "entry failed without an error code or event id"
	}
	return e.Code + ": " + e.Message
}

// Failure is one event that was not published, and why.
type Failure struct {
	Event Event
	// Err is an *EntryError, or the error of the whole PutEvents call.
	Err error
}

// PublishError reports the events PublishAll could not publish.
type PublishError struct {
	Bus    string
	Total  int
	Failed []Failure
}

// maxNamed bounds how many failures the error text spells out.
const maxNamed = 3

func (e *PublishError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "publish to event bus %q: %d of %d events failed", e.Bus, len(e.Failed), e.Total)
	for i, f := range e.Failed {
		if i == maxNamed {
			fmt.Fprintf(&b, "; and %d more", len(e.Failed)-maxNamed)
			break
		}
		fmt.Fprintf(&b, "; %s: %v", f.Event.Key, f.Err)
	}
	return b.String()
}

// Unwrap returns the cause of every failure, so that errors.Is and errors.As
// see through to a cancelled context or an SDK error.
func (e *PublishError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}
