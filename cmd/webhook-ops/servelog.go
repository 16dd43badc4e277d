package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/edge"
)

// deliveryLog is the slog handler of serve's processing. By default it
// prints one line per record, as it ends:
//
//	12:04:05 orders  test-1  stored  orders/test-1
//	12:04:09 orders  test-2  quarantined  _quarantine/orders/<message id>/  no matching secret
//
// and every other line at warning level or above; the per-batch and metrics
// lines are left out. With json it passes on the handler's own JSON lines,
// as CloudWatch would receive them.
type deliveryLog struct {
	out  *lineWriter
	json slog.Handler // nil: human lines
}

func newDeliveryLog(out *lineWriter, jsonLines bool) slog.Handler {
	l := &deliveryLog{out: out}
	if jsonLines {
		l.json = slog.NewJSONHandler(out, nil)
	}
	return l
}

func (l *deliveryLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *deliveryLog) WithAttrs([]slog.Attr) slog.Handler { return l }

func (l *deliveryLog) WithGroup(string) slog.Handler { return l }

func (l *deliveryLog) Handle(ctx context.Context, r slog.Record) error {
	if l.json != nil {
		return l.json.Handle(ctx, r)
	}
	attrs := make(map[string]string, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	switch {
	case r.Message == "record":
		l.out.printf("%s", deliveryLine(r.Time, attrs))
	case r.Level >= slog.LevelWarn:
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(attrs)) {
			fmt.Fprintf(&b, " %s=%q", k, attrs[k])
		}
		l.out.printf("%s %s %s%s", r.Time.Format(time.TimeOnly), r.Level, r.Message, b.String())
	}
	return nil
}

// deliveryLine is the human line of one record's outcome line.
func deliveryLine(t time.Time, a map[string]string) string {
	source, id, outcome := a[contract.DimensionSource], a["webhook_id"], a[contract.DimensionOutcome]
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s  %s  %s", t.Format(time.TimeOnly), orDash(source), orDash(id), outcome)
	switch {
	case a["quarantine"] != "":
		b.WriteString("  " + a["quarantine"])
	case a["key"] != "":
		b.WriteString("  " + a["key"])
	case outcome == contract.OutcomeStored || outcome == contract.OutcomeDuplicate:
		b.WriteString("  " + source + "/" + id)
	}
	if a["reason"] != "" {
		b.WriteString("  " + a["reason"])
	}
	if a["published"] == "true" {
		b.WriteString("  (event published)")
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// refused logs a request the edge refused.
func (l *lineWriter) refused(r edge.Refusal, jsonLines bool) {
	now := time.Now()
	if jsonLines {
		b, _ := json.Marshal(map[string]any{"time": now, "msg": "refused", "source": r.Source, "status": r.Status, "reason": r.Reason})
		_, _ = l.Write(append(b, '\n'))
		return
	}
	l.printf("%s %s  -  refused %d  %s", now.Format(time.TimeOnly), orDash(r.Source), r.Status, r.Reason)
}
