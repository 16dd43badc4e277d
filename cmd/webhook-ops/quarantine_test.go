package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

// Secrets of the seeded stack. The handler ran with the old ones while the
// senders had moved on to the new ones.
const (
	ordersOld     = "orders-old-secret-5d1c"
	ordersNew     = "orders-new-secret-8e3a"
	billingSecret = "billing-secret-20b7"
	stdOld        = "whsec_c3RkLW9sZC1zZWNyZXQtYnl0ZXMtNjFmMA==" // base64("std-old-secret-bytes-61f0")
	stdNew        = "whsec_c3RkLW5ldy1zZWNyZXQtYnl0ZXMtOTNhYg==" // base64("std-new-secret-bytes-93ab")
	acmeSecret    = "acme-secret-7f02"
)

// stackSources are the sources of the seeded stack, with the secrets its
// handler held.
var stackSources = []struct {
	source contract.Source
	secret string
}{
	{contract.Source{Name: "orders", Preset: "generic"}, ordersOld},
	{contract.Source{Name: "billing", Preset: "generic"}, billingSecret},
	{contract.Source{Name: "std", Preset: "standard-webhooks"}, stdOld},
	// A sender that signs as generic, configured as custom with the wrong
	// algorithm and its header names spelled otherwise.
	{contract.Source{Name: "acme", Preset: contract.CustomPreset, Custom: &contract.Custom{
		SignatureHeader: "X-HMAC", IDHeader: "X-Webhook-Id", TopicHeader: "X-Topic", Algorithm: contract.HMACSHA512,
	}}, acmeSecret},
}

// handlerProcessor is the handler's Processor for stackSources, keeping
// failed records, on the fake S3 through a client built as the handler
// builds it. secrets replaces the secrets of the sources it names. It logs
// into logs.
func handlerProcessor(t *testing.T, f *fakeS3, secrets map[string]string, logs io.Writer) *ingest.Processor {
	t.Helper()
	receivers := make(map[string]ingest.Receiver, len(stackSources))
	for _, s := range stackSources {
		r, err := s.source.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		secret, ok := secrets[s.source.Name]
		if !ok {
			secret = s.secret
		}
		v, err := contract.NewVerifier(r.Preset.Scheme, secret, r.Tolerance)
		if err != nil {
			t.Fatalf("verifier of %s: %v", s.source.Name, err)
		}
		receivers[s.source.Name] = ingest.Receiver{ResolvedSource: r, Verifier: v}
	}
	return &ingest.Processor{
		S3: s3.New(s3.Options{
			Region:       "eu-west-1",
			BaseEndpoint: aws.String(f.URL),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			UsePathStyle: true,
		}, ingest.S3Options),
		Bucket:       testBucket,
		Receivers:    receivers,
		Quarantine:   true,
		FunctionName: "webhook-ingest-test",
		Logger:       slog.New(slog.NewJSONHandler(logs, nil)),
	}
}

// delivery is one webhook as its sender signed it and API Gateway queued it.
type delivery struct {
	messageID string
	// source is the route it was posted to, the source attribute.
	source string
	// preset is how the sender signs and which headers it sends.
	preset    string
	id, topic string
	body      string
	// secret is what the sender signed with; signature, when set, is sent
	// instead of a signature.
	secret, signature string
	// signedAt is the signed timestamp where the preset signs one (default
	// received).
	signedAt time.Time
	// received is API Gateway's request time.
	received time.Time
}

// record is the SQS record of d: the message attributes the preset's
// mapping produces, request-time, and SentTimestamp a little later.
func (d delivery) record(t *testing.T) events.SQSMessage {
	t.Helper()
	preset, ok := contract.LookupPreset(d.preset)
	if !ok {
		t.Fatalf("no preset %q", d.preset)
	}
	signedAt := d.signedAt
	if signedAt.IsZero() {
		signedAt = d.received
	}
	var ts string
	if preset.Scheme.UsesTimestamp() {
		ts = strconv.FormatInt(signedAt.Unix(), 10)
	}
	sig := d.signature
	if sig == "" {
		var err error
		if sig, err = preset.Scheme.Sign(d.secret, d.id, ts, []byte(d.body)); err != nil {
			t.Fatal(err)
		}
	}
	attrs := map[string]string{
		contract.AttrSource:      d.source,
		contract.AttrRequestTime: strconv.FormatInt(d.received.UnixMilli(), 10),
		contract.AttrSignature:   sig,
	}
	if preset.Headers.ID != "" {
		attrs[contract.AttrWebhookID] = d.id
	}
	if preset.Headers.Topic != "" {
		attrs[contract.AttrTopic] = d.topic
	}
	if preset.Headers.Timestamp != "" {
		attrs[contract.AttrTimestamp] = ts
	}
	m := events.SQSMessage{
		MessageId:         d.messageID,
		Body:              d.body,
		Attributes:        map[string]string{"SentTimestamp": strconv.FormatInt(d.received.Add(25*time.Millisecond).UnixMilli(), 10), "ApproximateReceiveCount": "1"},
		MessageAttributes: make(map[string]events.SQSMessageAttribute, len(attrs)),
		EventSource:       "aws:sqs",
	}
	for name, v := range attrs {
		m.MessageAttributes[name] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(v)}
	}
	return m
}

