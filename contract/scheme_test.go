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

// withEncoded returns the preset's signature header carrying enc where the
// encoded signature belongs.
func withEncoded(preset, enc string) string {
	switch preset {
	case "github":
		return "sha256=" + enc
	case "slack":
		return "v0=" + enc
	case "stripe":
		return "t=" + strconv.FormatInt(testTS, 10) + ",v1=" + enc
	case "standard-webhooks", "svix":
		return "v1," + enc
	}
	return enc
}

func encodingOf(t testing.TB, preset string) contract.Encoding {
	t.Helper()
	p, ok := contract.LookupPreset(preset)
	if !ok {
		t.Fatalf("unknown preset %q", preset)
	}
	return p.Scheme.Encoding
}

func encode(e contract.Encoding, b []byte) string {
	if e == contract.Base64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

// setTimestamp replaces the signed timestamp wherever the preset carries it.
func setTimestamp(preset string, d *contract.Delivery, ts string) {
	if preset == "stripe" {
		d.Signature = strings.Replace(d.Signature, "t="+strconv.FormatInt(testTS, 10), "t="+ts, 1)
		return
	}
	d.Timestamp = ts
}

type fixture struct {
	secrets  string
	d        contract.Delivery
	received time.Time
}

func builtinPresets() []string {
	var names []string
	for _, n := range contract.PresetNames() {
		if n != contract.CustomPreset {
			names = append(names, n)
		}
	}
	return names
}

func timestamped(t testing.TB, preset string) bool {
	t.Helper()
	p, _ := contract.LookupPreset(preset)
	return p.Scheme.UsesTimestamp()
}

// TestVerifyPresets runs every built-in preset through the same checks, each
// with the exact rejection reason it must produce.
func TestVerifyPresets(t *testing.T) {
	type verifyCase struct {
		name string
		// only limits the case to presets it returns true for.
		only func(preset string) bool
		edit func(t *testing.T, preset string, f *fixture)
		want error
	}
	isTimestamped := func(p string) bool { return timestamped(t, p) }
	notTimestamped := func(p string) bool { return !timestamped(t, p) }
	isHex := func(p string) bool { return encodingOf(t, p) == contract.Hex }
	isBase64 := func(p string) bool { return encodingOf(t, p) == contract.Base64 }
	hasPrefix := func(p string) bool { pr, _ := contract.LookupPreset(p); return pr.Scheme.Prefix != "" }
	digest := func(t *testing.T, preset string, n int) []byte {
		return refDigest(t, preset, testSecret(preset, n), testID, testTS, testBody)
	}
	for _, tc := range []verifyCase{
		{name: "valid", edit: func(*testing.T, string, *fixture) {}},
		{name: "tampered body", want: contract.ErrNoMatchingSecret, edit: func(_ *testing.T, _ string, f *fixture) {
			f.d.Body = append([]byte(nil), f.d.Body...)
			f.d.Body[len(f.d.Body)-2] ^= 1
		}},
		{name: "body with a byte appended", want: contract.ErrNoMatchingSecret, edit: func(_ *testing.T, _ string, f *fixture) {
			f.d.Body = append(append([]byte(nil), f.d.Body...), '\n')
		}},
		{name: "wrong secret", want: contract.ErrNoMatchingSecret, edit: func(_ *testing.T, p string, f *fixture) {
			f.secrets = testSecret(p, 9)
		}},
		{name: "rotation: old secret on the second line matches", edit: func(_ *testing.T, p string, f *fixture) {
			f.secrets = testSecret(p, 2) + "\n" + testSecret(p, 1)
		}},
		{name: "rotation: new secret on the first line matches", edit: func(t *testing.T, p string, f *fixture) {
			f.secrets = testSecret(p, 1) + "\n" + testSecret(p, 2)
		}},
		{name: "rotation: blank lines, CRLF and padding are ignored", edit: func(_ *testing.T, p string, f *fixture) {
			f.secrets = "\r\n  " + testSecret(p, 2) + "  \r\n\r\n\t" + testSecret(p, 1) + "\r\n"
		}},
		{name: "rotation: no line matches", want: contract.ErrNoMatchingSecret, edit: func(_ *testing.T, p string, f *fixture) {
			f.secrets = testSecret(p, 2) + "\n" + testSecret(p, 3)
		}},
		{name: "empty signature", want: contract.ErrMissingSignature, edit: func(_ *testing.T, _ string, f *fixture) {
			f.d.Signature = ""
		}},
		{name: "whitespace signature", want: contract.ErrMissingSignature, edit: func(_ *testing.T, _ string, f *fixture) {
			f.d.Signature = " \t "
		}},
		{name: "bad hex", only: isHex, want: contract.ErrMalformedSignature, edit: func(_ *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, strings.Repeat("zz", 32))
		}},
		{name: "odd-length hex", only: isHex, want: contract.ErrMalformedSignature, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, hex.EncodeToString(digest(t, p, 1))[1:])
		}},
		{name: "bad base64", only: isBase64, want: contract.ErrMalformedSignature, edit: func(_ *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, strings.Repeat("!", 44))
		}},
		{name: "unpadded base64", only: isBase64, want: contract.ErrMalformedSignature, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, base64.RawStdEncoding.EncodeToString(digest(t, p, 1)))
		}},
		{name: "URL-safe base64 of a digest with '+' or '/'", only: isBase64, want: contract.ErrMalformedSignature, edit: func(_ *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, base64.URLEncoding.EncodeToString([]byte(strings.Repeat("\xfb\xff", 16))))
		}},
		{name: "too short", want: contract.ErrMalformedSignature, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, encode(encodingOf(t, p), digest(t, p, 1)[:31]))
		}},
		{name: "too long", want: contract.ErrMalformedSignature, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, encode(encodingOf(t, p), append(digest(t, p, 1), 0)))
		}},
		{name: "SHA-1 length", want: contract.ErrMalformedSignature, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, encode(encodingOf(t, p), digest(t, p, 1)[:20]))
		}},
		{name: "missing prefix", only: hasPrefix, want: contract.ErrMalformedSignature, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = hex.EncodeToString(digest(t, p, 1))
		}},
		{name: "other prefix", only: hasPrefix, want: contract.ErrMalformedSignature, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = "sha1=" + hex.EncodeToString(digest(t, p, 1))
		}},
		{name: "upper-case prefix", only: hasPrefix, want: contract.ErrMalformedSignature, edit: func(_ *testing.T, _ string, f *fixture) {
			f.d.Signature = strings.ToUpper(f.d.Signature[:3]) + f.d.Signature[3:]
		}},
		{name: "upper-case hex", only: isHex, edit: func(t *testing.T, p string, f *fixture) {
			f.d.Signature = withEncoded(p, strings.ToUpper(hex.EncodeToString(digest(t, p, 1))))
		}},
		{name: "surrounding whitespace", edit: func(_ *testing.T, _ string, f *fixture) {
			f.d.Signature = " " + f.d.Signature + "\t"
		}},
		{name: "missing timestamp", only: isTimestamped, want: contract.ErrMissingTimestamp, edit: func(_ *testing.T, p string, f *fixture) {
			if p == "stripe" {
				f.d.Signature = f.d.Signature[strings.Index(f.d.Signature, ",")+1:]
				return
			}
			f.d.Timestamp = ""
		}},
		{name: "empty timestamp", only: isTimestamped, want: contract.ErrMissingTimestamp, edit: func(_ *testing.T, p string, f *fixture) {
			setTimestamp(p, &f.d, "")
		}},
		{name: "malformed timestamp", only: isTimestamped, want: contract.ErrMalformedTimestamp, edit: func(_ *testing.T, p string, f *fixture) {
			setTimestamp(p, &f.d, "17000000x0")
		}},
		{name: "fractional timestamp", only: isTimestamped, want: contract.ErrMalformedTimestamp, edit: func(_ *testing.T, p string, f *fixture) {
			setTimestamp(p, &f.d, "1700000000.5")
		}},
		{name: "signed timestamp", only: isTimestamped, want: contract.ErrMalformedTimestamp, edit: func(_ *testing.T, p string, f *fixture) {
			setTimestamp(p, &f.d, "+1700000000")
		}},
		{name: "millisecond timestamp is outside the window", only: isTimestamped, want: contract.ErrMalformedTimestamp, edit: func(_ *testing.T, p string, f *fixture) {
			setTimestamp(p, &f.d, "1700000000000x")
		}},
		{name: "overflowing timestamp", only: isTimestamped, want: contract.ErrMalformedTimestamp, edit: func(_ *testing.T, p string, f *fixture) {
			setTimestamp(p, &f.d, "99999999999999999999999")
		}},
		{name: "received within the window after signing", only: isTimestamped, edit: func(_ *testing.T, _ string, f *fixture) {
			f.received = time.Unix(testTS, 0).Add(5 * time.Minute)
		}},
		{name: "received within the window before signing", only: isTimestamped, edit: func(_ *testing.T, _ string, f *fixture) {
			f.received = time.Unix(testTS, 0).Add(-5 * time.Minute)
		}},
		{name: "received too late", only: isTimestamped, want: contract.ErrOutsideWindow, edit: func(_ *testing.T, _ string, f *fixture) {
			f.received = time.Unix(testTS, 0).Add(5*time.Minute + time.Second)
		}},
		{name: "signed too far in the future", only: isTimestamped, want: contract.ErrOutsideWindow, edit: func(_ *testing.T, _ string, f *fixture) {
			f.received = time.Unix(testTS, 0).Add(-5*time.Minute - time.Second)
		}},
		{name: "a stale forgery fails the signature, not the window", only: isTimestamped, want: contract.ErrNoMatchingSecret, edit: func(_ *testing.T, p string, f *fixture) {
			f.secrets = testSecret(p, 9)
			f.received = time.Unix(testTS, 0).Add(time.Hour)
		}},
		{name: "no window without a signed timestamp", only: notTimestamped, edit: func(_ *testing.T, _ string, f *fixture) {
			f.received = time.Unix(testTS, 0).Add(30 * 24 * time.Hour)
		}},
	} {
		for _, preset := range builtinPresets() {
			if tc.only != nil && !tc.only(preset) {
				continue
			}
			t.Run(preset+"/"+tc.name, func(t *testing.T) {
				f := fixture{
					secrets:  testSecret(preset, 1),
					d:        refDelivery(t, preset, testSecret(preset, 1), testID, testTS, testBody),
					received: time.Unix(testTS, 0).Add(2 * time.Second),
				}
				tc.edit(t, preset, &f)
				checkReason(t, mustVerifier(t, preset, f.secrets).Verify(f.d, f.received), tc.want)
			})
		}
	}
}

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

