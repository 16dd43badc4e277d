package ingest

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// The handler's metrics are CloudWatch Embedded Metric Format documents that
// it logs once per batch: one line per source, outcome and reason code the
// batch produced, whose contract.MetricRecords member counts the records.
// CloudWatch Logs turns them into metrics with no API call from the function
// (see Processor.Logger for the logger it needs). One document carries one
// value per dimension, hence one line per group.

// emfDirective is one MetricDirective of the EMF specification.
type emfDirective struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []emfMetric
}

type emfMetric struct {
	Name string
	Unit string
}

// emfDirectives holds the encoded CloudWatchMetrics of a metrics line,
// indexed by whether its source is configured and whether it has a reason
// code. They never change, so they are encoded once.
var emfDirectives = func() (d [2][2]json.RawMessage) {
	for _, source := range []bool{false, true} {
		for _, reason := range []bool{false, true} {
			d[index(source)][index(reason)] = encodeDirective(source, reason)
		}
	}
	return d
}()

// encodeDirective returns the CloudWatchMetrics value of a metrics line,
// with the dimension sets of contract.MetricRecords.
func encodeDirective(source, reason bool) json.RawMessage {
	fn := contract.DimensionFunction
	sets := [][]string{{fn, contract.DimensionOutcome}}
	if source {
		sets = append(sets, []string{fn, contract.DimensionSource, contract.DimensionOutcome})
	}
	if reason {
		sets = append(sets, []string{fn, contract.DimensionOutcome, contract.DimensionReason})
		if source {
			sets = append(sets, []string{fn, contract.DimensionSource, contract.DimensionOutcome, contract.DimensionReason})
		}
	}
	b, err := json.Marshal([]emfDirective{{
		Namespace:  contract.MetricNamespace,
		Dimensions: sets,
		Metrics:    []emfMetric{{Name: contract.MetricRecords, Unit: "Count"}},
	}})
	if err != nil {
		panic("encode EMF directive: " + err.Error())
	}
	return b
}

func index(b bool) int {
	if b {
		return 1
	}
	return 0
}

// metricGroup is what the records counted in one metrics line share. Source
// is "" for a record whose source is not configured, so that a message
// naming any source it likes cannot create metrics.
type metricGroup struct {
	source  string
	outcome Outcome
	code    string
}

func (p *Processor) groupOf(r result) metricGroup {
	g := metricGroup{outcome: r.outcome, code: r.code}
	if _, configured := p.Receivers[r.source]; configured {
		g.source = r.source
	}
	return g
}

// logMetrics writes one metrics line per group of counts, in a fixed order,
// stamped now.
func (p *Processor) logMetrics(ctx context.Context, counts map[metricGroup]int, now time.Time) {
	groups := slices.SortedFunc(maps.Keys(counts), func(a, b metricGroup) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.outcome, b.outcome), cmp.Compare(a.code, b.code))
	})
	for _, g := range groups {
		attrs := make([]slog.Attr, 0, 6)
		attrs = append(attrs, slog.String(contract.DimensionFunction, p.FunctionName))
		if g.source != "" {
			attrs = append(attrs, slog.String(contract.DimensionSource, g.source))
		}
		attrs = append(attrs, slog.String(contract.DimensionOutcome, string(g.outcome)))
		if g.code != "" {
			attrs = append(attrs, slog.String(contract.DimensionReason, g.code))
		}
		attrs = append(attrs,
			slog.Group("_aws",
				slog.Int64("Timestamp", now.UnixMilli()),
				slog.Any("CloudWatchMetrics", emfDirectives[index(g.source != "")][index(g.code != "")]),
			),
			slog.Int(contract.MetricRecords, counts[g]),
		)
		p.logger().LogAttrs(ctx, slog.LevelInfo, "metrics", attrs...)
	}
}