// The seeded deliveries. orders and std hold old secrets; the senders sign
// with the new ones.
var (
	// Signed with the new secret: quarantined, no_matching_secret.
	ord1 = delivery{messageID: "m-01", source: "orders", preset: "generic", id: "ord-1", topic: "orders/create", body: `{"order":1}`, secret: ordersNew, received: at("10:00:01")}
	ord2 = delivery{messageID: "m-02", source: "orders", preset: "generic", id: "ord-2", topic: "commande payée", body: "order=2&note=ü <b>&</b>\r\n", secret: ordersNew, received: at("10:00:02.5")}
	// Signed with the old secret: stored, and then the same id with
	// another body: conflict.
	ord3  = delivery{messageID: "m-03", source: "orders", preset: "generic", id: "ord-3", topic: "orders/create", body: `{"order":3}`, secret: ordersOld, received: at("10:00:03")}
	ord3b = delivery{messageID: "m-04", source: "orders", preset: "generic", id: "ord-3", topic: "orders/create", body: `{"order":3,"total":9}`, secret: ordersOld, received: at("10:00:04")}
	// A signature that is no hex: malformed_signature, whatever the secret.
	ord5 = delivery{messageID: "m-05", source: "orders", preset: "generic", id: "ord-5", topic: "orders/create", body: `{"order":5}`, signature: "zz", received: at("10:00:05")}
	// Standard Webhooks signed with the new secret: no_matching_secret.
	std6 = delivery{messageID: "m-06", source: "std", preset: "standard-webhooks", id: "msg_6", body: `{"type":"invoice.paid","n":6}`, secret: stdNew, received: at("10:00:06")}
	// Signed with the old secret an hour before it was received:
	// outside_window.
	std7 = delivery{messageID: "m-07", source: "std", preset: "standard-webhooks", id: "msg_7", body: `{"type":"invoice.paid","n":7}`, secret: stdOld, signedAt: at("09:00:07"), received: at("10:00:07")}
	// Posted to a route the stack does not have: unknown_source.
	ghost8 = delivery{messageID: "m-08", source: "ghost", preset: "generic", id: "ord-8", topic: "orders/create", body: `{"order":8}`, secret: ordersNew, received: at("10:00:08")}
)

// seededDeliveries are the deliveries seedQuarantine sends, in order, and
// the outcome each ends in.
var seededDeliveries = []struct {
	d       delivery
	outcome string
	code    string
}{
	{ord1, contract.OutcomeQuarantined, contract.ReasonNoMatchingSecret},
	{ord2, contract.OutcomeQuarantined, contract.ReasonNoMatchingSecret},
	{ord3, contract.OutcomeStored, ""},
	{ord3b, contract.OutcomeConflict, contract.ReasonConflict},
	{ord5, contract.OutcomeQuarantined, contract.ReasonMalformedSignature},
	{std6, contract.OutcomeQuarantined, contract.ReasonNoMatchingSecret},
	{std7, contract.OutcomeQuarantined, contract.ReasonOutsideWindow},
	{ghost8, contract.OutcomeQuarantined, contract.ReasonUnknownSource},
}

