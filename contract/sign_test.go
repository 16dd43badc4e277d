package contract_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

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

// FuzzSignVerify checks, for every preset, that what Sign produces verifies
// and that changing the body, a signed id or the secret never does.
func FuzzSignVerify(f *testing.F) {
	presets := builtinPresets()
	f.Add(uint8(0), testID, int64(0), testBody)
	f.Add(uint8(4), "", int64(-300), []byte{})
	f.Add(uint8(6), "id.with.dots", int64(300), []byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, which uint8, id string, skew int64, body []byte) {
		preset := presets[int(which)%len(presets)]
		p, _ := contract.LookupPreset(preset)
		if p.Headers.ID == "" {
			id = ""
		}
		skew %= 301
		ts := strconv.FormatInt(testTS, 10)
		sig, err := p.Scheme.Sign(testSecret(preset, 1), id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		d := contract.Delivery{Body: body, Signature: sig, ID: id}
		if p.Headers.Timestamp != "" {
			d.Timestamp = ts
		}
		received := time.Unix(testTS+skew, 0)
		v := mustVerifier(t, preset, testSecret(preset, 2)+"\n"+testSecret(preset, 1))
		checkReason(t, v.Verify(d, received), nil)

		tampered := d
		tampered.Body = append(append([]byte(nil), body...), 'x')
		checkReason(t, v.Verify(tampered, received), contract.ErrNoMatchingSecret)
		if strings.Contains(p.Scheme.SignedContent, "{id}") {
			other := d
			other.ID = id + "x"
			checkReason(t, v.Verify(other, received), contract.ErrNoMatchingSecret)
		}
		checkReason(t, mustVerifier(t, preset, testSecret(preset, 3)).Verify(d, received), contract.ErrNoMatchingSecret)
	})
}
