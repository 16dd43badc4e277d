package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// headConcurrency bounds the HeadObject requests in flight.
const headConcurrency = 8

// storeClockSkew is how far S3's LastModified may lag behind the received-at
// the handler wrote. An object is stored after it is received, so one last
// modified more than this before -from cannot match and is not looked at.
const storeClockSkew = 5 * time.Minute

func replay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bucket := fs.String("bucket", "", "bucket that stores the webhooks (required)")
	source := fs.String("source", "", "source whose webhooks to replay (required)")
	fromFlag := fs.String("from", "", "replay webhooks received at or after this time: RFC 3339 or YYYY-MM-DD in UTC (required)")
	toFlag := fs.String("to", "", "replay webhooks received before this time (default: now)")
	bus := fs.String("bus", "", "event bus name or ARN to publish to (required unless -dry-run)")
	dryRun := fs.Bool("dry-run", false, "list the webhooks that would be replayed and publish nothing")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *bucket == "" || *source == "" || *fromFlag == "" {
		return usageError(stderr, "replay", "-bucket, -source and -from are required")
	}
	if err := contract.ValidateSourceName(*source); err != nil {
		return usageError(stderr, "replay", "-source: %v", err)
	}
	if *bus == "" && !*dryRun {
		return usageError(stderr, "replay", "-bus is required unless -dry-run")
	}
	from, err := parseTime(*fromFlag)
	if err != nil {
		return usageError(stderr, "replay", "-from: %v", err)
	}
	to := time.Now().UTC()
	if *toFlag != "" {
		if to, err = parseTime(*toFlag); err != nil {
			return usageError(stderr, "replay", "-to: %v", err)
		}
	}
	if !from.Before(to) {
		return usageError(stderr, "replay", "-from %s is not before -to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "replay: load AWS configuration: %v\n", err)
		return exitFailed
	}
	r := replayer{
		s3:     s3.NewFromConfig(cfg),
		bucket: *bucket,
		source: *source,
		from:   from,
		to:     to,
		stdout: stdout,
		stderr: stderr,
	}
	if !*dryRun {
		r.publisher = &handoff.Publisher{Client: eventbridge.NewFromConfig(cfg), BusName: *bus}
	}
	err = r.run(ctx)
	summary := fmt.Sprintf("%s/: %d objects listed, %d received in [%s, %s), ", *source, r.listed, r.matched, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
	if *dryRun {
		fmt.Fprintf(stdout, "%s%d failed; dry run, nothing published\n", summary, r.failed)
	} else {
		fmt.Fprintf(stdout, "%s%d published, %d failed\n", summary, r.published, r.failed)
	}
	if err != nil {
		fmt.Fprintf(stderr, "replay: %v\n", err)
		return exitFailed
	}
	if r.failed > 0 {
		return exitFailed
	}
	return exitOK
}

// parseTime accepts RFC 3339 or a bare date, which means midnight UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-11-28T09:00:00Z) nor a date (2026-11-28)", s)
	}
	return t, nil
}

// replayer publishes again the hand-off events of one source's webhooks
// received in [from, to), one listing page at a time.
type replayer struct {
	s3        *s3.Client
	publisher *handoff.Publisher // nil for a dry run
	bucket    string
	source    string
	from, to  time.Time
	stdout    io.Writer
	stderr    io.Writer

	listed, matched, published, failed int
}

// run lists the source's objects and replays the matching ones. A problem
// with one object is reported on stderr and counted as failed; the error is
// for what stops the whole replay.
func (r *replayer) run(ctx context.Context) error {
	prefix := r.source + "/"
	pages := s3.NewListObjectsV2Paginator(r.s3, &s3.ListObjectsV2Input{
		Bucket: aws.String(r.bucket),
		Prefix: aws.String(prefix),
		// Keys are "<source>/<id>" and ids never hold '/': deeper keys are
		// not webhooks.
		Delimiter: aws.String("/"),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", r.bucket, prefix, err)
		}
		r.listed += len(page.Contents)
		events := r.pick(ctx, page.Contents)
		r.matched += len(events)
		if err := r.publish(ctx, events); err != nil {
			return err
		}
	}
	return nil
}

