package contract_test

import (
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestSchemeValidate checks that Validate rejects unknown field values;
// TestSignedContent checks the SignedContent template.
func TestSchemeValidate(t *testing.T) {
	ok := contract.Scheme{Algorithm: contract.HMACSHA256, Encoding: contract.Hex, Format: contract.Single, Secret: contract.RawSecret}
	for _, tc := range []struct {
		name    string
		edit    func(*contract.Scheme)
		wantErr string
	}{
		{"valid", func(*contract.Scheme) {}, ""},
		{"unknown algorithm", func(s *contract.Scheme) { s.Algorithm = "hmac-md5" }, `unknown algorithm "hmac-md5"`},
		{"empty algorithm", func(s *contract.Scheme) { s.Algorithm = "" }, "unknown algorithm"},
		{"unknown encoding", func(s *contract.Scheme) { s.Encoding = "HEX" }, `unknown encoding "HEX"`},
		{"unknown format", func(s *contract.Scheme) { s.Format = "list" }, `unknown signature format "list"`},
		{"unknown secret format", func(s *contract.Scheme) { s.Secret = "base64" }, `unknown secret format "base64"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.edit(&s)
			err := s.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}
