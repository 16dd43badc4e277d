package contract

import (
	"errors"
	"slices"
)

// The handler's CloudWatch metrics, which it writes in Embedded Metric Format
// on each record's log line, and which the stack's alarms and dashboard read.
//
// Every record counts 1 in MetricRecords with these dimension sets:
//
//	[function, outcome]                       every record
//	[function, source, outcome]               records of a configured source
//	[function, outcome, reason_code]          records with a reason code (all but stored and duplicate)
//	[function, source, outcome, reason_code]  the same, of a configured source
//
// Every set names the function because CloudWatch identifies a metric by its
// namespace, name and every dimension: the function's name, unique in the
// account and region, keeps two stacks there from counting into one metric.
//
// A record whose source is not configured has no source dimension, so that a
// hand-made message cannot create metrics at will. Summing the per-source
// metrics therefore leaves out unknown_source records; the
// [function, outcome] and [function, outcome, reason_code] metrics count
// everything.
//
// The dimension names are the record log line's own fields, so that the line
// carries each value once and no two of its fields differ only in case.
const (
	MetricNamespace = "WebhookIngest"
	// MetricRecords counts records, unit Count.
	MetricRecords = "Records"

	// DimensionFunction is the name of the Lambda function that processed
	// the record, as Lambda gives it in EnvFunctionName.
	DimensionFunction = "function"
	// DimensionSource is the configured source name.
	DimensionSource = "source"
	// DimensionOutcome is one of the Outcome values.
	DimensionOutcome = "outcome"
	// DimensionReason is one of the Reason codes.
	DimensionReason = "reason_code"
)

// Record outcomes: every SQS record ends in exactly one. They are the values
// of DimensionOutcome and of the "outcome" field of the handler's logs.
const (
	// OutcomeStored: the body was written at its key by this delivery.
	OutcomeStored = "stored"
	// OutcomeDuplicate: the key already held the same body.
	OutcomeDuplicate = "duplicate"
	// OutcomeConflict: the key already held a different body; this one is
	// quarantined with ReasonConflict (or dropped where quarantine is off).
	OutcomeConflict = "conflict"
	// OutcomeQuarantined: the record failed a check (a RejectReasons code)
	// and its body is kept under QuarantinePrefix, never trusted, for
	// re-verification.
	OutcomeQuarantined = "quarantined"
	// OutcomeRejected: the record failed a check and was dropped, because
	// the stack or its source turned quarantine off.
	OutcomeRejected = "rejected"
	// OutcomeRetry: reported in batchItemFailures for SQS to deliver again.
	OutcomeRetry = "retry"
)

// Outcomes are all the outcomes, in the order the dashboard draws them.
var Outcomes = []string{OutcomeStored, OutcomeDuplicate, OutcomeConflict, OutcomeQuarantined, OutcomeRejected, OutcomeRetry}

// Reason codes of quarantined and rejected records: the values of
// DimensionReason. They are stable and few, unlike the log's free-text
// "reason".
const (
	ReasonMissingSignature   = "missing_signature"
	ReasonMalformedSignature = "malformed_signature"
	ReasonMissingTimestamp   = "missing_timestamp"
	ReasonMalformedTimestamp = "malformed_timestamp"
	ReasonNoMatchingSecret   = "no_matching_secret"
	ReasonOutsideWindow      = "outside_window"
	// ReasonUnverified is a verifier error that wraps none of the Err
	// rejection reasons; Verifier never returns one.
	ReasonUnverified = "unverified"
	// ReasonUnknownSource: the source attribute names no configured source.
	ReasonUnknownSource = "unknown_source"
	// ReasonMissingAttribute: a timestamped scheme's record has no usable
	// receive time (neither AttrRequestTime nor SQS's SentTimestamp).
	ReasonMissingAttribute = "missing_attribute"
	// ReasonUnusableID: the delivery id is empty or blank.
	ReasonUnusableID = "unusable_id"
	// ReasonSourceNotAllowed: the request came from an address outside the
	// source's allowedCidrs.
	ReasonSourceNotAllowed = "source_not_allowed"
)

// ReasonConflict is the reason code of conflict records: the key of the
// delivery already holds a different body.
const ReasonConflict = "conflict"

// Reason codes of retried records.
const (
	// ReasonStoreFailed: S3 PutObject failed.
	ReasonStoreFailed = "store_failed"
	// ReasonDuplicateCheckFailed: the key was taken, but reading the
	// stored object to compare bodies failed.
	ReasonDuplicateCheckFailed = "duplicate_check_failed"
	// ReasonQuarantineFailed: writing the record to the quarantine failed.
	ReasonQuarantineFailed = "quarantine_failed"
	// ReasonPublishFailed: stored, but the hand-off event was not published.
	ReasonPublishFailed = "publish_failed"
	// ReasonDeadline: not finished before the invocation's safety margin.
	ReasonDeadline = "deadline"
	// ReasonPanic: processing the record panicked.
	ReasonPanic = "panic"
)

// SignatureReasons are the rejection codes of deliveries that reached a
// configured source and failed verification: what a wrong secret or a forger
// produces.
var SignatureReasons = []string{
	ReasonMissingSignature, ReasonMalformedSignature, ReasonMissingTimestamp,
	ReasonMalformedTimestamp, ReasonNoMatchingSecret, ReasonOutsideWindow, ReasonUnverified,
}

// RejectReasons are all the reason codes of quarantined and rejected
// records, and RetryReasons all those of retried records. Readers of the
// metrics (the dashboard) iterate them, so that a new code shows up without
// naming it.
var (
	RejectReasons = append(slices.Clip(SignatureReasons), ReasonUnknownSource, ReasonMissingAttribute, ReasonUnusableID, ReasonSourceNotAllowed)
	RetryReasons  = []string{ReasonStoreFailed, ReasonDuplicateCheckFailed, ReasonQuarantineFailed, ReasonPublishFailed, ReasonDeadline, ReasonPanic}
)

var verifyReasons = []struct {
	err  error
	code string
}{
	{ErrMissingSignature, ReasonMissingSignature},
	{ErrMalformedSignature, ReasonMalformedSignature},
	{ErrMissingTimestamp, ReasonMissingTimestamp},
	{ErrMalformedTimestamp, ReasonMalformedTimestamp},
	{ErrNoMatchingSecret, ReasonNoMatchingSecret},
	{ErrOutsideWindow, ReasonOutsideWindow},
}

// VerifyReason returns the reason code of an error from Verifier.Verify: ""
// for nil, the code of the Err rejection reason it wraps, else
// ReasonUnverified.
func VerifyReason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range verifyReasons {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	return ReasonUnverified
}
