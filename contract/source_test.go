package contract_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
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
			r, err := tc.source.Resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Preset.Name != tc.wantPreset || r.Tolerance != tc.wantTolerance || !reflect.DeepEqual(r.Source, tc.source) || r.Name() != tc.source.Name {
				t.Errorf("Resolve = %+v; want preset %q, tolerance %s, source %+v", r, tc.wantPreset, tc.wantTolerance, tc.source)
			}
			if _, err := contract.NewVerifier(r.Preset.Scheme, secretFor(r.Preset.Scheme), r.Tolerance); err != nil {
				t.Errorf("resolved source cannot build a verifier: %v", err)
			}
		})
	}
}

// secretFor returns a well-formed secret for s's secret format.
func secretFor(s contract.Scheme) string {
	if s.Secret == contract.WhsecBase64 {
		return "whsec_" + base64.StdEncoding.EncodeToString([]byte("a-secret"))
	}
	return "a-secret"
}

func TestResolveSources(t *testing.T) {
	good := contract.Source{Name: "orders", Preset: "generic"}
	for _, tc := range []struct {
		name      string
		sources   []contract.Source
		wantIndex int
		wantErr   string
	}{
		{"two sources", []contract.Source{good, {Name: "pay", Preset: "stripe"}}, -1, ""},
		{"second is invalid", []contract.Source{good, {Name: "pay", Preset: "paypal"}}, 1, `source "pay": unknown preset "paypal"`},
		{"name used twice", []contract.Source{good, {Name: "pay", Preset: "stripe"}, good}, 2, `source "orders" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := contract.ResolveSources(tc.sources)
			if tc.wantErr == "" {
				if err != nil || len(got) != len(tc.sources) {
					t.Fatalf("ResolveSources = %d sources, %v", len(got), err)
				}
				for i, r := range got {
					if !reflect.DeepEqual(r.Source, tc.sources[i]) {
						t.Errorf("[%d] = %+v, want %+v", i, r.Source, tc.sources[i])
					}
				}
				return
			}
			var se *contract.SourceError
			if !errors.As(err, &se) {
				t.Fatalf("ResolveSources = %v, want a *SourceError", err)
			}
			if se.Index != tc.wantIndex || !strings.Contains(se.Err.Error(), tc.wantErr) {
				t.Errorf("SourceError{Index: %d, Err: %v}, want index %d and %q", se.Index, se.Err, tc.wantIndex, tc.wantErr)
			}
			if want := fmt.Sprintf("sources[%d]: %v", tc.wantIndex, se.Err); err.Error() != want {
				t.Errorf("Error() = %q, want %q", err, want)
			}
		})
	}
}

func TestAllowedCIDRs(t *testing.T) {
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("10.0.%d.0/24", i)
	}
	for _, tc := range []struct {
		cidrs   []string
		wantErr string
	}{
		{[]string{"192.0.2.0/24", "2001:db8::/32"}, ""},
		{[]string{"192.0.2.1/32"}, ""},
		{[]string{"192.0.2.0"}, `allowedCidrs[0] "192.0.2.0" is not a range such as 192.0.2.0/24`},
		{[]string{"192.0.2.0/24", "192.0.2.7/24"}, `allowedCidrs[1] "192.0.2.7/24" has host bits set: write 192.0.2.0/24`},
		{many, "allowedCidrs lists 51 ranges, more than 50"},
	} {
		_, err := contract.Source{Name: "pay", Preset: "stripe", AllowedCIDRs: tc.cidrs}.Resolve()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Resolve with %q = %v, want %q", tc.cidrs, err, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), `source "pay"`) {
			t.Errorf("error %q does not name the source", err)
		}
	}

	r, err := contract.Source{Name: "pay", Preset: "stripe", AllowedCIDRs: []string{"192.0.2.0/24", "2001:db8::/32"}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	open, err := contract.Source{Name: "pay", Preset: "stripe"}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"192.0.2.10", true},
		{"192.0.3.10", false},
		{"2001:db8::1", true},
		{"2001:db9::1", false},
		{"::ffff:192.0.2.10", true},
		{"", false},
		{"192.0.2.10, 10.0.0.1", false},
		{"not an address", false},
	} {
		if got := r.Allows(tc.addr); got != tc.want {
			t.Errorf("Allows(%q) = %v, want %v", tc.addr, got, tc.want)
		}
		if !open.Allows(tc.addr) {
			t.Errorf("a source without allowedCidrs refuses %q", tc.addr)
		}
	}
}
