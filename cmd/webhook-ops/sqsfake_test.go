package main

import (
	"fmt"
	"github.com/webhook-ingest/webhook-ingest/internal/awsjsontest"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

var sqsProtocol = awsjsontest.Protocol{ContentType: "application/x-amz-json-1.0", SigningName: "sqs"}

// fakeSQS is an SQS endpoint speaking AWS JSON 1.0 for the three calls redrive
// makes. A running move task advances by step messages on every
// ListMessageMoveTasks call, so that -wait sees progress without sleeping.
type fakeSQS struct {
	URL string

	mu     sync.Mutex
	queues map[string]string // URL to ARN
	tasks  []*moveTask       // oldest first
	starts []startInput
	toMove int64
	step   int64
	// failAfter fails a task on that many progress polls (0: never).
	failAfter int
}

type moveTask struct {
	source, dest, handle, status, failure string
	moved, toMove                         int64
	started                               int64 // Unix milliseconds
	polls                                 int
}

type startInput struct {
	SourceArn                    string
	DestinationArn               *string
	MaxNumberOfMessagesPerSecond *int32
}

func newFakeSQS(t *testing.T) *fakeSQS {
	f := &fakeSQS{queues: map[string]string{}, toMove: 5, step: 2}
	srv := httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// addQueue registers a queue under URL <server>/123456789012/<name>.
func (f *fakeSQS) addQueue(name string) (url, arn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	url = f.URL + "/123456789012/" + name
	arn = "arn:aws:sqs:eu-west-1:123456789012:" + name
	f.queues[url] = arn
	return url, arn
}

func (f *fakeSQS) addTask(task moveTask) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks = append(f.tasks, &task)
}

func (f *fakeSQS) startCalls() []startInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.starts)
}

type listEntry struct {
	ApproximateNumberOfMessagesMoved  int64
	ApproximateNumberOfMessagesToMove *int64  `json:",omitempty"`
	DestinationArn                    *string `json:",omitempty"`
	FailureReason                     string  `json:",omitempty"`
	SourceArn                         string
	StartedTimestamp                  int64
	Status                            string
	TaskHandle                        string `json:",omitempty"`
}

func (f *fakeSQS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	target, ok := sqsProtocol.Target(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch target {
	case "AmazonSQS.GetQueueAttributes":
		var in struct {
			QueueURL       string `json:"QueueUrl"`
			AttributeNames []string
		}
		if !sqsProtocol.Decode(w, r, &in) {
			return
		}
		arn, ok := f.queues[in.QueueURL]
		if !ok {
			sqsProtocol.WriteError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		attrs := map[string]string{}
		if slices.Contains(in.AttributeNames, "QueueArn") || slices.Contains(in.AttributeNames, "All") {
			attrs["QueueArn"] = arn
		}
		sqsProtocol.Reply(w, map[string]any{"Attributes": attrs})
	case "AmazonSQS.StartMessageMoveTask":
		var in startInput
		if !sqsProtocol.Decode(w, r, &in) {
			return
		}
		f.starts = append(f.starts, in)
		if !f.knownARN(in.SourceArn) || (in.DestinationArn != nil && !f.knownARN(*in.DestinationArn)) {
			sqsProtocol.WriteError(w, http.StatusBadRequest, "ResourceNotFoundException", "One or more specified resources don't exist.")
			return
		}
		for _, t := range f.tasks {
			if t.source == in.SourceArn && t.status == statusRunning {
				sqsProtocol.WriteError(w, http.StatusBadRequest, "UnsupportedOperation", "a message move task is already running")
				return
			}
		}
		task := &moveTask{
			source:  in.SourceArn,
			handle:  fmt.Sprintf("handle-%d", len(f.tasks)+1),
			status:  statusRunning,
			toMove:  f.toMove,
			started: time.Now().UnixMilli(),
		}
		if in.DestinationArn != nil {
			task.dest = *in.DestinationArn
		}
		f.tasks = append(f.tasks, task)
		sqsProtocol.Reply(w, map[string]string{"TaskHandle": task.handle})
	case "AmazonSQS.ListMessageMoveTasks":
		var in struct {
			SourceArn  string
			MaxResults *int
		}
		if !sqsProtocol.Decode(w, r, &in) {
			return
		}
		if !f.knownARN(in.SourceArn) {
			sqsProtocol.WriteError(w, http.StatusBadRequest, "ResourceNotFoundException", "One or more specified resources don't exist.")
			return
		}
		limit := 1
		if in.MaxResults != nil {
			limit = *in.MaxResults
		}
		var results []listEntry
		for _, t := range slices.Backward(f.tasks) {
			if t.source != in.SourceArn || len(results) == limit {
				continue
			}
			f.advance(t)
			e := listEntry{
				ApproximateNumberOfMessagesMoved: t.moved,
				SourceArn:                        t.source,
				StartedTimestamp:                 t.started,
				Status:                           t.status,
				FailureReason:                    t.failure,
			}
			if t.toMove > 0 {
				e.ApproximateNumberOfMessagesToMove = &t.toMove
			}
			if t.dest != "" {
				e.DestinationArn = &t.dest
			}
			if t.status == statusRunning {
				e.TaskHandle = t.handle
			}
			results = append(results, e)
		}
		sqsProtocol.Reply(w, map[string]any{"Results": results})
	default:
		sqsProtocol.WriteError(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+target)
	}
}

// advance moves a running task on by one poll's worth of messages.
func (f *fakeSQS) advance(t *moveTask) {
	if t.status != statusRunning {
		return
	}
	t.polls++
	if f.failAfter > 0 && t.polls >= f.failAfter {
		t.status, t.failure = statusFailed, "AWS.SimpleQueueService.NonExistentQueue"
		return
	}
	t.moved = min(t.moved+f.step, t.toMove)
	if t.moved == t.toMove {
		t.status = statusCompleted
	}
}

func (f *fakeSQS) knownARN(arn string) bool {
	for _, a := range f.queues {
		if a == arn {
			return true
		}
	}
	return false
}
