// Package localbus is an EventBridge endpoint for webhook-ops serve: it
// takes PutEvents calls (AWS JSON 1.1, the protocol the SDK speaks) and
// writes each accepted entry as one JSON line, shaped as EventBridge
// delivers an event to its targets, so that a consumer can be tried on the
// lines before it meets a real bus.
package localbus

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

const contentType = "application/x-amz-json-1.1"

// Event is an event as EventBridge delivers it to a target.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	// EventBusName is the bus the entry named; EventBridge's own events
	// do not carry it.
	EventBusName string `json:"eventBusName"`
}

// Bus writes the events of the PutEvents calls it serves to W, one JSON
// line each, in the order accepted. It is safe for concurrent use.
type Bus struct {
	// Region and Account fill in the events' fields of those names.
	Region, Account string

	mu sync.Mutex
	w  io.Writer
}

// New returns a Bus that writes to w.
func New(w io.Writer, region, account string) *Bus {
	return &Bus{Region: region, Account: account, w: w}
}

type putEventsInput struct {
	Entries []struct {
		Source       string
		DetailType   string
		Detail       string
		EventBusName string
		Time         *float64 // Unix seconds, as the SDK sends it
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

func (b *Bus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "only PutEvents is served")
		return
	}
	var in putEventsInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	out := putEventsOutput{Entries: make([]resultEntry, len(in.Entries))}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, e := range in.Entries {
		var detail map[string]json.RawMessage
		if e.Source == "" || e.DetailType == "" || json.Unmarshal([]byte(e.Detail), &detail) != nil || strings.HasPrefix(e.Source, "aws.") {
			out.Entries[i] = resultEntry{ErrorCode: "InvalidArgument", ErrorMessage: "Source, DetailType and a JSON object as Detail are required"}
			out.FailedEntryCount++
			continue
		}
		ev := Event{Version: "0", ID: uuid.NewString(), DetailType: e.DetailType, Source: e.Source, Account: b.Account,
			Time: time.Now().UTC().Truncate(time.Second), Region: b.Region, Resources: []string{}, Detail: json.RawMessage(e.Detail), EventBusName: e.EventBusName}
		if e.Time != nil {
			ev.Time = time.Unix(int64(*e.Time), 0).UTC()
		}
		line, err := json.Marshal(ev)
		if err == nil {
			_, err = b.w.Write(append(line, '\n'))
		}
		if err != nil {
			out.Entries[i] = resultEntry{ErrorCode: "InternalFailure", ErrorMessage: fmt.Sprintf("write the event: %v", err)}
			out.FailedEntryCount++
			continue
		}
		out.Entries[i] = resultEntry{EventID: ev.ID}
	}
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}
