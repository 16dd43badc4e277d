// Package edge serves webhook routes the way the deployed API Gateway HTTP
// API does: POST /webhooks/<source>, whose SQS-SendMessage integration puts
// the raw body on the queue with the message attributes of the source's
// MessageAttributes mapping (contract.MessageAttributesMapping), which the
// edge evaluates rather than re-implements.
//
// Status codes: 200 once the message is stored; 404 for any other method or
// path ({"message":"Not Found"}, as API Gateway answers an unmatched route);
// 400 for a request that SQS would refuse: a mapped header missing or empty,
// an empty body, or a body with characters SQS does not accept; 413 for a
// message over the queue's maximum size; 500 when the queue fails. What API
// Gateway itself answers in the 400 and 413 cases is not verified (see
// docs/local.md).
package edge

import (
	"crypto/md5" //nolint:gosec // G501: SQS's MD5OfMessageBody, a checksum, not a security measure
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sender puts one message on the queue and returns its id once the queue
// holds it.
type Sender func(body []byte, attributes map[string]string) (messageID string, err error)

// Refusal is a request the edge refused, for the log: the route's source
// ("" for no route), the HTTP status and why.
type Refusal struct {
	Source string
	Status int
	Reason string
}

// Edge is the HTTP handler of the webhook routes.
type Edge struct {
	routes          map[string][]attribute
	send            Sender
	maxMessageBytes int
	// Refused, when not nil, is told of every refused request.
	Refused func(Refusal)
	// Now is the receive time (default time.Now).
	Now func() time.Time
}

// Path returns the route path of source.
func Path(source string) string { return "/webhooks/" + source }

// New returns the edge of routes (source name → its MessageAttributes
// mapping, as contract.MessageAttributesMapping returns it), which sends
// with send and refuses messages over maxMessageBytes. A mapping that is
// not JSON, or that uses a placeholder the edge cannot evaluate, is an
// error.
func New(routes map[string]string, send Sender, maxMessageBytes int) (*Edge, error) {
	e := &Edge{routes: make(map[string][]attribute, len(routes)), send: send, maxMessageBytes: maxMessageBytes}
	for source, mapping := range routes {
		attrs, err := parseMapping(mapping)
		if err != nil {
			return nil, fmt.Errorf("route of source %s: %w", source, err)
		}
		e.routes[source] = attrs
	}
	return e, nil
}

// errorBody is API Gateway's error response body.
func errorBody(message string) string { return `{"message":"` + message + `"}` }

// sendMessageResult is the body of a 200: SQS SendMessage's result.
type sendMessageResult struct {
	MessageID        string `json:"MessageId"`
	MD5OfMessageBody string `json:"MD5OfMessageBody"`
}

func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	if e.Now != nil {
		received = e.Now()
	}
	source, ok := strings.CutPrefix(r.URL.Path, Path(""))
	attrs, known := e.routes[source]
	if !ok || !known || r.Method != http.MethodPost {
		e.refuse(w, Refusal{Status: http.StatusNotFound, Reason: "no route " + r.Method + " " + r.URL.Path}, "Not Found")
		return
	}
	values := make(map[string]string, len(attrs))
	size := 0
	for _, a := range attrs {
		v, err := a.eval(r, received)
		if err != nil {
			e.refuse(w, Refusal{Source: source, Status: http.StatusBadRequest, Reason: err.Error()}, "Bad Request")
			return
		}
		values[a.name] = v
		size += len(a.name) + len(a.dataType) + len(v)
	}
	// SQS counts the attributes against the message size too.
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(e.maxMessageBytes-size)+1))
	if err != nil {
		e.refuse(w, Refusal{Source: source, Status: http.StatusBadRequest, Reason: "read body: " + err.Error()}, "Bad Request")
		return
	}
	if size+len(body) > e.maxMessageBytes {
		e.refuse(w, Refusal{Source: source, Status: http.StatusRequestEntityTooLarge,
			Reason: fmt.Sprintf("message over the queue's maximum size of %d bytes (body and attributes)", e.maxMessageBytes)}, "Request Entity Too Large")
		return
	}
	if reason := invalidBody(body); reason != "" {
		e.refuse(w, Refusal{Source: source, Status: http.StatusBadRequest, Reason: reason}, "Bad Request")
		return
	}
	id, err := e.send(body, values)
	if err != nil {
		e.refuse(w, Refusal{Source: source, Status: http.StatusInternalServerError, Reason: err.Error()}, "Internal Server Error")
		return
	}
	sum := md5.Sum(body) //nolint:gosec // G401: see the import
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(sendMessageResult{MessageID: id, MD5OfMessageBody: hex.EncodeToString(sum[:])})
}

