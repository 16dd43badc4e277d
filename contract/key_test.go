package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"

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

// checkKey checks the invariants of one object key.
func checkKey(t *testing.T, source, id, key string) {
	t.Helper()
	rest, ok := strings.CutPrefix(key, source+"/")
	if !ok {
		t.Fatalf("key %q does not start with %q", key, source+"/")
	}
	if len(key) > 1024 || !utf8.ValidString(key) {
		t.Fatalf("key %q is not a valid S3 key", key)
	}
	if strings.Contains(rest, "/") {
		t.Fatalf("key %q has more than one segment below the source", key)
	}
	if rest == "" || rest == "." || rest == ".." || strings.Contains(key, "//") {
		t.Fatalf("key %q has an empty, '.' or '..' segment", key)
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] >= 0x7f {
			t.Fatalf("key %q has byte %#x", key, key[i])
		}
	}
	if strings.HasPrefix(rest, "~") {
		sum := sha256.Sum256([]byte(id))
		if rest != "~"+hex.EncodeToString(sum[:]) {
			t.Fatalf("hashed key %q is not the SHA-256 of %q", key, id)
		}
	} else if rest != id {
		t.Fatalf("verbatim key %q is not %q", key, id)
	}
	again, err := contract.ObjectKey(source, id)
	if err != nil || again != key {
		t.Fatalf("ObjectKey is not deterministic: %q then %q, %v", key, again, err)
	}
}

func FuzzObjectKeyLayout(f *testing.F) {
	for _, s := range [][2]string{
		{"orders", "evt_1"}, {"orders", ".."}, {"orders", "../../etc"}, {"a", "/"}, {"a", "//x"},
		{"a", "~abc"}, {"a", strings.Repeat("x", 200)}, {"a", strings.Repeat("x", 201)}, {"a", "é"},
		{"Bad", "x"}, {"", "x"}, {"a", ""}, {"a", " "}, {"a", "\xff"}, {"a-b", "a..b"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, source, id string) {
		key, err := contract.ObjectKey(source, id)
		valid := contract.ValidateSourceName(source) == nil && strings.TrimSpace(id) != ""
		if (err == nil) != valid {
			t.Fatalf("ObjectKey(%q, %q) = %q, %v", source, id, key, err)
		}
		if err == nil {
			checkKey(t, source, id, key)
		}
	})
}

func FuzzObjectKeyDistinct(f *testing.F) {
	for _, s := range [][2]string{
		{"abc", "abc "}, {"abc", "~abc"}, {"a", "A"}, {"x", strings.Repeat("x", 201)},
		{"..", "."}, {"a/b", "a%2Fb"}, {"evt_1", "evt_1\n"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, id1, id2 string) {
		k1, err1 := contract.ObjectKey("src", id1)
		k2, err2 := contract.ObjectKey("src", id2)
		if err1 != nil || err2 != nil {
			return
		}
		if (id1 == id2) != (k1 == k2) {
			t.Fatalf("ids %q and %q give keys %q and %q", id1, id2, k1, k2)
		}
	})
}