// handle runs each delivery through the handler's Processor
// (handlerProcessor, with secrets) as a batch of its own, in order, at the
// fake S3's clock set to its receive time, and checks it ends as want says
// (message id -> outcome and reason code).
func handle(t *testing.T, f *fakeS3, secrets map[string]string, want map[string][2]string, ds ...delivery) {
	t.Helper()
	var logs bytes.Buffer
	p := handlerProcessor(t, f, secrets, &logs)
	for _, d := range ds {
		f.clock.set(d.received.Add(time.Second))
		logs.Reset()
		if _, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{d.record(t)}}); err != nil {
			t.Fatal(err)
		}
		type recordLine struct {
			Msg       string `json:"msg"`
			MessageID string `json:"message_id"`
			Outcome   string `json:"outcome"`
			Code      string `json:"reason_code"`
			Reason    string `json:"reason"`
		}
		var line recordLine
		for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
			line = recordLine{}
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			if line.Msg == "record" {
				break
			}
		}
		if got := [2]string{line.Outcome, line.Code}; line.MessageID != d.messageID || got != want[d.messageID] {
			t.Fatalf("handler: message %s ended %q %q (%s), want %q", line.MessageID, line.Outcome, line.Code, line.Reason, want[d.messageID])
		}
	}
}

// seed runs deliveries through the handler of the seeded stack, holding
// the old secrets, each expected to end in a quarantine with reason code.
func seed(t *testing.T, f *fakeS3, code string, ds ...delivery) {
	t.Helper()
	want := make(map[string][2]string, len(ds))
	for _, d := range ds {
		want[d.messageID] = [2]string{contract.OutcomeQuarantined, code}
	}
	handle(t, f, nil, want, ds...)
}

// seedQuarantine runs seededDeliveries through the handler of the seeded
// stack, so that the quarantine holds what the handler really writes.
func seedQuarantine(t *testing.T, f *fakeS3) {
	t.Helper()
	want := make(map[string][2]string, len(seededDeliveries))
	var ds []delivery
	for _, s := range seededDeliveries {
		want[s.d.messageID] = [2]string{s.outcome, s.code}
		ds = append(ds, s.d)
	}
	handle(t, f, nil, want, ds...)
}

// object is one stored object as S3 returns it.
type object struct {
	body        string
	contentType string
	meta        map[string]string
}

// object reads the object at key; ok is false when there is none.
func (f *fakeS3) object(t *testing.T, key string) (o object, ok bool) {
	t.Helper()
	out, err := f.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if nsk := (*types.NoSuchKey)(nil); errors.As(err, &nsk) {
		return object{}, false
	}
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return object{body: string(b), contentType: aws.ToString(out.ContentType), meta: out.Metadata}, true
}

