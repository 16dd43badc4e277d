package contract

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
)

// Algorithm names how the expected signature is computed from a key and the
// signed content.
type Algorithm string

// Supported algorithms.
const (
	HMACSHA256 Algorithm = "hmac-sha256"
	HMACSHA512 Algorithm = "hmac-sha512"
	HMACSHA1   Algorithm = "hmac-sha1"
	// SHA256SecretPrefix is Recharge's legacy scheme: plain SHA-256 over the
	// secret followed by the signed content, not an HMAC.
	SHA256SecretPrefix Algorithm = "sha256-secret-prefix"
)

// Encoding names how signature bytes are written in a header.
type Encoding string

// Supported encodings.
const (
	Hex    Encoding = "hex"
	Base64 Encoding = "base64"
)

// Format names how a signature header is laid out.
type Format string

// Supported signature header formats.
const (
	// Single is one encoded signature after an optional fixed prefix.
	Single Format = "single"
	// VersionedList is Standard Webhooks' space-separated "v1,<sig>" list;
	// entries of other versions are ignored.
	VersionedList Format = "versioned-list"
	// StripeList is Stripe's "t=<unix>,v1=<sig>[,v1=<sig>…]"; the timestamp
	// travels inside the signature header.
	StripeList Format = "stripe-list"
)

// SecretFormat names how a configured secret string becomes key bytes.
type SecretFormat string

// Supported secret formats.
const (
	// RawSecret uses the secret's bytes verbatim (Stripe keeps "whsec_").
	RawSecret SecretFormat = "raw"
	// WhsecBase64 strips an optional "whsec_" prefix and base64-decodes the
	// rest (Standard Webhooks, Svix).
	WhsecBase64 SecretFormat = "whsec-base64"
)

// Scheme is a signature scheme described as data, so that a preset or a
// user's custom sender is a few fields rather than new code.
type Scheme struct {
	Algorithm Algorithm
	Encoding  Encoding
	Format    Format
	// Prefix precedes the encoded signature in Single format ("sha256=").
	Prefix string
	// SignedContent is a template over the placeholders {id}, {timestamp}
	// and {body}; empty means the raw body alone.
	SignedContent string
	Secret        SecretFormat
}

// Validate reports whether every field of s holds a supported value.
func (s Scheme) Validate() error {
	switch s.Algorithm {
	case HMACSHA256, HMACSHA512, HMACSHA1, SHA256SecretPrefix:
	default:
		return fmt.Errorf("unknown algorithm %q (want one of %s, %s, %s, %s)", s.Algorithm, HMACSHA256, HMACSHA512, HMACSHA1, SHA256SecretPrefix)
	}
	switch s.Encoding {
	case Hex, Base64:
	default:
		return fmt.Errorf("unknown encoding %q (want %s or %s)", s.Encoding, Hex, Base64)
	}
	switch s.Format {
	case Single, VersionedList, StripeList:
	default:
		return fmt.Errorf("unknown signature format %q", s.Format)
	}
	switch s.Secret {
	case RawSecret, WhsecBase64:
	default:
		return fmt.Errorf("unknown secret format %q (want %s or %s)", s.Secret, RawSecret, WhsecBase64)
	}
	if _, err := parseTemplate(s.SignedContent); err != nil {
		return err
	}
	return nil
}

// UsesTimestamp reports whether the scheme signs a timestamp, and so whether
// deliveries are subject to a replay window.
func (s Scheme) UsesTimestamp() bool {
	return s.Format == StripeList || strings.Contains(s.SignedContent, "{timestamp}")
}

// newHash returns the hash for key; rekey must run before each use.
func (s Scheme) newHash(key []byte) hash.Hash {
	switch s.Algorithm {
	case HMACSHA512:
		return hmac.New(sha512.New, key)
	case HMACSHA1:
		return hmac.New(sha1.New, key)
	case SHA256SecretPrefix:
		return sha256.New()
	default:
		return hmac.New(sha256.New, key)
	}
}

// rekey resets h to its state before any signed content: an HMAC keeps its
// key across Reset, a secret-prefix hash starts again from the secret.
func (s Scheme) rekey(h hash.Hash, key []byte) {
	h.Reset()
	if s.Algorithm == SHA256SecretPrefix {
		h.Write(key)
	}
}

func (s Scheme) size() int {
	switch s.Algorithm {
	case HMACSHA512:
		return sha512.Size
	case HMACSHA1:
		return sha1.Size
	default:
		return sha256.Size
	}
}