// TestVerifyAlgorithms covers the algorithms only a custom sender uses,
// against digests computed here from the standard library.
func TestVerifyAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		alg  contract.Algorithm
		want string // base64 digest of "1700000000.<testBody>" under key "k3y"
	}{
		{contract.HMACSHA1, hmacB64(t, "sha1", "k3y", "1700000000."+string(testBody))},
		{contract.HMACSHA256, hmacB64(t, "sha256", "k3y", "1700000000."+string(testBody))},
		{contract.HMACSHA512, hmacB64(t, "sha512", "k3y", "1700000000."+string(testBody))},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			p, err := contract.Custom{
				SignatureHeader: "X-Sig", TimestampHeader: "X-Time", Algorithm: tc.alg, Encoding: contract.Base64,
				Prefix: "sig=", SignedContent: "{timestamp}.{body}",
			}.Preset()
			if err != nil {
				t.Fatal(err)
			}
			v, err := contract.NewVerifier(p.Scheme, "k3y", p.Tolerance)
			if err != nil {
				t.Fatal(err)
			}
			d := contract.Delivery{Body: testBody, Signature: "sig=" + tc.want, Timestamp: "1700000000"}
			checkReason(t, v.Verify(d, time.Unix(testTS, 0)), nil)
			got, err := p.Scheme.Sign("k3y", "", "1700000000", testBody)
			if err != nil || got != d.Signature {
				t.Errorf("Sign = %q, %v; want %q", got, err, d.Signature)
			}
			d.Body = append([]byte(nil), testBody[1:]...)
			checkReason(t, v.Verify(d, time.Unix(testTS, 0)), contract.ErrNoMatchingSecret)
		})
	}
}

