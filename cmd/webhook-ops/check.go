package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/edge"
)

// The marks of check's test webhooks, for consumers to filter on: the topic
// (where the preset carries one; the body's "type" always says it) and the
// start of the delivery id.
const (
	checkTopic    = "webhook-ingest.check"
	checkIDPrefix = "check-"
)

// Check's pace: how often it looks at the bucket, and how often it says it
// is still waiting.
const (
	checkPoll     = 250 * time.Millisecond
	checkProgress = 5 * time.Second
	// maxQuarantinePages bounds the quarantine listing of one source when
	// the edge's response names no message id.
	maxQuarantinePages = 10
)

// probe is one of check's two webhooks of a source and what became of it.
type probe struct {
	w         webhook
	key       string
	messageID string // from the edge's response, when it gives one
	sent      time.Time
	done      bool
	ok        bool
	result    string
}

// sourceCheck is what check does for one source.
type sourceCheck struct {
	source     contract.ResolvedSource
	url        string
	quarantine bool // whether a wrongly signed webhook is kept
	good, bad  probe
}

// check sends one signed and one wrongly signed webhook to each source of a
// stack and reports whether the first was stored, byte for byte, and the
// second was not (and was quarantined, where the stack keeps such records).
func check(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack: its sources from Pulumi.<stack>.yaml; without -api, its URLs and bucket from pulumi stack output")
	api := fs.String("api", "", "base URL of the webhook routes, such as serve's http://127.0.0.1:8080 (needs -bucket)")
	bucket := fs.String("bucket", "", "the bucket of the stored bodies (with -api); its endpoint is the SDK's (AWS_ENDPOINT_URL_S3)")
	var only []string
	fs.Func("source", "check only this source (repeatable)", func(s string) error { only = append(only, s); return nil })
	timeout := fs.Duration("timeout", time.Minute, "how long to wait for the webhooks to be processed")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if (*api == "") != (*bucket == "") {
		return usageError(stderr, "check", "-api and -bucket go together")
	}
	cfg, secrets, err := readLocalStack(*stack, defaultDataDir(*stack))
	if err != nil {
		return usageError(stderr, "check", "%v", err)
	}
	// Before anything is sent, so that a mistyped -source sends no test
	// webhook to the stack.
	for _, name := range only {
		if !slices.ContainsFunc(cfg.Sources, func(s contract.ResolvedSource) bool { return s.Name() == name }) {
			return usageError(stderr, "check", "stack %s has no source %q", *stack, name)
		}
	}
	urls := map[string]string{}
	if *api == "" {
		out, err := readStack(ctx, *stack)
		if err != nil {
			fmt.Fprintf(stderr, "check: %v\n", err)
			return exitFailed
		}
		urls, *bucket = out.WebhookURLs, out.BucketName
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "check: load the AWS configuration: %v\n", err)
		return exitFailed
	}
	// Serve's endpoint, like other S3-compatible stores, sends no checksums
	// the SDK would otherwise warn about on every read.
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired })

	var checks []*sourceCheck
	for _, s := range cfg.Sources {
		if len(only) > 0 && !slices.Contains(only, s.Name()) {
			continue
		}
		url := urls[s.Name()]
		if *api != "" {
			url = strings.TrimSuffix(*api, "/") + edge.Path(s.Name())
		}
		if url == "" {
			fmt.Fprintf(stderr, "check: the stack's webhookUrls output has no URL for source %s: run pulumi up\n", s.Name())
			return exitFailed
		}
		secret, _, found, err := secrets.lookup(ctx, s.Name())
		if err == nil && !found {
			err = fmt.Errorf("no secret: set %s", secretEnv(s.Name()))
		}
		if err != nil {
			fmt.Fprintf(stderr, "check: source %s: %v\n", s.Name(), err)
			return exitFailed
		}
		c := &sourceCheck{source: s, url: url, quarantine: s.Source.Quarantines(cfg.Quarantine())}
		if err := c.send(ctx, secret); err != nil {
			fmt.Fprintf(stderr, "check: source %s: %v\n", s.Name(), err)
			return exitFailed
		}
		checks = append(checks, c)
	}
	waitChecks(ctx, client, *bucket, checks, *timeout, stdout)
	return report(checks, stdout)
}

