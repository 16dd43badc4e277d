package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestPresetTable pins every built-in preset's mapped headers, signature
// layout and replay window. Each mapped header is one the sender sends on
// every delivery (API Gateway refuses a request whose mapped header is
// missing); docs/presets.md gives the source for each.
func TestPresetTable(t *testing.T) {
	for _, tc := range []struct {
		preset    string
		headers   map[string]string
		encoding  contract.Encoding
		format    contract.Format
		prefix    string
		tolerance time.Duration
	}{
		{"generic", map[string]string{contract.AttrSignature: "x-hmac", contract.AttrWebhookID: "x-webhook-id", contract.AttrTopic: "x-topic"},
			contract.Hex, contract.Single, "", 0},
		{"shopify", map[string]string{contract.AttrSignature: "X-Shopify-Hmac-Sha256", contract.AttrWebhookID: "X-Shopify-Webhook-Id", contract.AttrTopic: "X-Shopify-Topic"},
			contract.Base64, contract.Single, "", 0},
		{"github", map[string]string{contract.AttrSignature: "X-Hub-Signature-256", contract.AttrWebhookID: "X-GitHub-Delivery", contract.AttrTopic: "X-GitHub-Event"},
			contract.Hex, contract.Single, "sha256=", 0},
		{"stripe", map[string]string{contract.AttrSignature: "Stripe-Signature"},
			contract.Hex, contract.StripeList, "", 5 * time.Minute},
		{"standard-webhooks", map[string]string{contract.AttrSignature: "webhook-signature", contract.AttrWebhookID: "webhook-id", contract.AttrTimestamp: "webhook-timestamp"},
			contract.Base64, contract.VersionedList, "", 5 * time.Minute},
		{"svix", map[string]string{contract.AttrSignature: "svix-signature", contract.AttrWebhookID: "svix-id", contract.AttrTimestamp: "svix-timestamp"},
			contract.Base64, contract.VersionedList, "", 5 * time.Minute},
		{"slack", map[string]string{contract.AttrSignature: "X-Slack-Signature", contract.AttrTimestamp: "X-Slack-Request-Timestamp"},
			contract.Hex, contract.Single, "v0=", 5 * time.Minute},
		{"recharge", map[string]string{contract.AttrSignature: "X-Recharge-Hmac-Sha256", contract.AttrTopic: "X-Recharge-Topic"},
			contract.Hex, contract.Single, "", 0},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			p, ok := contract.LookupPreset(tc.preset)
			if !ok || p.Name != tc.preset {
				t.Fatalf("LookupPreset(%q) = %q, %v", tc.preset, p.Name, ok)
			}
			if got := p.Headers.ByAttribute(); !maps.Equal(got, tc.headers) {
				t.Errorf("headers = %v, want %v", got, tc.headers)
			}
			s := p.Scheme
			if s.Encoding != tc.encoding || s.Format != tc.format || s.Prefix != tc.prefix || p.Tolerance != tc.tolerance {
				t.Errorf("scheme = %+v, tolerance %s", s, p.Tolerance)
			}
			if err := s.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	if got, want := len(contract.PresetNames()), 9; got != want {
		t.Errorf("%d presets (with custom), the table covers %d", got, want)
	}
}

// TestPresetConsistency checks what must hold for any preset, so that a new
// one cannot be added half-wired.
func TestPresetConsistency(t *testing.T) {
	for _, name := range builtinPresets() {
		p, _ := contract.LookupPreset(name)
		s := p.Scheme
		if p.Headers.Signature == "" {
			t.Errorf("%s maps no signature header", name)
		}
		if s.UsesTimestamp() != (p.Tolerance > 0) {
			t.Errorf("%s: signs a timestamp %v, but tolerance %s", name, s.UsesTimestamp(), p.Tolerance)
		}
		inHeader := strings.Contains(s.SignedContent, "{timestamp}") && s.Format != contract.StripeList
		if inHeader != (p.Headers.Timestamp != "") {
			t.Errorf("%s: signed content %q, timestamp header %q", name, s.SignedContent, p.Headers.Timestamp)
		}
		if strings.Contains(s.SignedContent, "{id}") && p.Headers.ID == "" {
			t.Errorf("%s signs {id} but maps no id header", name)
		}
		if p.Headers.ID != "" && p.BodyIDField != "" {
			t.Errorf("%s has an id header and a body id field", name)
		}
		if len(p.Headers.ByAttribute())+1 > 10 {
			t.Errorf("%s maps more than SQS's 10 message attributes", name)
		}
	}
}

func TestPresetNames(t *testing.T) {
	names := contract.PresetNames()
	if !slices.IsSorted(names) || !slices.Contains(names, contract.CustomPreset) {
		t.Errorf("PresetNames = %v, want sorted and with %q", names, contract.CustomPreset)
	}
	for _, n := range names {
		if _, ok := contract.LookupPreset(n); ok == (n == contract.CustomPreset) {
			t.Errorf("LookupPreset(%q) = %v", n, ok)
		}
	}
	if _, ok := contract.LookupPreset("GitHub"); ok {
		t.Error("preset names are case-sensitive")
	}
}

func TestIdentify(t *testing.T) {
	bodyHash := func(b string) string {
		sum := sha256.Sum256([]byte(b))
		return "sha256-" + hex.EncodeToString(sum[:])
	}
	stripeBody := `{"id":"evt_1NqZ","object":"event","type":"invoice.paid","data":{"object":{"id":"in_1"}}}`
	for _, tc := range []struct {
		name, preset, attrID, attrTopic, body string
		wantID, wantTopic, wantErr            string
	}{
		{"id and topic from headers", "github", "72d3162e-cc78", "push", "{}", "72d3162e-cc78", "push", ""},
		{"mapped id header empty", "shopify", "", "orders/create", "{}", "", "", "empty webhook id"},
		{"mapped id header blank", "generic", "  ", "t", "{}", "", "", "empty webhook id"},
		{"stripe: id and type from the body", "stripe", "", "", stripeBody, "evt_1NqZ", "invoice.paid", ""},
		{"stripe: body without id", "stripe", "", "", `{"type":"x"}`, bodyHash(`{"type":"x"}`), "x", ""},
		{"stripe: non-string id", "stripe", "", "", `{"id":7,"type":["x"]}`, bodyHash(`{"id":7,"type":["x"]}`), "", ""},
		{"stripe: body not JSON", "stripe", "", "", "not json", bodyHash("not json"), "", ""},
		{"slack: id derived from the body", "slack", "", "", "token=x&command=%2Fdeploy", bodyHash("token=x&command=%2Fdeploy"), "", ""},
		{"recharge: id derived, topic from header", "recharge", "", "charge/paid", `{"charge":{"id":1}}`, bodyHash(`{"charge":{"id":1}}`), "charge/paid", ""},
		{"empty body still gets an id", "slack", "", "", "", bodyHash(""), "", ""},
		// Attributes the preset maps no header to come from no request.
		{"stripe: unmapped id and topic attributes ignored", "stripe", "evt_forged", "forged.type", stripeBody, "evt_1NqZ", "invoice.paid", ""},
		{"recharge: unmapped id attribute ignored", "recharge", "forged-id", "charge/paid", `{"charge":{"id":1}}`, bodyHash(`{"charge":{"id":1}}`), "charge/paid", ""},
		{"slack: unmapped id and topic attributes ignored", "slack", "forged-id", "forged", "a=b", bodyHash("a=b"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := contract.LookupPreset(tc.preset)
			id, topic, err := p.Identify(tc.attrID, tc.attrTopic, []byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Identify = %q, %v; want error %q", id, err, tc.wantErr)
				}
				return
			}
			if err != nil || id != tc.wantID || topic != tc.wantTopic {
				t.Fatalf("Identify = %q, %q, %v; want %q, %q", id, topic, err, tc.wantID, tc.wantTopic)
			}
			if _, err := contract.ObjectKey("src", id); err != nil {
				t.Errorf("id %q gives no object key: %v", id, err)
			}
		})
	}
}

