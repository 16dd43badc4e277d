package contract

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// scratch holds *scratch values, so that verifying a delivery allocates
	// nothing once the pool is warm.
	scratch sync.Pool
}

// scratch is the working memory of one Verify call.
type scratch struct {
	hashes []hash.Hash // one per key, rekeyed before each use
	header []byte      // copy of the signature header, parsed in place
	sigs   []byte      // decoded candidate signatures of digest size, back to back
	ts     []byte      // signed timestamp
	pre    []byte      // signed content before the body
	post   []byte      // signed content after the body
	sum    []byte
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
	v := &Verifier{scheme: s, tmpl: tmpl, keys: keys, tolerance: tolerance}
	v.scratch.New = func() any {
		sc := &scratch{hashes: make([]hash.Hash, len(keys))}
		for i, k := range keys {
			sc.hashes[i] = s.newHash(k)
		}
		return sc
	}
	return v, nil
}

// Verify checks d's signature against every secret (any match verifies) and,
// for timestamped schemes, that the signed time lies within the tolerance of
// received, the time the delivery arrived (AttrRequestTime). It returns nil
// or an error wrapping one of the Err rejection reasons.
//
// The replay window is checked only once a secret matched, so that "outside
// the replay window" always means an authentic but stale delivery.
func (v *Verifier) Verify(d Delivery, received time.Time) error {
	s := v.scheme
	sc := v.scratch.Get().(*scratch)
	defer v.scratch.Put(sc)
	ts, err := s.parseSignature(sc, d.Signature, d.Timestamp)
	if err != nil {
		return err
	}
	var signed int64
	if s.UsesTimestamp() {
		if signed, err = parseUnix(ts); err != nil {
			return err
		}
	}
	if !v.anyMatch(sc, d, ts) {
		return ErrNoMatchingSecret
	}
	if s.UsesTimestamp() {
		return checkWindow(signed, received, v.tolerance)
	}
	return nil
}

func (v *Verifier) anyMatch(sc *scratch, d Delivery, ts []byte) bool {
	s := v.scheme
	size := s.size()
	sc.pre, sc.post = v.tmpl.render(sc.pre[:0], sc.post[:0], d.ID, ts)
	matched := false
	for i, key := range v.keys {
		h := sc.hashes[i]
		s.rekey(h, key)
		h.Write(sc.pre)
		h.Write(d.Body)
		h.Write(sc.post)
		sc.sum = h.Sum(sc.sum[:0])
		for c := sc.sigs; len(c) >= size; c = c[size:] {
			// Keep going after a match so timing does not reveal which secret
			// or which candidate matched.
			if hmac.Equal(sc.sum, c[:size]) {
				matched = true
			}
		}
	}
	return matched
}

// Sign returns the signature header value that a sender using s would send
// for body, signed with one secret: the counterpart of Verify, for tests and
// tools that play the sender. The timestamp, where s signs one, is decimal
// Unix seconds.
func (s Scheme) Sign(secret, id, timestamp string, body []byte) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	if s.UsesTimestamp() {
		if _, err := parseUnix([]byte(timestamp)); err != nil {
			return "", err
		}
	}
	key, err := s.Key(secret)
	if err != nil {
		return "", err
	}
	tmpl, err := parseTemplate(s.SignedContent)
	if err != nil {
		return "", err
	}
	pre, post := tmpl.render(nil, nil, id, []byte(timestamp))
	h := s.newHash(key)
	s.rekey(h, key)
	h.Write(pre)
	h.Write(body)
	h.Write(post)
	var sig string
	if s.Encoding == Base64 {
		sig = base64.StdEncoding.EncodeToString(h.Sum(nil))
	} else {
		sig = hex.EncodeToString(h.Sum(nil))
	}
	switch s.Format {
	case VersionedList:
		return "v1," + sig, nil
	case StripeList:
		return "t=" + timestamp + ",v1=" + sig, nil
	default:
		return s.Prefix + sig, nil
	}
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

var (
	comma = []byte(",")
	equal = []byte("=")
)

