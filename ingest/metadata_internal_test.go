package ingest

import (
	"crypto/sha256"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestMetaValue(t *testing.T) {
	cases := []struct {
		in    string
		limit int
		want  string
		cut   bool
	}{
		{in: "orders/create", limit: 256, want: "orders/create"},
		{in: "", limit: 256, want: ""},
		{in: "a b", limit: 256, want: "a%20b"},
		{in: "100%", limit: 256, want: "100%25"},
		{in: "ü", limit: 256, want: "%C3%BC"},
		{in: "\x00\r\n\x7f\xff", limit: 256, want: "%00%0D%0A%7F%FF"},
		{in: "abcdef", limit: 6, want: "abcdef"},
		{in: "abcdefg", limit: 6, want: "abcdef", cut: true},
		// An escape is never split; a cut may fall between the bytes of one
		// character, and the decoded value is still a byte prefix.
		{in: "abü", limit: 5, want: "ab%C3", cut: true},
		{in: "abüü", limit: 10, want: "ab%C3%BC", cut: true},
		{in: "abü", limit: 4, want: "ab", cut: true},
	}
	for _, tc := range cases {
		got, cut := metaValue(tc.in, tc.limit)
		if got != tc.want || cut != tc.cut {
			t.Errorf("metaValue(%q, %d) = %q, %v; want %q, %v", tc.in, tc.limit, got, cut, tc.want, tc.cut)
		}
	}
}

func FuzzMetaValue(f *testing.F) {
	f.Add("orders/create", 256)
	f.Add("ü 100%\r\n", 7)
	f.Fuzz(func(t *testing.T, in string, limit int) {
		limit = 3 + int(uint(limit)%300)
		got, cut := metaValue(in, limit)
		if len(got) > limit {
			t.Fatalf("%q longer than %d", got, limit)
		}
		for _, c := range []byte(got) {
			if c <= ' ' || c >= 0x7f {
				t.Fatalf("%q holds byte %#x", got, c)
			}
		}
		dec, err := url.PathUnescape(got)
		if err != nil {
			t.Fatalf("%q does not percent-decode: %v", got, err)
		}
		if cut && !strings.HasPrefix(in, dec) || !cut && dec != in {
			t.Fatalf("%q decodes to %q, not the input %q (cut %v)", got, dec, in, cut)
		}
	})
}

// TestObjectMetadataBound fills every field to excess and checks that the
// whole, counted as S3 might (x-amz-meta- prefixes included), stays under
// S3's 2 KB.
func TestObjectMetadataBound(t *testing.T) {
	huge := strings.Repeat("\xff", 5000)
	m := objectMetadata(strings.Repeat("s", 40), huge, huge, huge, huge, time.Now(), sha256.Sum256([]byte(huge)))
	total := 0
	for k, v := range m {
		total += len("x-amz-meta-") + len(k) + len(v)
	}
	if total > 2048 {
		t.Fatalf("metadata takes %d bytes: %v", total, m)
	}
	if m[contract.MetaTruncated] != "webhook-id,topic,sqs-message-id,source-ip" {
		t.Fatalf("truncated = %q", m[contract.MetaTruncated])
	}
}
