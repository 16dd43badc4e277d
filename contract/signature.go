package contract

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"
)

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