// TestSignMatchesReference checks that Sign lays out every preset's header
// as the independent reference signers do.
func TestSignMatchesReference(t *testing.T) {
	for _, preset := range builtinPresets() {
		t.Run(preset, func(t *testing.T) {
			p, _ := contract.LookupPreset(preset)
			want := refDelivery(t, preset, testSecret(preset, 1), testID, testTS, testBody)
			got, err := p.Scheme.Sign(testSecret(preset, 1), testID, strconv.FormatInt(testTS, 10), testBody)
			if err != nil {
				t.Fatal(err)
			}
			if got != want.Signature {
				t.Errorf("Sign = %q, want %q", got, want.Signature)
			}
		})
	}
}

func TestSignRejects(t *testing.T) {
	sw, _ := contract.LookupPreset("standard-webhooks")
	gh, _ := contract.LookupPreset("github")
	for _, tc := range []struct {
		name      string
		scheme    contract.Scheme
		secret    string
		timestamp string
		want      error
	}{
		{"timestamped scheme without timestamp", sw.Scheme, testSecret("standard-webhooks", 1), "", contract.ErrMissingTimestamp},
		{"malformed timestamp", sw.Scheme, testSecret("standard-webhooks", 1), "soon", contract.ErrMalformedTimestamp},
		{"secret that is not base64", sw.Scheme, "whsec_not base64", "1", nil},
		{"empty secret", gh.Scheme, " ", "", nil},
		{"invalid scheme", contract.Scheme{Algorithm: "md5"}, "s", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.scheme.Sign(tc.secret, testID, tc.timestamp, testBody)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Sign = %v, want an error (%v)", err, tc.want)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	raw := contract.Scheme{Secret: contract.RawSecret}
	whsec := contract.Scheme{Secret: contract.WhsecBase64}
	for _, tc := range []struct {
		name    string
		scheme  contract.Scheme
		value   string
		want    []string // keys, as strings
		wantErr string
	}{
		{"one raw secret", raw, "s3cret", []string{"s3cret"}, ""},
		{"raw secret keeps whsec_", raw, "whsec_abc", []string{"whsec_abc"}, ""},
		{"rotation, newest first", raw, "new\nold", []string{"new", "old"}, ""},
		{"blank lines and padding", raw, "\n  new \r\n\n\told\n", []string{"new", "old"}, ""},
		{"inner spaces are kept", raw, "a b", []string{"a b"}, ""},
		{"whsec decoded", whsec, "whsec_" + base64.StdEncoding.EncodeToString([]byte("key-bytes")), []string{"key-bytes"}, ""},
		{"whsec prefix optional", whsec, base64.StdEncoding.EncodeToString([]byte("key-bytes")), []string{"key-bytes"}, ""},
		{"nothing", raw, "", nil, "no secret configured"},
		{"only blank lines", raw, "\n \r\n\t\n", nil, "no secret configured"},
		{"whsec not base64", whsec, "whsec_bmV3\nwhsec_%%%", nil, "secret on line 2: secret is not whsec_ followed by base64"},
		{"whsec empty", whsec, "whsec_", nil, "secret on line 1: secret decodes to no bytes"},
		{"whsec URL-safe alphabet", whsec, "whsec_a-_b", nil, "secret on line 1: secret is not whsec_ followed by base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := tc.scheme.Keys(tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("Keys = %v, want error starting %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "%%%") || strings.Contains(err.Error(), "a-_b") {
					t.Errorf("error %q quotes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, string(k))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Keys = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewVerifierRejects(t *testing.T) {
	sw, _ := contract.LookupPreset("standard-webhooks")
	gh, _ := contract.LookupPreset("github")
	for _, tc := range []struct {
		name      string
		scheme    contract.Scheme
		secrets   string
		tolerance time.Duration
		wantErr   string
	}{
		{"no tolerance for a timestamped scheme", sw.Scheme, testSecret("standard-webhooks", 1), 0, "positive replay tolerance"},
		{"negative tolerance", sw.Scheme, testSecret("standard-webhooks", 1), -time.Second, "positive replay tolerance"},
		{"no secret", gh.Scheme, "\n", 0, "no secret configured"},
		{"invalid scheme", contract.Scheme{Algorithm: contract.HMACSHA256, Encoding: "base32", Format: contract.Single, Secret: contract.RawSecret}, "s", 0, "unknown encoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := contract.NewVerifier(tc.scheme, tc.secrets, tc.tolerance)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("NewVerifier = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := contract.NewVerifier(gh.Scheme, "s", 0); err != nil {
		t.Errorf("an untimestamped scheme needs no tolerance: %v", err)
	}
}

func TestSchemeValidate(t *testing.T) {
	ok := contract.Scheme{Algorithm: contract.HMACSHA256, Encoding: contract.Hex, Format: contract.Single, Secret: contract.RawSecret}
	for _, tc := range []struct {
		name    string
		edit    func(*contract.Scheme)
		wantErr string
	}{
		{"valid", func(*contract.Scheme) {}, ""},
		{"valid template", func(s *contract.Scheme) { s.SignedContent = "v0:{timestamp}:{id}:{body}!" }, ""},
		{"unknown algorithm", func(s *contract.Scheme) { s.Algorithm = "hmac-md5" }, `unknown algorithm "hmac-md5"`},
		{"empty algorithm", func(s *contract.Scheme) { s.Algorithm = "" }, "unknown algorithm"},
		{"unknown encoding", func(s *contract.Scheme) { s.Encoding = "HEX" }, `unknown encoding "HEX"`},
		{"unknown format", func(s *contract.Scheme) { s.Format = "list" }, `unknown signature format "list"`},
		{"unknown secret format", func(s *contract.Scheme) { s.Secret = "base64" }, `unknown secret format "base64"`},
		{"body twice", func(s *contract.Scheme) { s.SignedContent = "{body}{body}" }, "{body} exactly once"},
		{"no body", func(s *contract.Scheme) { s.SignedContent = "{id}.{timestamp}" }, "{body} exactly once"},
		{"unknown placeholder", func(s *contract.Scheme) { s.SignedContent = "{url}{body}" }, "unknown placeholder {url}"},
		{"unclosed brace", func(s *contract.Scheme) { s.SignedContent = "{body}.{id" }, "unclosed '{'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			err := s.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestVerifyConcurrent runs one verifier from many goroutines, as the
// handler does; run it with -race to check the pooled scratch memory.
func TestVerifyConcurrent(t *testing.T) {
	const preset = "standard-webhooks"
	v := mustVerifier(t, preset, testSecret(preset, 2)+"\n"+testSecret(preset, 1))
	good := refDelivery(t, preset, testSecret(preset, 1), testID, testTS, testBody)
	bad := good
	bad.Body = []byte("forged")
	errs := make(chan error, 64)
	for i := range cap(errs) {
		go func() {
			d, want := good, error(nil)
			if i%2 == 1 {
				d, want = bad, contract.ErrNoMatchingSecret
			}
			for range 50 {
				if err := v.Verify(d, time.Unix(testTS, 0)); !errors.Is(err, want) && (want != nil || err != nil) {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Verify: %v", err)
		}
	}
}
