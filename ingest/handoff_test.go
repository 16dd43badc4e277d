package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
	"github.com/webhook-ingest/webhook-ingest/ingest"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
	"github.com/webhook-ingest/webhook-ingest/internal/s3test"
	"github.com/webhook-ingest/webhook-ingest/internal/ssmtest"
)

const testBus = "webhooks-test"

// withEventBridge gives h's Processor a hand-off publisher talking to a new
// EventBridge peer. The client is built with ingest.EventBridgeOptions, then
// the SDK's retries are turned off, so that the test sees every failure as
// the Publisher does.
func withEventBridge(h *harness) *eventbridgetest.Server {
	srv := eventbridgetest.NewServer()
	h.t.Cleanup(srv.Close)
	client := eventbridge.New(eventbridge.Options{
		Region:       s3test.Region,
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, ingest.EventBridgeOptions, func(o *eventbridge.Options) { o.Retryer = aws.NopRetryer{} })
	h.proc.Publisher = &handoff.Publisher{Client: client, BusName: testBus, Backoff: time.Millisecond}
	return srv
}

// detail decodes an accepted entry's detail strictly.
func detail(t testing.TB, e eventbridgetest.Entry) handoff.Event {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(e.Detail))
	dec.DisallowUnknownFields()
	var ev handoff.Event
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("detail %s: %v", e.Detail, err)
	}
	return ev
}

func published(l logLine) string {
	if l.Published == nil {
		return "absent"
	}
	if *l.Published {
		return "true"
	}
	return "false"
}

// TestHandOffStored checks the event of a stored webhook: one per webhook,
// on the configured bus, with the source, topic, id, location, size and
// receive time of the delivery.
func TestHandOffStored(t *testing.T) {
	requested := time.Date(2026, 11, 28, 21, 25, 7, 123_000_000, time.UTC)
	now := time.Now()
	stripeBody := `{"id":"evt_1Nq","type":"invoice.paid","data":{}}`
	const body = `{"order":42}`
	cases := []struct {
		name       string
		rec        events.SQSMessage
		detailType string
		want       handoff.Event
	}{
		{
			name:       "generic",
			rec:        withRequestTime(message("m-1", body, requested.Add(time.Second), genericAttrs("evt-1", "orders/create", body)), unixMs(requested)),
			detailType: "orders/create",
			want:       handoff.Event{Source: genericSource, Topic: "orders/create", WebhookID: "evt-1", Key: "orders/evt-1", Size: int64(len(body)), ReceivedAt: requested},
		},
		{
			name:       "stripe: id and topic from the body",
			rec:        withRequestTime(message("m-1", stripeBody, now, stripeAttrs(now, stripeBody)), unixMs(now)),
			detailType: "invoice.paid",
			want:       handoff.Event{Source: stripeSource, Topic: "invoice.paid", WebhookID: "evt_1Nq", Key: "pay/evt_1Nq", Size: int64(len(stripeBody)), ReceivedAt: now.Truncate(time.Millisecond).UTC()},
		},
		{
			// JSON cannot encode a time after year 9999: trusting it would
			// make the event unpublishable and the record retry for good.
			name:       "request time after year 9999: received time from SentTimestamp",
			rec:        withRequestTime(message("m-1", body, requested, genericAttrs("evt-2", "orders/create", body)), "253402300800000"),
			detailType: "orders/create",
			want:       handoff.Event{Source: genericSource, Topic: "orders/create", WebhookID: "evt-2", Key: "orders/evt-2", Size: int64(len(body)), ReceivedAt: requested},
		},
		{
			name:       "no topic, hostile id, received time from SentTimestamp",
			rec:        message("m-1", body, now, standardAttrs("../x", now, body)),
			detailType: handoff.DefaultDetailType,
			want:       handoff.Event{Source: standardSource, WebhookID: "../x", Key: mustObjectKey(t, standardSource, "../x"), Size: int64(len(body)), ReceivedAt: now.Truncate(time.Millisecond).UTC()},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			eb := withEventBridge(h)
			resp, lines := h.handle(tc.rec)
			got := outcomes(t, []events.SQSMessage{tc.rec}, resp, lines)["m-1"]
			if got.Outcome != "stored" || published(got) != "true" {
				t.Fatalf("outcome %q (%s), published %s; want stored and published", got.Outcome, got.Reason, published(got))
			}
			acc := eb.Accepted()
			if len(acc) != 1 || len(eb.Calls()) != 1 {
				t.Fatalf("accepted %d events in %d calls, want 1 in 1", len(acc), len(eb.Calls()))
			}
			e := acc[0]
			if e.Source != contract.EventSource || e.DetailType != tc.detailType || e.EventBusName != testBus {
				t.Errorf("entry source %q detail-type %q bus %q, want %q %q %q", e.Source, e.DetailType, e.EventBusName, contract.EventSource, tc.detailType, testBus)
			}
			want := tc.want
			want.Bucket = h.bucket
			if ev := detail(t, e); ev != want {
				t.Errorf("detail\n got %+v\nwant %+v", ev, want)
			}
			if _, _, ok := h.object(want.Key); !ok {
				t.Errorf("the event names %q, which holds nothing", want.Key)
			}
		})
	}
}