// keys lists every key in the bucket.
func (f *fakeS3) keys(t *testing.T) []string {
	t.Helper()
	var keys []string
	pages := s3.NewListObjectsV2Paginator(f.client, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// contents maps every key in the bucket to its object.
func (f *fakeS3) contents(t *testing.T) map[string]object {
	t.Helper()
	m := make(map[string]object)
	for _, k := range f.keys(t) {
		m[k], _ = f.object(t, k)
	}
	return m
}

// mark returns how many requests the fake has served, for writesSince.
func (f *fakeS3) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// writesSince returns the requests served since mark that are not GET or
// HEAD.
func (f *fakeS3) writesSince(mark int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests[mark:] {
		if !strings.HasPrefix(r, "GET ") && !strings.HasPrefix(r, "HEAD ") {
			out = append(out, r)
		}
	}
	return out
}

// quarantineKeys are the two keys of a quarantined record of d.
func quarantineKeys(d delivery) []string {
	dir := contract.QuarantineDir(d.source, d.messageID)
	return []string{dir + contract.QuarantineBody, dir + contract.QuarantineRecordFile}
}

// TestSeededQuarantine pins what the tests of quarantine ls and reverify
// start from: what the handler wrote for each seeded delivery.
func TestSeededQuarantine(t *testing.T) {
	f := newFakeS3(t)
	seedQuarantine(t, f)
	want := []string{"orders/ord-3"}
	for _, s := range seededDeliveries {
		if s.outcome != contract.OutcomeStored {
			want = append(want, quarantineKeys(s.d)...)
		}
	}
	slices.Sort(want)
	if got := f.keys(t); !slices.Equal(got, want) {
		t.Fatalf("keys:\n%q\nwant:\n%q", got, want)
	}
	for _, s := range seededDeliveries {
		if s.outcome == contract.OutcomeStored {
			continue
		}
		d := s.d
		dir := contract.QuarantineDir(d.source, d.messageID)
		body, _ := f.object(t, dir+contract.QuarantineBody)
		if body.body != d.body {
			t.Errorf("%s: body %q, want %q", dir, body.body, d.body)
		}
		wantMeta := map[string]string{
			contract.MetaReasonCode: s.code,
			contract.MetaMessageID:  d.messageID,
			contract.MetaReceivedAt: d.received.UTC().Format(contract.ReceivedAtLayout),
		}
		if !maps.Equal(body.meta, wantMeta) {
			t.Errorf("%s: body metadata %v, want %v", dir, body.meta, wantMeta)
		}
		file, _ := f.object(t, dir+contract.QuarantineRecordFile)
		rec, err := contract.ParseQuarantineRecord([]byte(file.body))
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		attrs := make(map[string]string)
		for name, a := range d.record(t).MessageAttributes {
			attrs[name] = aws.ToString(a.StringValue)
		}
		var config *contract.Source
		for _, ss := range stackSources {
			if ss.source.Name == d.source {
				config = &ss.source
			}
		}
		if rec.Source != d.source || rec.MessageID != d.messageID || !rec.ReceivedAt.Equal(d.received) ||
			rec.ReasonCode != s.code || rec.Size != int64(len(d.body)) || !maps.Equal(rec.Attributes, attrs) || !reflect.DeepEqual(rec.Config, config) {
			t.Errorf("%s: record %+v (config %+v), want source %s, message %s, received %s, reason %s, size %d, attributes %v, config %+v",
				dir, rec, rec.Config, d.source, d.messageID, d.received, s.code, len(d.body), attrs, config)
		}
	}
}

func TestQuarantineLs(t *testing.T) {
	f := newFakeS3(t)
	seedQuarantine(t, f)
	awsEnv(t, map[string]string{"S3": f.URL})

	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "everything",
			args: nil,
			want: "" +
				"RECEIVED                  SOURCE  REASON               BYTES  RECORD\n" +
				"2026-11-28T10:00:08.000Z  ghost   unknown_source       11     _quarantine/ghost/m-08/\n" +
				"2026-11-28T10:00:01.000Z  orders  no_matching_secret   11     _quarantine/orders/m-01/\n" +
				"2026-11-28T10:00:02.500Z  orders  no_matching_secret   26     _quarantine/orders/m-02/\n" +
				"2026-11-28T10:00:04.000Z  orders  conflict             21     _quarantine/orders/m-04/\n" +
				"2026-11-28T10:00:05.000Z  orders  malformed_signature  11     _quarantine/orders/m-05/\n" +
				"2026-11-28T10:00:06.000Z  std     no_matching_secret   29     _quarantine/std/m-06/\n" +
				"2026-11-28T10:00:07.000Z  std     outside_window       29     _quarantine/std/m-07/\n" +
				"\n" +
				"SOURCE  REASON               RECORDS  BYTES\n" +
				"ghost   unknown_source       1        11\n" +
				"orders  conflict             1        21\n" +
				"orders  malformed_signature  1        11\n" +
				"orders  no_matching_secret   2        37\n" +
				"std     no_matching_secret   1        29\n" +
				"std     outside_window       1        29\n" +
				"7 quarantined records in s3://webhooks/_quarantine/\n",
		},
		{
			name: "one source",
			args: []string{"-source", "orders"},
			want: "" +
				"RECEIVED                  SOURCE  REASON               BYTES  RECORD\n" +
				"2026-11-28T10:00:01.000Z  orders  no_matching_secret   11     _quarantine/orders/m-01/\n" +
				"2026-11-28T10:00:02.500Z  orders  no_matching_secret   26     _quarantine/orders/m-02/\n" +
				"2026-11-28T10:00:04.000Z  orders  conflict             21     _quarantine/orders/m-04/\n" +
				"2026-11-28T10:00:05.000Z  orders  malformed_signature  11     _quarantine/orders/m-05/\n" +
				"\n" +
				"SOURCE  REASON               RECORDS  BYTES\n" +
				"orders  conflict             1        21\n" +
				"orders  malformed_signature  1        11\n" +
				"orders  no_matching_secret   2        37\n" +
				"4 quarantined records in s3://webhooks/_quarantine/orders/\n",
		},
		{
			name: "one reason",
			args: []string{"-reason", contract.ReasonNoMatchingSecret},
			want: "" +
				"RECEIVED                  SOURCE  REASON              BYTES  RECORD\n" +
				"2026-11-28T10:00:01.000Z  orders  no_matching_secret  11     _quarantine/orders/m-01/\n" +
				"2026-11-28T10:00:02.500Z  orders  no_matching_secret  26     _quarantine/orders/m-02/\n" +
				"2026-11-28T10:00:06.000Z  std     no_matching_secret  29     _quarantine/std/m-06/\n" +
				"\n" +
				"SOURCE  REASON              RECORDS  BYTES\n" +
				"orders  no_matching_secret  2        37\n" +
				"std     no_matching_secret  1        29\n" +
				"3 quarantined records in s3://webhooks/_quarantine/\n",
		},
		{
			// -from is inclusive, -to exclusive, both on the receive time.
			name: "time range",
			args: []string{"-from", "2026-11-28T10:00:02.5Z", "-to", "2026-11-28T10:00:06Z"},
			want: "" +
				"RECEIVED                  SOURCE  REASON               BYTES  RECORD\n" +
				"2026-11-28T10:00:02.500Z  orders  no_matching_secret   26     _quarantine/orders/m-02/\n" +
				"2026-11-28T10:00:04.000Z  orders  conflict             21     _quarantine/orders/m-04/\n" +
				"2026-11-28T10:00:05.000Z  orders  malformed_signature  11     _quarantine/orders/m-05/\n" +
				"\n" +
				"SOURCE  REASON               RECORDS  BYTES\n" +
				"orders  conflict             1        21\n" +
				"orders  malformed_signature  1        11\n" +
				"orders  no_matching_secret   1        26\n" +
				"3 quarantined records in s3://webhooks/_quarantine/\n",
		},
		{
			name: "all filters",
			args: []string{"-source", "std", "-reason", contract.ReasonOutsideWindow, "-from", "2026-11-28", "-to", "2026-11-29"},
			want: "" +
				"RECEIVED                  SOURCE  REASON          BYTES  RECORD\n" +
				"2026-11-28T10:00:07.000Z  std     outside_window  29     _quarantine/std/m-07/\n" +
				"\n" +
				"SOURCE  REASON          RECORDS  BYTES\n" +
				"std     outside_window  1        29\n" +
				"1 quarantined records in s3://webhooks/_quarantine/std/\n",
		},
		{
			name: "nothing",
			args: []string{"-source", "billing"},
			want: "" +
				"RECEIVED  SOURCE  REASON  BYTES  RECORD\n" +
				"\n" +
				"SOURCE  REASON  RECORDS  BYTES\n" +
				"0 quarantined records in s3://webhooks/_quarantine/billing/\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := f.mark()
			expectCLI(t, exitOK, tt.want, append([]string{"quarantine", "ls", "-bucket", testBucket}, tt.args...)...)
			if w := f.writesSince(mark); len(w) != 0 {
				t.Errorf("quarantine ls wrote: %q", w)
			}
			if n := f.countRequests("GET /webhooks/_quarantine/"); n != 0 {
				t.Errorf("quarantine ls downloaded %d objects; the listing and heads suffice", n)
			}
		})
	}
}

