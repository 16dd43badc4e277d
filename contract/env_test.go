package contract_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestEnvSourcesRoundTrip(t *testing.T) {
	sources, err := contract.ResolveSources([]contract.Source{
		{Name: "orders", Preset: "generic"},
		{Name: "pay", Preset: "stripe", ToleranceSeconds: 600},
		{Name: "acme", Preset: "custom", Custom: &contract.Custom{SignatureHeader: "X-Sig", Encoding: contract.Base64}},
	})
	if err != nil {
		t.Fatal(err)
	}
	selectors := []string{"/p/orders:3", "/p/pay:1", "/p/acme:12"}
	value, err := contract.EncodeEnvSources(sources, selectors)
	if err != nil {
		t.Fatal(err)
	}
	got, err := contract.ParseEnvSources(value)
	if err != nil {
		t.Fatalf("ParseEnvSources(%s): %v", value, err)
	}
	if len(got) != len(sources) {
		t.Fatalf("%d sources back, want %d", len(got), len(sources))
	}
	for i, g := range got {
		if g.SecretSelector != selectors[i] || !reflect.DeepEqual(g.ResolvedSource, sources[i]) {
			t.Errorf("[%d] = %+v, want %+v at %s", i, g, sources[i], selectors[i])
		}
	}
	if _, err := contract.EncodeEnvSources(sources, selectors[:2]); err == nil {
		t.Error("EncodeEnvSources accepted fewer selectors than sources")
	}
}

// The sources' throttling is API Gateway's: the environment leaves it out,
// and the handler gets every other field back.
func TestEnvSourcesLeaveOutThrottling(t *testing.T) {
	rate, burst := 5, 10
	sources, err := contract.ResolveSources([]contract.Source{
		{Name: "orders", Preset: "generic", ThrottlingRateLimit: &rate, ThrottlingBurstLimit: &burst, AllowedCIDRs: []string{"192.0.2.0/24"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	value, err := contract.EncodeEnvSources(sources, []string{"/p/orders:3"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"name":"orders","preset":"generic","allowedCidrs":["192.0.2.0/24"],"secretSelector":"/p/orders:3"}]`; value != want {
		t.Errorf("EncodeEnvSources = %s, want %s", value, want)
	}
	if sources[0].Source.ThrottlingRateLimit != &rate || sources[0].Source.ThrottlingBurstLimit != &burst {
		t.Error("EncodeEnvSources changed the sources it encoded")
	}
	got, err := contract.ParseEnvSources(value)
	if err != nil {
		t.Fatal(err)
	}
	want := sources[0]
	want.Source.ThrottlingRateLimit, want.Source.ThrottlingBurstLimit = nil, nil
	if !reflect.DeepEqual(got[0].ResolvedSource, want) {
		t.Errorf("parsed %+v, want %+v", got[0].ResolvedSource, want)
	}
}

func TestParseEnvSources(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   string
		want    []string
		wantErr string
	}{
		{"issue example", `[{"name":"orders","preset":"generic","secretSelector":"/webhook-ingest/dev/orders"}]`, []string{"orders"}, ""},
		{"several sources", `[
			{"name":"orders","preset":"generic","secretSelector":"/p/orders"},
			{"name":"pay","preset":"stripe","toleranceSeconds":600,"secretSelector":"/p/pay"},
			{"name":"acme","preset":"custom","custom":{"signatureHeader":"X-Sig","encoding":"base64"},"secretSelector":"/p/acme"}]`,
			[]string{"orders", "pay", "acme"}, ""},
		{"not JSON", `orders`, nil, "WEBHOOK_SOURCES is not a JSON array of sources"},
		{"an object", `{"name":"orders"}`, nil, "WEBHOOK_SOURCES is not a JSON array of sources"},
		{"wrong field type", `[{"name":"orders","preset":"generic","toleranceSeconds":"60"}]`, nil, "WEBHOOK_SOURCES is not a JSON array of sources"},
		{"empty", `[]`, nil, "WEBHOOK_SOURCES lists no source"},
		{"null", `null`, nil, "WEBHOOK_SOURCES lists no source"},
		{"duplicate", `[{"name":"a","preset":"generic","secretSelector":"/p/a"},{"name":"a","preset":"github","secretSelector":"/p/b"}]`, nil, `WEBHOOK_SOURCES[1]: source "a" is listed twice`},
		{"no secret parameter", `[{"name":"orders","preset":"generic"}]`, nil, `WEBHOOK_SOURCES[0]: source "orders": secretSelector is empty`},
		{"invalid source", `[{"name":"ok","preset":"generic","secretSelector":"/p"},{"name":"bad","preset":"nope","secretSelector":"/p"}]`, nil, `WEBHOOK_SOURCES[1]: source "bad": unknown preset "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sources, err := contract.ParseEnvSources(tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseEnvSources = %v, want error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range sources {
				names = append(names, s.Name())
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("sources = %v, want %v", names, tc.want)
			}
		})
	}
}

func FuzzParseEnvSources(f *testing.F) {
	for _, s := range []string{
		`[{"name":"orders","preset":"generic","secretSelector":"/p"}]`,
		`[{"name":"a","preset":"custom","custom":{"signatureHeader":"X"},"secretSelector":"/p"},{"name":"b","preset":"stripe","toleranceSeconds":1,"secretSelector":"/q"}]`,
		`[{"name":"a","preset":"custom","custom":null}]`,
		`[null]`, `null`, `[]`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		sources, err := contract.ParseEnvSources(value)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, s := range sources {
			again, err := s.Source.Resolve()
			if err != nil || !reflect.DeepEqual(again, s.ResolvedSource) || seen[s.Name()] || s.SecretSelector == "" {
				t.Fatalf("ParseEnvSources accepted %+v (resolve: %v, duplicate: %v)", s, err, seen[s.Name()])
			}
			seen[s.Name()] = true
		}
	})
}