func TestCustomPreset(t *testing.T) {
	for _, tc := range []struct {
		name    string
		json    string
		check   func(t *testing.T, p contract.Preset)
		wantErr string
	}{
		{
			name: "defaults",
			json: `{"signatureHeader":"X-Signature"}`,
			check: func(t *testing.T, p contract.Preset) {
				want := contract.Scheme{Algorithm: contract.HMACSHA256, Encoding: contract.Hex, Format: contract.Single, SignedContent: "{body}", Secret: contract.RawSecret}
				if p.Scheme != want || p.Name != contract.CustomPreset || p.Tolerance != 5*time.Minute {
					t.Errorf("preset = %+v", p)
				}
				if got := p.Headers.ByAttribute(); !maps.Equal(got, map[string]string{contract.AttrSignature: "X-Signature"}) {
					t.Errorf("headers = %v", got)
				}
			},
		},
		{
			name: "every field",
			json: `{"signatureHeader":"X-Sig","idHeader":"X-Id","topicHeader":"X-Event","timestampHeader":"X-Time",
				"algorithm":"hmac-sha512","encoding":"base64","prefix":"sha512=","signedContent":"{id}:{timestamp}:{body}"}`,
			check: func(t *testing.T, p contract.Preset) {
				want := contract.Scheme{Algorithm: contract.HMACSHA512, Encoding: contract.Base64, Format: contract.Single, Prefix: "sha512=", SignedContent: "{id}:{timestamp}:{body}", Secret: contract.RawSecret}
				if p.Scheme != want {
					t.Errorf("scheme = %+v", p.Scheme)
				}
				if len(p.Headers.ByAttribute()) != 4 {
					t.Errorf("headers = %v", p.Headers.ByAttribute())
				}
			},
		},
		{
			name: "Recharge's legacy scheme with its topic",
			json: `{"signatureHeader":"X-Recharge-Hmac-Sha256","topicHeader":"X-Recharge-Topic","algorithm":"sha256-secret-prefix"}`,
			check: func(t *testing.T, p contract.Preset) {
				rc, _ := contract.LookupPreset("recharge")
				if p.Scheme.Algorithm != rc.Scheme.Algorithm || !maps.Equal(p.Headers.ByAttribute(), rc.Headers.ByAttribute()) {
					t.Errorf("custom %+v differs from the recharge preset", p)
				}
			},
		},
		{name: "no signature header", json: `{"idHeader":"X-Id"}`, wantErr: "custom.signatureHeader is required"},
		{name: "signature header with a space", json: `{"signatureHeader":"X Sig"}`, wantErr: `custom.signatureHeader "X Sig" is not a header name`},
		{name: "id header with a colon", json: `{"signatureHeader":"X-Sig","idHeader":"X-Id:"}`, wantErr: "custom.idHeader"},
		{name: "topic header with a dot", json: `{"signatureHeader":"X-Sig","topicHeader":"x.topic"}`, wantErr: "custom.topicHeader"},
		{name: "timestamp header too long", json: `{"signatureHeader":"X-Sig","timestampHeader":"` + strings.Repeat("t", 129) + `","signedContent":"{timestamp}{body}"}`, wantErr: "custom.timestampHeader"},
		{name: "header that would inject a mapping", json: `{"signatureHeader":"x}${request.body"}`, wantErr: "custom.signatureHeader"},
		{name: "two bad headers: the first is named", json: `{"signatureHeader":"a b","timestampHeader":"c d"}`, wantErr: "custom.signatureHeader"},
		{name: "prefix starting with white space", json: `{"signatureHeader":"X-Sig","prefix":" sig="}`, wantErr: `custom.prefix " sig=" must not start with white space`},
		{name: "unknown algorithm", json: `{"signatureHeader":"X-Sig","algorithm":"md5"}`, wantErr: `custom: unknown algorithm "md5"`},
		{name: "unknown encoding", json: `{"signatureHeader":"X-Sig","encoding":"base32"}`, wantErr: `custom: unknown encoding "base32"`},
		{name: "bad template", json: `{"signatureHeader":"X-Sig","signedContent":"{url}{body}"}`, wantErr: "custom: signed content: unknown placeholder {url}"},
		{name: "template without body", json: `{"signatureHeader":"X-Sig","signedContent":"{id}"}`, wantErr: "custom: signed content must contain {body} exactly once"},
		{name: "signs a timestamp it has no header for", json: `{"signatureHeader":"X-Sig","signedContent":"{timestamp}.{body}"}`, wantErr: "custom.signedContent uses {timestamp} exactly when custom.timestampHeader is set"},
		{name: "timestamp header it does not sign", json: `{"signatureHeader":"X-Sig","timestampHeader":"X-Time"}`, wantErr: "custom.signedContent uses {timestamp} exactly when custom.timestampHeader is set"},
		{name: "signs an id it has no header for", json: `{"signatureHeader":"X-Sig","signedContent":"{id}.{body}"}`, wantErr: "custom.signedContent uses {id}, which needs custom.idHeader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c contract.Custom
			if err := json.Unmarshal([]byte(tc.json), &c); err != nil {
				t.Fatal(err)
			}
			p, err := c.Preset()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Preset = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, p)
		})
	}
}