func (e *Edge) refuse(w http.ResponseWriter, f Refusal, message string) {
	if e.Refused != nil {
		e.Refused(f)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, errorBody(message))
}

// invalidBody says why SQS would refuse body as a message body, or "".
// SQS takes 1 or more characters of #x9 | #xA | #xD | #x20 to #xD7FF |
// #xE000 to #xFFFD | #x10000 to #x10FFFF.
func invalidBody(body []byte) string {
	if len(body) == 0 {
		return "empty body: SQS refuses an empty message"
	}
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return fmt.Sprintf("body is not UTF-8 at byte %d: SQS refuses it", i)
		case r == 0x9 || r == 0xA || r == 0xD,
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000:
		default:
			return fmt.Sprintf("body holds the character %U at byte %d, which SQS refuses", r, i)
		}
		i += n
	}
	return ""
}

// attribute is one message attribute of a mapping: its name, data type and
// value template.
type attribute struct {
	name, dataType string
	parts          []part
}

// part is a literal, or a placeholder: a request header (header != ""),
// the request time in Unix milliseconds, or the caller's address.
type part struct {
	literal     string
	header      string
	requestTime bool
	sourceIP    bool
}

// Placeholders of API Gateway's parameter mapping that the edge evaluates.
const (
	headerPrefix = "request.header."
	requestTime  = "context.requestTimeEpoch"
	sourceIP     = "context.identity.sourceIp"
)

// parseMapping parses an integration's MessageAttributes value: a JSON
// object of attribute name → {DataType, StringValue}, whose StringValue may
// hold ${…} placeholders.
func parseMapping(mapping string) ([]attribute, error) {
	var m map[string]struct {
		DataType    string
		StringValue string
	}
	if err := json.Unmarshal([]byte(mapping), &m); err != nil {
		return nil, fmt.Errorf("MessageAttributes is not a JSON object of attributes: %w", err)
	}
	attrs := make([]attribute, 0, len(m))
	// In name order, so that a request missing several headers is told of
	// the same one every time.
	for _, name := range slices.Sorted(maps.Keys(m)) {
		a := m[name]
		if a.DataType != "String" {
			return nil, fmt.Errorf("attribute %s: data type %q (the edge maps String attributes only)", name, a.DataType)
		}
		parts, err := parseValue(a.StringValue)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		attrs = append(attrs, attribute{name: name, dataType: a.DataType, parts: parts})
	}
	return attrs, nil
}

func parseValue(v string) ([]part, error) {
	var parts []part
	for v != "" {
		open := strings.Index(v, "${")
		if open < 0 {
			parts = append(parts, part{literal: v})
			break
		}
		if open > 0 {
			parts = append(parts, part{literal: v[:open]})
		}
		end := strings.IndexByte(v[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed placeholder in %q", v)
		}
		expr := v[open+2 : open+end]
		switch {
		case expr == requestTime:
			parts = append(parts, part{requestTime: true})
		case expr == sourceIP:
			parts = append(parts, part{sourceIP: true})
		case strings.HasPrefix(expr, headerPrefix) && len(expr) > len(headerPrefix):
			parts = append(parts, part{header: expr[len(headerPrefix):]})
		default:
			return nil, fmt.Errorf("placeholder ${%s} is not one the edge evaluates (${%sNAME}, ${%s}, ${%s})", expr, headerPrefix, requestTime, sourceIP)
		}
		v = v[open+end+1:]
	}
	return parts, nil
}

// eval returns the attribute's value for r received at t. A header is
// matched case-insensitively and its values are joined with commas, as API
// Gateway does; a missing header, or a value that comes out empty, is an
// error because SQS refuses empty attribute values.
func (a attribute) eval(r *http.Request, t time.Time) (string, error) {
	var b strings.Builder
	for _, p := range a.parts {
		switch {
		case p.header != "":
			vs := r.Header.Values(p.header)
			if len(vs) == 0 {
				return "", fmt.Errorf("missing header %s (mapped to attribute %s)", p.header, a.name)
			}
			b.WriteString(strings.Join(vs, ","))
		case p.requestTime:
			b.WriteString(strconv.FormatInt(t.UnixMilli(), 10))
		case p.sourceIP:
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			b.WriteString(host)
		default:
			b.WriteString(p.literal)
		}
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("attribute %s is empty", a.name)
	}
	return b.String(), nil
}
