package contract

import (
	"testing"
	"unicode/utf8"
)

func TestEncodeMetaValue(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"orders/create", "orders/create"},
		{"evt_1N2b3C+x=y?z", "evt_1N2b3C+x=y?z"},
		{"100%", "100%25"},
		{" padded ", "%20padded%20"},
		{"tab\there", "tab%09here"},
		{"line\nbreak", "line%0Abreak"},
		{"del\x7f", "del%7F"},
		{"café", "caf%C3%A9"},
		{"\xff", "%FF"},
		{"%41", "%2541"},
	}
	for _, tt := range tests {
		got := EncodeMetaValue(tt.in)
		if got != tt.want {
			t.Errorf("EncodeMetaValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := DecodeMetaValue(got); back != tt.in {
			t.Errorf("DecodeMetaValue(%q) = %q, want %q", got, back, tt.in)
		}
	}
}

func TestDecodeMetaValueKeepsForeignValues(t *testing.T) {
	for _, v := range []string{"50%", "%zz", "plain"} {
		if got := DecodeMetaValue(v); got != v {
			t.Errorf("DecodeMetaValue(%q) = %q, want it unchanged", v, got)
		}
	}
}

// FuzzMetaValue checks that any string survives the round trip and that the
// encoded form is printable ASCII with no '%' that is not an escape.
func FuzzMetaValue(f *testing.F) {
	for _, s := range []string{"", "orders/create", "100%", " x ", "日本語", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := EncodeMetaValue(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c <= ' ' || c >= 0x7f {
				t.Fatalf("EncodeMetaValue(%q) = %q has byte %#x", s, enc, c)
			}
		}
		if !utf8.ValidString(enc) {
			t.Fatalf("EncodeMetaValue(%q) is not UTF-8", s)
		}
		if back := DecodeMetaValue(enc); back != s {
			t.Fatalf("round trip of %q gave %q via %q", s, back, enc)
		}
	})
}
