// Package eventbridgetest runs an in-process EventBridge peer that speaks the
// real wire protocol (AWS JSON 1.1) for PutEvents, so that tests exercise the
// SDK's serialisation, signing and error decoding rather than an interface
// invented for mocking. It enforces the limits the service documents (1-10
// entries, a non-empty detail-type of at most 128 characters, a JSON object
// as detail, less than 256 KB of entries per call) and can be told to fail
// entries or whole calls. Its error messages are its own, not AWS's.
package eventbridgetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/webhook-ingest/webhook-ingest/internal/awsjsontest"
)

var protocol = awsjsontest.Protocol{ContentType: "application/x-amz-json-1.1", SigningName: "events"}

// Service limits of PutEvents that the server enforces.
const (
	MaxEntries       = 10
	MaxDetailTypeLen = 128
	MaxRequestBytes  = 256 * 1024
)

// Entry is one PutEvents request entry as the server received it.
type Entry struct {
	Source       string
	DetailType   string
	Detail       string
	EventBusName string
}

// Failure is an outcome the server gives instead of success. For an entry,
// Code and Message become the result entry's ErrorCode and ErrorMessage; for a
// call, Status is the HTTP status (400 when zero) and Code the error type.
type Failure struct {
	Status  int
	Code    string
	Message string
}

// Server is an EventBridge endpoint on a loopback httptest server. Point the
// SDK at URL (AWS_ENDPOINT_URL_EVENTBRIDGE or eventbridge.Options.BaseEndpoint).
type Server struct {
	URL string

	srv       *httptest.Server
	mu        sync.Mutex
	calls     [][]Entry
	accepted  []Entry
	failEntry func(call int, e Entry) *Failure
	failCall  func(call int) *Failure
}

// NewServer starts a server that accepts every valid entry. Close it when done.
func NewServer() *Server {
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// FailEntries makes the server consult f for every valid entry of every later
// call (numbered from 1 in arrival order, counting all calls): a non-nil
// Failure fails that entry. A nil f accepts every entry again.
func (s *Server) FailEntries(f func(call int, e Entry) *Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failEntry = f
}

// FailCalls makes the server consult f for every later well-formed call: a
// non-nil Failure rejects the whole call with that error.
func (s *Server) FailCalls(f func(call int) *Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCall = f
}

// Calls returns the entries of every well-formed PutEvents request received so
// far, one slice per call, in arrival order.
func (s *Server) Calls() [][]Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]Entry, len(s.calls))
	for i, c := range s.calls {
		out[i] = slices.Clone(c)
	}
	return out
}

// Accepted returns the entries that were given an event id, in order.
func (s *Server) Accepted() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.accepted)
}

type putEventsInput struct {
	Entries []struct {
		Source       *string
		DetailType   *string
		Detail       *string
		EventBusName *string
	}
}

type resultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

type putEventsOutput struct {
	Entries          []resultEntry
	FailedEntryCount int
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	target, ok := protocol.Target(w, r)
	if !ok {
		return
	}
	if target != "AWSEvents.PutEvents" {
		protocol.WriteError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+target)
		return
	}
	var in putEventsInput
	if !protocol.Decode(w, r, &in) {
		return
	}
	if n := len(in.Entries); n < 1 || n > MaxEntries {
		protocol.WriteError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf(
			"1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and %d, got %d", MaxEntries, n))
		return
	}
	entries := make([]Entry, len(in.Entries))
	size := 0
	for i, e := range in.Entries {
		entries[i] = Entry{Source: deref(e.Source), DetailType: deref(e.DetailType), Detail: deref(e.Detail), EventBusName: deref(e.EventBusName)}
		if n := len(utf16.Encode([]rune(entries[i].DetailType))); e.DetailType != nil && (n < 1 || n > MaxDetailTypeLen) {
			protocol.WriteError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf(
				"1 validation error detected: Value at 'entries.%d.member.detailType' failed to satisfy constraint: Member must have length between 1 and %d", i+1, MaxDetailTypeLen))
			return
		}
		// The documented entry size: Source, DetailType and Detail in UTF-8.
		size += len(entries[i].Source) + len(entries[i].DetailType) + len(entries[i].Detail)
	}
	if size >= MaxRequestBytes {
		protocol.WriteError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf("total size of the entries is %d bytes, must be less than %d", size, MaxRequestBytes))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, entries)
	call := len(s.calls)
	if s.failCall != nil {
		if f := s.failCall(call); f != nil {
			protocol.WriteError(w, cmp.Or(f.Status, http.StatusBadRequest), f.Code, f.Message)
			return
		}
	}
	out := putEventsOutput{Entries: make([]resultEntry, len(entries))}
	for i, e := range entries {
		f := validate(e)
		if f == nil && s.failEntry != nil {
			f = s.failEntry(call, e)
		}
		if f != nil {
			out.Entries[i] = resultEntry{ErrorCode: f.Code, ErrorMessage: f.Message}
			out.FailedEntryCount++
			continue
		}
		s.accepted = append(s.accepted, e)
		out.Entries[i] = resultEntry{EventID: fmt.Sprintf("00000000-0000-4000-8000-%012d", len(s.accepted))}
	}
	protocol.Reply(w, out)
}

// validate fails an entry the way EventBridge does when a required field is
// missing or the detail is not a JSON object.
func validate(e Entry) *Failure {
	if e.Source == "" || e.DetailType == "" || e.Detail == "" {
		return &Failure{Code: "InvalidArgument", Message: "Parameters Source, DetailType and Detail are required"}
	}
	if strings.HasPrefix(e.Source, "aws.") {
		return &Failure{Code: "NotAuthorizedForSourceException", Message: "Not authorized for the source " + e.Source}
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(e.Detail), &obj) != nil {
		return &Failure{Code: "MalformedDetail", Message: "Detail is malformed"}
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
