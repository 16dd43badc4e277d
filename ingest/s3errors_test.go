package ingest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

// always answers every PUT with f; first answers only the first.
func always(f s3Fault) func(int) *s3Fault { return func(int) *s3Fault { return &f } }
func first(f s3Fault) func(int) *s3Fault {
	return func(put int) *s3Fault {
		if put == 1 {
			return &f
		}
		return nil
	}
}

// TestHandleS3Errors runs the Processor's real client (ingest.S3Options)
// against S3 error responses injected in front of gofakes3: the SDK retries
// once what is transient, and whatever still fails is reported for retry.
func TestHandleS3Errors(t *testing.T) {
	const body = `{"order":7}`
	cases := []struct {
		name    string
		fault   func(put int) *s3Fault
		outcome ingest.Outcome
		reason  string
		puts    int // PUT requests S3 received
		stored  bool
	}{
		{name: "SlowDown", fault: always(slowDown), outcome: ingest.Retry, reason: "s3 PutObject: SlowDown (HTTP 503)", puts: 2},
		{name: "InternalError", fault: always(internalError), outcome: ingest.Retry, reason: "s3 PutObject: InternalError (HTTP 500)", puts: 2},
		{name: "AccessDenied is retried, not dropped", fault: always(accessDenied), outcome: ingest.Retry, reason: "s3 PutObject: AccessDenied (HTTP 403)", puts: 1},
		{name: "ConditionalRequestConflict", fault: always(conditionalRace), outcome: ingest.Retry, reason: "s3 PutObject: ConditionalRequestConflict (HTTP 409)", puts: 1},
		{name: "connection dropped", fault: always(hangUp), outcome: ingest.Retry, reason: "s3 PutObject: ", puts: 2},
		{name: "one SlowDown, then the SDK's retry stores", fault: first(slowDown), outcome: ingest.Stored, puts: 2, stored: true},
		{name: "one InternalError, then the SDK's retry stores", fault: first(internalError), outcome: ingest.Stored, puts: 2, stored: true},
		{name: "response lost after the store: the retry finds it stored", fault: first(lostResponse), outcome: ingest.Duplicate, puts: 2, stored: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			faults := &putFaults{fault: tc.fault}
			h := newHarness(t, faults.wrap)
			rec := message("m-1", body, time.Now(), genericAttrs("evt-7", "t", body))
			resp, lines := h.handle(rec)
			got := outcomes(t, []events.SQSMessage{rec}, resp, lines)["m-1"]
			if got.Outcome != string(tc.outcome) || !strings.HasPrefix(got.Reason, tc.reason) {
				t.Fatalf("outcome %q reason %q, want %q reason starting %q", got.Outcome, got.Reason, tc.outcome, tc.reason)
			}
			if wantCode := map[ingest.Outcome]string{ingest.Retry: contract.ReasonStoreFailed}[tc.outcome]; got.ReasonCode != wantCode {
				t.Errorf("reason code %q, want %q", got.ReasonCode, wantCode)
			}
			if n := faults.count(); n != tc.puts {
				t.Errorf("S3 received %d PUTs, want %d", n, tc.puts)
			}
			stored, _, ok := h.object("orders/evt-7")
			if ok != tc.stored || (ok && string(stored) != body) {
				t.Fatalf("object present %v with %q, want present %v with %q", ok, stored, tc.stored, body)
			}
		})
	}
}

// TestHandleS3ErrorsSpareOtherRecords checks that a failing record does not
// fail its batch: S3 refuses one key, the others are stored.
func TestHandleS3ErrorsSpareOtherRecords(t *testing.T) {
	faults := &putFaults{}
	faults.fault = func(int) *s3Fault { return nil }
	h := newHarness(t, func(next http.Handler) http.Handler {
		return faults.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/evt-bad") {
				accessDenied.write(w)
				return
			}
			next.ServeHTTP(w, r)
		}))
	})
	now := time.Now()
	var recs []events.SQSMessage
	for _, id := range []string{"evt-1", "evt-bad", "evt-2", "evt-3"} {
		body := `{"id":"` + id + `"}`
		recs = append(recs, message("m-"+id, body, now, genericAttrs(id, "t", body)))
	}
	resp, lines := h.handle(recs...)
	got := outcomes(t, recs, resp, lines)
	for _, r := range recs {
		want := "stored"
		if r.MessageId == "m-evt-bad" {
			want = "retry"
		}
		if got[r.MessageId].Outcome != want {
			t.Errorf("%s: outcome %q, want %q", r.MessageId, got[r.MessageId].Outcome, want)
		}
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m-evt-bad" {
		t.Fatalf("batch item failures %v, want only m-evt-bad", resp.BatchItemFailures)
	}
}
