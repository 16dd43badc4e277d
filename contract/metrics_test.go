package contract_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestVerifyReason checks that every rejection reason a verifier returns,
// bare or wrapped, has its own code, that any other error is unverified and
// that nil has none.
func TestVerifyReason(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{contract.ErrMissingSignature, contract.ReasonMissingSignature},
		{contract.ErrMalformedSignature, contract.ReasonMalformedSignature},
		{contract.ErrMissingTimestamp, contract.ReasonMissingTimestamp},
		{contract.ErrMalformedTimestamp, contract.ReasonMalformedTimestamp},
		{contract.ErrNoMatchingSecret, contract.ReasonNoMatchingSecret},
		{contract.ErrOutsideWindow, contract.ReasonOutsideWindow},
		{fmt.Errorf("%w: not hex", contract.ErrMalformedSignature), contract.ReasonMalformedSignature},
		{fmt.Errorf("%w: signed 1h0m0s from receipt", contract.ErrOutsideWindow), contract.ReasonOutsideWindow},
		{errors.New("no matching secret"), contract.ReasonUnverified}, // same text, not the sentinel
		{nil, ""},
	}
	for _, tc := range cases {
		if got := contract.VerifyReason(tc.err); got != tc.want {
			t.Errorf("VerifyReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestVerifyReasonOfVerifier runs a real verifier into each of its
// rejections and checks the code.
func TestVerifyReasonOfVerifier(t *testing.T) {
	p, _ := contract.LookupPreset("standard-webhooks")
	const secret = "whsec_c2VjcmV0LWJ5dGVzLWZvci10ZXN0cw=="
	v, err := contract.NewVerifier(p.Scheme, secret, p.Tolerance)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ts := fmt.Sprint(now.Unix())
	body := []byte(`{"a":1}`)
	good, err := p.Scheme.Sign(secret, "msg_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		d        contract.Delivery
		received time.Time
		want     string
	}{
		{contract.Delivery{Body: body, ID: "msg_1", Timestamp: ts}, now, contract.ReasonMissingSignature},
		{contract.Delivery{Body: body, ID: "msg_1", Timestamp: ts, Signature: "v1,!!"}, now, contract.ReasonMalformedSignature},
		{contract.Delivery{Body: body, ID: "msg_1", Signature: good}, now, contract.ReasonMissingTimestamp},
		{contract.Delivery{Body: body, ID: "msg_1", Timestamp: "12x", Signature: good}, now, contract.ReasonMalformedTimestamp},
		{contract.Delivery{Body: body, ID: "msg_2", Timestamp: ts, Signature: good}, now, contract.ReasonNoMatchingSecret},
		{contract.Delivery{Body: body, ID: "msg_1", Timestamp: ts, Signature: good}, now.Add(time.Hour), contract.ReasonOutsideWindow},
	}
	for _, tc := range cases {
		err := v.Verify(tc.d, tc.received)
		if got := contract.VerifyReason(err); got != tc.want {
			t.Errorf("%+v: Verify = %v, code %q, want %q", tc.d, err, got, tc.want)
		}
	}
}

// TestMetricNames checks the names alarms and the handler share: reason
// codes are distinct snake_case words, RejectReasons, RetryReasons and
// ReasonConflict between them hold every Reason constant declared in
// metrics.go (read from the source, so that a new code left out fails here),
// Outcomes holds every Outcome constant,
// SignatureReasons are rejection codes, and the dimension names are
// distinct.
func TestMetricNames(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "metrics.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared, outcomes []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Reason") && !strings.HasPrefix(n.Name, "Outcome") {
					continue
				}
				var lit *ast.BasicLit
				if i < len(vs.Values) {
					lit, _ = vs.Values[i].(*ast.BasicLit)
				}
				if lit == nil || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", n.Name)
				}
				v, _ := strconv.Unquote(lit.Value) // a parsed string literal always unquotes
				if strings.HasPrefix(n.Name, "Outcome") {
					outcomes = append(outcomes, v)
				} else {
					declared = append(declared, v)
				}
			}
		}
	}
	if len(declared) < 14 {
		t.Fatalf("found only %d Reason constants in metrics.go: %q", len(declared), declared)
	}

	if got, want := slices.Sorted(slices.Values(contract.Outcomes)), slices.Sorted(slices.Values(outcomes)); !slices.Equal(got, want) {
		t.Errorf("Outcomes holds\n%q\nmetrics.go declares\n%q", got, want)
	}
	codes := append(slices.Clone(contract.RejectReasons), contract.RetryReasons...)
	codes = append(codes, contract.ReasonConflict)
	word := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !word.MatchString(c) || seen[c] {
			t.Errorf("reason code %q is not a distinct snake_case word", c)
		}
		seen[c] = true
	}
	if got, want := slices.Sorted(slices.Values(codes)), slices.Sorted(slices.Values(declared)); !slices.Equal(got, want) {
		t.Errorf("RejectReasons, RetryReasons and ReasonConflict hold\n%q\nmetrics.go declares\n%q", got, want)
	}
	for _, c := range contract.SignatureReasons {
		if !slices.Contains(contract.RejectReasons, c) {
			t.Errorf("SignatureReasons holds %q, not a rejection code", c)
		}
	}
	if slices.Contains(contract.SignatureReasons, contract.ReasonUnknownSource) {
		t.Errorf("SignatureReasons holds %q, which no configured source's verifier gives", contract.ReasonUnknownSource)
	}

	dims := []string{contract.DimensionFunction, contract.DimensionSource, contract.DimensionOutcome, contract.DimensionReason, contract.MetricRecords}
	for i, d := range dims {
		for _, e := range dims[i+1:] {
			if strings.EqualFold(d, e) {
				t.Errorf("names %q and %q differ only in case", d, e)
			}
		}
	}
}
