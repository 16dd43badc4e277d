package components

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

func TestQueues(t *testing.T) {
	c := allPresets(t)
	if n := len(c.all(tQueue)); n != 2 {
		t.Fatalf("%d queues, want the queue and its dead-letter queue", n)
	}
	q, dlq := c.one(t, tQueue, nQueue), c.one(t, tQueue, nDLQ)
	for _, r := range []registered{q, dlq} {
		if !boolean(t, r, "sqsManagedSseEnabled") {
			t.Errorf("%s is not encrypted (sqsManagedSseEnabled)", r.Name)
		}
		if got := num(t, r, "maxMessageSize"); got != stackconfig.MaxMessageBytes {
			t.Errorf("%s maxMessageSize %v, want %d", r.Name, got, stackconfig.MaxMessageBytes)
		}
	}
	// 6 × timeoutSeconds (20) + batchingWindowSeconds (7).
	if got := num(t, q, "visibilityTimeoutSeconds"); got != 127 {
		t.Errorf("visibility timeout %v, want 127", got)
	}
	if got := num(t, dlq, "messageRetentionSeconds"); got != 1209600 {
		t.Errorf("dead-letter retention %v, want 14 days", got)
	}
	if qr, dr := num(t, q, "messageRetentionSeconds"), num(t, dlq, "messageRetentionSeconds"); qr >= dr {
		t.Errorf("queue retention %v is not shorter than the dead-letter queue's %v", qr, dr)
	}
	if has(dlq, "redrivePolicy") {
		t.Error("the dead-letter queue has a redrive policy of its own")
	}

	var redrive map[string]any
	decodeJSON(t, "redrive policy", str(t, q, "redrivePolicy"), &redrive)
	if redrive["deadLetterTargetArn"] != queueARN(nDLQ) {
		t.Errorf("redrive target %v, want %s", redrive["deadLetterTargetArn"], queueARN(nDLQ))
	}
	// SQS wants a JSON number here, not a string.
	if n, ok := redrive["maxReceiveCount"].(float64); !ok || n != 8 {
		t.Errorf("maxReceiveCount %#v, want the number 8", redrive["maxReceiveCount"])
	}

	allow := c.only(t, tRedriveAllow)
	if got := str(t, allow, "queueUrl"); got != queueURL(nDLQ) {
		t.Errorf("redrive-allow policy on %q, want the dead-letter queue", got)
	}
	var ap struct {
		RedrivePermission string   `json:"redrivePermission"`
		SourceQueueARNs   []string `json:"sourceQueueArns"`
	}
	decodeJSON(t, "redrive-allow policy", str(t, allow, "redriveAllowPolicy"), &ap)
	if ap.RedrivePermission != "byQueue" || !slices.Equal(ap.SourceQueueARNs, []string{queueARN(nQueue)}) {
		t.Errorf("redrive-allow policy %+v, want byQueue from the main queue only", ap)
	}
}

func TestQueueArgs(t *testing.T) {
	c, err := runWith(func(ctx *pulumi.Context) error {
		_, err := NewQueue(ctx, "q", &QueueArgs{})
		return err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := c.one(t, tQueue, "q")
	if got := num(t, q, "visibilityTimeoutSeconds"); got != 6*stackconfig.DefaultTimeoutSeconds {
		t.Errorf("zero QueueArgs: visibility timeout %v, want %d", got, 6*stackconfig.DefaultTimeoutSeconds)
	}
	var redrive map[string]any
	decodeJSON(t, "redrive policy", str(t, q, "redrivePolicy"), &redrive)
	if redrive["maxReceiveCount"] != float64(stackconfig.DefaultMaxReceiveCount) {
		t.Errorf("zero QueueArgs: maxReceiveCount %v, want %d", redrive["maxReceiveCount"], stackconfig.DefaultMaxReceiveCount)
	}

	for _, tc := range []struct {
		args QueueArgs
		want string
	}{
		{QueueArgs{MaxReceiveCount: 4}, "QueueArgs.MaxReceiveCount = 4 is out of range: set it between 5 and 1000"},
		{QueueArgs{VisibilityTimeoutSeconds: 43201}, "QueueArgs.VisibilityTimeoutSeconds = 43201 is out of range"},
	} {
		assertComponentError(t, func(ctx *pulumi.Context) error {
			_, err := NewQueue(ctx, "q", &tc.args)
			return err
		}, tc.want)
	}
}
