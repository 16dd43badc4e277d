package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go"

	"github.com/webhook-ingest/webhook-ingest/handoff"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
)

const bus = "webhooks-test"

// newPublisher returns a publisher talking to srv. The SDK's own retries are
// off so that every request the test sees comes from the publisher.
func newPublisher(srv *eventbridgetest.Server) *handoff.Publisher {
	client := eventbridge.New(eventbridge.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
	return &handoff.Publisher{Client: client, BusName: bus, Backoff: time.Millisecond}
}

func event(i int) handoff.Event {
	return handoff.Event{
		Source:     "shop",
		Topic:      "orders/create",
		WebhookID:  fmt.Sprintf("wh-%d", i),
		Bucket:     "webhooks",
		Key:        fmt.Sprintf("shop/wh-%d", i),
		Size:       int64(100 + i),
		ReceivedAt: time.Date(2026, 11, 28, 12, 0, i, 0, time.UTC),
	}
}

func events(n int) []handoff.Event {
	out := make([]handoff.Event, n)
	for i := range out {
		out[i] = event(i)
	}
	return out
}

func keys(entries []eventbridgetest.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		var d struct{ Key string }
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			panic(err)
		}
		out[i] = d.Key
	}
	return out
}

func TestPublishSendsTheEventShape(t *testing.T) {
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	ev := handoff.Event{
		Source:     "shop",
		Topic:      "orders/create",
		WebhookID:  "b9f1c7e2-7d43-4b6a-9e55-0c0a1d2e3f40",
		Bucket:     "webhooks-prod",
		Key:        "shop/b9f1c7e2-7d43-4b6a-9e55-0c0a1d2e3f40",
		Size:       1234,
		ReceivedAt: time.Date(2026, 11, 28, 13, 4, 5, 123000000, time.FixedZone("CET", 3600)),
	}
	if err := newPublisher(srv).Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	want := eventbridgetest.Entry{
		Source:       "webhook-ingest",
		DetailType:   "orders/create",
		EventBusName: bus,
		Detail: `{"source":"shop","topic":"orders/create","webhookId":"b9f1c7e2-7d43-4b6a-9e55-0c0a1d2e3f40",` +
			`"bucket":"webhooks-prod","key":"shop/b9f1c7e2-7d43-4b6a-9e55-0c0a1d2e3f40","size":1234,"receivedAt":"2026-11-28T12:04:05.123Z"}`,
	}
	calls := srv.Calls()
	if len(calls) != 1 || len(calls[0]) != 1 {
		t.Fatalf("calls = %v, want one call with one entry", calls)
	}
	if calls[0][0] != want {
		t.Errorf("entry =\n%+v\nwant\n%+v", calls[0][0], want)
	}
}

func TestDetailType(t *testing.T) {
	long := strings.Repeat("a", 200)
	emoji := strings.Repeat("😀", 100) // two UTF-16 code units each
	tests := []struct {
		topic, want string
	}{
		{"orders/create", "orders/create"},
		{"", handoff.DefaultDetailType},
		{"  \t ", handoff.DefaultDetailType},
		{"\x00\x01", handoff.DefaultDetailType},
		{" push ", "push"},
		{"a\nb\tc", "abc"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"commande.créée", "commande.créée"},
		{long, long[:128]},
		{emoji, strings.Repeat("😀", 64)},
		{"x" + emoji, "x" + strings.Repeat("😀", 63)},
		{strings.Repeat("a", 127) + " b", strings.Repeat("a", 127)},
	}
	var evs []handoff.Event
	for i, tt := range tests {
		ev := event(i)
		ev.Topic = tt.topic
		if got := ev.DetailType(); got != tt.want {
			t.Errorf("DetailType(%q) = %q, want %q", tt.topic, got, tt.want)
		}
		evs = append(evs, ev)
	}

	// EventBridge must accept all of them, and detail.topic keeps the topic
	// exactly as sent.
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	if err := newPublisher(srv).PublishAll(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	got := srv.Accepted()
	if len(got) != len(tests) {
		t.Fatalf("accepted %d entries, want %d", len(got), len(tests))
	}
	for i, e := range got {
		if n := len(utf16.Encode([]rune(e.DetailType))); n > 128 {
			t.Errorf("entry %d: detail-type of %d code units", i, n)
		}
		var d handoff.Event
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			t.Fatal(err)
		}
		if want := strings.ToValidUTF8(tests[i].topic, "\uFFFD"); d.Topic != want {
			t.Errorf("entry %d: detail.topic = %q, want %q", i, d.Topic, want)
		}
	}
}