func TestQuarantineLsUsage(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"quarantine"}, "quarantine: want a subcommand: ls\n"},
		{[]string{"quarantine", "rm"}, "quarantine: want a subcommand: ls\n"},
		{[]string{"quarantine", "ls"}, "quarantine ls: -bucket or -stack is required\n"},
		{[]string{"quarantine", "ls", "-bucket", "b", "extra"}, `quarantine ls: unexpected argument "extra"` + "\n"},
		{
			[]string{"quarantine", "ls", "-bucket", "b", "-reason", "bad_signature"},
			`quarantine ls: -reason "bad_signature" is not a reason code (want conflict or one of [missing_signature malformed_signature missing_timestamp malformed_timestamp no_matching_secret outside_window unverified unknown_source missing_attribute unusable_id source_not_allowed])` + "\n",
		},
		{[]string{"quarantine", "ls", "-bucket", "b", "-from", "2026-11-29", "-to", "2026-11-28"}, "quarantine ls: -from 2026-11-29T00:00:00Z is not before -to 2026-11-28T00:00:00Z\n"},
		{[]string{"quarantine", "ls", "-bucket", "b", "-to", "noon"}, `quarantine ls: -to: "noon" is neither RFC 3339 (2026-11-28T09:00:00Z) nor a date (2026-11-28)` + "\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, tt.args...)
		if code != exitUsage || stdout != "" || stderr != tt.stderr {
			t.Errorf("run %q = %d\nstdout %q\nstderr %q\nwant %d, no stdout, stderr %q", tt.args, code, stdout, stderr, exitUsage, tt.stderr)
		}
	}
}