// parseSignature decodes the header's candidate signatures of the digest's
// size into sc.sigs, since a list may carry signatures of other kinds beside
// a good one, and returns the signed timestamp: from the header for
// StripeList, else the timestamp attribute.
func (s Scheme) parseSignature(sc *scratch, header, timestamp string) ([]byte, error) {
	sc.header = append(sc.header[:0], header...)
	h := bytes.TrimSpace(sc.header)
	if len(h) == 0 {
		return nil, ErrMissingSignature
	}
	sc.sigs = sc.sigs[:0]
	sc.ts = append(sc.ts[:0], timestamp...)
	ts := sc.ts
	decoded := 0
	switch s.Format {
	case VersionedList:
		for entry := range bytes.FieldsSeq(h) {
			version, sig, ok := bytes.Cut(entry, comma)
			if ok && string(version) == "v1" && sc.addSig(s, sig) {
				decoded++
			}
		}
		if decoded == 0 {
			return nil, fmt.Errorf("%w: no decodable v1 entry", ErrMalformedSignature)
		}
	case StripeList:
		ts = nil
		for pair := range bytes.SplitSeq(h, comma) {
			k, v, ok := bytes.Cut(bytes.TrimSpace(pair), equal)
			if !ok {
				return nil, fmt.Errorf("%w: element without '='", ErrMalformedSignature)
			}
			switch string(k) {
			case "t":
				ts = v
			case "v1":
				if sc.addSig(s, v) {
					decoded++
				}
			}
		}
		if decoded == 0 {
			return nil, fmt.Errorf("%w: no decodable v1 element", ErrMalformedSignature)
		}
	default:
		sig, ok := bytes.CutPrefix(h, []byte(s.Prefix))
		if !ok {
			return nil, fmt.Errorf("%w: missing prefix %q", ErrMalformedSignature, s.Prefix)
		}
		if !sc.addSig(s, sig) {
			return nil, fmt.Errorf("%w: not %s", ErrMalformedSignature, s.Encoding)
		}
	}
	if len(sc.sigs) == 0 {
		return nil, fmt.Errorf("%w: wrong length for %s", ErrMalformedSignature, s.Algorithm)
	}
	return ts, nil
}

// addSig decodes sig and appends it to sc.sigs when it is as long as the
// scheme's digest. It reports whether sig decoded at all.
func (sc *scratch) addSig(s Scheme, sig []byte) bool {
	if len(sig) == 0 {
		return false
	}
	n := len(sc.sigs)
	var (
		m   int
		err error
	)
	if s.Encoding == Base64 {
		sc.sigs = slices.Grow(sc.sigs, base64.StdEncoding.DecodedLen(len(sig)))
		m, err = base64.StdEncoding.Decode(sc.sigs[n:cap(sc.sigs)], sig)
	} else {
		sc.sigs = slices.Grow(sc.sigs, hex.DecodedLen(len(sig)))
		m, err = hex.Decode(sc.sigs[n:cap(sc.sigs)], sig)
	}
	if err == nil && m == s.size() {
		sc.sigs = sc.sigs[:n+m]
	}
	return err == nil
}

// parseUnix parses a signed timestamp: decimal Unix seconds, digits only, so
// that the bytes signed and the time checked cannot disagree.
func parseUnix(ts []byte) (int64, error) {
	if len(bytes.TrimSpace(ts)) == 0 {
		return 0, ErrMissingTimestamp
	}
	// 18 digits cannot overflow int64 or time.Unix.
	if len(ts) > 18 || bytes.ContainsFunc(ts, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, fmt.Errorf("%w: not decimal unix seconds", ErrMalformedTimestamp)
	}
	secs, err := strconv.ParseInt(string(ts), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: not decimal unix seconds", ErrMalformedTimestamp)
	}
	return secs, nil
}

func checkWindow(signed int64, received time.Time, tolerance time.Duration) error {
	if d := received.Sub(time.Unix(signed, 0)); d > tolerance || d < -tolerance {
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

// render appends the signed content before the body to pre and after it to
// post, so that the body itself is hashed without being copied.
func (t template) render(pre, post []byte, id string, timestamp []byte) ([]byte, []byte) {
	dst := &pre
	for _, p := range t.parts {
		switch p.field {
		case "":
			*dst = append(*dst, p.literal...)
		case "id":
			*dst = append(*dst, id...)
		case "timestamp":
			*dst = append(*dst, timestamp...)
		case "body":
			dst = &post
		}
	}
	return pre, post
}