func TestPublishAllBatches(t *testing.T) {
	bigKey := func(i int) handoff.Event {
		ev := event(i)
		ev.Key = "shop/" + strings.Repeat("k", 60*1024) + fmt.Sprint(i)
		return ev
	}
	tests := []struct {
		name   string
		events []handoff.Event
		sizes  []int // entries per call
	}{
		{"one", events(1), []int{1}},
		{"ten fit one call", events(10), []int{10}},
		{"by count", events(25), []int{10, 10, 5}},
		{"by size", []handoff.Event{bigKey(0), bigKey(1), bigKey(2), bigKey(3), bigKey(4), bigKey(5)}, []int{4, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := eventbridgetest.NewServer()
			defer srv.Close()
			if err := newPublisher(srv).PublishAll(context.Background(), tt.events); err != nil {
				t.Fatal(err)
			}
			calls := srv.Calls()
			var sizes []int
			for _, c := range calls {
				sizes = append(sizes, len(c))
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.sizes) {
				t.Errorf("entries per call = %v, want %v", sizes, tt.sizes)
			}
			var want []string
			for _, ev := range tt.events {
				want = append(want, ev.Key)
			}
			if got := keys(srv.Accepted()); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("accepted keys in another order or incomplete")
			}
		})
	}
}

func TestPublishAllEmpty(t *testing.T) {
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	if err := newPublisher(srv).PublishAll(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d calls for no events", n)
	}
}

