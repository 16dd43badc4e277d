package contract

import (
	"encoding/base64"
	"encoding/hex"
)

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