// FuzzCustomPreset builds arbitrary custom senders: a valid one must give a
// mapping, a verifier, and signatures that verify.
func FuzzCustomPreset(f *testing.F) {
	for _, s := range []string{
		`{"signatureHeader":"X-Sig"}`,
		`{"signatureHeader":"X-Sig","idHeader":"X-Id","timestampHeader":"X-T","algorithm":"hmac-sha1","encoding":"base64","prefix":"sha1=","signedContent":"{id}{timestamp}{body}"}`,
		`{"signatureHeader":"X-Sig","algorithm":"sha256-secret-prefix","signedContent":"{body}{"}`,
		`{"signatureHeader":"X-Sig","signedContent":"{{body}}"}`,
		`{"signatureHeader":"X-Sig","prefix":"\u0000","signedContent":"}{body}{"}`,
	} {
		f.Add(s, testBody)
	}
	f.Fuzz(func(t *testing.T, config string, body []byte) {
		var c contract.Custom
		if json.Unmarshal([]byte(config), &c) != nil {
			return
		}
		p, err := c.Preset()
		if err != nil {
			return
		}
		if _, err := contract.MessageAttributesMapping("acme", p); err != nil {
			t.Fatalf("valid custom preset %+v has no mapping: %v", c, err)
		}
		v, err := contract.NewVerifier(p.Scheme, "k3y", p.Tolerance)
		if err != nil {
			t.Fatalf("valid custom preset %+v has no verifier: %v", c, err)
		}
		ts := strconv.FormatInt(testTS, 10)
		sig, err := p.Scheme.Sign("k3y", "id-1", ts, body)
		if err != nil {
			t.Fatal(err)
		}
		d := contract.Delivery{Body: body, Signature: sig, ID: "id-1", Timestamp: ts}
		checkReason(t, v.Verify(d, time.Unix(testTS, 0)), nil)
		d.Body = append(append([]byte(nil), body...), '!')
		checkReason(t, v.Verify(d, time.Unix(testTS, 0)), contract.ErrNoMatchingSecret)
	})
}

