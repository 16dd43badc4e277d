package main

import (
	"cmp"
	"context" //nolint:gosec // G501: S3's ETag of a single-part upload is an MD5, compared as the handler compares it
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

// reverifyFunction stands for the function's name in the processors
// reverify builds; they write no log line, so no metric carries it.
const reverifyFunction = "webhook-ops-reverify"

func reverify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reverify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	source := fs.String("source", "", "source to verify the records as and store them under (required)")
	bucket := fs.String("bucket", "", "bucket that stores the webhooks (required unless -stack)")
	parameter := fs.String("parameter", "", "SSM parameter holding the source's current secrets (required unless -stack)")
	stack := fs.String("stack", "", "read -bucket, -parameter and -bus from this stack's outputs (runs pulumi stack output)")
	origin := fs.String("origin", "", "re-verify the records quarantined under this source attribute instead of -source's (a record sent to the wrong route)")
	preset := fs.String("preset", "", "verify with this built-in preset instead of the one each record was received under")
	reason := fs.String("reason", "", "re-verify only the records with this reason code")
	fromFlag := fs.String("from", "", "re-verify records received at or after this time: RFC 3339 or YYYY-MM-DD in UTC")
	toFlag := fs.String("to", "", "re-verify records received before this time")
	bus := fs.String("bus", "", "event bus to hand stored records off to, as the handler does (default: the stack's, if any)")
	dryRun := fs.Bool("dry-run", false, "verify and report, store and remove nothing")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *source == "" {
		return usageError(stderr, "reverify", "-source is required")
	}
	if err := contract.ValidateSourceName(*source); err != nil {
		return usageError(stderr, "reverify", "-source: %v", err)
	}
	if *preset == contract.CustomPreset {
		return usageError(stderr, "reverify", "-preset custom needs its custom block: fix the source in the stack and re-verify with the preset each record was received under")
	}
	if _, ok := contract.LookupPreset(*preset); *preset != "" && !ok {
		return usageError(stderr, "reverify", "-preset %q is not a built-in preset (want one of %v)", *preset, contract.PresetNames())
	}
	f, code := parseFilter(stderr, "reverify", *reason, *fromFlag, *toFlag)
	if code != exitOK {
		return code
	}
	if *stack != "" {
		out, err := readStack(ctx, *stack)
		if err != nil {
			fmt.Fprintf(stderr, "reverify: %v\n", err)
			return exitFailed
		}
		*bucket = cmp.Or(*bucket, out.BucketName)
		*bus = cmp.Or(*bus, out.EventBusName)
		if *parameter == "" {
			p, ok := out.SecretParameters[*source]
			if !ok {
				return usageError(stderr, "reverify", "stack %s has no source %q (its sources: %s); give -parameter",
					*stack, *source, strings.Join(slices.Sorted(maps.Keys(out.SecretParameters)), ", "))
			}
			*parameter = p
		}
	}
	if *bucket == "" || *parameter == "" {
		return usageError(stderr, "reverify", "-bucket and -parameter are required (or -stack, whose outputs name them)")
	}

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "reverify: load AWS configuration: %v\n", err)
		return exitFailed
	}
	secrets, err := readSecrets(ctx, ssm.NewFromConfig(cfg), *parameter)
	if err != nil {
		fmt.Fprintf(stderr, "reverify: %v\n", err)
		return exitFailed
	}
	r := &reverifier{
		s3:         s3.NewFromConfig(cfg, ingest.S3Options, quietGets),
		bucket:     *bucket,
		source:     *source,
		preset:     *preset,
		secrets:    secrets,
		dryRun:     *dryRun,
		stdout:     stdout,
		processors: map[string]*ingest.Processor{},
		counts:     map[string]int{},
	}
	if *bus != "" {
		r.publisher = &handoff.Publisher{Client: eventbridge.NewFromConfig(cfg, ingest.EventBridgeOptions), BusName: *bus}
	}
	from := cmp.Or(*origin, *source)
	err = listQuarantine(ctx, r.s3, *bucket, contract.QuarantineSourcePrefix(from), f, func(q quarantined, err error) error {
		if err != nil {
			r.tally(q.Dir, "error", err.Error())
			return nil
		}
		r.one(ctx, q)
		return ctx.Err()
	})
	r.summary(from)
	if err != nil {
		fmt.Fprintf(stderr, "reverify: %v\n", err)
		return exitFailed
	}
	if r.recovered != r.read {
		return exitFailed
	}
	return exitOK
}

