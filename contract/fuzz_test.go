package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Fuzz targets. Each runs briefly in CI, for example:
//
//	go test ./contract -run '^$' -fuzz '^FuzzVerifySingle$' -fuzztime 5s

// checkOneReason fails t unless err is nil or wraps exactly one rejection
// reason.
func checkOneReason(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	n := 0
	for _, r := range reasons {
		if errors.Is(err, r) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %q wraps %d rejection reasons, want 1", err, n)
	}
}

// fuzzVerify feeds arbitrary header values to the named presets' verifiers.
func fuzzVerify(f *testing.F, presets []string, seeds [][3]string) {
	verifiers := make([]*contract.Verifier, len(presets))
	for i, p := range presets {
		verifiers[i] = mustVerifier(f, p, testSecret(p, 2)+"\n"+testSecret(p, 1))
	}
	for _, p := range presets {
		d := refDelivery(f, p, testSecret(p, 1), testID, testTS, testBody)
		f.Add(d.Signature, d.Timestamp, testID, testBody)
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], testBody)
	}
	received := time.Unix(testTS, 0)
	f.Fuzz(func(t *testing.T, signature, timestamp, id string, body []byte) {
		for _, v := range verifiers {
			d := contract.Delivery{Body: body, Signature: signature, ID: id, Timestamp: timestamp}
			checkOneReason(t, v.Verify(d, received))
		}
	})
}

func FuzzVerifySingle(f *testing.F) {
	fuzzVerify(f, []string{"generic", "shopify", "github", "slack", "recharge"}, [][3]string{
		{"", "", ""},
		{"   ", "1700000000", ""},
		{"sha256=", "", ""},
		{"v0=" + strings.Repeat("A", 64), "1700000000", ""},
		{"v0=" + strings.Repeat("0", 64), "99999999999999999999", ""},
		{strings.Repeat("=", 44), "", ""},
		{"sha256=" + strings.Repeat("f", 63), "", ""},
		{"\xff\xfe", "\x00", "\xff"},
	})
}

func FuzzVerifyVersionedList(f *testing.F) {
	fuzzVerify(f, []string{"standard-webhooks", "svix"}, [][3]string{
		{"v1,", "1700000000", testID},
		{"v1a,AAAA v1,!!! v1," + strings.Repeat("A", 43) + "=", "1700000000", testID},
		{"v1 v1, ,v1 v1,,", "", ""},
		{"v1," + strings.Repeat("/", 44), "-1", "a.b"},
		{strings.Repeat("v1,AAAA ", 100), "1700000000", ""},
	})
}

func FuzzVerifyStripeList(f *testing.F) {
	fuzzVerify(f, []string{"stripe"}, [][3]string{
		{"t=1700000000", "", ""},
		{"t=1700000000,v1=", "", ""},
		{"t=,v1=" + strings.Repeat("a", 64), "", ""},
		{"v1=" + strings.Repeat("a", 64) + ",t=1700000000,v0=zz", "", ""},
		{",,,=,==,t==1", "", ""},
		{"t=1700000000," + strings.Repeat("v1=ab,", 50), "", ""},
	})
}

// FuzzSignVerify checks, for every preset, that what Sign produces verifies
// and that changing the body, a signed id or the secret never does.
func FuzzSignVerify(f *testing.F) {
	presets := builtinPresets()
	f.Add(uint8(0), testID, int64(0), testBody)
	f.Add(uint8(4), "", int64(-300), []byte{})
	f.Add(uint8(6), "id.with.dots", int64(300), []byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, which uint8, id string, skew int64, body []byte) {
		preset := presets[int(which)%len(presets)]
		p, _ := contract.LookupPreset(preset)
		if p.Headers.ID == "" {
			id = ""
		}
		skew %= 301
		ts := strconv.FormatInt(testTS, 10)
		sig, err := p.Scheme.Sign(testSecret(preset, 1), id, ts, body)
		if err != nil {
			t.Fatal(err)
		}
		d := contract.Delivery{Body: body, Signature: sig, ID: id}
		if p.Headers.Timestamp != "" {
			d.Timestamp = ts
		}
		received := time.Unix(testTS+skew, 0)
		v := mustVerifier(t, preset, testSecret(preset, 2)+"\n"+testSecret(preset, 1))
		checkReason(t, v.Verify(d, received), nil)

		tampered := d
		tampered.Body = append(append([]byte(nil), body...), 'x')
		checkReason(t, v.Verify(tampered, received), contract.ErrNoMatchingSecret)
		if strings.Contains(p.Scheme.SignedContent, "{id}") {
			other := d
			other.ID = id + "x"
			checkReason(t, v.Verify(other, received), contract.ErrNoMatchingSecret)
		}
		checkReason(t, mustVerifier(t, preset, testSecret(preset, 3)).Verify(d, received), contract.ErrNoMatchingSecret)
	})
}

