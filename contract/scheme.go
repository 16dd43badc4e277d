package contract

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// Rejection reasons. A verifier returns exactly one of them (possibly wrapped);
// their texts name the failed check and never what the right signature is.
var (
	ErrMissingSignature   = errors.New("missing signature")
	ErrMalformedSignature = errors.New("malformed signature")
	ErrMissingTimestamp   = errors.New("missing timestamp")
	ErrMalformedTimestamp = errors.New("malformed timestamp")
	ErrNoMatchingSecret   = errors.New("no matching secret")
	ErrOutsideWindow      = errors.New("outside the replay window")
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

// Delivery is what the handler knows of one webhook when it verifies it.
type Delivery struct {
	Body      []byte
	Signature string
	ID        string
	Timestamp string
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

// Key turns one configured secret into key bytes.
func (s Scheme) Key(secret string) ([]byte, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, errors.New("empty secret")
	}
	if s.Secret == WhsecBase64 {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return nil, fmt.Errorf("secret is not whsec_ followed by base64: %w", err)
		}
		if len(key) == 0 {
			return nil, errors.New("secret decodes to no bytes")
		}
		return key, nil
	}
	return []byte(secret), nil
}

// Keys turns a stored secret value, one secret per line and newest first, into
// key bytes. Blank lines are ignored; at least one secret is required.
func (s Scheme) Keys(value string) ([][]byte, error) {
	var keys [][]byte
	for i, line := range strings.Split(value, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, err := s.Key(line)
		if err != nil {
			return nil, fmt.Errorf("secret on line %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no secret configured")
	}
	return keys, nil
}

// Verifier checks the deliveries of one source against its secrets. It is
// built once per cold start and is safe for concurrent use.
type Verifier struct {
	scheme    Scheme
	tmpl      template
	keys      [][]byte
	tolerance time.Duration
}

// NewVerifier prepares s for verification with the secrets in secretValue
// (one per line, newest first). Timestamped schemes need a positive tolerance.
func NewVerifier(s Scheme, secretValue string, tolerance time.Duration) (*Verifier, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	tmpl, err := parseTemplate(s.SignedContent)
	if err != nil {
		return nil, err
	}
	if s.UsesTimestamp() && tolerance <= 0 {
		return nil, fmt.Errorf("a timestamped scheme needs a positive replay tolerance, got %s", tolerance)
	}
	keys, err := s.Keys(secretValue)
	if err != nil {
		return nil, err
	}
	return &Verifier{scheme: s, tmpl: tmpl, keys: keys, tolerance: tolerance}, nil
}

// Verify checks d's signature against every secret (any match verifies) and,
// for timestamped schemes, that the signed time lies within the tolerance of
// received, the time the delivery entered the queue. It returns nil or an
// error wrapping one of the Err rejection reasons.
func (v *Verifier) Verify(d Delivery, received time.Time) error {
	s := v.scheme
	candidates, timestamp, err := s.parseSignature(d.Signature, d.Timestamp)
	if err != nil {
		return err
	}
	if s.UsesTimestamp() && strings.TrimSpace(timestamp) == "" {
		return ErrMissingTimestamp
	}
	candidates = s.rightSize(candidates)
	if len(candidates) == 0 {
		return fmt.Errorf("%w: wrong length for %s", ErrMalformedSignature, s.Algorithm)
	}
	if !s.anyMatch(v.tmpl, d, timestamp, v.keys, candidates) {
		return ErrNoMatchingSecret
	}
	if s.UsesTimestamp() {
		return checkWindow(timestamp, received, v.tolerance)
	}
	return nil
}

func (s Scheme) anyMatch(tmpl template, d Delivery, timestamp string, keys [][]byte, candidates [][]byte) bool {
	matched := false
	sum := make([]byte, 0, sha512.Size)
	for _, key := range keys {
		h := s.newHash(key)
		tmpl.write(h, d.ID, timestamp, d.Body)
		sum = h.Sum(sum[:0])
		for _, c := range candidates {
			// Keep going after a match so timing does not reveal which secret
			// or which candidate matched.
			if hmac.Equal(sum, c) {
				matched = true
			}
		}
	}
	return matched
}

func (s Scheme) newHash(key []byte) hash.Hash {
	switch s.Algorithm {
	case HMACSHA512:
		return hmac.New(sha512.New, key)
	case HMACSHA1:
		return hmac.New(sha1.New, key)
	case SHA256SecretPrefix:
		h := sha256.New()
		h.Write(key)
		return h
	default:
		return hmac.New(sha256.New, key)
	}
}

// rightSize keeps the candidates as long as the algorithm's digest; a list
// may carry signatures of other kinds beside a good one.
func (s Scheme) rightSize(candidates [][]byte) [][]byte {
	size := s.size()
	out := candidates[:0]
	for _, c := range candidates {
		if len(c) == size {
			out = append(out, c)
		}
	}
	return out
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

// parseSignature returns the decoded candidate signatures and the timestamp
// that was signed (from the signature header for StripeList, else the
// timestamp attribute).
func (s Scheme) parseSignature(header, timestamp string) ([][]byte, string, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil, "", ErrMissingSignature
	}
	switch s.Format {
	case VersionedList:
		var out [][]byte
		for entry := range strings.FieldsSeq(header) {
			version, sig, ok := strings.Cut(entry, ",")
			if !ok || version != "v1" {
				continue
			}
			b, err := s.decode(sig)
			if err != nil {
				continue
			}
			out = append(out, b)
		}
		if len(out) == 0 {
			return nil, "", fmt.Errorf("%w: no decodable v1 entry", ErrMalformedSignature)
		}
		return out, timestamp, nil
	case StripeList:
		var out [][]byte
		timestamp = ""
		for pair := range strings.SplitSeq(header, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				return nil, "", fmt.Errorf("%w: element without '='", ErrMalformedSignature)
			}
			switch k {
			case "t":
				timestamp = v
			case "v1":
				if b, err := s.decode(v); err == nil {
					out = append(out, b)
				}
			}
		}
		if len(out) == 0 {
			return nil, "", fmt.Errorf("%w: no decodable v1 element", ErrMalformedSignature)
		}
		if timestamp == "" {
			return nil, "", ErrMissingTimestamp
		}
		return out, timestamp, nil
	default:
		sig, ok := strings.CutPrefix(header, s.Prefix)
		if !ok {
			return nil, "", fmt.Errorf("%w: missing prefix %q", ErrMalformedSignature, s.Prefix)
		}
		b, err := s.decode(sig)
		if err != nil {
			return nil, "", fmt.Errorf("%w: not %s", ErrMalformedSignature, s.Encoding)
		}
		return [][]byte{b}, timestamp, nil
	}
}

