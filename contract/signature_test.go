package contract_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestVerifyVersionedList covers Standard Webhooks' space-separated list:
// other versions and undecodable entries are skipped, any v1 may match.
func TestVerifyVersionedList(t *testing.T) {
	for _, preset := range []string{"standard-webhooks", "svix"} {
		good := "v1," + base64.StdEncoding.EncodeToString(refDigest(t, preset, testSecret(preset, 1), testID, testTS, testBody))
		other := "v1," + base64.StdEncoding.EncodeToString(refDigest(t, preset, testSecret(preset, 2), testID, testTS, testBody))
		v1a := "v1a," + base64.StdEncoding.EncodeToString(make([]byte, 64))
		for _, tc := range []struct {
			name, header string
			want         error
		}{
			{"v1a, bad v1, then good v1", v1a + " v1,!!notbase64!! " + good, nil},
			{"good v1 first", good + " " + other + " " + v1a, nil},
			{"rotated secret's signature before the match", other + " " + good, nil},
			{"tabs and repeated spaces", "\t" + other + "   " + good + "\t", nil},
			{"entry without a comma is skipped", "v1 " + good, nil},
			{"wrong-length v1 beside a good one", "v1," + base64.StdEncoding.EncodeToString(make([]byte, 16)) + " " + good, nil},
			{"only v1a", v1a, contract.ErrMalformedSignature},
			{"only other versions", "v2," + good[3:] + " v0," + good[3:], contract.ErrMalformedSignature},
			{"upper-case version", "V1," + good[3:], contract.ErrMalformedSignature},
			{"v1 entries that do not decode", "v1,!!! v1,", contract.ErrMalformedSignature},
			{"v1 entries of the wrong length", "v1," + base64.StdEncoding.EncodeToString(make([]byte, 16)), contract.ErrMalformedSignature},
			{"bare signature without version", good[3:], contract.ErrMalformedSignature},
			{"comma-separated list", other + "," + good, contract.ErrMalformedSignature},
			{"several v1, none matching", other + " " + other, contract.ErrNoMatchingSecret},
		} {
			t.Run(preset+"/"+tc.name, func(t *testing.T) {
				d := contract.Delivery{Body: testBody, Signature: tc.header, ID: testID, Timestamp: strconv.FormatInt(testTS, 10)}
				checkReason(t, mustVerifier(t, preset, testSecret(preset, 1)).Verify(d, time.Unix(testTS, 0)), tc.want)
			})
		}
	}
}

// TestVerifyStripeList covers Stripe-Signature: only v1 is checked, any v1
// may match, and the timestamp travels in the same header.
func TestVerifyStripeList(t *testing.T) {
	secret := testSecret("stripe", 1)
	sig := func(secret string, ts int64) string {
		return hex.EncodeToString(refDigest(t, "stripe", secret, "", ts, testBody))
	}
	good := sig(secret, testTS)
	rolled := sig(testSecret("stripe", 2), testTS)
	t0 := "t=" + strconv.FormatInt(testTS, 10)
	for _, tc := range []struct {
		name, header string
		want         error
	}{
		{"v0 and several v1, good one last", t0 + ",v0=" + good + ",v1=" + rolled + ",v1=" + good, nil},
		{"good v1 first", t0 + ",v1=" + good + ",v1=" + rolled, nil},
		{"timestamp after the signatures", "v1=" + good + "," + t0, nil},
		{"undecodable v1 beside a good one", t0 + ",v1=zz,v1=" + good, nil},
		{"unknown elements are ignored", t0 + ",v1=" + good + ",v9=abc,x=", nil},
		{"spaces after commas", t0 + ", v1=" + good, nil},
		{"the last t wins", "t=1,v1=" + good + "," + t0, nil},
		{"only v0", t0 + ",v0=" + good, contract.ErrMalformedSignature},
		{"no signature element", t0, contract.ErrMalformedSignature},
		{"v1 that does not decode", t0 + ",v1=" + good[:63] + "g", contract.ErrMalformedSignature},
		{"v1 of the wrong length", t0 + ",v1=" + good[:62], contract.ErrMalformedSignature},
		{"element without '='", t0 + ",v1=" + good + ",junk", contract.ErrMalformedSignature},
		{"empty element", t0 + ",,v1=" + good, contract.ErrMalformedSignature},
		{"no t", "v1=" + good, contract.ErrMissingTimestamp},
		{"empty t", "t=,v1=" + good, contract.ErrMissingTimestamp},
		{"t not an integer", "t=now,v1=" + good, contract.ErrMalformedTimestamp},
		{"several v1, none matching", t0 + ",v1=" + rolled + ",v1=" + rolled, contract.ErrNoMatchingSecret},
		{"signature for another t", "t=" + strconv.FormatInt(testTS+1, 10) + ",v1=" + good, contract.ErrNoMatchingSecret},
		{"old t correctly signed", "t=" + strconv.FormatInt(testTS-301, 10) + ",v1=" + sig(secret, testTS-301), contract.ErrOutsideWindow},
		{"future t correctly signed", "t=" + strconv.FormatInt(testTS+301, 10) + ",v1=" + sig(secret, testTS+301), contract.ErrOutsideWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := contract.Delivery{Body: testBody, Signature: tc.header}
			checkReason(t, mustVerifier(t, "stripe", secret).Verify(d, time.Unix(testTS, 0)), tc.want)
		})
	}
}

