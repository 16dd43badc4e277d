package contract_test

import (
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestSignedContent checks that a SignedContent template is valid only with
// known placeholders and {body} exactly once, and that its literals and
// placeholders are signed in order around the body.
func TestSignedContent(t *testing.T) {
	scheme := func(content string) contract.Scheme {
		return contract.Scheme{Algorithm: contract.HMACSHA256, Encoding: contract.Base64, Format: contract.Single, Secret: contract.RawSecret, SignedContent: content}
	}
	for _, tc := range []struct{ name, content, wantErr string }{
		{"valid template", "v0:{timestamp}:{id}:{body}!", ""},
		{"body twice", "{body}{body}", "{body} exactly once"},
		{"no body", "{id}.{timestamp}", "{body} exactly once"},
		{"unknown placeholder", "{url}{body}", "unknown placeholder {url}"},
		{"unclosed brace", "{body}.{id", "unclosed '{'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := scheme(tc.content).Validate()
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

	t.Run("rendering", func(t *testing.T) {
		s := scheme("v0:{timestamp}:{id}:{body}!")
		want := hmacB64(t, "sha256", "k3y", "v0:1700000000:"+testID+":"+string(testBody)+"!")
		if got, err := s.Sign("k3y", testID, "1700000000", testBody); err != nil || got != want {
			t.Errorf("Sign = %q, %v; want %q", got, err, want)
		}
		v, err := contract.NewVerifier(s, "k3y", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		d := contract.Delivery{Body: testBody, Signature: want, ID: testID, Timestamp: "1700000000"}
		checkReason(t, v.Verify(d, time.Unix(testTS, 0)), nil)
	})
}
