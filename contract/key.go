package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// ObjectKey returns the S3 key of a delivery: "<source>/<id>" when id is 1-200
// characters of [A-Za-z0-9._-] starting with a letter or digit, otherwise
// "<source>/~<hex SHA-256 of id>". '~' never starts a verbatim id, so the two
// forms cannot collide, and no id can leave its source's prefix.
func ObjectKey(source, id string) (string, error) {
	if err := ValidateSourceName(source); err != nil {
		return "", err
	}
	if strings.TrimSpace(id) == "" {
		return "", errors.New("empty webhook id")
	}
	return source + "/" + idSegment(id), nil
}

// idSegment is id when it is plain, else "~<hex SHA-256 of id>".
func idSegment(id string) string {
	if isVerbatimID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "~" + hex.EncodeToString(sum[:])
}
