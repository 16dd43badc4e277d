package contract_test

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestKeys(t *testing.T) {
	raw := contract.Scheme{Secret: contract.RawSecret}
	whsec := contract.Scheme{Secret: contract.WhsecBase64}
	for _, tc := range []struct {
		name    string
		scheme  contract.Scheme
		value   string
		want    []string // keys, as strings
		wantErr string
	}{
		{"one raw secret", raw, "s3cret", []string{"s3cret"}, ""},
		{"raw secret keeps whsec_", raw, "whsec_abc", []string{"whsec_abc"}, ""},
		{"rotation, newest first", raw, "new\nold", []string{"new", "old"}, ""},
		{"blank lines and padding", raw, "\n  new \r\n\n\told\n", []string{"new", "old"}, ""},
		{"inner spaces are kept", raw, "a b", []string{"a b"}, ""},
		{"whsec decoded", whsec, "whsec_" + base64.StdEncoding.EncodeToString([]byte("key-bytes")), []string{"key-bytes"}, ""},
		{"whsec prefix optional", whsec, base64.StdEncoding.EncodeToString([]byte("key-bytes")), []string{"key-bytes"}, ""},
		{"nothing", raw, "", nil, "no secret configured"},
		{"only blank lines", raw, "\n \r\n\t\n", nil, "no secret configured"},
		{"whsec not base64", whsec, "whsec_bmV3\nwhsec_%%%", nil, "secret on line 2: secret is not whsec_ followed by base64"},
		{"whsec empty", whsec, "whsec_", nil, "secret on line 1: secret decodes to no bytes"},
		{"whsec URL-safe alphabet", whsec, "whsec_a-_b", nil, "secret on line 1: secret is not whsec_ followed by base64"},
		{"CR-only line separators", raw, "new\rold", nil, "secret on line 1: secret contains a carriage return"},
		{"CR-only whsec", whsec, "whsec_bmV3\rwhsec_b2xk", nil, "secret on line 1: secret contains a carriage return"},
		{"leading byte-order mark", raw, "\uFEFFs3cret", nil, "secret on line 1: secret starts with a byte-order mark"},
		{"byte-order mark on a later line", raw, "new\n\uFEFFold", nil, "secret on line 2: secret starts with a byte-order mark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := tc.scheme.Keys(tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("Keys = %v, want error starting %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "%%%") || strings.Contains(err.Error(), "a-_b") {
					t.Errorf("error %q quotes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, string(k))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Keys = %q, want %q", got, tc.want)
			}
		})
	}
}

// keysError is every error Keys may return; none of them quotes a secret.
var keysError = regexp.MustCompile(`^(no secret configured|secret on line [0-9]+: (empty secret|secret decodes to no bytes|secret is not whsec_ followed by base64: illegal base64 data at input byte [0-9]+|secret starts with a byte-order mark \(U\+FEFF\): save it without one|secret contains a carriage return: separate secrets with newlines \(\\n\) only))$`)

func FuzzKeys(f *testing.F) {
	for _, s := range []string{"", "\n", "a\nb", "whsec_", "whsec_AAAA\r\nwhsec_%%", testSecret("svix", 1), " \t\v\f\u00a0\u2028", "a\rb", "\uFEFFa"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		for _, s := range []contract.Scheme{{Secret: contract.RawSecret}, {Secret: contract.WhsecBase64}} {
			keys, err := s.Keys(value)
			if err != nil {
				if !keysError.MatchString(err.Error()) {
					t.Fatalf("Keys error %q is not one of the known texts", err)
				}
				continue
			}
			if len(keys) == 0 {
				t.Fatal("Keys returned no key and no error")
			}
			for _, k := range keys {
				if len(k) == 0 {
					t.Fatal("Keys returned an empty key")
				}
			}
		}
	})
}
