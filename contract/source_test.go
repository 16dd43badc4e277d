package contract_test

import (
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestValidateSourceName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"orders", true},
		{"a", true},
		{"9", true},
		{"shop-eu-1", true},
		{strings.Repeat("a", 40), true},
		{strings.Repeat("a", 41), false},
		{"", false},
		{"Orders", false},
		{"-orders", false},
		{"orders-", false},
		{"or_ders", false},
		{"or.ders", false},
		{"or/ders", false},
		{"..", false},
		{"ördérs", false},
		{"orders\n", false},
	} {
		err := contract.ValidateSourceName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateSourceName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), strings.TrimSpace(tc.name)) {
			t.Errorf("error %q does not name %q", err, tc.name)
		}
	}
}

func TestResolve(t *testing.T) {
	custom := &contract.Custom{SignatureHeader: "X-Sig", TimestampHeader: "X-Time", SignedContent: "{timestamp}.{body}"}
	for _, tc := range []struct {
		name          string
		source        contract.Source
		wantPreset    string
		wantTolerance time.Duration
		wantErr       string
	}{
		{"generic", contract.Source{Name: "orders", Preset: "generic"}, "generic", 0, ""},
		{"preset window", contract.Source{Name: "pay", Preset: "stripe"}, "stripe", 5 * time.Minute, ""},
		{"window override", contract.Source{Name: "pay", Preset: "stripe", ToleranceSeconds: 900}, "stripe", 15 * time.Minute, ""},
		{"largest window", contract.Source{Name: "sw", Preset: "standard-webhooks", ToleranceSeconds: contract.MaxToleranceSeconds}, "standard-webhooks", 7 * 24 * time.Hour, ""},
		{"custom", contract.Source{Name: "acme", Preset: "custom", Custom: custom}, "custom", 5 * time.Minute, ""},
		{"custom window override", contract.Source{Name: "acme", Preset: "custom", Custom: custom, ToleranceSeconds: 60}, "custom", time.Minute, ""},
		{"bad name", contract.Source{Name: "Orders", Preset: "generic"}, "", 0, `source name "Orders"`},
		{"unknown preset", contract.Source{Name: "orders", Preset: "paypal"}, "", 0, `source "orders": unknown preset "paypal" (want one of [custom generic github recharge shopify slack standard-webhooks stripe svix])`},
		{"no preset", contract.Source{Name: "orders"}, "", 0, `source "orders": unknown preset ""`},
		{"custom without block", contract.Source{Name: "acme", Preset: "custom"}, "", 0, `source "acme": preset custom needs a custom block`},
		{"block without custom", contract.Source{Name: "acme", Preset: "github", Custom: custom}, "", 0, `source "acme": a custom block needs preset "custom", not "github"`},
		{"invalid custom block", contract.Source{Name: "acme", Preset: "custom", Custom: &contract.Custom{}}, "", 0, `source "acme": custom.signatureHeader is required`},
		{"negative window", contract.Source{Name: "pay", Preset: "stripe", ToleranceSeconds: -1}, "", 0, `source "pay": toleranceSeconds -1 must be between 0`},
		{"window too large", contract.Source{Name: "pay", Preset: "stripe", ToleranceSeconds: contract.MaxToleranceSeconds + 1}, "", 0, `source "pay": toleranceSeconds 604801`},
		{"window for a preset without timestamps", contract.Source{Name: "gh", Preset: "github", ToleranceSeconds: 60}, "", 0, `source "gh": toleranceSeconds does not apply: preset "github" signs no timestamp`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, tol, err := tc.source.Resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tc.wantPreset || tol != tc.wantTolerance {
				t.Errorf("Resolve = %q, %s; want %q, %s", p.Name, tol, tc.wantPreset, tc.wantTolerance)
			}
			if _, err := contract.NewVerifier(p.Scheme, "a-secret", tol); err != nil && p.Scheme.Secret == contract.RawSecret {
				t.Errorf("resolved source cannot build a verifier: %v", err)
			}
		})
	}
}

func TestParseSources(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   string
		want    []string
		wantErr string
	}{
		{"issue example", `[{"name":"orders","preset":"generic","secretParameter":"/webhook-ingest/dev/orders"}]`, []string{"orders"}, ""},
		{"several sources", `[
			{"name":"orders","preset":"generic","secretParameter":"/p/orders"},
			{"name":"pay","preset":"stripe","toleranceSeconds":600,"secretParameter":"/p/pay"},
			{"name":"acme","preset":"custom","custom":{"signatureHeader":"X-Sig","encoding":"base64"},"secretParameter":"/p/acme"}]`,
			[]string{"orders", "pay", "acme"}, ""},
		{"not JSON", `orders`, nil, "WEBHOOK_SOURCES is not a JSON array of sources"},
		{"an object", `{"name":"orders"}`, nil, "WEBHOOK_SOURCES is not a JSON array of sources"},
		{"wrong field type", `[{"name":"orders","preset":"generic","toleranceSeconds":"60"}]`, nil, "WEBHOOK_SOURCES is not a JSON array of sources"},
		{"empty", `[]`, nil, "WEBHOOK_SOURCES lists no source"},
		{"null", `null`, nil, "WEBHOOK_SOURCES lists no source"},
		{"duplicate", `[{"name":"a","preset":"generic","secretParameter":"/p/a"},{"name":"a","preset":"github","secretParameter":"/p/b"}]`, nil, `source "a" is listed twice`},
		{"no secret parameter", `[{"name":"orders","preset":"generic"}]`, nil, `source "orders": secretParameter is empty`},
		{"invalid source", `[{"name":"ok","preset":"generic","secretParameter":"/p"},{"name":"bad","preset":"nope","secretParameter":"/p"}]`, nil, `source "bad": unknown preset "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sources, err := contract.ParseSources(tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseSources = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range sources {
				names = append(names, s.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("sources = %v, want %v", names, tc.want)
			}
		})
	}
}
