package ingest_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestLogsNeverHoldBodiesSignaturesOrSecrets runs a batch with every outcome
// and checks the captured log: one line per record and one per batch, and
// none of the bodies, signatures or secrets, in any encoding the log could
// use.
func TestLogsNeverHoldBodiesSignaturesOrSecrets(t *testing.T) {
	faults := &putFaults{fault: func(int) *s3Fault { return nil }}
	h := newHarness(t, func(next http.Handler) http.Handler {
		return faults.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/evt-denied") {
				accessDenied.write(w)
				return
			}
			next.ServeHTTP(w, r)
		}))
	})
	h.proc.Receivers["broken"] = brokenReceiver(t, "broken")

	now := time.Now()
	body := func(kind string) string { return `{"kind":"` + kind + `","secret_field":"BODY-SENTINEL-` + kind + `"}` }
	generic := func(msgID, id string) events.SQSMessage {
		return message(msgID, body(id), now, genericAttrs(id, "orders/create", body(id)))
	}
	tampered := generic("m-tampered", "evt-tampered")
	tampered.Body = body("tampered-2")
	recs := []events.SQSMessage{
		generic("m-stored", "evt-stored"),
		generic("m-dup-1", "evt-dup"),
		generic("m-dup-2", "evt-dup"),
		withAttr(generic("m-wrong", "evt-wrong"), contract.AttrSignature, strings.Repeat("5e", 32)),
		withAttr(generic("m-malformed", "evt-malformed"), contract.AttrSignature, "SIGNATURE-SENTINEL-not-hex"),
		tampered,
		withAttr(generic("m-unknown", "evt-unknown"), contract.AttrSource, "ghost"),
		generic("m-denied", "evt-denied"),
		withAttr(generic("m-panic", "evt-panic"), contract.AttrSource, "broken"),
		message("m-standard", body("standard"), now, standardAttrs("msg_std", now, body("standard"))),
		message("m-stale", body("stale"), now, standardAttrs("msg_stale", now.Add(-time.Hour), body("stale"))),
		message("m-stripe", `{"id":"evt_s","type":"charge.succeeded","note":"BODY-SENTINEL-stripe"}`, now,
			stripeAttrs(now, `{"id":"evt_s","type":"charge.succeeded","note":"BODY-SENTINEL-stripe"}`)),
	}
	h.proc.Concurrency = 1 // the two copies of evt-dup store, then find it stored
	resp, lines := h.handle(recs...)
	got := outcomes(t, recs, resp, lines)
	for id, want := range map[string]string{
		"m-stored": "stored", "m-dup-1": "stored", "m-dup-2": "duplicate", "m-wrong": "rejected",
		"m-malformed": "rejected", "m-tampered": "rejected", "m-unknown": "rejected", "m-denied": "retry",
		"m-panic": "retry", "m-standard": "stored", "m-stale": "rejected", "m-stripe": "stored",
	} {
		if got[id].Outcome != want {
			t.Errorf("%s: outcome %q (%s), want %s", id, got[id].Outcome, got[id].Reason, want)
		}
	}

	log := h.logs.Bytes()
	forbidden := []string{"BODY-SENTINEL", "SIGNATURE-SENTINEL", genericSecret, standardSecret, stripeSecret,
		strings.TrimPrefix(standardSecret, "whsec_"), "standard-secret-bytes-71a4"}
	for _, r := range recs {
		forbidden = append(forbidden, r.Body)
		if sig := r.MessageAttributes[contract.AttrSignature].StringValue; sig != nil {
			forbidden = append(forbidden, *sig)
			// The parts of list-style signatures, decoded or not.
			for part := range strings.FieldsFuncSeq(*sig, func(c rune) bool { return c == ',' || c == ' ' || c == '=' }) {
				if len(part) >= 16 {
					forbidden = append(forbidden, part)
				}
			}
		}
	}
	for _, f := range forbidden {
		for _, form := range []string{f, base64.StdEncoding.EncodeToString([]byte(f))} {
			if bytes.Contains(log, []byte(form)) {
				t.Errorf("log holds %q:\n%s", form, log)
			}
		}
	}
	for _, l := range lines {
		if l.Msg == "record" && (l.Outcome == "rejected" || l.Outcome == "retry") && l.Reason == "" {
			t.Errorf("%s ended %s without a reason", l.MessageID, l.Outcome)
		}
	}
}
