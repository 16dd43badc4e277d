package contract

import (
	"crypto/hmac"
	"fmt"
	"hash"
	"sync"
	"time"
)

// Delivery is what the handler knows of one webhook when it verifies it.
type Delivery struct {
	Body      []byte
	Signature string
	ID        string
	Timestamp string
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