// quietGets keeps the SDK from logging, at every GetObject from a store
// that sends no checksum (S3-compatible stores), that it could not validate
// one: the command's output is its report.
func quietGets(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }

// readSecrets reads the current value of a SecureString parameter, with the
// same GetParameters call the handler makes.
func readSecrets(ctx context.Context, client *ssm.Client, name string) (string, error) {
	out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{name}, WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read secret parameter %s: %w", name, err)
	}
	if len(out.Parameters) != 1 {
		return "", fmt.Errorf("secret parameter %s not found, or not readable with these credentials", name)
	}
	return aws.ToString(out.Parameters[0].Value), nil
}

// reverifier runs quarantined records through the handler's own path again.
type reverifier struct {
	s3        *s3.Client
	publisher *handoff.Publisher
	bucket    string
	source    string
	// preset, when set, replaces the preset each record was received under.
	preset  string
	secrets string
	dryRun  bool
	stdout  io.Writer
	// processors holds one Processor per source configuration met, keyed
	// by its JSON.
	processors map[string]*ingest.Processor

	read, recovered int
	// counts are the records by how they ended: stored, duplicate,
	// conflict, "failing <reason code>", refused or error.
	counts map[string]int
}

// tally counts one record and prints its line.
func (r *reverifier) tally(dir, what, detail string) {
	r.read++
	r.counts[what]++
	fmt.Fprintf(r.stdout, "%s  %s  %s\n", dir, what, detail)
}

// one re-verifies one quarantined record and, unless it is a dry run,
// stores it where it verifies and then removes it from the quarantine.
func (r *reverifier) one(ctx context.Context, q quarantined) {
	record, body, err := r.load(ctx, q.Dir)
	if err != nil {
		r.tally(q.Dir, "error", err.Error())
		return
	}
	p, refusal := r.processor(record)
	if refusal != "" {
		r.tally(q.Dir, "refused", refusal)
		return
	}
	msg := message(record, r.source, body)
	if r.dryRun {
		r.predict(q.Dir, p.Check(ctx, &msg))
		return
	}
	res := p.Process(ctx, &msg)
	switch res.Outcome {
	case ingest.Stored, ingest.Duplicate:
		if err := r.remove(ctx, q.Dir); err != nil {
			r.tally(q.Dir, "error", fmt.Sprintf("%s at %s, but %v", res.Outcome, res.Key, err))
			return
		}
		r.recovered++
		r.tally(q.Dir, string(res.Outcome), res.Key)
	case ingest.Conflict:
		r.tally(q.Dir, string(res.Outcome), res.Key+" holds a different body; the record stays in the quarantine")
	case ingest.Rejected:
		r.tally(q.Dir, "failing "+res.Code, res.Reason)
	default:
		r.tally(q.Dir, "error", fmt.Sprintf("%s: %s", res.Code, res.Reason))
	}
}

// predict reports, for a dry run, how storing a record would end.
func (r *reverifier) predict(dir string, res ingest.Result) {
	switch res.Outcome {
	case ingest.Stored:
		r.recovered++
		r.tally(dir, "verifies", "would store at "+res.Key)
	case ingest.Duplicate:
		r.recovered++
		r.tally(dir, string(ingest.Duplicate), res.Key+" holds it already; it would be removed from the quarantine")
	case ingest.Conflict:
		r.tally(dir, string(ingest.Conflict), res.Key+" holds a different body; the record would stay in the quarantine")
	case ingest.Rejected:
		r.tally(dir, "failing "+res.Code, res.Reason)
	default:
		r.tally(dir, "error", fmt.Sprintf("verifies, but reading the metadata of %s failed: %s", res.Key, res.Reason))
	}
}

// load reads a quarantined record's file and body.
func (r *reverifier) load(ctx context.Context, dir string) (contract.QuarantineRecord, []byte, error) {
	raw, err := r.get(ctx, dir+contract.QuarantineRecordFile)
	if err != nil {
		return contract.QuarantineRecord{}, nil, err
	}
	record, err := contract.ParseQuarantineRecord(raw)
	if err != nil {
		return contract.QuarantineRecord{}, nil, err
	}
	body, err := r.get(ctx, dir+contract.QuarantineBody)
	if err != nil {
		return contract.QuarantineRecord{}, nil, err
	}
	return record, body, nil
}