// checkOneReason fails t unless err is nil or wraps exactly one rejection
// reason.
func checkOneReason(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	n := 0
	for _, r := range reasons {
		if errors.Is(err, r) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %q wraps %d rejection reasons, want 1", err, n)
	}
}

// fuzzVerify feeds arbitrary header values to the named presets' verifiers.
func fuzzVerify(f *testing.F, presets []string, seeds [][3]string) {
	verifiers := make([]*contract.Verifier, len(presets))
	for i, p := range presets {
		verifiers[i] = mustVerifier(f, p, testSecret(p, 2)+"\n"+testSecret(p, 1))
	}
	for _, p := range presets {
		d := refDelivery(f, p, testSecret(p, 1), testID, testTS, testBody)
		f.Add(d.Signature, d.Timestamp, testID, testBody)
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], testBody)
	}
	received := time.Unix(testTS, 0)
	f.Fuzz(func(t *testing.T, signature, timestamp, id string, body []byte) {
		for _, v := range verifiers {
			d := contract.Delivery{Body: body, Signature: signature, ID: id, Timestamp: timestamp}
			checkOneReason(t, v.Verify(d, received))
		}
	})
}

func FuzzVerifySingle(f *testing.F) {
	fuzzVerify(f, []string{"generic", "shopify", "github", "slack", "recharge"}, [][3]string{
		{"", "", ""},
		{"   ", "1700000000", ""},
		{"sha256=", "", ""},
		{"v0=" + strings.Repeat("A", 64), "1700000000", ""},
		{"v0=" + strings.Repeat("0", 64), "99999999999999999999", ""},
		{strings.Repeat("=", 44), "", ""},
		{"sha256=" + strings.Repeat("f", 63), "", ""},
		{"\xff\xfe", "\x00", "\xff"},
	})
}

func FuzzVerifyVersionedList(f *testing.F) {
	fuzzVerify(f, []string{"standard-webhooks", "svix"}, [][3]string{
		{"v1,", "1700000000", testID},
		{"v1a,AAAA v1,!!! v1," + strings.Repeat("A", 43) + "=", "1700000000", testID},
		{"v1 v1, ,v1 v1,,", "", ""},
		{"v1," + strings.Repeat("/", 44), "-1", "a.b"},
		{strings.Repeat("v1,AAAA ", 100), "1700000000", ""},
	})
}

func FuzzVerifyStripeList(f *testing.F) {
	fuzzVerify(f, []string{"stripe"}, [][3]string{
		{"t=1700000000", "", ""},
		{"t=1700000000,v1=", "", ""},
		{"t=,v1=" + strings.Repeat("a", 64), "", ""},
		{"v1=" + strings.Repeat("a", 64) + ",t=1700000000,v0=zz", "", ""},
		{",,,=,==,t==1", "", ""},
		{"t=1700000000," + strings.Repeat("v1=ab,", 50), "", ""},
	})
}
