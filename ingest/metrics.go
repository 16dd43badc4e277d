package ingest

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// The record log line is also a CloudWatch Embedded Metric Format document:
// CloudWatch Logs turns it into a count of 1 in contract.MetricRecords, with
// no API call from the function. EMF wants the "_aws" metadata and the
// dimension and metric values as members of the log event's top-level JSON
// object, which is what slog's JSON handler writes when the logger has no
// group.

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

// encodeDirective returns the CloudWatchMetrics value of a record line with
// the dimension sets documented in contract. Every set names the function,
// whatever its value, so the sets depend only on the record and the alarms
// can rely on them.
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
// other dimension values are fields the line has anyway. Only a configured
// source is a dimension, so that a message naming any source it likes cannot
// create metrics.
func (p *Processor) metricAttrs(r result, now time.Time) []slog.Attr {
	_, configured := p.Sources[r.source]
	return []slog.Attr{
		slog.String(contract.DimensionFunction, p.FunctionName),
		slog.Group("_aws",
			slog.Int64("Timestamp", now.UnixMilli()),
			slog.Any("CloudWatchMetrics", emfDirectives[index(configured)][index(r.code != "")]),
		),
		slog.Int(contract.MetricRecords, 1),
	}
}