// keysError is every error Keys may return; none of them quotes a secret.
var keysError = regexp.MustCompile(`^(no secret configured|secret on line [0-9]+: (empty secret|secret decodes to no bytes|secret is not whsec_ followed by base64: illegal base64 data at input byte [0-9]+))$`)

func FuzzKeys(f *testing.F) {
	for _, s := range []string{"", "\n", "a\nb", "whsec_", "whsec_AAAA\r\nwhsec_%%", testSecret("svix", 1), " \t\v\f\u00a0\u2028"} {
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

// FuzzCustomPreset builds arbitrary custom senders: a valid one must give a
// mapping, a verifier, and signatures that verify.
func FuzzCustomPreset(f *testing.F) {
	for _, s := range []string{
		`{"signatureHeader":"X-Sig"}`,
		`{"signatureHeader":"X-Sig","idHeader":"X-Id","timestampHeader":"X-T","algorithm":"hmac-sha1","encoding":"base64","prefix":"sha1=","signedContent":"{id}{timestamp}{body}"}`,
		`{"signatureHeader":"X-Sig","algorithm":"sha256-secret-prefix","signedContent":"{body}{"}`,
		`{"signatureHeader":"X-Sig","signedContent":"{{body}}"}`,
		`{"signatureHeader":"X-Sig","prefix":"\u0000","signedContent":"}{body}{"}`,
	} {
		f.Add(s, testBody)
	}
	f.Fuzz(func(t *testing.T, config string, body []byte) {
		var c contract.Custom
		if json.Unmarshal([]byte(config), &c) != nil {
			return
		}
		p, err := c.Preset()
		if err != nil {
			return
		}
		if _, err := contract.MessageAttributesMapping("acme", p); err != nil {
			t.Fatalf("valid custom preset %+v has no mapping: %v", c, err)
		}
		v, err := contract.NewVerifier(p.Scheme, "k3y", p.Tolerance)
		if err != nil {
			t.Fatalf("valid custom preset %+v has no verifier: %v", c, err)
		}
		ts := strconv.FormatInt(testTS, 10)
		sig, err := p.Scheme.Sign("k3y", "id-1", ts, body)
		if err != nil {
			t.Fatal(err)
		}
		d := contract.Delivery{Body: body, Signature: sig, ID: "id-1", Timestamp: ts}
		checkReason(t, v.Verify(d, time.Unix(testTS, 0)), nil)
		d.Body = append(append([]byte(nil), body...), '!')
		checkReason(t, v.Verify(d, time.Unix(testTS, 0)), contract.ErrNoMatchingSecret)
	})
}

func FuzzParseSources(f *testing.F) {
	for _, s := range []string{
		`[{"name":"orders","preset":"generic","secretParameter":"/p"}]`,
		`[{"name":"a","preset":"custom","custom":{"signatureHeader":"X"},"secretParameter":"/p"},{"name":"b","preset":"stripe","toleranceSeconds":1,"secretParameter":"/q"}]`,
		`[{"name":"a","preset":"custom","custom":null}]`,
		`[null]`, `null`, `[]`, `{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		sources, err := contract.ParseSources(value)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, s := range sources {
			if _, _, err := s.Resolve(); err != nil || seen[s.Name] || s.SecretParameter == "" {
				t.Fatalf("ParseSources accepted %+v (resolve: %v, duplicate: %v)", s, err, seen[s.Name])
			}
			seen[s.Name] = true
		}
	})
}

func FuzzIdentify(f *testing.F) {
	f.Add(uint8(0), "", "", []byte(`{"id":"evt_1","type":"a.b"}`))
	f.Add(uint8(3), "d", "t", []byte(`{"id":"\u0000/..","type":1}`))
	f.Add(uint8(5), " ", "", []byte(`[`))
	presets := builtinPresets()
	f.Fuzz(func(t *testing.T, which uint8, attrID, attrTopic string, body []byte) {
		p, _ := contract.LookupPreset(presets[int(which)%len(presets)])
		if p.Headers.ID == "" {
			attrID = ""
		}
		id, topic, err := p.Identify(attrID, attrTopic, body)
		if err != nil {
			if p.Headers.ID == "" || strings.TrimSpace(attrID) != "" {
				t.Fatalf("Identify(%q) failed: %v", attrID, err)
			}
			return
		}
		id2, topic2, _ := p.Identify(attrID, attrTopic, body)
		if id == "" || id != id2 || topic != topic2 {
			t.Fatalf("Identify = %q, %q then %q, %q", id, topic, id2, topic2)
		}
		if p.Headers.ID != "" && id != attrID {
			t.Fatalf("Identify = %q, want the header's %q", id, attrID)
		}
	})
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
