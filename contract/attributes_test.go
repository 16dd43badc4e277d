package contract_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestMessageAttributesMapping checks the integration mapping of every preset
// (a custom sender's included) against the attributes written out here: the
// preset's headers lower-cased, the static source and the request time. A
// new preset fails until its mapping is written out too.
func TestMessageAttributesMapping(t *testing.T) {
	want := map[string]map[string]string{
		"generic": {
			"signature":  "${request.header.x-hmac}",
			"webhook-id": "${request.header.x-webhook-id}",
			"topic":      "${request.header.x-topic}",
		},
		"shopify": {
			"signature":  "${request.header.x-shopify-hmac-sha256}",
			"webhook-id": "${request.header.x-shopify-webhook-id}",
			"topic":      "${request.header.x-shopify-topic}",
		},
		"github": {
			"signature":  "${request.header.x-hub-signature-256}",
			"webhook-id": "${request.header.x-github-delivery}",
			"topic":      "${request.header.x-github-event}",
		},
		"stripe": {
			"signature": "${request.header.stripe-signature}",
		},
		"standard-webhooks": {
			"signature":  "${request.header.webhook-signature}",
			"webhook-id": "${request.header.webhook-id}",
			"timestamp":  "${request.header.webhook-timestamp}",
		},
		"svix": {
			"signature":  "${request.header.svix-signature}",
			"webhook-id": "${request.header.svix-id}",
			"timestamp":  "${request.header.svix-timestamp}",
		},
		"slack": {
			"signature": "${request.header.x-slack-signature}",
			"timestamp": "${request.header.x-slack-request-timestamp}",
		},
		"recharge": {
			"signature": "${request.header.x-recharge-hmac-sha256}",
			"topic":     "${request.header.x-recharge-topic}",
		},
		"custom": {
			"signature":  "${request.header.x-acme-signature}",
			"webhook-id": "${request.header.x-acme-delivery}",
			"timestamp":  "${request.header.x-acme-time}",
		},
	}
	if names, written := contract.PresetNames(), slices.Sorted(maps.Keys(want)); !slices.Equal(names, written) {
		t.Fatalf("the presets are %q, the mappings written out are for %q", names, written)
	}

	custom, err := contract.Custom{SignatureHeader: "X-Acme-Signature", IDHeader: "X-Acme-Delivery", TimestampHeader: "X-Acme-Time", SignedContent: "{timestamp}{body}"}.Preset()
	if err != nil {
		t.Fatal(err)
	}
	type attribute struct{ DataType, StringValue string }
	for _, name := range contract.PresetNames() {
		t.Run(name, func(t *testing.T) {
			p, _ := contract.LookupPreset(name)
			if name == contract.CustomPreset {
				p = custom
			}
			raw, err := contract.MessageAttributesMapping("orders-eu", p)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]attribute
			dec := json.NewDecoder(strings.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("mapping %s is not a map of attributes: %v", raw, err)
			}
			wantAttrs := map[string]attribute{
				"source":       {"String", "orders-eu"},
				"request-time": {"String", "${context.requestTimeEpoch}"},
				"source-ip":    {"String", "${context.identity.sourceIp}"},
			}
			for attr, value := range want[name] {
				wantAttrs[attr] = attribute{"String", value}
			}
			if !maps.Equal(got, wantAttrs) {
				t.Errorf("mapping = %v, want %v", got, wantAttrs)
			}
			if len(got) > contract.MaxMessageAttributes {
				t.Errorf("%d attributes, SQS allows %d", len(got), contract.MaxMessageAttributes)
			}
		})
	}
	// A custom sender maps at most four headers, so no source can exceed
	// SQS's limit.
	full, err := contract.Custom{SignatureHeader: "S", IDHeader: "I", TopicHeader: "T", TimestampHeader: "X", SignedContent: "{id}{timestamp}{body}"}.Preset()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := contract.MessageAttributesMapping("orders", full)
	if err != nil {
		t.Fatal(err)
	}
	var most map[string]any
	if err := json.Unmarshal([]byte(raw), &most); err != nil || len(most) > contract.MaxMessageAttributes {
		t.Errorf("the largest mapping has %d attributes (%v), SQS allows %d", len(most), err, contract.MaxMessageAttributes)
	}
	if _, err := contract.MessageAttributesMapping("Bad Name", custom); err == nil || !strings.Contains(err.Error(), `"Bad Name"`) {
		t.Errorf("bad source name: %v", err)
	}
}
