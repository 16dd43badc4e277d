package contract

import "errors"

// Rejection reasons. A verifier returns exactly one of them (possibly wrapped);
// their texts name the failed check and never what the right signature is.
var (
	ErrMissingSignature   = errors.New("missing signature")
	ErrMalformedSignature = errors.New("malformed signature")
	ErrMissingTimestamp   = errors.New("missing timestamp")
	ErrMalformedTimestamp = errors.New("malformed timestamp")
	ErrNoMatchingSecret   = errors.New("no matching secret")
	ErrOutsideWindow      = errors.New("outside the replay window")
)
