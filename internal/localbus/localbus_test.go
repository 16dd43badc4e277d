package localbus

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/webhook-ingest/webhook-ingest/handoff"
)

// start serves a Bus that writes to out and returns an EventBridge client
// of it and its URL.
func start(t *testing.T, out io.Writer) (*eventbridge.Client, string) {
	t.Helper()
	srv := httptest.NewServer(New(out, "us-east-1", "000000000000"))
	t.Cleanup(srv.Close)
	return eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "k", "")}), srv.URL
}

func TestPublisherWritesLines(t *testing.T) {
	var out bytes.Buffer
	client, _ := start(t, &out)
	p := &handoff.Publisher{Client: client, BusName: "webhook-ingest-dev"}
	received := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	events := []handoff.Event{
		{Source: "orders", Topic: "orders/paid", WebhookID: "id-1", Bucket: "b", Key: "orders/id-1", Size: 11, ReceivedAt: received},
		{Source: "orders", WebhookID: "id-2", Bucket: "b", Key: "orders/id-2", Size: 2, ReceivedAt: received},
	}
	if err := p.PublishAll(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), out.String())
	}
	for i, line := range lines {
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		var detail handoff.Event
		if err := json.Unmarshal(ev.Detail, &detail); err != nil {
			t.Fatal(err)
		}
		if ev.Version != "0" || ev.ID == "" || ev.Source != "webhook-ingest" || ev.DetailType != events[i].DetailType() ||
			ev.EventBusName != "webhook-ingest-dev" || ev.Account != "000000000000" || detail != events[i] {
			t.Errorf("line %d: %s", i, line)
		}
	}
}

func TestRefusals(t *testing.T) {
	var out bytes.Buffer
	client, url := start(t, &out)
	res, err := client.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		{Source: aws.String("s"), DetailType: aws.String("t"), Detail: aws.String("[1]")},
		{Source: aws.String("s"), DetailType: aws.String("t"), Detail: aws.String(`{"a":1}`)},
	}})
	if err != nil || res.FailedEntryCount != 1 || aws.ToString(res.Entries[0].ErrorCode) != "InvalidArgument" || res.Entries[1].EventId == nil {
		t.Fatalf("PutEvents = %+v, %v", res, err)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d lines for one valid entry", n)
	}
	resp, err := http.Post(url, "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a call without X-Amz-Target: HTTP %d", resp.StatusCode)
	}
}