// send posts the source's two webhooks.
func (c *sourceCheck) send(ctx context.Context, secret string) error {
	now := time.Now()
	var nonce [4]byte
	_, _ = rand.Read(nonce[:]) // never fails (crypto/rand)
	id := checkIDPrefix + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(nonce[:])
	p := c.source.Preset
	for _, pr := range []struct {
		probe  *probe
		id     string
		secret string
		note   string
	}{
		{&c.good, id, secret, "a test webhook of webhook-ops check"},
		{&c.bad, id + "-wrong-secret", wrongSecret(p), "a wrongly signed test webhook of webhook-ops check: it must not be stored"},
	} {
		w, err := signWebhook(p, pr.secret, pr.id, checkTopic, exampleBody(pr.id, checkTopic, pr.note, now), now)
		if err != nil {
			return err
		}
		if pr.probe.key, err = contract.ObjectKey(c.source.Name(), w.id); err != nil {
			return err
		}
		pr.probe.w, pr.probe.sent = w, time.Now()
		status, reply, err := post(ctx, c.url, w)
		if err != nil {
			return fmt.Errorf("POST %s: %w", c.url, err)
		}
		if status/100 != 2 {
			pr.probe.done, pr.probe.result = true, fmt.Sprintf("refused: HTTP %d %s", status, reply)
			continue
		}
		pr.probe.messageID = messageID(reply)
	}
	return nil
}

// wrongSecret returns a random secret of the form p's scheme takes.
func wrongSecret(p contract.Preset) string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	if p.Scheme.Secret == contract.WhsecBase64 {
		return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
	}
	return hex.EncodeToString(b[:])
}

// messageIDPattern finds SQS's MessageId in a SendMessage response, JSON or
// XML.
var messageIDPattern = regexp.MustCompile(`MessageId"?\s*[:>]\s*"?([0-9a-fA-F-]{36})`)

// messageID returns the message id the edge's response names, or "".
func messageID(reply string) string {
	if m := messageIDPattern.FindStringSubmatch(reply); m != nil {
		return m[1]
	}
	return ""
}

// waitChecks looks at the bucket until every probe is done or the time is
// up, saying every few seconds what it still waits for.
func waitChecks(ctx context.Context, client *s3.Client, bucket string, checks []*sourceCheck, timeout time.Duration, stdout io.Writer) {
	start := time.Now()
	deadline := start.Add(timeout)
	nextProgress := start.Add(checkProgress)
	for {
		var waiting []string
		for _, c := range checks {
			c.look(ctx, client, bucket)
			for _, p := range []*probe{&c.good, &c.bad} {
				if !p.done {
					waiting = append(waiting, p.key)
				}
			}
		}
		if len(waiting) == 0 {
			return
		}
		now := time.Now()
		if now.After(deadline) || ctx.Err() != nil {
			for _, c := range checks {
				c.expire(timeout)
			}
			return
		}
		if now.After(nextProgress) {
			fmt.Fprintf(stdout, "waiting %s of %s for %s\n", now.Sub(start).Round(time.Second), timeout, strings.Join(waiting, ", "))
			nextProgress = now.Add(checkProgress)
		}
		select {
		case <-ctx.Done():
		case <-time.After(checkPoll):
		}
	}
}

