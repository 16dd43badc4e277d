package ingest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
	"github.com/webhook-ingest/webhook-ingest/internal/s3test"
)

// Test sources: one per signing style the core must handle differently.
const (
	genericSource  = "orders" // generic: hex HMAC of the body, id and topic in headers
	standardSource = "hooks"  // standard-webhooks: signed id and timestamp
	stripeSource   = "pay"    // stripe: timestamp in the signature, id and type in the body
)

// testFunction is the function name the harness's Processor gives its
// metrics, as Lambda would give it in contract.EnvFunctionName.
const testFunction = "webhook-ingest-test-processor"

// Secrets of the test sources. Tests assert that none of them reaches a log.
const (
	genericSecret  = "generic-secret-3e9b51"
	standardSecret = "whsec_c3RhbmRhcmQtc2VjcmV0LWJ5dGVzLTcxYTQ=" // base64("standard-secret-bytes-71a4")
	stripeSecret   = "whsec_stripe-secret-0c4d"
)

func testReceivers(t testing.TB) map[string]ingest.Receiver {
	t.Helper()
	receivers := make(map[string]ingest.Receiver)
	for _, s := range []struct{ name, preset, secret string }{
		{genericSource, "generic", genericSecret},
		{standardSource, "standard-webhooks", standardSecret},
		{stripeSource, "stripe", stripeSecret},
	} {
		r, err := contract.Source{Name: s.name, Preset: s.preset}.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		v, err := contract.NewVerifier(r.Preset.Scheme, s.secret, r.Tolerance)
		if err != nil {
			t.Fatalf("verifier for %s: %v", s.name, err)
		}
		receivers[s.name] = ingest.Receiver{ResolvedSource: r, Verifier: v}
	}
	return receivers
}

// brokenReceiver is a generic source configured without a verifier:
// processing its records dereferences nil inside the contract package.
func brokenReceiver(t testing.TB, name string) ingest.Receiver {
	t.Helper()
	r, err := contract.Source{Name: name, Preset: "generic"}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return ingest.Receiver{ResolvedSource: r}
}

// harness is a Processor wired to a gofakes3 server, with its log captured.
type harness struct {
	t      testing.TB
	proc   *ingest.Processor
	s3     *s3.Client // the Processor's client, also used to read back
	bucket string
	logs   *bytes.Buffer
}

// newHarness starts an S3 server (its handler wrapped by wrap, if not nil)
// and a Processor whose client is built with ingest.S3Options and then
// optFns.
func newHarness(t testing.TB, wrap func(http.Handler) http.Handler, optFns ...func(*s3.Options)) *harness {
	t.Helper()
	srv := s3test.Start(t, wrap)
	client := srv.Client(append([]func(*s3.Options){ingest.S3Options}, optFns...)...)
	logs := new(bytes.Buffer)
	return &harness{
		t:      t,
		s3:     client,
		bucket: srv.Bucket,
		logs:   logs,
		proc: &ingest.Processor{
			S3:           client,
			Bucket:       srv.Bucket,
			Receivers:    testReceivers(t),
			FunctionName: testFunction,
			Logger:       slog.New(slog.NewJSONHandler(logs, nil)),
		},
	}
}

// noSDKRetries turns the SDK's retries off, so that tests see every injected
// fault as the Processor does.
func noSDKRetries(o *s3.Options) { o.Retryer = aws.NopRetryer{} }

// handle runs one batch with a generous deadline and returns the response and
// the log lines it wrote.
func (h *harness) handle(records ...events.SQSMessage) (events.SQSEventResponse, []logLine) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.handleCtx(ctx, records...)
}

func (h *harness) handleCtx(ctx context.Context, records ...events.SQSMessage) (events.SQSEventResponse, []logLine) {
	h.t.Helper()
	h.logs.Reset()
	before := time.Now()
	resp, err := h.proc.Handle(ctx, events.SQSEvent{Records: records})
	after := time.Now()
	if err != nil {
		h.t.Fatalf("Handle returned error %v; it must report per record", err)
	}
	checkEMF(h.t, h.logs.Bytes(), h.proc, before, after)
	return resp, parseLog(h.t, h.logs.Bytes())
}

// object returns the stored bytes and head of key, or ok=false when absent.
func (h *harness) object(key string) (body []byte, out *s3.GetObjectOutput, ok bool) {
	h.t.Helper()
	out, err := h.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(h.bucket), Key: aws.String(key)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchKey" {
		return nil, nil, false
	}
	if err != nil {
		h.t.Fatalf("get %q: %v", key, err)
	}
	defer out.Body.Close()
	body, err = io.ReadAll(out.Body)
	if err != nil {
		h.t.Fatalf("read %q: %v", key, err)
	}
	return body, out, true
}

