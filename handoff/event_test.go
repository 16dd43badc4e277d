package handoff_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
)

// TestReceivedAtHasMilliseconds checks that detail.receivedAt is always RFC
// 3339 in UTC with exactly three fractional digits, the form of the stored
// object's metadata (contract.ReceivedAtLayout): time.Time's own JSON drops
// trailing zeros ("…:30Z", "…:30.1Z"), so values would differ in length and
// not sort as text.
func TestReceivedAtHasMilliseconds(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 28, 12, 4, 30, 0, time.UTC), "2026-11-28T12:04:30.000Z"},
		{time.Date(2026, 11, 28, 12, 4, 30, 100_000_000, time.UTC), "2026-11-28T12:04:30.100Z"},
		{time.Date(2026, 11, 28, 12, 4, 30, 120_000_000, time.UTC), "2026-11-28T12:04:30.120Z"},
		{time.Date(2026, 11, 28, 12, 4, 30, 123_000_000, time.UTC), "2026-11-28T12:04:30.123Z"},
		// Below a millisecond (neither source of the time has it) is cut,
		// never rounded up into the next millisecond.
		{time.Date(2026, 11, 28, 12, 4, 30, 999_999_999, time.UTC), "2026-11-28T12:04:30.999Z"},
		// Another zone is published in UTC.
		{time.Date(2026, 11, 28, 13, 4, 30, 0, cet), "2026-11-28T12:04:30.000Z"},
		{time.UnixMilli(1_764_331_470_000).In(cet), "2025-11-28T12:04:30.000Z"},
	}
	var events []handoff.Event
	for i, tt := range tests {
		ev := event(i)
		ev.ReceivedAt = tt.at
		events = append(events, ev)

		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var detail map[string]any
		if err := json.Unmarshal(b, &detail); err != nil {
			t.Fatal(err)
		}
		if got := detail["receivedAt"]; got != tt.want {
			t.Errorf("receivedAt of %v = %v, want %s", tt.at, got, tt.want)
		}
		if got := tt.at.UTC().Format(contract.ReceivedAtLayout); got != tt.want {
			t.Errorf("the metadata layout gives %s for %v, the event %s: they must agree", got, tt.at, tt.want)
		}
		if len(detail) != 7 {
			t.Errorf("detail %s has %d fields, want the 7 of the event's shape", b, len(detail))
		}

		// A consumer decoding the detail into an Event gets the time back,
		// to the millisecond.
		var back handoff.Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if !back.ReceivedAt.Equal(tt.at.Truncate(time.Millisecond)) {
			t.Errorf("decoded receivedAt %v, want %v", back.ReceivedAt, tt.at.Truncate(time.Millisecond))
		}
		back.ReceivedAt = ev.ReceivedAt
		if back != ev {
			t.Errorf("decoded %+v, want %+v", back, ev)
		}
	}

	// The published entries carry the same form.
	srv := eventbridgetest.NewServer()
	defer srv.Close()
	if err := newPublisher(srv).PublishAll(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	got := srv.Accepted()
	if len(got) != len(tests) {
		t.Fatalf("accepted %d entries, want %d", len(got), len(tests))
	}
	for _, e := range got {
		var d struct{ Key, ReceivedAt string }
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			t.Fatal(err)
		}
		var want string
		for i, ev := range events {
			if ev.Key == d.Key {
				want = tests[i].want
			}
		}
		if d.ReceivedAt != want {
			t.Errorf("published %s with receivedAt %q, want %q", d.Key, d.ReceivedAt, want)
		}
	}
}
