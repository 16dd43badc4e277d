package contract_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// The reference signers below are written from each sender's documentation,
// independently of the contract package, so that tests which sign with them
// check the package rather than echo it.

// refDigest returns the signature bytes the named preset's sender computes.
func refDigest(t testing.TB, preset, secret, id string, ts int64, body []byte) []byte {
	t.Helper()
	hm := func(key []byte, parts ...string) []byte {
		m := hmac.New(sha256.New, key)
		for _, p := range parts {
			m.Write([]byte(p))
		}
		m.Write(body)
		return m.Sum(nil)
	}
	unix := strconv.FormatInt(ts, 10)
	switch preset {
	case "generic", "shopify", "github":
		return hm([]byte(secret))
	case "stripe":
		return hm([]byte(secret), unix, ".")
	case "standard-webhooks", "svix":
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			t.Fatalf("test secret %q is not whsec_ base64: %v", secret, err)
		}
		return hm(key, id, ".", unix, ".")
	case "slack":
		return hm([]byte(secret), "v0:", unix, ":")
	case "recharge":
		sum := sha256.Sum256(append([]byte(secret), body...))
		return sum[:]
	}
	t.Fatalf("no reference signer for preset %q", preset)
	return nil
}

// refHeader lays out signature bytes in the named preset's signature header.
func refHeader(t testing.TB, preset string, sig []byte, ts int64) string {
	t.Helper()
	switch preset {
	case "generic", "recharge":
		return hex.EncodeToString(sig)
	case "shopify":
		return base64.StdEncoding.EncodeToString(sig)
	case "github":
		return "sha256=" + hex.EncodeToString(sig)
	case "stripe":
		return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(sig)
	case "standard-webhooks", "svix":
		return "v1," + base64.StdEncoding.EncodeToString(sig)
	case "slack":
		return "v0=" + hex.EncodeToString(sig)
	}
	t.Fatalf("no reference header for preset %q", preset)
	return ""
}

// refDelivery is what the handler would receive from the named preset's
// sender: the body, the signature header and, where the preset maps them,
// the id and timestamp headers.
func refDelivery(t testing.TB, preset, secret, id string, ts int64, body []byte) contract.Delivery {
	t.Helper()
	p, ok := contract.LookupPreset(preset)
	if !ok {
		t.Fatalf("unknown preset %q", preset)
	}
	d := contract.Delivery{Body: body, Signature: refHeader(t, preset, refDigest(t, preset, secret, id, ts, body), ts)}
	if p.Headers.ID != "" {
		d.ID = id
	}
	if p.Headers.Timestamp != "" {
		d.Timestamp = strconv.FormatInt(ts, 10)
	}
	return d
}

// testSecret returns a secret in the format the named preset's sender issues.
func testSecret(preset string, n int) string {
	switch preset {
	case "standard-webhooks", "svix":
		raw := make([]byte, 32)
		for i := range raw {
			raw[i] = byte(n*31 + i)
		}
		return "whsec_" + base64.StdEncoding.EncodeToString(raw)
	case "stripe":
		return "whsec_stripe" + strconv.Itoa(n) + "xK9q"
	}
	return "secret-" + preset + "-" + strconv.Itoa(n)
}

// mustVerifier builds the verifier of a built-in preset with its default
// tolerance.
func mustVerifier(t testing.TB, preset, secrets string) *contract.Verifier {
	t.Helper()
	r, err := contract.Source{Name: "src", Preset: preset}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	v, err := contract.NewVerifier(r.Preset.Scheme, secrets, r.Tolerance)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// hmacB64 is base64(HMAC(key, msg)) with the named hash, straight from the
// standard library.
func hmacB64(t testing.TB, alg, key, msg string) string {
	t.Helper()
	var m hash.Hash
	switch alg {
	case "sha1":
		m = hmac.New(sha1.New, []byte(key))
	case "sha256":
		m = hmac.New(sha256.New, []byte(key))
	case "sha512":
		m = hmac.New(sha512.New, []byte(key))
	default:
		t.Fatalf("no hash %q", alg)
	}
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
