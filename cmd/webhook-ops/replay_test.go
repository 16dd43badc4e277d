package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
)

const testBucket = "webhooks"

// clock is the fake S3's time, so that each object gets the LastModified the
// test chooses.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time                  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *clock) set(t time.Time)                 { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// fakeS3 is gofakes3 on a loopback server, recording the requests it serves.
type fakeS3 struct {
	URL    string
	clock  *clock
	client *s3.Client

	mu       sync.Mutex
	requests []string // "METHOD path?query"
	// deny, when not nil, picks the requests refused with 403 AccessDenied,
	// as S3 refuses a principal that lacks the permission.
	deny func(r *http.Request) bool
}

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{clock: &clock{t: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)}}
	faker := gofakes3.New(s3mem.New(s3mem.WithTimeSource(f.clock)), gofakes3.WithTimeSource(f.clock), gofakes3.WithTimeSkewLimit(0))
	h := faker.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		deny := f.deny != nil && f.deny(r)
		f.mu.Unlock()
		if deny {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>1</RequestId></Error>`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	f.client = s3.New(s3.Options{
		Region:                     "eu-west-1",
		BaseEndpoint:               aws.String(srv.URL),
		Credentials:                credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	if _, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(testBucket)}); err != nil {
		t.Fatal(err)
	}
	return f
}

// put stores an object as if written at time at.
func (f *fakeS3) put(t *testing.T, key, body string, meta map[string]string, at time.Time) {
	t.Helper()
	f.clock.set(at)
	_, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket:   aws.String(testBucket),
		Key:      aws.String(key),
		Body:     strings.NewReader(body),
		Metadata: meta,
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func (f *fakeS3) sawRequest(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.ContainsFunc(f.requests, func(r string) bool { return strings.HasPrefix(r, prefix) })
}

func (f *fakeS3) countRequests(contains string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.Contains(r, contains) {
			n++
		}
	}
	return n
}

func at(hms string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, "2026-11-28T"+hms+"Z")
	if err != nil {
		panic(err)
	}
	return t
}

// meta is the metadata the handler writes.
func meta(topic, id string, received time.Time) map[string]string {
	m := map[string]string{
		contract.MetaSource:     "shop",
		contract.MetaWebhookID:  contract.EncodeMetaValue(id),
		contract.MetaMessageID:  "msg-" + id,
		contract.MetaReceivedAt: received.UTC().Format(contract.ReceivedAtLayout),
	}
	if topic != "" {
		m[contract.MetaTopic] = contract.EncodeMetaValue(topic)
	}
	return m
}

var longID = "évènement/" + strings.Repeat("x", 300)

// seedShop stores webhooks of source "shop" around the hour from 10:00 to
// 11:00 UTC, plus objects replay must not list. It returns the events that a
// replay of that hour must publish, in key order.
func seedShop(t *testing.T, f *fakeS3) []handoff.Event {
	hashed, err := contract.ObjectKey("shop", longID)
	if err != nil {
		t.Fatal(err)
	}
	f.put(t, "shop/early", "early", meta("orders/create", "early", at("09:00:00")), at("09:00:01"))
	// Stored within the clock-skew margin before -from: read, not matched.
	f.put(t, "shop/edge", "edge", meta("orders/create", "edge", at("09:57:59")), at("09:58:00"))
	f.put(t, "shop/a", `{"n":1}`, meta("orders/create", "a", at("10:00:00.5")), at("10:00:01"))
	f.put(t, "other/x", "other source", meta("orders/create", "x", at("10:10:00")), at("10:10:00"))
	f.put(t, "shop/sub/x", "not a webhook key", nil, at("10:20:00"))
	f.put(t, "shop/b", "bb", meta("commande créée", "b", at("10:29:59.999")), at("10:30:00"))
	f.put(t, "shop/c", "no metadata", nil, at("10:45:00"))
	f.put(t, hashed, "hashed id", meta("", longID, at("10:50:00")), at("10:50:00.2"))
	f.put(t, "shop/after", "after", meta("orders/create", "after", at("11:00:00")), at("11:00:00.1"))
	// Received in the hour, stored long after (retries): it matches.
	f.put(t, "shop/late", "late!", meta("orders/paid", "late", at("10:59:59")), at("12:00:00"))

	ev := func(topic, id, key string, size int64, received time.Time) handoff.Event {
		return handoff.Event{Source: "shop", Topic: topic, WebhookID: id, Bucket: testBucket, Key: key, Size: size, ReceivedAt: received}
	}
	return []handoff.Event{
		ev("orders/create", "a", "shop/a", 7, at("10:00:00.5")),
		ev("commande créée", "b", "shop/b", 2, at("10:29:59.999")),
		ev("", "c", "shop/c", 11, at("10:45:00")),
		ev("orders/paid", "late", "shop/late", 5, at("10:59:59")),
		ev("", longID, hashed, 9, at("10:50:00")),
	}
}

// publishedBy returns the entries that publishing events directly produces:
// what the handler would have sent for them.
func publishedBy(t *testing.T, events []handoff.Event) []eventbridgetest.Entry {
	t.Helper()
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	p := &handoff.Publisher{
		Client: eventbridge.New(eventbridge.Options{
			Region:       "eu-west-1",
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		}),
		BusName: "webhooks-bus",
	}
	if err := p.PublishAll(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	return srv.Accepted()
}

func TestReplayPublishesTheHandlersEvents(t *testing.T) {
	s3srv := newFakeS3(t)
	want := seedShop(t, s3srv)
	eb := eventbridgetest.NewServer()
	defer eb.Close()
	awsEnv(t, map[string]string{"S3": s3srv.URL, "EVENTBRIDGE": eb.URL})

	code, stdout, stderr := runCLI(t, "replay", "-bucket", testBucket, "-source", "shop",
		"-from", "2026-11-28T10:00:00Z", "-to", "2026-11-28T11:00:00Z", "-bus", "webhooks-bus")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if wantOut := "shop/: 8 objects listed, 5 received in [2026-11-28T10:00:00Z, 2026-11-28T11:00:00Z), 5 published, 0 failed\n"; stdout != wantOut {
		t.Errorf("stdout %q, want %q", stdout, wantOut)
	}
	got := eb.Accepted()
	if fmt.Sprint(got) != fmt.Sprint(publishedBy(t, want)) {
		t.Errorf("published entries:\n%+v\nwant:\n%+v", got, publishedBy(t, want))
	}
	// One entry spelled out, so the shape is visible here too.
	if len(got) > 1 {
		wantB := eventbridgetest.Entry{
			Source:       "webhook-ingest",
			DetailType:   "commande créée",
			EventBusName: "webhooks-bus",
			Detail:       `{"source":"shop","topic":"commande créée","webhookId":"b","bucket":"webhooks","key":"shop/b","size":2,"receivedAt":"2026-11-28T10:29:59.999Z"}`,
		}
		if got[1] != wantB {
			t.Errorf("entry for shop/b:\n%+v\nwant\n%+v", got[1], wantB)
		}
	}
	if s3srv.sawRequest("HEAD /webhooks/shop/early") {
		t.Error("replay read the metadata of an object stored long before -from")
	}
	if !s3srv.sawRequest("HEAD /webhooks/shop/edge") {
		t.Error("replay skipped an object stored within the clock-skew margin before -from")
	}
	if n := s3srv.countRequests("GET /webhooks/shop/"); n != 0 {
		t.Errorf("replay downloaded %d bodies", n)
	}
}

func TestReplayDryRun(t *testing.T) {
	s3srv := newFakeS3(t)
	seedShop(t, s3srv)
	eb := eventbridgetest.NewServer()
	defer eb.Close()
	awsEnv(t, map[string]string{"S3": s3srv.URL, "EVENTBRIDGE": eb.URL})

	code, stdout, stderr := runCLI(t, "replay", "-bucket", testBucket, "-source", "shop", "-from", "2026-11-28T10:00:00Z", "-to", "2026-11-28T11:00:00Z", "-dry-run")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	hashed, _ := contract.ObjectKey("shop", longID)
	want := "2026-11-28T10:00:00.5Z  shop/a  orders/create  7 bytes\n" +
		"2026-11-28T10:29:59.999Z  shop/b  commande créée  2 bytes\n" +
		"2026-11-28T10:45:00Z  shop/c  webhook  11 bytes\n" +
		"2026-11-28T10:59:59Z  shop/late  orders/paid  5 bytes\n" +
		"2026-11-28T10:50:00Z  " + hashed + "  webhook  9 bytes\n" +
		"shop/: 8 objects listed, 5 received in [2026-11-28T10:00:00Z, 2026-11-28T11:00:00Z), 0 failed; dry run, nothing published\n"
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if n := len(eb.Calls()); n != 0 {
		t.Errorf("dry run made %d PutEvents calls", n)
	}
}

func TestReplayReportsWhatFailed(t *testing.T) {
	s3srv := newFakeS3(t)
	s3srv.put(t, "shop/a", "a", meta("orders/create", "a", at("10:00:00")), at("10:00:00"))
	bad := meta("orders/create", "bad-time", at("10:00:00"))
	bad[contract.MetaReceivedAt] = "yesterday"
	s3srv.put(t, "shop/bad-time", "b", bad, at("10:05:00"))
	s3srv.put(t, "shop/refused", "c", meta("orders/create", "refused", at("10:10:00")), at("10:10:00"))
	s3srv.put(t, "shop/z", "d", meta("orders/create", "z", at("10:20:00")), at("10:20:00"))
	cut := meta("orders/create", "long-id-cut-he", at("10:30:00"))
	cut[contract.MetaTruncated] = contract.MetaWebhookID
	s3srv.put(t, "shop/~0123", "e", cut, at("10:30:00"))
	eb := eventbridgetest.NewServer()
	defer eb.Close()
	eb.FailEntries(func(_ int, e eventbridgetest.Entry) *eventbridgetest.Failure {
		if strings.Contains(e.Detail, `"key":"shop/refused"`) {
			return &eventbridgetest.Failure{Code: "AccessDeniedException", Message: "denied"}
		}
		return nil
	})
	awsEnv(t, map[string]string{"S3": s3srv.URL, "EVENTBRIDGE": eb.URL})

	code, stdout, stderr := runCLI(t, "replay", "-bucket", testBucket, "-source", "shop", "-from", "2026-11-28", "-to", "2026-11-29", "-bus", "webhooks-bus")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if want := "shop/: 5 objects listed, 4 received in [2026-11-28T00:00:00Z, 2026-11-29T00:00:00Z), 3 published, 2 failed\n"; stdout != want {
		t.Errorf("stdout %q, want %q", stdout, want)
	}
	for _, want := range []string{
		`replay: shop/bad-time: metadata received-at "yesterday" is not an RFC 3339 time`,
		"replay: shop/refused: publish: AccessDeniedException: denied",
		"replay: shop/~0123: metadata webhook-id was cut short when stored; the event carries what was kept",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if n := len(eb.Accepted()); n != 3 {
		t.Errorf("%d events accepted, want 3", n)
	}
}

func TestReplayPages(t *testing.T) {
	s3srv := newFakeS3(t)
	const n = 1005 // more than one ListObjectsV2 page of 1000
	for i := range n {
		id := fmt.Sprintf("wh-%04d", i)
		received := at("10:00:00").Add(time.Duration(i) * time.Second)
		s3srv.put(t, "shop/"+id, "x", meta("orders/create", id, received), received)
	}
	eb := eventbridgetest.NewServer()
	defer eb.Close()
	awsEnv(t, map[string]string{"S3": s3srv.URL, "EVENTBRIDGE": eb.URL})

	code, stdout, stderr := runCLI(t, "replay", "-bucket", testBucket, "-source", "shop", "-from", "2026-11-28T10:00:00Z", "-to", "2026-11-28T12:00:00Z", "-bus", "b")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if want := fmt.Sprintf("%d objects listed, %d received", n, n); !strings.Contains(stdout, want) {
		t.Errorf("stdout %q lacks %q", stdout, want)
	}
	if lists := s3srv.countRequests("list-type=2"); lists != 2 {
		t.Errorf("%d ListObjectsV2 requests, want 2", lists)
	}
	if calls, accepted := len(eb.Calls()), len(eb.Accepted()); calls != 101 || accepted != n {
		t.Errorf("%d PutEvents calls accepting %d events, want 101 and %d", calls, accepted, n)
	}
}

func TestReplayUsage(t *testing.T) {
	base := []string{"replay", "-bucket", "b", "-source", "shop", "-bus", "bus"}
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"replay", "-source", "shop", "-from", "2026-11-28", "-bus", "x"}, "-bucket, -source and -from are required"},
		{append(slices.Clone(base), "-from", "yesterday"), `-from: "yesterday" is neither RFC 3339`},
		{append(slices.Clone(base), "-from", "2026-11-28", "-to", "2026-11-28"), "-from 2026-11-28T00:00:00Z is not before -to 2026-11-28T00:00:00Z"},
		{[]string{"replay", "-bucket", "b", "-source", "Shop!", "-from", "2026-11-28", "-bus", "x"}, `-source: source name "Shop!"`},
		{[]string{"replay", "-bucket", "b", "-source", "shop", "-from", "2026-11-28"}, "-bus is required unless -dry-run"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("run %q = %d, stderr %q; want %d with %q", tt.args, code, stderr, exitUsage, tt.stderr)
		}
	}
}

func TestReplayMissingBucket(t *testing.T) {
	s3srv := newFakeS3(t)
	awsEnv(t, map[string]string{"S3": s3srv.URL})
	code, _, stderr := runCLI(t, "replay", "-bucket", "nope", "-source", "shop", "-from", "2026-11-28", "-dry-run")
	if code != exitFailed || !strings.Contains(stderr, "replay: list s3://nope/shop/") || !strings.Contains(stderr, "NoSuchBucket") {
		t.Errorf("exit %d, stderr %q; want %d naming the listing and NoSuchBucket", code, stderr, exitFailed)
	}
}