func TestPublishAllResendsFailedEntries(t *testing.T) {
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	flaky := map[string]bool{"shop/wh-2": true, "shop/wh-5": true, "shop/wh-11": true}
	srv.FailEntries(func(call int, e eventbridgetest.Entry) *eventbridgetest.Failure {
		if call <= 2 && flaky[keys([]eventbridgetest.Entry{e})[0]] {
			return &eventbridgetest.Failure{Code: "ThrottlingException", Message: "Rate exceeded"}
		}
		return nil
	})
	if err := newPublisher(srv).PublishAll(context.Background(), events(12)); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	var got []string
	for _, c := range calls {
		got = append(got, fmt.Sprint(keys(c)))
	}
	want := []string{
		"[shop/wh-0 shop/wh-1 shop/wh-2 shop/wh-3 shop/wh-4 shop/wh-5 shop/wh-6 shop/wh-7 shop/wh-8 shop/wh-9]",
		"[shop/wh-10 shop/wh-11]",
		"[shop/wh-2 shop/wh-5 shop/wh-11]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("calls =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(srv.Accepted()); n != 12 {
		t.Errorf("accepted %d events, want 12", n)
	}
}

func TestPublishAllFailures(t *testing.T) {
	throttle := &eventbridgetest.Failure{Code: "ThrottlingException", Message: "Rate exceeded"}
	denied := &eventbridgetest.Failure{Code: "NotAuthorizedForSourceException", Message: "Not authorized for the source"}
	tests := []struct {
		name      string
		failEntry func(call int, e eventbridgetest.Entry) *eventbridgetest.Failure
		failCall  func(call int) *eventbridgetest.Failure
		calls     int
		failed    []string
		code      string
		text      string
	}{
		{
			name: "retryable code until attempts run out",
			failEntry: func(_ int, e eventbridgetest.Entry) *eventbridgetest.Failure {
				if keys([]eventbridgetest.Entry{e})[0] == "shop/wh-1" {
					return throttle
				}
				return nil
			},
			calls:  3,
			failed: []string{"shop/wh-1"},
			code:   "ThrottlingException",
			text:   `publish to event bus "webhooks-test": 1 of 3 events failed; shop/wh-1: ThrottlingException: Rate exceeded`,
		},
		{
			name: "permanent code is not resent",
			failEntry: func(_ int, e eventbridgetest.Entry) *eventbridgetest.Failure {
				if keys([]eventbridgetest.Entry{e})[0] != "shop/wh-0" {
					return denied
				}
				return nil
			},
			calls:  1,
			failed: []string{"shop/wh-1", "shop/wh-2"},
			code:   "NotAuthorizedForSourceException",
			text: `publish to event bus "webhooks-test": 2 of 3 events failed; shop/wh-1: NotAuthorizedForSourceException: Not authorized for the source; ` +
				`shop/wh-2: NotAuthorizedForSourceException: Not authorized for the source`,
		},
		{
			name: "whole call refused",
			failCall: func(int) *eventbridgetest.Failure {
				return &eventbridgetest.Failure{Code: "AccessDeniedException", Message: "no events:PutEvents"}
			},
			calls:  1,
			failed: []string{"shop/wh-0", "shop/wh-1", "shop/wh-2"},
			code:   "AccessDeniedException",
		},
		{
			name: "server error",
			failCall: func(int) *eventbridgetest.Failure {
				return &eventbridgetest.Failure{Status: http.StatusInternalServerError, Code: "InternalException"}
			},
			calls:  1,
			failed: []string{"shop/wh-0", "shop/wh-1", "shop/wh-2"},
			code:   "InternalException",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := eventbridgetest.NewServer()
			defer srv.Close()
			srv.FailEntries(tt.failEntry)
			srv.FailCalls(tt.failCall)
			err := newPublisher(srv).PublishAll(context.Background(), events(3))
			var perr *handoff.PublishError
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want a *PublishError", err)
			}
			var failed []string
			for _, f := range perr.Failed {
				failed = append(failed, f.Event.Key)
			}
			if fmt.Sprint(failed) != fmt.Sprint(tt.failed) || perr.Total != 3 || perr.Bus != bus {
				t.Errorf("failed %v of %d on %q, want %v of 3 on %q", failed, perr.Total, perr.Bus, tt.failed, bus)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				var ee *handoff.EntryError
				if !errors.As(err, &ee) {
					t.Fatalf("err %v carries neither an API error nor an *EntryError", err)
				}
				if ee.Code != tt.code {
					t.Errorf("entry error code %q, want %q", ee.Code, tt.code)
				}
			} else if apiErr.ErrorCode() != tt.code {
				t.Errorf("API error code %q, want %q", apiErr.ErrorCode(), tt.code)
			}
			if tt.text != "" && err.Error() != tt.text {
				t.Errorf("error text\n%s\nwant\n%s", err, tt.text)
			}
			if n := len(srv.Calls()); n != tt.calls {
				t.Errorf("%d calls, want %d", n, tt.calls)
			}
		})
	}
}

func TestPublishErrorNamesAFewAndCountsTheRest(t *testing.T) {
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	srv.FailCalls(func(int) *eventbridgetest.Failure {
		return &eventbridgetest.Failure{Code: "AccessDeniedException", Message: "denied"}
	})
	err := newPublisher(srv).PublishAll(context.Background(), events(15))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"15 of 15 events failed", "shop/wh-0:", "shop/wh-2:", "and 12 more"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "shop/wh-3:") {
		t.Errorf("error %q names more than three events", msg)
	}
}

func TestPublishStopsResendingWhenTheContextEnds(t *testing.T) {
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	srv.FailEntries(func(int, eventbridgetest.Entry) *eventbridgetest.Failure {
		return &eventbridgetest.Failure{Code: "InternalFailure", Message: "try again"}
	})
	// The deadline falls inside the backoff before the first resend.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	p := newPublisher(srv)
	p.Backoff = time.Hour
	start := time.Now()
	err := p.Publish(ctx, event(0))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	var ee *handoff.EntryError
	if !errors.As(err, &ee) || ee.Code != "InternalFailure" {
		t.Errorf("err = %v, want it to keep the entry's InternalFailure", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned after %v: the backoff ignored the context", d)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}
