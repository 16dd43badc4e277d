package ingest_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

// quarantineHarness is a harness whose Processor keeps failed records.
func quarantineHarness(t *testing.T, wrap func(http.Handler) http.Handler, optFns ...func(*s3.Options)) *harness {
	h := newHarness(t, wrap, optFns...)
	h.proc.Quarantine = true
	return h
}

// TestQuarantineEveryReason sends one record per check a record can fail and
// checks that each is quarantined, body and cause, and nothing is stored
// under a source's prefix.
func TestQuarantineEveryReason(t *testing.T) {
	now := time.Now()
	const body = `{"order":1}`
	noID := message("m-no-id", body, now, genericAttrs("", "t", body))
	noTime := message("m-no-time", body, time.Time{}, standardAttrs("msg_1", now, body))
	wrongSecret := message("m-wrong-secret", body, now, genericAttrs("evt-1", "t", body))
	wrongSecret.MessageAttributes[contract.AttrSignature] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String(strings.Repeat("ab", 32))}
	cases := []struct {
		rec  events.SQSMessage
		code string
	}{
		{withAttr(message("m-ghost", body, now, genericAttrs("evt-1", "t", body)), contract.AttrSource, "ghost"), contract.ReasonUnknownSource},
		{withAttr(message("m-bad-name", body, now, genericAttrs("evt-1", "t", body)), contract.AttrSource, "../Orders"), contract.ReasonUnknownSource},
		{withAttr(message("m-no-sig", body, now, genericAttrs("evt-1", "t", body)), contract.AttrSignature, ""), contract.ReasonMissingSignature},
		{withAttr(message("m-bad-sig", body, now, genericAttrs("evt-1", "t", body)), contract.AttrSignature, "zz"), contract.ReasonMalformedSignature},
		{wrongSecret, contract.ReasonNoMatchingSecret},
		{message("m-stale", body, now, standardAttrs("msg_1", now.Add(-time.Hour), body)), contract.ReasonOutsideWindow},
		{withAttr(message("m-no-ts", body, now, standardAttrs("msg_1", now, body)), contract.AttrTimestamp, ""), contract.ReasonMissingTimestamp},
		{noID, contract.ReasonUnusableID},
		{noTime, contract.ReasonMissingAttribute},
	}
	h := quarantineHarness(t, nil)
	var recs []events.SQSMessage
	for _, c := range cases {
		recs = append(recs, c.rec)
	}
	resp, lines := h.handle(recs...)
	got := outcomes(t, recs, resp, lines)
	for _, c := range cases {
		o := got[c.rec.MessageId]
		if o.Outcome != string(ingest.Quarantined) || o.ReasonCode != c.code {
			t.Errorf("%s: %s %s (%s), want quarantined %s", c.rec.MessageId, o.Outcome, o.ReasonCode, o.Reason, c.code)
			continue
		}
		checkQuarantined(t, h, c.rec, o, body)
		if o.Level != "WARN" {
			t.Errorf("%s logged at %s, want WARN", c.rec.MessageId, o.Level)
		}
	}
	for _, k := range h.keys() {
		if !strings.HasPrefix(k, contract.QuarantinePrefix) {
			t.Errorf("a failed record stored %q", k)
		}
	}
	if got, want := len(h.keys()), 2*len(cases); got != want {
		t.Errorf("bucket holds %d objects, want %d (body and record per quarantined record)", got, want)
	}
}

// TestQuarantineOff checks that a stack without a quarantine, and a source
// that turns it off, drop failed records as rejected and write nothing.
func TestQuarantineOff(t *testing.T) {
	now := time.Now()
	const body = `{"order":1}`
	bad := withAttr(message("m-1", body, now, genericAttrs("evt-1", "t", body)), contract.AttrSignature, "zz")
	ghost := withAttr(message("m-2", body, now, genericAttrs("evt-1", "t", body)), contract.AttrSource, "ghost")

	off := false
	for _, tc := range []struct {
		name  string
		stack bool
		// source's quarantine setting for the generic source.
		source *bool
		want   map[string]ingest.Outcome
	}{
		{"stack off", false, nil, map[string]ingest.Outcome{"m-1": ingest.Rejected, "m-2": ingest.Rejected}},
		{"source off", true, &off, map[string]ingest.Outcome{"m-1": ingest.Rejected, "m-2": ingest.Quarantined}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.proc.Quarantine = tc.stack
			r := h.proc.Receivers[genericSource]
			r.Source.Quarantine = tc.source
			h.proc.Receivers[genericSource] = r
			resp, lines := h.handle(bad, ghost)
			got := outcomes(t, []events.SQSMessage{bad, ghost}, resp, lines)
			var quarantined int
			for id, want := range tc.want {
				if got[id].Outcome != string(want) {
					t.Errorf("%s ended %s, want %s", id, got[id].Outcome, want)
				}
				if want == ingest.Quarantined {
					quarantined++
				}
			}
			if n := len(h.keys()); n != 2*quarantined {
				t.Errorf("bucket holds %d objects, want %d", n, 2*quarantined)
			}
		})
	}
}

