package ingest

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// The record log line is also a CloudWatch Embedded Metric Format document:
// CloudWatch Logs turns it into a count of 1 in contract.MetricRecords, with
// no API call from the function (see Processor.Logger for the logger it
// needs).

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

// emfDirectives holds the encoded CloudWatchMetrics of a record line, indexed
// by whether the record's source is configured and whether it has a reason
// code. They never change, so they are encoded once.
var emfDirectives = func() (d [2][2]json.RawMessage) {
	for _, source := range []bool{false, true} {
		for _, reason := range []bool{false, true} {
			d[index(source)][index(reason)] = encodeDirective(source, reason)
		}
	}
	return d
}()

// encodeDirective returns the CloudWatchMetrics value of a record line, with
// the dimension sets of contract.MetricRecords.
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

// metricAttrs returns the EMF members of r's log line, for a line written at
// now: the function's name, and the metadata and value of the metric. The
// other dimension values are fields the line has anyway; the source is one
// only when configured (see contract.MetricRecords).
func (p *Processor) metricAttrs(r result, now time.Time) []slog.Attr {
	_, configured := p.Receivers[r.source]
	return []slog.Attr{
		slog.String(contract.DimensionFunction, p.FunctionName),
		slog.Group("_aws",
			slog.Int64("Timestamp", now.UnixMilli()),
			slog.Any("CloudWatchMetrics", emfDirectives[index(configured)][index(r.code != "")]),
		),
		slog.Int(contract.MetricRecords, 1),
	}
}
