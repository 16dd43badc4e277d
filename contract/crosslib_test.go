package contract_test

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v84/github"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v82/webhook"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// The tests below sign with each provider's own library and verify with
// ours, and sign with ours and verify with the provider's library. The
// libraries check the timestamp against time.Now, so these use the real
// clock.

func TestStandardWebhooksLibrary(t *testing.T) {
	const preset = "standard-webhooks"
	now := time.Now()
	older, newer := testSecret(preset, 1), testSecret(preset, 2)
	libOlder, err := standardwebhooks.NewWebhook(older)
	if err != nil {
		t.Fatal(err)
	}
	libNewer, err := standardwebhooks.NewWebhook(newer)
	if err != nil {
		t.Fatal(err)
	}
	sigOlder, err := libOlder.Sign(testID, now, testBody)
	if err != nil {
		t.Fatal(err)
	}
	sigNewer, err := libNewer.Sign(testID, now, testBody)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	delivery := func(sig string, body []byte) contract.Delivery {
		return contract.Delivery{Body: body, Signature: sig, ID: testID, Timestamp: ts}
	}

	t.Run("library signs, we verify", func(t *testing.T) {
		for _, tc := range []struct {
			name, secrets string
			d             contract.Delivery
			received      time.Time
			want          error
		}{
			{"one secret", older, delivery(sigOlder, testBody), now, nil},
			{"rotation, old secret second", newer + "\n" + older, delivery(sigOlder, testBody), now, nil},
			{"list of both signatures", newer, delivery(sigOlder+" "+sigNewer, testBody), now, nil},
			{"tampered body", older, delivery(sigOlder, append([]byte(" "), testBody...)), now, contract.ErrNoMatchingSecret},
			{"wrong secret", newer, delivery(sigOlder, testBody), now, contract.ErrNoMatchingSecret},
			{"old timestamp", older, delivery(sigOlder, testBody), now.Add(6 * time.Minute), contract.ErrOutsideWindow},
		} {
			t.Run(tc.name, func(t *testing.T) {
				checkReason(t, mustVerifier(t, preset, tc.secrets).Verify(tc.d, tc.received), tc.want)
			})
		}
	})

	t.Run("we sign, library verifies", func(t *testing.T) {
		p, _ := contract.LookupPreset(preset)
		sig, err := p.Scheme.Sign(older, testID, ts, testBody)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(p.Headers.ID, testID)
		h.Set(p.Headers.Timestamp, ts)
		h.Set(p.Headers.Signature, sig)
		if err := libOlder.Verify(testBody, h); err != nil {
			t.Errorf("library rejects our signature: %v", err)
		}
		if err := libNewer.Verify(testBody, h); err == nil {
			t.Error("library accepts our signature under another secret")
		}
	})
}

func TestSvixLibrary(t *testing.T) {
	const preset = "svix"
	now := time.Now()
	secret := testSecret(preset, 1)
	lib, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := contract.LookupPreset(preset)
	ts := strconv.FormatInt(now.Unix(), 10)

	t.Run("library signs, we verify", func(t *testing.T) {
		sig, err := lib.Sign(testID, now, testBody)
		if err != nil {
			t.Fatal(err)
		}
		d := contract.Delivery{Body: testBody, Signature: sig, ID: testID, Timestamp: ts}
		v := mustVerifier(t, preset, testSecret(preset, 2)+"\n"+secret)
		checkReason(t, v.Verify(d, now), nil)
		d.ID = "msg_other"
		checkReason(t, v.Verify(d, now), contract.ErrNoMatchingSecret)
	})

	t.Run("we sign, library verifies with svix- headers", func(t *testing.T) {
		sig, err := p.Scheme.Sign(secret, testID, ts, testBody)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(p.Headers.ID, testID)
		h.Set(p.Headers.Timestamp, ts)
		h.Set(p.Headers.Signature, "v1a,AAAA "+sig)
		if err := lib.Verify(testBody, h); err != nil {
			t.Errorf("library rejects our signature: %v", err)
		}
		if err := lib.Verify(append(testBody, ' '), h); err == nil {
			t.Error("library accepts a tampered body")
		}
	})
}

