// Package ssmtest runs an in-process SSM Parameter Store peer that speaks the
// real wire protocol (AWS JSON 1.1) for GetParameters, the one call the
// handler makes, so that tests exercise the SDK's serialisation, signing and
// error decoding rather than an interface invented for mocking.
//
// Like SSM, it keeps every version of a parameter and answers a name with a
// version selector ("/app/secret:2") with that version, returning the bare
// name and the selector (":2") separately.
package ssmtest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/webhook-ingest/webhook-ingest/internal/awsjsontest"
)

var protocol = awsjsontest.Protocol{ContentType: "application/x-amz-json-1.1", SigningName: "ssm"}

// Parameter types as SSM names them.
const (
	SecureString = "SecureString"
	String       = "String"
)

// MaxNames is the most names one GetParameters call may ask for; SSM refuses
// more with a ValidationException.
const MaxNames = 10

// Parameter is one stored parameter version.
type Parameter struct {
	Name  string
	Type  string
	Value string
}

// Call is one GetParameters request as the server received it.
type Call struct {
	Names          []string
	WithDecryption bool
}

// Server is an SSM endpoint on a loopback httptest server. Point the SDK at
// URL (AWS_ENDPOINT_URL_SSM or ssm.Options.BaseEndpoint).
type Server struct {
	URL string

	srv *httptest.Server
	mu  sync.Mutex
	// params maps each name to its versions, oldest (version 1) first.
	params map[string][]Parameter
	calls  []Call
	// fault, when not nil, is the error every GetParameters call gets.
	fault *fault
}

type fault struct {
	status        int
	code, message string
}

// NewServer starts a server holding params. Parameters that share a name are
// the versions of one parameter, oldest first: the first is version 1 and
// the last is the current value. Close the server when done.
func NewServer(params ...Parameter) *Server {
	s := &Server{params: make(map[string][]Parameter, len(params))}
	for _, p := range params {
		s.Put(p)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Put stores p as the new current version of its parameter, as
// PutParameter with overwrite does.
func (s *Server) Put(p Parameter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[p.Name] = append(s.params[p.Name], p)
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Calls returns the GetParameters requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Fail makes every later GetParameters call fail with the given HTTP status,
// error code and message, as SSM fails when it throttles (400,
// "ThrottlingException") or breaks (500, "InternalServerError").
func (s *Server) Fail(status int, code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = &fault{status: status, code: code, message: message}
}

type getParametersInput struct {
	Names          []string
	WithDecryption *bool
}

type parameterJSON struct {
	ARN              string
	DataType         string
	LastModifiedDate float64
	Name             string
	Selector         string `json:",omitempty"`
	Type             string
	Value            string
	Version          int64
}

type getParametersOutput struct {
	InvalidParameters []string
	Parameters        []parameterJSON
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	target, ok := protocol.Target(w, r)
	if !ok {
		return
	}
	if target != "AmazonSSM.GetParameters" {
		protocol.WriteError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+target)
		return
	}
	var in getParametersInput
	if !protocol.Decode(w, r, &in) {
		return
	}
	if len(in.Names) == 0 || len(in.Names) > MaxNames {
		protocol.WriteError(w, http.StatusBadRequest, "ValidationException", fmt.Sprintf(
			"1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", MaxNames))
		return
	}
	decrypt := in.WithDecryption != nil && *in.WithDecryption

	s.mu.Lock()
	s.calls = append(s.calls, Call{Names: slices.Clone(in.Names), WithDecryption: decrypt})
	if f := s.fault; f != nil {
		s.mu.Unlock()
		protocol.WriteError(w, f.status, f.code, f.message)
		return
	}
	var out getParametersOutput
	for _, name := range in.Names {
		p, version, selector, ok := s.lookup(name)
		if !ok {
			out.InvalidParameters = append(out.InvalidParameters, name)
			continue
		}
		value := p.Value
		if p.Type == SecureString && !decrypt {
			// SSM returns the KMS ciphertext, which no verifier can use.
			value = "AQICAH" + base64.StdEncoding.EncodeToString([]byte(p.Name))
		}
		out.Parameters = append(out.Parameters, parameterJSON{
			ARN:              "arn:aws:ssm:us-east-1:123456789012:parameter/" + strings.TrimPrefix(p.Name, "/"),
			DataType:         "text",
			LastModifiedDate: float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
			Name:             p.Name,
			Selector:         selector,
			Type:             p.Type,
			Value:            value,
			Version:          version,
		})
	}
	s.mu.Unlock()

	// SSM lists the found parameters in alphabetical order.
	slices.SortFunc(out.Parameters, func(a, b parameterJSON) int { return strings.Compare(a.Name, b.Name) })
	protocol.Reply(w, out)
}

// lookup finds the parameter version a requested name asks for: the current
// one for a bare name, the given one for "name:<version>". Labels
// ("name:<label>") are never found, as this server attaches none. It reports
// the version and the selector to return. The caller holds s.mu.
func (s *Server) lookup(requested string) (p Parameter, version int64, selector string, ok bool) {
	name, sel, versioned := strings.Cut(requested, ":")
	versions := s.params[name]
	if len(versions) == 0 {
		return Parameter{}, 0, "", false
	}
	if !versioned {
		return versions[len(versions)-1], int64(len(versions)), "", true
	}
	v, err := strconv.ParseInt(sel, 10, 64)
	if err != nil || v < 1 || v > int64(len(versions)) {
		return Parameter{}, 0, "", false
	}
	return versions[v-1], v, ":" + sel, true
}
