package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// quarantined is one record in the quarantine, as a listing and a
// HeadObject of its body tell it.
type quarantined struct {
	// Dir is the record's key prefix (contract.QuarantineDir).
	Dir string
	// Source is the source segment of the key: the record's source
	// attribute, or "_unknown".
	Source     string
	Reason     string
	ReceivedAt time.Time
	Size       int64
	Stored     time.Time
}

// filter selects quarantined records.
type filter struct {
	reason   string
	from, to time.Time // zero: unbounded
}

func (f filter) match(q quarantined) bool {
	if f.reason != "" && q.Reason != f.reason {
		return false
	}
	t := q.ReceivedAt
	if t.IsZero() {
		t = q.Stored
	}
	return (f.from.IsZero() || !t.Before(f.from)) && (f.to.IsZero() || t.Before(f.to))
}

// listQuarantine calls visit with every record under prefix that f selects,
// one listing page at a time, reading the pages' heads in parallel. The
// error is for what stops the listing; a record whose head cannot be read
// is reported to visit with err set.
func listQuarantine(ctx context.Context, client *s3.Client, bucket, prefix string, f filter, visit func(q quarantined, err error) error) error {
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		// heads[i] stays zero, its Dir empty, where the key is no record's
		// body.
		type head struct {
			q   quarantined
			err error
		}
		heads := make([]head, len(page.Contents))
		sem := make(chan struct{}, headConcurrency)
		var wg sync.WaitGroup
		for i, obj := range page.Contents {
			dir, ok := contract.IsQuarantineBody(aws.ToString(obj.Key))
			if !ok {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				q := quarantined{Dir: dir, Size: aws.ToInt64(obj.Size), Stored: aws.ToTime(obj.LastModified)}
				q.Source, _, _ = strings.Cut(strings.TrimPrefix(dir, contract.QuarantinePrefix), "/")
				out, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: obj.Key})
				if err != nil {
					heads[i] = head{q: q, err: fmt.Errorf("read metadata of %s: %w", aws.ToString(obj.Key), err)}
					return
				}
				q.Reason = out.Metadata[contract.MetaReasonCode]
				if v := out.Metadata[contract.MetaReceivedAt]; v != "" {
					if q.ReceivedAt, err = time.Parse(time.RFC3339, v); err != nil {
						heads[i] = head{q: q, err: fmt.Errorf("%s: metadata %s %q is not an RFC 3339 time", aws.ToString(obj.Key), contract.MetaReceivedAt, v)}
						return
					}
				}
				heads[i] = head{q: q}
			}()
		}
		wg.Wait()
		for _, h := range heads {
			if h.q.Dir == "" || h.err == nil && !f.match(h.q) {
				continue
			}
			if err := visit(h.q, h.err); err != nil {
				return err
			}
		}
	}
	return nil
}

// quarantineCmd runs "webhook-ops quarantine <subcommand>".
func quarantineCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "ls" {
		return usageError(stderr, "quarantine", "want a subcommand: ls")
	}
	fs := flag.NewFlagSet("quarantine ls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bucket := fs.String("bucket", "", "bucket that stores the webhooks (required unless -stack)")
	stack := fs.String("stack", "", "read -bucket from this stack's outputs (runs pulumi stack output)")
	source := fs.String("source", "", "list only the records of this source attribute (default: all)")
	reason := fs.String("reason", "", "list only the records with this reason code")
	fromFlag := fs.String("from", "", "list records received at or after this time: RFC 3339 or YYYY-MM-DD in UTC")
	toFlag := fs.String("to", "", "list records received before this time")
	if ok, code := parseFlags(fs, args[1:]); !ok {
		return code
	}
	f, code := parseFilter(stderr, "quarantine ls", *reason, *fromFlag, *toFlag)
	if code != exitOK {
		return code
	}
	if *stack != "" && *bucket == "" {
		out, err := readStack(ctx, *stack)
		if err != nil {
			fmt.Fprintf(stderr, "quarantine ls: %v\n", err)
			return exitFailed
		}
		*bucket = out.BucketName
	}
	if *bucket == "" {
		return usageError(stderr, "quarantine ls", "-bucket or -stack is required")
	}
	prefix := contract.QuarantinePrefix
	if *source != "" {
		prefix = contract.QuarantineSourcePrefix(*source)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "quarantine ls: load AWS configuration: %v\n", err)
		return exitFailed
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tSOURCE\tREASON\tBYTES\tRECORD")
	type group struct{ source, reason string }
	counts := map[group]int{}
	bytes := map[group]int64{}
	failed := 0
	err = listQuarantine(ctx, s3.NewFromConfig(cfg), *bucket, prefix, f, func(q quarantined, err error) error {
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "quarantine ls: %v\n", err)
			return nil
		}
		received := "-"
		if !q.ReceivedAt.IsZero() {
			received = q.ReceivedAt.UTC().Format(contract.ReceivedAtLayout)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", received, q.Source, q.Reason, q.Size, q.Dir)
		g := group{q.Source, q.Reason}
		counts[g]++
		bytes[g] += q.Size
		return nil
	})
	tw.Flush()
	fmt.Fprintln(stdout)
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tREASON\tRECORDS\tBYTES")
	total := 0
	for _, g := range slices.SortedFunc(maps.Keys(counts), func(a, b group) int {
		return cmp.Or(strings.Compare(a.source, b.source), strings.Compare(a.reason, b.reason))
	}) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", g.source, g.reason, counts[g], bytes[g])
		total += counts[g]
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d quarantined records in s3://%s/%s\n", total, *bucket, prefix)
	if err != nil {
		fmt.Fprintf(stderr, "quarantine ls: %v\n", err)
		return exitFailed
	}
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

// parseFilter builds a filter from flags, reporting a usage problem.
func parseFilter(stderr io.Writer, cmd, reason, from, to string) (filter, int) {
	f := filter{reason: reason}
	if reason != "" && reason != contract.ReasonConflict && !slices.Contains(contract.RejectReasons, reason) {
		return f, usageError(stderr, cmd, "-reason %q is not a reason code (want %s or one of %v)", reason, contract.ReasonConflict, contract.RejectReasons)
	}
	var err error
	if from != "" {
		if f.from, err = parseTime(from); err != nil {
			return f, usageError(stderr, cmd, "-from: %v", err)
		}
	}
	if to != "" {
		if f.to, err = parseTime(to); err != nil {
			return f, usageError(stderr, cmd, "-to: %v", err)
		}
	}
	if !f.from.IsZero() && !f.to.IsZero() && !f.from.Before(f.to) {
		return f, usageError(stderr, cmd, "-from %s is not before -to %s", f.from.Format(time.RFC3339), f.to.Format(time.RFC3339))
	}
	return f, exitOK
}