// TestQuarantineWriteFailure checks that a record whose quarantine write
// fails is retried, not dropped, and that its redelivery completes the
// quarantine: the record file written by the first attempt is taken as it
// is.
func TestQuarantineWriteFailure(t *testing.T) {
	now := time.Now()
	const body = `{"order":1}`
	rec := withAttr(message("m-1", body, now, genericAttrs("evt-1", "t", body)), contract.AttrSignature, "zz")
	faults := &putFaults{fault: func(put int) *s3Fault {
		if put == 2 { // the body, after the record file
			return &internalError
		}
		return nil
	}}
	h := quarantineHarness(t, faults.wrap, noSDKRetries)

	resp, lines := h.handle(rec)
	o := outcomes(t, []events.SQSMessage{rec}, resp, lines)["m-1"]
	if o.Outcome != string(ingest.Retry) || o.ReasonCode != contract.ReasonQuarantineFailed {
		t.Fatalf("first attempt ended %s %s (%s), want retry %s", o.Outcome, o.ReasonCode, o.Reason, contract.ReasonQuarantineFailed)
	}
	if !strings.Contains(o.Reason, "InternalError") || !strings.Contains(o.Reason, "malformed_signature") {
		t.Errorf("reason %q does not name the S3 error and the failed check", o.Reason)
	}

	resp, lines = h.handle(rec)
	o = outcomes(t, []events.SQSMessage{rec}, resp, lines)["m-1"]
	if o.Outcome != string(ingest.Quarantined) {
		t.Fatalf("redelivery ended %s (%s), want quarantined", o.Outcome, o.Reason)
	}
	checkQuarantined(t, h, rec, o, body)

	// A third delivery of the same message writes nothing new.
	before := faults.count()
	resp, lines = h.handle(rec)
	if o := outcomes(t, []events.SQSMessage{rec}, resp, lines)["m-1"]; o.Outcome != string(ingest.Quarantined) {
		t.Fatalf("third delivery ended %s", o.Outcome)
	}
	if n := len(h.keys()); n != 2 {
		t.Errorf("bucket holds %d objects after three deliveries, want 2", n)
	}
	if faults.count()-before != 2 {
		t.Errorf("third delivery made %d PUTs, want 2 conditional ones", faults.count()-before)
	}
}

// TestConflict checks that a delivery whose key holds a different body ends
// conflict, its body quarantined, while one with the same body is a
// duplicate; and that neither is handed off.
func TestConflict(t *testing.T) {
	now := time.Now()
	first := message("m-1", `{"v":1}`, now, genericAttrs("evt-1", "t", `{"v":1}`))
	same := message("m-2", `{"v":1}`, now, genericAttrs("evt-1", "t", `{"v":1}`))
	other := message("m-3", `{"v":2}`, now, genericAttrs("evt-1", "t", `{"v":2}`))

	for _, quarantine := range []bool{true, false} {
		h := newHarness(t, nil)
		h.proc.Quarantine = quarantine
		bus := withEventBridge(h)
		if _, lines := h.handle(first); lines[0].Outcome != string(ingest.Stored) {
			t.Fatalf("first delivery ended %s", lines[0].Outcome)
		}
		resp, lines := h.handle(same, other)
		got := outcomes(t, []events.SQSMessage{same, other}, resp, lines)
		if got["m-2"].Outcome != string(ingest.Duplicate) {
			t.Errorf("same body ended %s, want duplicate", got["m-2"].Outcome)
		}
		o := got["m-3"]
		if o.Outcome != string(ingest.Conflict) || o.ReasonCode != contract.ReasonConflict || o.Level != "WARN" || o.Key != "orders/evt-1" {
			t.Fatalf("other body: %+v, want a WARN conflict at orders/evt-1", o)
		}
		checkQuarantined(t, h, other, o, `{"v":2}`)
		if stored, _, _ := h.object("orders/evt-1"); string(stored) != `{"v":1}` {
			t.Errorf("orders/evt-1 holds %q after the conflict", stored)
		}
		if n := len(bus.Accepted()); n != 2 {
			t.Errorf("%d events published, want 2 (stored and duplicate; never the conflict)", n)
		}
	}
}

