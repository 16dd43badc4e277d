// Package awsjsontest holds what the test peers that speak AWS's JSON
// protocols share: checking a request's envelope the way the service would,
// and writing errors that the AWS SDK decodes into typed API errors.
package awsjsontest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Protocol is one service's JSON envelope.
type Protocol struct {
	// ContentType is application/x-amz-json-1.0 or application/x-amz-json-1.1.
	ContentType string
	// SigningName is the service in the SigV4 credential scope ("ssm").
	SigningName string
}

// Target checks that r is a SigV4-signed POST / in p's envelope and returns
// its X-Amz-Target. A client pointed at the wrong peer signs for another
// service, so the credential scope is checked too. On a bad envelope Target
// writes the service's error and returns false.
func (p Protocol) Target(w http.ResponseWriter, r *http.Request) (string, bool) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		p.WriteError(w, http.StatusNotFound, "UnknownOperationException", "want POST /")
		return "", false
	}
	if ct := r.Header.Get("Content-Type"); ct != p.ContentType {
		p.WriteError(w, http.StatusBadRequest, "SerializationException", "unexpected Content-Type "+ct)
		return "", false
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/"+p.SigningName+"/aws4_request") {
		p.WriteError(w, http.StatusForbidden, "MissingAuthenticationTokenException", "request is not SigV4-signed for "+p.SigningName)
		return "", false
	}
	return r.Header.Get("X-Amz-Target"), true
}

// WriteError writes an error response with the given HTTP status and error
// code.
func (p Protocol) WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", p.ContentType)
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

// Decode reads r's JSON body into v. On malformed JSON it writes the
// service's error and returns false.
func (p Protocol) Decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		p.WriteError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return false
	}
	return true
}

// Reply writes a successful response with v as its JSON body.
func (p Protocol) Reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", p.ContentType)
	_ = json.NewEncoder(w).Encode(v)
}
