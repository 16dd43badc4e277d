package contract_test

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestMessageAttributesMapping checks every preset's integration mapping:
// exactly the preset's headers, lower-cased, plus the static source and the
// request time.
func TestMessageAttributesMapping(t *testing.T) {
	custom, err := contract.Custom{SignatureHeader: "X-Acme-Signature", IDHeader: "X-Acme-Delivery", TimestampHeader: "X-Acme-Time", SignedContent: "{timestamp}{body}"}.Preset()
	if err != nil {
		t.Fatal(err)
	}
	presets := []contract.Preset{custom}
	for _, n := range builtinPresets() {
		p, _ := contract.LookupPreset(n)
		presets = append(presets, p)
	}
	type attribute struct{ DataType, StringValue string }
	for _, p := range presets {
		t.Run(p.Name, func(t *testing.T) {
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
			want := map[string]attribute{
				contract.AttrSource:      {"String", "orders-eu"},
				contract.AttrRequestTime: {"String", "${context.requestTimeEpoch}"},
			}
			for attr, header := range p.Headers.ByAttribute() {
				want[attr] = attribute{"String", "${request.header." + strings.ToLower(header) + "}"}
			}
			if !maps.Equal(got, want) {
				t.Errorf("mapping = %v, want %v", got, want)
			}
			if len(got) > 10 {
				t.Errorf("%d attributes, SQS allows 10", len(got))
			}
		})
	}
	if _, err := contract.MessageAttributesMapping("Bad Name", presets[0]); err == nil || !strings.Contains(err.Error(), `"Bad Name"`) {
		t.Errorf("bad source name: %v", err)
	}
}