// TestConflictWithoutDigest checks objects stored without the body digest,
// as by an earlier version or by hand: their ETag, the MD5 of the body,
// tells a duplicate from a conflict.
func TestConflictWithoutDigest(t *testing.T) {
	h := quarantineHarness(t, nil)
	_, err := h.s3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(h.bucket), Key: aws.String("orders/evt-1"), Body: strings.NewReader(`{"v":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	same := message("m-1", `{"v":1}`, now, genericAttrs("evt-1", "t", `{"v":1}`))
	other := message("m-2", `{"v":2}`, now, genericAttrs("evt-1", "t", `{"v":2}`))
	resp, lines := h.handle(same, other)
	got := outcomes(t, []events.SQSMessage{same, other}, resp, lines)
	if got["m-1"].Outcome != string(ingest.Duplicate) || got["m-2"].Outcome != string(ingest.Conflict) {
		t.Errorf("outcomes %s and %s, want duplicate and conflict", got["m-1"].Outcome, got["m-2"].Outcome)
	}
}

// TestConflictCheckFailure checks that a failed HeadObject after a 412 makes
// the record a retry, never a duplicate or a conflict.
func TestConflictCheckFailure(t *testing.T) {
	var heads atomic.Int32
	h := quarantineHarness(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodHead && heads.Add(1) == 1 {
				slowDown.write(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, noSDKRetries)
	now := time.Now()
	first := message("m-1", `{"v":1}`, now, genericAttrs("evt-1", "t", `{"v":1}`))
	other := message("m-2", `{"v":2}`, now, genericAttrs("evt-1", "t", `{"v":2}`))
	h.handle(first)
	resp, lines := h.handle(other)
	o := outcomes(t, []events.SQSMessage{other}, resp, lines)["m-2"]
	if o.Outcome != string(ingest.Retry) || o.ReasonCode != contract.ReasonDuplicateCheckFailed || !strings.Contains(o.Reason, "HeadObject") || !strings.Contains(o.Reason, "HTTP 503") {
		t.Fatalf("got %s %s (%s), want retry %s", o.Outcome, o.ReasonCode, o.Reason, contract.ReasonDuplicateCheckFailed)
	}
	resp, lines = h.handle(other)
	if o := outcomes(t, []events.SQSMessage{other}, resp, lines)["m-2"]; o.Outcome != string(ingest.Conflict) {
		t.Errorf("redelivery ended %s, want conflict", o.Outcome)
	}
}

// TestStoredDigest checks the body digest every stored object carries.
func TestStoredDigest(t *testing.T) {
	h := newHarness(t, nil)
	const body = `{"v":1}`
	h.handle(message("m-1", body, time.Now(), genericAttrs("evt-1", "t", body)))
	_, out, ok := h.object("orders/evt-1")
	if !ok {
		t.Fatal("not stored")
	}
	if got, want := out.Metadata[contract.MetaBodySHA256], sha256Hex(body); got != want {
		t.Errorf("%s = %q, want %q", contract.MetaBodySHA256, got, want)
	}
}

// TestUnmappedAttributesIgnored sends Stripe events carrying webhook-id and
// topic attributes, which no Stripe request can produce (the preset maps no
// such header): the id and type still come from the signed body, so a forged
// id cannot take the key of a genuine event.
func TestUnmappedAttributesIgnored(t *testing.T) {
	h := quarantineHarness(t, nil)
	now := time.Now()
	genuineBody := `{"id":"evt_genuine","type":"invoice.paid"}`
	forgedBody := `{"id":"evt_other","type":"invoice.paid"}`
	forged := message("m-1", forgedBody, now, stripeAttrs(now, forgedBody))
	forged = withAttr(withAttr(forged, contract.AttrWebhookID, "evt_genuine"), contract.AttrTopic, "forged")
	genuine := message("m-2", genuineBody, now, stripeAttrs(now, genuineBody))
	resp, lines := h.handle(forged)
	if o := outcomes(t, []events.SQSMessage{forged}, resp, lines)["m-1"]; o.Outcome != string(ingest.Stored) || o.Key != "pay/evt_other" {
		t.Fatalf("forged-attribute event ended %s at %q, want stored at pay/evt_other", o.Outcome, o.Key)
	}
	resp, lines = h.handle(genuine)
	if o := outcomes(t, []events.SQSMessage{genuine}, resp, lines)["m-2"]; o.Outcome != string(ingest.Stored) || o.Key != "pay/evt_genuine" {
		t.Fatalf("genuine event ended %s at %q, want stored at pay/evt_genuine", o.Outcome, o.Key)
	}
	_, out, _ := h.object("pay/evt_other")
	if out.Metadata[contract.MetaTopic] != "invoice.paid" {
		t.Errorf("topic metadata %q, want the body's invoice.paid", out.Metadata[contract.MetaTopic])
	}
}

// TestProcessAndCheck checks the single-record entry points that
// webhook-ops reverify uses: Check writes nothing, Process ends the record
// exactly as Handle would.
func TestProcessAndCheck(t *testing.T) {
	h := quarantineHarness(t, nil)
	now := time.Now()
	const body = `{"v":1}`
	good := message("m-1", body, now, genericAttrs("evt-1", "t", body))
	bad := withAttr(message("m-2", body, now, genericAttrs("evt-2", "t", body)), contract.AttrSignature, "zz")

	ctx := context.Background()
	if r := h.proc.Check(ctx, &good); r.Outcome != ingest.Stored || r.Key != "orders/evt-1" || r.ID != "evt-1" {
		t.Errorf("Check(good) = %+v", r)
	}
	if r := h.proc.Check(ctx, &bad); r.Outcome != ingest.Rejected || r.Code != contract.ReasonMalformedSignature {
		t.Errorf("Check(bad) = %+v", r)
	}
	if keys := h.keys(); len(keys) != 0 {
		t.Fatalf("Check wrote %q", keys)
	}
	if r := h.proc.Process(context.Background(), &good); r.Outcome != ingest.Stored || r.Key != "orders/evt-1" {
		t.Errorf("Process(good) = %+v", r)
	}
	if r := h.proc.Process(context.Background(), &good); r.Outcome != ingest.Duplicate {
		t.Errorf("Process(good) again = %+v", r)
	}
	if r := h.proc.Process(context.Background(), &bad); r.Outcome != ingest.Quarantined || r.Quarantine != contract.QuarantineDir("orders", "m-2") {
		t.Errorf("Process(bad) = %+v", r)
	}
	if r := h.proc.Check(ctx, &good); r.Outcome != ingest.Duplicate || r.Key != "orders/evt-1" {
		t.Errorf("Check(good) once stored = %+v, want duplicate", r)
	}
	other := message("m-3", `{"v":2}`, now, genericAttrs("evt-1", "t", `{"v":2}`))
	before := len(h.keys())
	if r := h.proc.Check(ctx, &other); r.Outcome != ingest.Conflict || r.Code != contract.ReasonConflict {
		t.Errorf("Check(other body) = %+v, want conflict", r)
	}
	if n := len(h.keys()); n != before {
		t.Errorf("Check of a conflict wrote %d objects", n-before)
	}
}

// TestAllowedCIDRs checks a source with allowedCidrs: a delivery from inside
// the ranges is stored, with its address in the metadata; one from outside,
// or with no address, is quarantined with its own reason code, before its
// signature is even looked at.
func TestAllowedCIDRs(t *testing.T) {
	h := quarantineHarness(t, nil)
	r, err := contract.Source{Name: genericSource, Preset: "generic", AllowedCIDRs: []string{"192.0.2.0/24", "2001:db8::/32"}}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	r2 := h.proc.Receivers[genericSource]
	r2.ResolvedSource = r
	h.proc.Receivers[genericSource] = r2

	now := time.Now()
	const body = `{"v":1}`
	from := func(msgID, id, addr string) events.SQSMessage {
		m := message(msgID, body, now, genericAttrs(id, "t", body))
		if addr != "" {
			m = withAttr(m, contract.AttrSourceIP, addr)
		}
		return m
	}
	recs := []events.SQSMessage{
		from("m-1", "evt-1", "192.0.2.10"),
		from("m-2", "evt-2", "2001:db8::7"),
		from("m-3", "evt-3", "198.51.100.1"),
		from("m-4", "evt-4", ""),
		withAttr(from("m-5", "evt-5", "198.51.100.1"), contract.AttrSignature, "zz"),
	}
	resp, lines := h.handle(recs...)
	got := outcomes(t, recs, resp, lines)
	for id, want := range map[string]string{"m-1": "stored", "m-2": "stored", "m-3": "quarantined", "m-4": "quarantined", "m-5": "quarantined"} {
		if got[id].Outcome != want {
			t.Errorf("%s: %s (%s), want %s", id, got[id].Outcome, got[id].Reason, want)
		}
		if want == "quarantined" && got[id].ReasonCode != contract.ReasonSourceNotAllowed {
			t.Errorf("%s: reason code %s, want %s", id, got[id].ReasonCode, contract.ReasonSourceNotAllowed)
		}
	}
	_, out, _ := h.object("orders/evt-1")
	if ip := out.Metadata[contract.MetaSourceIP]; ip != "192.0.2.10" {
		t.Errorf("%s metadata %q, want 192.0.2.10", contract.MetaSourceIP, ip)
	}
	checkQuarantined(t, h, recs[2], got["m-3"], body)
}
