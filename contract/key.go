package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
)

// verbatimID matches ids stored as they are: short, from a set that is safe
// in any S3 tool, and never "." or ".." (they start with a letter or digit).
var verbatimID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)

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
	if verbatimID.MatchString(id) {
		return source + "/" + id, nil
	}
	sum := sha256.Sum256([]byte(id))
	return source + "/~" + hex.EncodeToString(sum[:]), nil
}