func TestStripeLibrary(t *testing.T) {
	const preset = "stripe"
	now := time.Now()
	secret, rolled := testSecret(preset, 1), testSecret(preset, 2)

	t.Run("library signs, we verify", func(t *testing.T) {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: testBody, Secret: secret, Timestamp: now})
		// While a secret is rolled Stripe sends one v1 per secret.
		both := signed.Header + ",v1=" + hex.EncodeToString(webhook.ComputeSignature(now, testBody, rolled))
		v0 := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: testBody, Secret: secret, Timestamp: now, Scheme: "v0"})
		for _, tc := range []struct {
			name, secrets, header string
			body                  []byte
			received              time.Time
			want                  error
		}{
			{"one secret", secret, signed.Header, testBody, now, nil},
			{"rolled secret: two v1, we know only the new one", rolled, both, testBody, now, nil},
			{"rotation, old secret second", rolled + "\n" + secret, signed.Header, testBody, now, nil},
			{"tampered body", secret, signed.Header, append([]byte("{}"), testBody...), now, contract.ErrNoMatchingSecret},
			{"wrong secret", rolled, signed.Header, testBody, now, contract.ErrNoMatchingSecret},
			{"old timestamp", secret, signed.Header, testBody, now.Add(301 * time.Second), contract.ErrOutsideWindow},
			{"only a v0 signature", secret, v0.Header, testBody, now, contract.ErrMalformedSignature},
		} {
			t.Run(tc.name, func(t *testing.T) {
				d := contract.Delivery{Body: tc.body, Signature: tc.header}
				checkReason(t, mustVerifier(t, preset, tc.secrets).Verify(d, tc.received), tc.want)
			})
		}
	})

	t.Run("we sign, library verifies", func(t *testing.T) {
		p, _ := contract.LookupPreset(preset)
		header, err := p.Scheme.Sign(secret, "", strconv.FormatInt(now.Unix(), 10), testBody)
		if err != nil {
			t.Fatal(err)
		}
		if err := webhook.ValidatePayload(testBody, header, secret); err != nil {
			t.Errorf("library rejects our signature: %v", err)
		}
		if err := webhook.ValidatePayload(testBody, header, rolled); err == nil {
			t.Error("library accepts our signature under another secret")
		}
	})

	// stripe-go rejects only timestamps older than its tolerance; we reject
	// both directions, measured from the delivery's arrival. A Stripe
	// timestamp after the request arrived means clock skew of more than five
	// minutes or a forgery, so the difference costs nothing.
	t.Run("future timestamp: stripe-go accepts, we reject", func(t *testing.T) {
		future := now.Add(10 * time.Minute)
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: testBody, Secret: secret, Timestamp: future})
		if err := webhook.ValidatePayload(testBody, signed.Header, secret); err != nil {
			t.Fatalf("stripe-go changed: it now rejects future timestamps (%v); revisit docs/presets.md", err)
		}
		d := contract.Delivery{Body: testBody, Signature: signed.Header}
		checkReason(t, mustVerifier(t, preset, secret).Verify(d, now), contract.ErrOutsideWindow)
	})
}

// TestLibraryHeaderNames checks our header names against the constants the
// providers' libraries read (HTTP header names are case-insensitive).
func TestLibraryHeaderNames(t *testing.T) {
	sw, _ := contract.LookupPreset("standard-webhooks")
	gh, _ := contract.LookupPreset("github")
	for _, tc := range []struct{ ours, theirs string }{
		{sw.Headers.ID, standardwebhooks.HeaderWebhookID},
		{sw.Headers.Timestamp, standardwebhooks.HeaderWebhookTimestamp},
		{sw.Headers.Signature, standardwebhooks.HeaderWebhookSignature},
		{gh.Headers.Signature, github.SHA256SignatureHeader},
		{gh.Headers.ID, github.DeliveryIDHeader},
		{gh.Headers.Topic, github.EventTypeHeader},
	} {
		if !strings.EqualFold(tc.ours, tc.theirs) {
			t.Errorf("header %q, library reads %q", tc.ours, tc.theirs)
		}
	}
}

// TestGitHubLibrary: go-github only validates, so we sign and it checks,
// through its ValidatePayload on a real *http.Request for both content
// types GitHub can send.
func TestGitHubLibrary(t *testing.T) {
	const preset = "github"
	secret := testSecret(preset, 1)
	p, _ := contract.LookupPreset(preset)
	for _, tc := range []struct {
		contentType string
		body        []byte
	}{
		{"application/json", testBody},
		{"application/x-www-form-urlencoded", []byte("payload=" + strings.ReplaceAll(string(testBody), `"`, "%22"))},
	} {
		t.Run(tc.contentType, func(t *testing.T) {
			sig, err := p.Scheme.Sign(secret, "", "", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			request := func(body []byte) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/webhooks/gh", bytes.NewReader(body))
				r.Header.Set("Content-Type", tc.contentType)
				r.Header.Set(p.Headers.Signature, sig)
				r.Header.Set(p.Headers.ID, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
				r.Header.Set(p.Headers.Topic, "issues")
				return r
			}
			if _, err := github.ValidatePayload(request(tc.body), []byte(secret)); err != nil {
				t.Errorf("go-github rejects our signature: %v", err)
			}
			if _, err := github.ValidatePayload(request(append(tc.body, '&')), []byte(secret)); err == nil {
				t.Error("go-github accepts a tampered body")
			}
			if err := github.ValidateSignature(sig, tc.body, []byte(testSecret(preset, 2))); err == nil {
				t.Error("go-github accepts our signature under another secret")
			}
			if got := github.DeliveryID(request(tc.body)); got == "" {
				t.Errorf("go-github does not find the delivery id under %s", p.Headers.ID)
			}
			if got := github.WebHookType(request(tc.body)); got != "issues" {
				t.Errorf("go-github reads event %q under %s", got, p.Headers.Topic)
			}
			d := contract.Delivery{Body: tc.body, Signature: sig}
			checkReason(t, mustVerifier(t, preset, secret).Verify(d, time.Now()), nil)
		})
	}
}