func mustObjectKey(t testing.TB, source, id string) string {
	t.Helper()
	k, err := contract.ObjectKey(source, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestHandOffDuplicate checks that a delivery finding its webhook stored
// publishes the event again: the attempt that stored it may not have.
func TestHandOffDuplicate(t *testing.T) {
	h := newHarness(t, nil)
	eb := withEventBridge(h)
	now := time.Now()
	const body = `{"order":42}`
	first := withRequestTime(message("m-1", body, now, genericAttrs("evt-1", "orders/create", body)), unixMs(now))
	again := first
	again.MessageId = "m-2"

	for _, step := range []struct {
		rec     events.SQSMessage
		outcome string
	}{{first, "stored"}, {again, "duplicate"}} {
		resp, lines := h.handle(step.rec)
		got := outcomes(t, []events.SQSMessage{step.rec}, resp, lines)[step.rec.MessageId]
		if got.Outcome != step.outcome || published(got) != "true" {
			t.Fatalf("%s: outcome %q published %s, want %s and published", step.rec.MessageId, got.Outcome, published(got), step.outcome)
		}
	}
	acc := eb.Accepted()
	if len(acc) != 2 {
		t.Fatalf("accepted %d events, want 2", len(acc))
	}
	if a, b := detail(t, acc[0]), detail(t, acc[1]); a != b || a.Key != "orders/evt-1" {
		t.Errorf("the two events differ or name the wrong key:\n%+v\n%+v", a, b)
	}
}

// TestHandOffFailure checks that a webhook whose event EventBridge does not
// take is stored but retried, and that the redelivery ends as a duplicate
// and publishes it. A failure the Publisher's own resend overcomes is no
// failure.
func TestHandOffFailure(t *testing.T) {
	throttled := &eventbridgetest.Failure{Code: "ThrottlingException", Message: "Rate exceeded"}
	denied := &eventbridgetest.Failure{Code: "AccessDeniedException", Message: "not authorized to perform events:PutEvents"}
	internal := &eventbridgetest.Failure{Status: http.StatusInternalServerError, Code: "InternalException", Message: "internal error"}
	cases := []struct {
		name      string
		failCall  func(call int) *eventbridgetest.Failure
		failEntry func(call int, e eventbridgetest.Entry) *eventbridgetest.Failure
		retried   bool
		calls     int // PutEvents calls of the first delivery
	}{
		{name: "call fails with HTTP 500", failCall: func(int) *eventbridgetest.Failure { return internal }, retried: true, calls: 1},
		{name: "call denied", failCall: func(int) *eventbridgetest.Failure {
			return &eventbridgetest.Failure{Status: http.StatusForbidden, Code: denied.Code, Message: denied.Message}
		}, retried: true, calls: 1},
		{name: "entry throttled on every attempt", failEntry: func(int, eventbridgetest.Entry) *eventbridgetest.Failure { return throttled }, retried: true, calls: 3},
		{name: "entry denied: not resent", failEntry: func(int, eventbridgetest.Entry) *eventbridgetest.Failure { return denied }, retried: true, calls: 1},
		{
			name: "entry throttled once, then resent by the Publisher",
			failEntry: func(call int, _ eventbridgetest.Entry) *eventbridgetest.Failure {
				if call == 1 {
					return throttled
				}
				return nil
			},
			calls: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			eb := withEventBridge(h)
			eb.FailCalls(tc.failCall)
			eb.FailEntries(tc.failEntry)
			now := time.Now()
			const body = `{"order":42}`
			rec := withRequestTime(message("m-1", body, now, genericAttrs("evt-1", "orders/create", body)), unixMs(now))

			resp, lines := h.handle(rec)
			got := outcomes(t, []events.SQSMessage{rec}, resp, lines)["m-1"]
			if n := len(eb.Calls()); n != tc.calls {
				t.Errorf("first delivery made %d PutEvents calls, want %d", n, tc.calls)
			}
			if _, _, ok := h.object("orders/evt-1"); !ok {
				t.Fatal("the webhook is not stored")
			}
			if !tc.retried {
				if got.Outcome != "stored" || published(got) != "true" || len(eb.Accepted()) != 1 {
					t.Fatalf("outcome %q (%s) published %s with %d accepted, want stored and published once", got.Outcome, got.Reason, published(got), len(eb.Accepted()))
				}
				return
			}
			if got.Outcome != "retry" || got.ReasonCode != contract.ReasonPublishFailed || !strings.HasPrefix(got.Reason, "hand-off: ") || published(got) != "false" {
				t.Fatalf("outcome %q code %q reason %q published %s, want a retry for the hand-off, not published", got.Outcome, got.ReasonCode, got.Reason, published(got))
			}
			// The key is logged when it is not just the source and the id.
			if got.Key != "" || got.Source+"/"+got.WebhookID != "orders/evt-1" {
				t.Errorf("logged key %q, source %q, id %q: want orders/evt-1", got.Key, got.Source, got.WebhookID)
			}
			if len(eb.Accepted()) != 0 {
				t.Fatalf("accepted %d events, want none", len(eb.Accepted()))
			}

			// SQS redelivers the reported record once EventBridge is back.
			eb.FailCalls(nil)
			eb.FailEntries(nil)
			resp, lines = h.handle(rec)
			got = outcomes(t, []events.SQSMessage{rec}, resp, lines)["m-1"]
			if got.Outcome != "duplicate" || published(got) != "true" {
				t.Fatalf("redelivery: outcome %q (%s) published %s, want duplicate and published", got.Outcome, got.Reason, published(got))
			}
			acc := eb.Accepted()
			if len(acc) != 1 || detail(t, acc[0]).Key != "orders/evt-1" {
				t.Fatalf("accepted %+v, want the event of orders/evt-1", acc)
			}
		})
	}
}

// TestLoadEventBus runs a Processor built by ingest.Load from the handler's
// environment, with every client configured by the standard SDK environment
// (AWS_ENDPOINT_URL_EVENTBRIDGE among them): with WEBHOOK_EVENT_BUS set a
// stored webhook is published on that bus; unset, EventBridge is never
// called and the log line says nothing of publishing.
func TestLoadEventBus(t *testing.T) {
	const param = "/webhook-ingest/test/orders"
	s3srv := s3test.Start(t, nil)
	ssmSrv := ssmtest.NewServer(ssmtest.Parameter{Name: param, Type: ssmtest.SecureString, Value: genericSecret})
	t.Cleanup(ssmSrv.Close)
	eb := eventbridgetest.NewServer()
	t.Cleanup(eb.Close)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_REGION":                   s3test.Region,
		"AWS_ACCESS_KEY_ID":            "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":        "test-secret-key",
		"AWS_SESSION_TOKEN":            "",
		"AWS_PROFILE":                  "",
		"AWS_CONFIG_FILE":              none,
		"AWS_SHARED_CREDENTIALS_FILE":  none,
		"AWS_EC2_METADATA_DISABLED":    "true",
		"AWS_ENDPOINT_URL":             "",
		"AWS_ENDPOINT_URL_S3":          s3srv.URL,
		"AWS_ENDPOINT_URL_SSM":         ssmSrv.URL,
		"AWS_ENDPOINT_URL_EVENTBRIDGE": eb.URL,
	} {
		t.Setenv(k, v)
	}
	resolved, err := contract.Source{Name: genericSource, Preset: "generic"}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	sources, err := contract.EncodeEnvSources([]contract.ResolvedSource{resolved}, []string{param})
	if err != nil {
		t.Fatal(err)
	}

	for _, bus := range []string{"", testBus} {
		t.Run("bus="+bus, func(t *testing.T) {
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{contract.EnvBucket: s3srv.Bucket, contract.EnvSources: sources, contract.EnvEventBus: bus, contract.EnvFunctionName: testFunction}
			var logs bytes.Buffer
			p, err := ingest.Load(context.Background(), cfg, func(k string) string { return vars[k] }, slog.New(slog.NewJSONHandler(&logs, nil)))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			before := len(eb.Calls())
			const body = `{"order":1}`
			id := "evt-" + strings.ReplaceAll(bus, "-", "")
			rec := message("m-"+id, body, time.Now(), genericAttrs(id, "orders/create", body))
			logs.Reset()
			start := time.Now()
			resp, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{rec}})
			if err != nil {
				t.Fatal(err)
			}
			if p.FunctionName != testFunction {
				t.Errorf("FunctionName = %q, want %s's %q", p.FunctionName, contract.EnvFunctionName, testFunction)
			}
			checkEMF(t, logs.Bytes(), p, start, time.Now())
			got := outcomes(t, []events.SQSMessage{rec}, resp, parseLog(t, logs.Bytes()))[rec.MessageId]
			if got.Outcome != "stored" {
				t.Fatalf("outcome %q (%s), want stored", got.Outcome, got.Reason)
			}
			calls := eb.Calls()[before:]
			if bus == "" {
				if len(calls) != 0 || got.Published != nil {
					t.Fatalf("no bus configured, yet %d PutEvents calls and published %s", len(calls), published(got))
				}
				return
			}
			if len(calls) != 1 || len(calls[0]) != 1 || calls[0][0].EventBusName != bus || published(got) != "true" {
				t.Fatalf("PutEvents calls %+v, published %s; want one event on %q", calls, published(got), bus)
			}
			if ev := detail(t, calls[0][0]); ev.Key != genericSource+"/"+id || ev.Bucket != s3srv.Bucket {
				t.Errorf("event %+v", ev)
			}
		})
	}
}
