package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestObjectKey(t *testing.T) {
	hashed := func(id string) string {
		sum := sha256.Sum256([]byte(id))
		return "~" + hex.EncodeToString(sum[:])
	}
	long200 := "a" + strings.Repeat("b", 199)
	for _, tc := range []struct {
		name, source, id string
		want, wantErr    string
	}{
		{"GitHub GUID", "gh", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "gh/72d3162e-cc78-11e3-81ab-4c9367dc0958", ""},
		{"Stripe event", "pay", "evt_1NqZ2bLkdIwHu7ix", "pay/evt_1NqZ2bLkdIwHu7ix", ""},
		{"Svix message", "sv", "msg_2abcDEF345ghiJKL678", "sv/msg_2abcDEF345ghiJKL678", ""},
		{"derived id", "sl", "sha256-" + strings.Repeat("0", 64), "sl/sha256-" + strings.Repeat("0", 64), ""},
		{"dots inside", "o", "a..b", "o/a..b", ""},
		{"200 characters", "o", long200, "o/" + long200, ""},
		{"201 characters", "o", long200 + "c", "o/" + hashed(long200+"c"), ""},
		{"2 KB id", "o", strings.Repeat("x", 2048), "o/" + hashed(strings.Repeat("x", 2048)), ""},
		{"slash", "o", "a/b", "o/" + hashed("a/b"), ""},
		{"parent", "o", "..", "o/" + hashed(".."), ""},
		{"dot", "o", ".", "o/" + hashed("."), ""},
		{"escape attempt", "o", "../other/x", "o/" + hashed("../other/x"), ""},
		{"leading dot", "o", ".hidden", "o/" + hashed(".hidden"), ""},
		{"leading hyphen", "o", "-x", "o/" + hashed("-x"), ""},
		{"looks hashed", "o", "~" + strings.Repeat("a", 64), "o/" + hashed("~"+strings.Repeat("a", 64)), ""},
		{"unicode", "o", "ordre-été", "o/" + hashed("ordre-été"), ""},
		{"invalid UTF-8", "o", "\xff\xfe", "o/" + hashed("\xff\xfe"), ""},
		{"space around", "o", " abc ", "o/" + hashed(" abc "), ""},
		{"newline", "o", "abc\n", "o/" + hashed("abc\n"), ""},
		{"empty id", "o", "", "", "empty webhook id"},
		{"blank id", "o", " \t\n", "", "empty webhook id"},
		{"bad source", "../o", "abc", "", `source name "../o"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := contract.ObjectKey(tc.source, tc.id)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ObjectKey = %q, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ObjectKey = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