// keys lists every object in the bucket.
func (h *harness) keys() []string {
	h.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(h.s3, &s3.ListObjectsV2Input{Bucket: aws.String(h.bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			h.t.Fatalf("list: %v", err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// logLine is one JSON log line of the Processor.
type logLine struct {
	Msg        string `json:"msg"`
	Level      string `json:"level"`
	Source     string `json:"source"`
	WebhookID  string `json:"webhook_id"`
	MessageID  string `json:"message_id"`
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason"`
	ReasonCode string `json:"reason_code"`
	Warning    string `json:"warning"`
	Key        string `json:"key"`
	Quarantine string `json:"quarantine"`
	// Published is absent (nil) when the record did not reach a hand-off.
	Published   *bool `json:"published"`
	Records     int   `json:"records"`
	Stored      int   `json:"stored"`
	Duplicate   int   `json:"duplicate"`
	Conflict    int   `json:"conflict"`
	Quarantined int   `json:"quarantined"`
	Rejected    int   `json:"rejected"`
	Retry       int   `json:"retry"`
}

func parseLog(t testing.TB, b []byte) []logLine {
	t.Helper()
	var lines []logLine
	for raw := range bytes.Lines(b) {
		var l logLine
		if err := json.Unmarshal(raw, &l); err != nil {
			t.Fatalf("log line is not JSON: %v: %q", err, raw)
		}
		lines = append(lines, l)
	}
	return lines
}

// outcomes checks the log of one batch: exactly one record line per record,
// and one batch line whose counts agree. It returns the record lines by
// message id.
func outcomes(t testing.TB, records []events.SQSMessage, resp events.SQSEventResponse, lines []logLine) map[string]logLine {
	t.Helper()
	byID := make(map[string]logLine, len(records))
	counts := map[string]int{}
	batches := 0
	for _, l := range lines {
		switch l.Msg {
		case "record":
			if _, dup := byID[l.MessageID]; dup {
				t.Fatalf("message %q has two outcome lines", l.MessageID)
			}
			if l.Key == "" && (l.Outcome == "stored" || l.Outcome == "duplicate" || l.Outcome == "conflict") {
				// Logged only when it is not just the source and the id.
				l.Key = l.Source + "/" + l.WebhookID
			}
			byID[l.MessageID] = l
			counts[l.Outcome]++
		case "metrics":
			// checkEMF holds them to the record lines.
		case "batch":
			batches++
			if l.Records != len(records) || l.Stored != counts["stored"] || l.Duplicate != counts["duplicate"] ||
				l.Conflict != counts["conflict"] || l.Quarantined != counts["quarantined"] ||
				l.Rejected != counts["rejected"] || l.Retry != counts["retry"] {
				t.Fatalf("batch line %+v disagrees with record lines %v over %d records", l, counts, len(records))
			}
		default:
			t.Fatalf("unexpected log line %+v", l)
		}
	}
	if batches != 1 {
		t.Fatalf("want one batch line, got %d", batches)
	}
	for _, r := range records {
		if _, ok := byID[r.MessageId]; !ok {
			t.Fatalf("message %q has no outcome line", r.MessageId)
		}
	}
	if len(byID) != len(records) {
		t.Fatalf("%d outcome lines for %d records", len(byID), len(records))
	}
	failed := make(map[string]bool)
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	if len(failed) != len(resp.BatchItemFailures) {
		t.Fatalf("a message is reported twice in %v", resp.BatchItemFailures)
	}
	for id, l := range byID {
		// A record that reached the hand-off says whether it was published;
		// only a retry may say it was not.
		if l.Published != nil && !*l.Published && l.Outcome != "retry" {
			t.Fatalf("message %q logged %s but not published", id, l.Outcome)
		}
		if l.Published != nil && (l.Outcome == "rejected" || l.Outcome == "quarantined" || l.Outcome == "conflict") {
			t.Fatalf("message %q ended %s but reached the hand-off", id, l.Outcome)
		}
		if l.Outcome == "quarantined" && l.Quarantine == "" || l.Quarantine != "" && l.Outcome != "quarantined" && l.Outcome != "conflict" {
			t.Fatalf("message %q ended %s with quarantine %q", id, l.Outcome, l.Quarantine)
		}
		switch l.Outcome {
		case "stored", "duplicate", "rejected", "quarantined", "conflict":
			if failed[id] {
				t.Fatalf("message %q logged %s but reported for retry", id, l.Outcome)
			}
		case "retry":
			if !failed[id] {
				t.Fatalf("message %q logged retry but not reported", id)
			}
		default:
			t.Fatalf("message %q: unknown outcome %q", id, l.Outcome)
		}
	}
	return byID
}

// message builds an SQS record as Lambda delivers it. attrs maps message
// attribute names to values; sent, when not zero, becomes SentTimestamp.
func message(id, body string, sent time.Time, attrs map[string]string) events.SQSMessage {
	m := events.SQSMessage{
		MessageId:         id,
		Body:              body,
		Attributes:        map[string]string{},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource:       "aws:sqs",
	}
	if !sent.IsZero() {
		m.Attributes["SentTimestamp"] = strconv.FormatInt(sent.UnixMilli(), 10)
	}
	for k, v := range attrs {
		m.MessageAttributes[k] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(v)}
	}
	return m
}

func hmacSHA256(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// genericAttrs signs body as the generic sender does.
func genericAttrs(id, topic, body string) map[string]string {
	return map[string]string{
		contract.AttrSource:    genericSource,
		contract.AttrSignature: hex.EncodeToString(hmacSHA256([]byte(genericSecret), body)),
		contract.AttrWebhookID: id,
		contract.AttrTopic:     topic,
	}
}

// standardAttrs signs id, timestamp and body as Standard Webhooks does.
func standardAttrs(id string, signed time.Time, body string) map[string]string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(standardSecret, "whsec_"))
	if err != nil {
		panic(err)
	}
	ts := strconv.FormatInt(signed.Unix(), 10)
	return map[string]string{
		contract.AttrSource:    standardSource,
		contract.AttrSignature: "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(key, id, ".", ts, ".", body)),
		contract.AttrWebhookID: id,
		contract.AttrTimestamp: ts,
	}
}

// stripeAttrs signs body as Stripe does; Stripe sends no id or topic header.
func stripeAttrs(signed time.Time, body string) map[string]string {
	ts := strconv.FormatInt(signed.Unix(), 10)
	return map[string]string{
		contract.AttrSource:    stripeSource,
		contract.AttrSignature: "t=" + ts + ",v1=" + hex.EncodeToString(hmacSHA256([]byte(stripeSecret), ts, ".", body)),
	}
}

// s3Fault is an S3 error response as S3 writes it, or, with status 0, a
// connection dropped without a response.
type s3Fault struct {
	status int
	code   string
	// afterStore lets the request reach the store first, so the object is
	// written but the client sees the fault: a response lost on the way.
	afterStore bool
}

var (
	slowDown        = s3Fault{status: http.StatusServiceUnavailable, code: "SlowDown"}
	accessDenied    = s3Fault{status: http.StatusForbidden, code: "AccessDenied"}
	internalError   = s3Fault{status: http.StatusInternalServerError, code: "InternalError"}
	conditionalRace = s3Fault{status: http.StatusConflict, code: "ConditionalRequestConflict"}
	hangUp          = s3Fault{}
	lostResponse    = s3Fault{status: http.StatusInternalServerError, code: "InternalError", afterStore: true}
)

var s3FaultMessages = map[string]string{
	"SlowDown":                   "Please reduce your request rate.",
	"AccessDenied":               "Access Denied",
	"InternalError":              "We encountered an internal error. Please try again.",
	"ConditionalRequestConflict": "A conflicting operation occurred. If using PutObject you can retry the request.",
}

func (f s3Fault) write(w http.ResponseWriter) {
	if f.status == 0 {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		conn.Close()
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "0A49CE4060975EAC")
	w.WriteHeader(f.status)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>`+f.code+`</Code><Message>`+s3FaultMessages[f.code]+`</Message>`+
		`<RequestId>0A49CE4060975EAC</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>`)
}

// putFaults wraps an S3 handler so that PUT requests are answered by the
// function's fault instead (nil: pass through), counting the PUTs seen.
type putFaults struct {
	mu    sync.Mutex
	puts  int
	fault func(put int) *s3Fault
}

func (p *putFaults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(w, r)
			return
		}
		p.mu.Lock()
		p.puts++
		f := p.fault(p.puts)
		p.mu.Unlock()
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		if f.afterStore {
			next.ServeHTTP(discardResponse{}, r)
		} else {
			io.Copy(io.Discard, r.Body)
		}
		f.write(w)
	})
}

func (p *putFaults) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.puts
}

// discardResponse swallows the response of a request whose client is shown a
// fault instead.
type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}