// look updates the source's probes from the bucket.
func (c *sourceCheck) look(ctx context.Context, client *s3.Client, bucket string) {
	if g := &c.good; !g.done {
		body, err := getObject(ctx, client, bucket, g.key)
		switch {
		case errors.Is(err, errNoSuchKey):
		case err != nil:
			g.done, g.result = true, err.Error()
		case !bytes.Equal(body, g.w.body):
			g.done, g.result = true, fmt.Sprintf("%s holds %d bytes that are not the body sent", g.key, len(body))
		default:
			g.done, g.ok, g.result = true, true, fmt.Sprintf("stored %s after %s", g.key, time.Since(g.sent).Round(10*time.Millisecond))
		}
	}
	b := &c.bad
	if b.done {
		return
	}
	if _, err := getObject(ctx, client, bucket, b.key); !errors.Is(err, errNoSuchKey) {
		b.done = true
		b.result = fmt.Sprintf("stored at %s: the handler accepted a wrong signature", b.key)
		if err != nil {
			b.result = err.Error()
		}
		return
	}
	if !c.quarantine {
		// Nothing shows that it was dropped; its absence once the good one,
		// sent before it, is in is as good as it gets.
		if c.good.done {
			b.done, b.ok, b.result = true, true, "not stored (dropped: the source's quarantine is off)"
		}
		return
	}
	dir, err := c.findQuarantined(ctx, client, bucket)
	switch {
	case err != nil && c.good.done:
		b.done, b.ok, b.result = true, true, "not stored; the quarantine is not readable: "+err.Error()
	case dir != "":
		b.done, b.ok, b.result = true, true, "not stored, quarantined in "+dir
	}
}

// findQuarantined returns the quarantine directory that holds the wrongly
// signed body, or "".
func (c *sourceCheck) findQuarantined(ctx context.Context, client *s3.Client, bucket string) (string, error) {
	b := &c.bad
	if b.messageID != "" {
		dir := contract.QuarantineDir(c.source.Name(), b.messageID)
		body, err := getObject(ctx, client, bucket, dir+contract.QuarantineBody)
		if errors.Is(err, errNoSuchKey) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if bytes.Equal(body, b.w.body) {
			return dir, nil
		}
		return "", nil
	}
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(contract.QuarantineSourcePrefix(c.source.Name()))})
	for n := 0; pages.HasMorePages() && n < maxQuarantinePages; n++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, obj := range page.Contents {
			dir, ok := contract.IsQuarantineBody(aws.ToString(obj.Key))
			if !ok || aws.ToTime(obj.LastModified).Before(b.sent.Add(-time.Minute)) || aws.ToInt64(obj.Size) != int64(len(b.w.body)) {
				continue
			}
			body, err := getObject(ctx, client, bucket, aws.ToString(obj.Key))
			if err != nil {
				return "", err
			}
			if bytes.Equal(body, b.w.body) {
				return dir, nil
			}
		}
	}
	return "", nil
}

// expire fails the probes still pending at the deadline.
func (c *sourceCheck) expire(timeout time.Duration) {
	if !c.good.done {
		c.good.done, c.good.result = true, fmt.Sprintf("not stored at %s within %s", c.good.key, timeout)
	}
	if !c.bad.done {
		c.bad.done, c.bad.result = true, fmt.Sprintf("not found in the quarantine within %s", timeout)
	}
}

// errNoSuchKey is getObject's error for a key that holds no object.
var errNoSuchKey = errors.New("no such key")

// getObject returns the body of bucket/key.
func getObject(ctx context.Context, client *s3.Client, bucket, key string) ([]byte, error) {
	b, err := readObject(ctx, client, bucket, key)
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusNotFound {
		return nil, errNoSuchKey
	}
	if err != nil {
		return nil, fmt.Errorf("s3 GetObject %s: %w", key, err)
	}
	return b, nil
}

// readObject returns the body of bucket/key, or the SDK's error, for the
// caller to wrap.
func readObject(ctx context.Context, client *s3.Client, bucket, key string) ([]byte, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// report prints the table and returns the exit status.
func report(checks []*sourceCheck, stdout io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tPRESET\tWEBHOOK\tRESULT\t")
	code := exitOK
	for _, c := range checks {
		for _, p := range []struct {
			what string
			p    *probe
		}{{"signed", &c.good}, {"wrong secret", &c.bad}} {
			verdict := "PASS"
			if !p.p.ok {
				verdict, code = "FAIL", exitFailed
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t\n", c.source.Name(), c.source.Preset.Name, p.what, verdict, p.p.result)
		}
	}
	tw.Flush()
	return code
}
