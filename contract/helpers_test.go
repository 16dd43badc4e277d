package contract_test

import (
	"errors"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// The signing time, delivery id and body that most tests sign and verify.
const (
	testTS = int64(1_700_000_000)
	testID = "msg_2abcDEF345ghiJKL678"
)

var testBody = []byte(`{"id":"evt_1NqZ","type":"order.created","data":{"n":1}}`)

// reasons are the rejection reasons; a verifier returns exactly one of them.
var reasons = []error{
	contract.ErrMissingSignature,
	contract.ErrMalformedSignature,
	contract.ErrMissingTimestamp,
	contract.ErrMalformedTimestamp,
	contract.ErrNoMatchingSecret,
	contract.ErrOutsideWindow,
}

// checkReason fails t unless err is nil when want is nil, or wraps want and
// no other rejection reason.
func checkReason(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("Verify = %v, want success", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("Verify = %v, want %v", err, want)
	}
	for _, r := range reasons {
		if r != want && errors.Is(err, r) {
			t.Fatalf("Verify = %v wraps %v as well as %v", err, r, want)
		}
	}
}

// builtinPresets returns the names of the built-in presets: all but custom.
func builtinPresets() []string {
	var names []string
	for _, n := range contract.PresetNames() {
		if n != contract.CustomPreset {
			names = append(names, n)
		}
	}
	return names
}
