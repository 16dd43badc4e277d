package contract_test

import (
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Published test vectors: each sender's own worked example must verify, and
// Sign must reproduce its signature.
func TestPublishedVectors(t *testing.T) {
	for _, tc := range []struct {
		name, preset, secret string
		d                    contract.Delivery
		received             time.Time
	}{
		{
			// docs.github.com, "Validating webhook deliveries", section
			// "Testing the webhook payload validation".
			name:   "GitHub docs",
			preset: "github",
			secret: "It's a Secret to Everybody",
			d: contract.Delivery{
				Body:      []byte("Hello, World!"),
				Signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
			},
		},
		{
			// api.slack.com/authentication/verifying-requests-from-slack, the
			// worked slash-command example.
			name:   "Slack docs",
			preset: "slack",
			secret: "8f742231b10e8888abcd99yyyzzz85a5",
			d: contract.Delivery{
				Body:      []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"),
				Signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
				Timestamp: "1531420618",
			},
			received: time.Unix(1531420618, 0).Add(time.Minute),
		},
		{
			// standard-webhooks libraries/go/webhook_test.go TestWebhookSign
			// (the same vector is in every language's library tests).
			name:   "Standard Webhooks library",
			preset: "standard-webhooks",
			secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			d: contract.Delivery{
				Body:      []byte(`{"test": 2432232314}`),
				Signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
				ID:        "msg_p5jXN8AQM9LWM0D4loKWxJek",
				Timestamp: "1614265330",
			},
			received: time.Unix(1614265330, 0),
		},
		{
			name:   "Standard Webhooks library vector as Svix",
			preset: "svix",
			secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			d: contract.Delivery{
				Body:      []byte(`{"test": 2432232314}`),
				Signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
				ID:        "msg_p5jXN8AQM9LWM0D4loKWxJek",
				Timestamp: "1614265330",
			},
			received: time.Unix(1614265330, 0),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := mustVerifier(t, tc.preset, tc.secret)
			checkReason(t, v.Verify(tc.d, tc.received), nil)

			p, _ := contract.LookupPreset(tc.preset)
			got, err := p.Scheme.Sign(tc.secret, tc.d.ID, tc.d.Timestamp, tc.d.Body)
			if err != nil || got != tc.d.Signature {
				t.Errorf("Sign = %q, %v; want %q", got, err, tc.d.Signature)
			}

			tampered := tc.d
			tampered.Body = append([]byte(nil), tc.d.Body...)
			tampered.Body[0] ^= 0x20
			checkReason(t, v.Verify(tampered, tc.received), contract.ErrNoMatchingSecret)
		})
	}
}