func TestQuarantineLsMissingBucket(t *testing.T) {
	f := newFakeS3(t)
	awsEnv(t, map[string]string{"S3": f.URL})
	code, _, stderr := runCLI(t, "quarantine", "ls", "-bucket", "nope")
	if code != exitFailed || !strings.Contains(stderr, "quarantine ls: list s3://nope/_quarantine/: ") || !strings.Contains(stderr, "NoSuchBucket") {
		t.Errorf("exit %d, stderr %q; want %d naming the listing and NoSuchBucket", code, stderr, exitFailed)
	}
}

// fakePulumi puts first on PATH a pulumi that prints outputs as the
// outputs of stack dev and fails for any other command line, as
// "pulumi stack output --json --stack dev" would.
func fakePulumi(t *testing.T, outputs string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake pulumi is a shell script")
	}
	dir := t.TempDir()
	script := `#!/bin/sh
if [ "$#" -ne 5 ] || [ "$1 $2 $3 $4 $5" != "stack output --json --stack dev" ]; then
	echo "error: fake pulumi: unexpected arguments: $*" >&2
	exit 255
fi
printf '%s\n' '` + outputs + `'
`
	if err := os.WriteFile(filepath.Join(dir, "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestQuarantineLsStack(t *testing.T) {
	f := newFakeS3(t)
	seed(t, f, contract.ReasonNoMatchingSecret, ord1)
	awsEnv(t, map[string]string{"S3": f.URL})
	fakePulumi(t, `{"bucketName": "webhooks", "secretParameters": {"orders": "/webhook-ingest/dev/orders"}}`)

	code, stdout, stderr := runCLI(t, "quarantine", "ls", "-stack", "dev")
	want := "RECEIVED                  SOURCE  REASON              BYTES  RECORD\n" +
		"2026-11-28T10:00:01.000Z  orders  no_matching_secret  11     _quarantine/orders/m-01/\n" +
		"\n" +
		"SOURCE  REASON              RECORDS  BYTES\n" +
		"orders  no_matching_secret  1        11\n" +
		"1 quarantined records in s3://webhooks/_quarantine/\n"
	if code != exitOK || stdout != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant %d and:\n%s", code, stderr, stdout, exitOK, want)
	}

	code, _, stderr = runCLI(t, "quarantine", "ls", "-stack", "prod")
	if want := "quarantine ls: pulumi stack output --stack prod: exit status 255: error: fake pulumi: unexpected arguments: stack output --json --stack prod\n"; code != exitFailed || stderr != want {
		t.Errorf("stack prod: exit %d, stderr %q; want %d, %q", code, stderr, exitFailed, want)
	}
}

// TestQuarantineLsWithoutReceiveTime checks that a record quarantined
// without a receive time is listed with none and filtered by when it was
// quarantined.
func TestQuarantineLsWithoutReceiveTime(t *testing.T) {
	f := newFakeS3(t)
	rec := std6.record(t)
	delete(rec.MessageAttributes, contract.AttrRequestTime)
	delete(rec.Attributes, "SentTimestamp")
	f.clock.set(at("11:00:00"))
	var logs bytes.Buffer
	if _, err := handlerProcessor(t, f, nil, &logs).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{rec}}); err != nil {
		t.Fatal(err)
	}
	awsEnv(t, map[string]string{"S3": f.URL})

	listed := "" +
		"RECEIVED  SOURCE  REASON             BYTES  RECORD\n" +
		"-         std     missing_attribute  29     _quarantine/std/m-06/\n" +
		"\n" +
		"SOURCE  REASON             RECORDS  BYTES\n" +
		"std     missing_attribute  1        29\n" +
		"1 quarantined records in s3://webhooks/_quarantine/\n"
	empty := "" +
		"RECEIVED  SOURCE  REASON  BYTES  RECORD\n" +
		"\n" +
		"SOURCE  REASON  RECORDS  BYTES\n" +
		"0 quarantined records in s3://webhooks/_quarantine/\n"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, listed},
		{[]string{"-from", "2026-11-28T11:00:00Z"}, listed},
		{[]string{"-to", "2026-11-28T11:00:00Z"}, empty},
	} {
		expectCLI(t, exitOK, tt.want, append([]string{"quarantine", "ls", "-bucket", testBucket}, tt.args...)...)
	}
}