// pick reads the metadata of the page's objects that may match, in
// parallel, and returns the events of those received in [from, to), in key
// order.
func (r *replayer) pick(ctx context.Context, objects []s3types.Object) []handoff.Event {
	type result struct {
		event handoff.Event
		note  string
		match bool
		err   error
	}
	results := make([]result, len(objects))
	sem := make(chan struct{}, headConcurrency)
	var wg sync.WaitGroup
	for i, obj := range objects {
		if obj.LastModified != nil && obj.LastModified.Before(r.from.Add(-storeClockSkew)) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ev, note, err := r.event(ctx, obj)
			results[i] = result{event: ev, note: note, err: err, match: err == nil && !ev.ReceivedAt.Before(r.from) && ev.ReceivedAt.Before(r.to)}
		}()
	}
	wg.Wait()

	var events []handoff.Event
	for i, res := range results {
		switch {
		case res.err != nil:
			r.failed++
			fmt.Fprintf(r.stderr, "replay: %s: %v\n", aws.ToString(objects[i].Key), res.err)
		case res.match:
			if res.note != "" {
				fmt.Fprintf(r.stderr, "replay: %s: %s\n", res.event.Key, res.note)
			}
			events = append(events, res.event)
		}
	}
	return events
}

// event rebuilds the hand-off event of a stored webhook from its listing entry
// and metadata. Without received-at metadata the object's LastModified stands
// in for the received time; without webhook-id the key's last part does,
// which is the id itself unless the id had to be hashed. note warns of values
// the handler had to cut short when it stored them.
func (r *replayer) event(ctx context.Context, obj s3types.Object) (ev handoff.Event, note string, err error) {
	key := aws.ToString(obj.Key)
	head, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: obj.Key})
	if err != nil {
		return handoff.Event{}, "", fmt.Errorf("read metadata: %w", err)
	}
	ev = handoff.Event{
		Source:     r.source,
		Topic:      contract.DecodeMetaValue(head.Metadata[contract.MetaTopic]),
		WebhookID:  contract.DecodeMetaValue(head.Metadata[contract.MetaWebhookID]),
		Bucket:     r.bucket,
		Key:        key,
		Size:       aws.ToInt64(head.ContentLength),
		ReceivedAt: aws.ToTime(head.LastModified),
	}
	if ev.WebhookID == "" {
		ev.WebhookID = strings.TrimPrefix(key, r.source+"/")
	}
	if v, ok := head.Metadata[contract.MetaReceivedAt]; ok {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return handoff.Event{}, "", fmt.Errorf("metadata %s %q is not an RFC 3339 time", contract.MetaReceivedAt, v)
		}
		ev.ReceivedAt = t
	}
	ev.ReceivedAt = ev.ReceivedAt.UTC()
	if cut := head.Metadata[contract.MetaTruncated]; cut != "" {
		note = "metadata " + cut + " was cut short when stored; the event carries what was kept"
	}
	return ev, note, nil
}

// publish publishes one page's events, or lists them for a dry run.
func (r *replayer) publish(ctx context.Context, events []handoff.Event) error {
	if r.publisher == nil {
		for _, ev := range events {
			fmt.Fprintf(r.stdout, "%s  %s  %s  %d bytes\n", ev.ReceivedAt.Format(time.RFC3339Nano), ev.Key, ev.DetailType(), ev.Size)
		}
		return nil
	}
	err := r.publisher.PublishAll(ctx, events)
	var perr *handoff.PublishError
	if err != nil && !errors.As(err, &perr) {
		return err
	}
	r.published += len(events)
	if perr == nil {
		return nil
	}
	r.published -= len(perr.Failed)
	r.failed += len(perr.Failed)
	for _, f := range perr.Failed {
		fmt.Fprintf(r.stderr, "replay: %s: publish: %v\n", f.Event.Key, f.Err)
	}
	// A cancelled replay stops here rather than failing page after page.
	return ctx.Err()
}
