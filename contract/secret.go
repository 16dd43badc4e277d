package contract

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Key turns one configured secret into key bytes. A carriage return inside a
// secret, or a leading byte-order mark, is refused: both come from editors,
// not senders, and would silently fail every delivery.
func (s Scheme) Key(secret string) ([]byte, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, errors.New("empty secret")
	}
	if strings.HasPrefix(secret, "\uFEFF") {
		return nil, errors.New("secret starts with a byte-order mark (U+FEFF): save it without one")
	}
	if strings.ContainsRune(secret, '\r') {
		return nil, errors.New("secret contains a carriage return: separate secrets with newlines (\\n) only")
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
