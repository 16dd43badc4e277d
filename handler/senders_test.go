package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// delivery is one webhook as the API Gateway mapping hands it to SQS.
type delivery struct {
	body string
	// attrs are the message attributes besides source, by contract name.
	attrs map[string]string
	// id is the delivery id its object key derives from.
	id string
}

// sender signs deliveries the way one provider does. The signing is written
// from each provider's documentation, independently of package contract, so
// that the end-to-end test checks the verifiers rather than mirrors them.
type sender struct {
	source contract.Source
	// secret is the SSM parameter's value: one secret per line, newest first.
	secret string
	sign   func(secret string, n int, now time.Time) delivery
}

func mac(h func() hash.Hash, key, msg string) []byte {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func whsecKey(secret string) string {
	k, err := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	if err != nil {
		panic(err)
	}
	return string(k)
}

// bodyID is the id the handler derives for senders that send none.
func bodyID(body string) string {
	sum := sha256.Sum256([]byte(body))
	return "sha256-" + hex.EncodeToString(sum[:])
}

// standardWebhook signs as Standard Webhooks and Svix do.
func standardWebhook(idPrefix string) func(string, int, time.Time) delivery {
	return func(secret string, n int, now time.Time) delivery {
		id := fmt.Sprintf("%s%d", idPrefix, n)
		ts := strconv.FormatInt(now.Unix(), 10)
		body := fmt.Sprintf(`{"type":"invoice.paid","n":%d}`, n)
		sig := base64.StdEncoding.EncodeToString(mac(sha256.New, whsecKey(secret), id+"."+ts+"."+body))
		return delivery{body: body, id: id, attrs: map[string]string{
			contract.AttrSignature: "v1,Zm9yZWlnbg== v1," + sig,
			contract.AttrWebhookID: id,
			contract.AttrTimestamp: ts,
		}}
	}
}

const genericOldSecret = "generic-old-secret-9c2e"

// genericDelivery signs body as the generic sender does.
func genericDelivery(id, body string) delivery {
	return delivery{body: body, id: id, attrs: map[string]string{
		contract.AttrSignature: hex.EncodeToString(mac(sha256.New, genericOldSecret, body)),
		contract.AttrWebhookID: id,
		contract.AttrTopic:     "orders/create",
	}}
}

// senders has one source of every preset, custom included.
var senders = map[string]sender{
	"generic": {
		source: contract.Source{Name: "orders", Preset: "generic"},
		// Rotation: deliveries are signed with the old secret, which still
		// verifies.
		secret: "generic-new-secret-4a1f\n" + genericOldSecret + "\n",
		sign: func(_ string, n int, _ time.Time) delivery {
			return genericDelivery(fmt.Sprintf("gen/../%d", n), fmt.Sprintf("{\"order\":%d,\"note\":\"ü <b>&</b>\\n\"}\r\n", n))
		},
	},
	"shopify": {
		source: contract.Source{Name: "shop", Preset: "shopify"},
		secret: "shpss_0123456789abcdef",
		sign: func(secret string, n int, _ time.Time) delivery {
			body := fmt.Sprintf(`{"id":%d,"total_price":"9.99"}`, n)
			id := fmt.Sprintf("b54557e4-bdd9-4b37-8a5f-%012d", n)
			return delivery{body: body, id: id, attrs: map[string]string{
				contract.AttrSignature: base64.StdEncoding.EncodeToString(mac(sha256.New, secret, body)),
				contract.AttrWebhookID: id,
				contract.AttrTopic:     "orders/create",
			}}
		},
	},
	"github": {
		source: contract.Source{Name: "gh", Preset: "github"},
		secret: "github-secret-6b7c",
		sign: func(secret string, n int, _ time.Time) delivery {
			body := fmt.Sprintf(`{"ref":"refs/heads/main","n":%d}`, n)
			id := fmt.Sprintf("72d3162e-cc78-11e3-81ab-%012d", n)
			return delivery{body: body, id: id, attrs: map[string]string{
				contract.AttrSignature: "sha256=" + hex.EncodeToString(mac(sha256.New, secret, body)),
				contract.AttrWebhookID: id,
				contract.AttrTopic:     "push",
			}}
		},
	},
	"stripe": {
		source: contract.Source{Name: "billing", Preset: "stripe"},
		secret: "whsec_stripe_kept_verbatim_55d1",
		sign: func(secret string, n int, now time.Time) delivery {
			id := fmt.Sprintf("evt_%d", n)
			body := fmt.Sprintf(`{"id":"%s","object":"event","type":"invoice.paid"}`, id)
			ts := strconv.FormatInt(now.Unix(), 10)
			sig := hex.EncodeToString(mac(sha256.New, secret, ts+"."+body))
			return delivery{body: body, id: id, attrs: map[string]string{
				contract.AttrSignature: "t=" + ts + ",v1=" + sig + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
			}}
		},
	},
	"standard-webhooks": {
		source: contract.Source{Name: "std", Preset: "standard-webhooks"},
		secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		sign:   standardWebhook("msg_"),
	},
	"svix": {
		source: contract.Source{Name: "svix", Preset: "svix"},
		secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
		sign:   standardWebhook("msg_svix_"),
	},
	"slack": {
		source: contract.Source{Name: "slack", Preset: "slack"},
		secret: "8f742231b10e8888abcd99yyyzzz85a5",
		sign: func(secret string, n int, now time.Time) delivery {
			body := fmt.Sprintf("token=x&team_id=T1&command=%%2Fweather&n=%d", n)
			ts := strconv.FormatInt(now.Unix(), 10)
			return delivery{body: body, id: bodyID(body), attrs: map[string]string{
				contract.AttrSignature: "v0=" + hex.EncodeToString(mac(sha256.New, secret, "v0:"+ts+":"+body)),
				contract.AttrTimestamp: ts,
			}}
		},
	},
	"recharge": {
		source: contract.Source{Name: "recharge", Preset: "recharge"},
		secret: "recharge-client-secret-31",
		sign: func(secret string, n int, _ time.Time) delivery {
			body := fmt.Sprintf(`{"subscription":{"id":%d}}`, n)
			sum := sha256.Sum256([]byte(secret + body))
			return delivery{body: body, id: bodyID(body), attrs: map[string]string{
				contract.AttrSignature: hex.EncodeToString(sum[:]),
				contract.AttrTopic:     "subscription/created",
			}}
		},
	},
	contract.CustomPreset: {
		source: contract.Source{Name: "acme", Preset: contract.CustomPreset, Custom: &contract.Custom{
			SignatureHeader: "X-Acme-Signature",
			IDHeader:        "X-Acme-Delivery",
			TimestampHeader: "X-Acme-Time",
			Algorithm:       contract.HMACSHA512,
			Encoding:        contract.Base64,
			Prefix:          "sha512=",
			SignedContent:   "{timestamp}.{id}.{body}",
		}},
		secret: "acme-secret-0e0e",
		sign: func(secret string, n int, now time.Time) delivery {
			id := fmt.Sprintf("acme-%d", n)
			ts := strconv.FormatInt(now.Unix(), 10)
			body := fmt.Sprintf(`{"event":"thing.happened","n":%d}`, n)
			return delivery{body: body, id: id, attrs: map[string]string{
				contract.AttrSignature: "sha512=" + base64.StdEncoding.EncodeToString(mac(sha512.New, secret, ts+"."+id+"."+body)),
				contract.AttrWebhookID: id,
				contract.AttrTimestamp: ts,
			}}
		},
	},
}

// TestSendersCoverEveryPreset keeps the end-to-end test honest as presets
// are added: every preset has a sender, and each sender produces exactly the
// attributes its preset's API Gateway mapping produces.
func TestSendersCoverEveryPreset(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(senders)), contract.PresetNames(); !slices.Equal(got, want) {
		t.Fatalf("senders cover presets %v, want %v", got, want)
	}
	for name, s := range senders {
		r, err := s.source.Resolve()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		preset := r.Preset
		d := s.sign(s.secret, 1, time.Now())
		if got, want := slices.Sorted(maps.Keys(d.attrs)), slices.Sorted(maps.Keys(preset.Headers.ByAttribute())); !slices.Equal(got, want) {
			t.Errorf("%s: sender sets attributes %v, the mapping produces %v", name, got, want)
		}
	}
}
