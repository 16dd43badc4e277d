package contract_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

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
		{name: "millisecond timestamp is outside the window", only: isTimestamped, want: contract.ErrOutsideWindow, edit: func(t *testing.T, p string, f *fixture) {
			// Correctly signed, so that the window is what rejects it: read as
			// seconds, 1700000000000 lies some 54,000 years ahead.
			f.d = refDelivery(t, p, testSecret(p, 1), testID, testTS*1000, testBody)
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

// BenchmarkVerify measures the handler's per-record verification cost for a
// 1 KiB body, for every preset with one secret and, for three of them, with a
// rotation pair whose second secret matches.
func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"},`), 103)[:1024]
	const ts = 1_700_000_000
	received := time.Unix(ts, 0)
	for _, preset := range builtinPresets() {
		for _, rotated := range []bool{false, true} {
			if rotated && preset != "generic" && preset != "standard-webhooks" && preset != "stripe" {
				continue
			}
			name := preset
			secrets := testSecret(preset, 1)
			if rotated {
				name += "/rotated"
				secrets = testSecret(preset, 2) + "\n" + secrets
			}
			b.Run(name, func(b *testing.B) {
				v := mustVerifier(b, preset, secrets)
				d := refDelivery(b, preset, testSecret(preset, 1), "msg_2abcDEF345ghiJKL678", ts, body)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if err := v.Verify(d, received); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