func FuzzIdentify(f *testing.F) {
	f.Add(uint8(0), "", "", []byte(`{"id":"evt_1","type":"a.b"}`))
	f.Add(uint8(3), "d", "t", []byte(`{"id":"\u0000/..","type":1}`))
	f.Add(uint8(5), " ", "", []byte(`[`))
	presets := builtinPresets()
	f.Fuzz(func(t *testing.T, which uint8, attrID, attrTopic string, body []byte) {
		p, _ := contract.LookupPreset(presets[int(which)%len(presets)])
		id, topic, err := p.Identify(attrID, attrTopic, body)
		if err != nil {
			if p.Headers.ID == "" || strings.TrimSpace(attrID) != "" {
				t.Fatalf("Identify(%q) failed: %v", attrID, err)
			}
			return
		}
		id2, topic2, _ := p.Identify(attrID, attrTopic, body)
		if id == "" || id != id2 || topic != topic2 {
			t.Fatalf("Identify = %q, %q then %q, %q", id, topic, id2, topic2)
		}
		if p.Headers.ID != "" && id != attrID {
			t.Fatalf("Identify = %q, want the header's %q", id, attrID)
		}
		if p.Headers.ID == "" && attrID != "" && id == attrID && !strings.Contains(string(body), attrID) {
			t.Fatalf("Identify took the unmapped id attribute %q", attrID)
		}
		if p.Headers.Topic == "" && attrTopic != "" && topic == attrTopic && !strings.Contains(string(body), attrTopic) {
			t.Fatalf("Identify took the unmapped topic attribute %q", attrTopic)
		}
	})
}