func (s Scheme) decode(sig string) ([]byte, error) {
	if sig == "" {
		return nil, errors.New("empty")
	}
	if s.Encoding == Base64 {
		return base64.StdEncoding.DecodeString(sig)
	}
	return hex.DecodeString(sig)
}

func checkWindow(timestamp string, received time.Time, tolerance time.Duration) error {
	secs, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: not integer unix seconds", ErrMalformedTimestamp)
	}
	signed := time.Unix(secs, 0)
	if d := received.Sub(signed); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s from receipt, tolerance %s", ErrOutsideWindow, d.Round(time.Second), tolerance)
	}
	return nil
}

// template is a parsed SignedContent: literal text between placeholders.
type template struct {
	parts []templatePart
}

type templatePart struct {
	literal string
	field   string // "", "id", "timestamp" or "body"
}

func parseTemplate(t string) (template, error) {
	if t == "" {
		t = "{body}"
	}
	var out template
	body := 0
	for t != "" {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			out.parts = append(out.parts, templatePart{literal: t})
			break
		}
		if open > 0 {
			out.parts = append(out.parts, templatePart{literal: t[:open]})
		}
		closing := strings.IndexByte(t[open:], '}')
		if closing < 0 {
			return template{}, fmt.Errorf("signed content %q: unclosed '{'", t)
		}
		field := t[open+1 : open+closing]
		switch field {
		case "body":
			body++
		case "id", "timestamp":
		default:
			return template{}, fmt.Errorf("signed content: unknown placeholder {%s} (want {id}, {timestamp} or {body})", field)
		}
		out.parts = append(out.parts, templatePart{field: field})
		t = t[open+closing+1:]
	}
	if body != 1 {
		return template{}, errors.New("signed content must contain {body} exactly once")
	}
	return out, nil
}

func (t template) write(h hash.Hash, id, timestamp string, body []byte) {
	for _, p := range t.parts {
		switch p.field {
		case "":
			h.Write([]byte(p.literal))
		case "id":
			h.Write([]byte(id))
		case "timestamp":
			h.Write([]byte(timestamp))
		case "body":
			h.Write(body)
		}
	}
}