func (r *reverifier) get(ctx context.Context, key string) ([]byte, error) {
	b, err := readObject(ctx, r.s3, r.bucket, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return b, nil
}

// remove deletes a recovered record's two objects, body first: a record
// without a body is no longer listed.
func (r *reverifier) remove(ctx context.Context, dir string) error {
	for _, name := range []string{contract.QuarantineBody, contract.QuarantineRecordFile} {
		if _, err := r.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(dir + name)}); err != nil {
			return fmt.Errorf("remove %s from the quarantine: %w", dir+name, err)
		}
	}
	return nil
}

// processor returns the Processor that verifies record as r.source: with
// the configuration the record was received under, its preset replaced by
// r.preset when set. It refuses, with a reason, a record whose attributes
// came from other headers than the ones the preset maps: they cannot be read
// under it.
func (r *reverifier) processor(record contract.QuarantineRecord) (*ingest.Processor, string) {
	var src contract.Source
	switch {
	case r.preset != "":
		src = contract.Source{Name: r.source, Preset: r.preset}
	case record.Config != nil:
		src = *record.Config
		src.Name = r.source
	default:
		return nil, fmt.Sprintf("received for unknown source %q, under no preset: give -preset", record.Source)
	}
	resolved, err := src.Resolve()
	if err != nil {
		return nil, err.Error()
	}
	if record.Config != nil {
		received, err := record.Config.Resolve()
		// Header names are case-insensitive: X-Hmac is x-hmac.
		if err == nil && !maps.EqualFunc(received.Preset.Headers.ByAttribute(), resolved.Preset.Headers.ByAttribute(), strings.EqualFold) {
			return nil, fmt.Sprintf("received under preset %s, whose headers differ from %s's: its attributes cannot be read as %s", received.Preset.Name, resolved.Preset.Name, resolved.Preset.Name)
		}
	} else {
		for attr := range resolved.Preset.Headers.ByAttribute() {
			if _, ok := record.Attributes[attr]; !ok {
				return nil, fmt.Sprintf("carries no %s attribute, which preset %s needs", attr, resolved.Preset.Name)
			}
		}
	}
	key, err := json.Marshal(src)
	if err != nil {
		return nil, err.Error()
	}
	if p, ok := r.processors[string(key)]; ok {
		return p, ""
	}
	v, err := contract.NewVerifier(resolved.Preset.Scheme, r.secrets, resolved.Tolerance)
	if err != nil {
		return nil, fmt.Sprintf("the parameter's secrets do not suit preset %s: %v", resolved.Preset.Name, err)
	}
	p := &ingest.Processor{
		S3:           r.s3,
		Bucket:       r.bucket,
		Receivers:    map[string]ingest.Receiver{r.source: {ResolvedSource: resolved, Verifier: v}},
		Publisher:    r.publisher,
		FunctionName: reverifyFunction,
		Logger:       slog.New(slog.DiscardHandler),
	}
	r.processors[string(key)] = p
	return p, ""
}

// message rebuilds the SQS record of a quarantined record as a delivery to
// source: its attributes, and SentTimestamp set to its receive time, so that
// the handler's path judges it at the time it first did.
func message(record contract.QuarantineRecord, source string, body []byte) events.SQSMessage {
	m := events.SQSMessage{
		MessageId:         record.MessageID,
		Body:              string(body),
		Attributes:        map[string]string{},
		MessageAttributes: make(map[string]events.SQSMessageAttribute, len(record.Attributes)+1),
	}
	for name, v := range record.Attributes {
		m.MessageAttributes[name] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(v)}
	}
	m.MessageAttributes[contract.AttrSource] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(source)}
	if !record.ReceivedAt.IsZero() {
		m.Attributes["SentTimestamp"] = strconv.FormatInt(record.ReceivedAt.UnixMilli(), 10)
	}
	return m
}

// summary prints the final table.
func (r *reverifier) summary(origin string) {
	w := r.stdout
	fmt.Fprintf(w, "\nreverify %s as %s: %d quarantined records read", origin, r.source, r.read)
	if r.dryRun {
		fmt.Fprint(w, " (dry run: nothing stored or removed)")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	order := []string{string(ingest.Stored), string(ingest.Duplicate), string(ingest.Conflict)}
	if r.dryRun {
		order[0] = "verifies"
	}
	for _, k := range order {
		fmt.Fprintf(tw, "  %s\t%d\n", k, r.counts[k])
	}
	for _, k := range slices.Sorted(maps.Keys(r.counts)) {
		if !slices.Contains(order, k) {
			fmt.Fprintf(tw, "  %s\t%d\n", k, r.counts[k])
		}
	}
	tw.Flush()
}
