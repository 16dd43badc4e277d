package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
	"github.com/webhook-ingest/webhook-ingest/internal/eventbridgetest"
	"github.com/webhook-ingest/webhook-ingest/internal/ssmtest"
)

// Parameter names of the seeded stack's sources.
const (
	ordersParam  = "/webhook-ingest/dev/orders"
	billingParam = "/webhook-ingest/dev/billing"
	stdParam     = "/webhook-ingest/dev/std"
	acmeParam    = "/webhook-ingest/dev/acme"
)

// fixedPeers points the SDK at f, at an EventBridge peer and at an SSM peer
// whose parameters held the stack's old secrets and now hold the new ones,
// newest first with the old kept, as a rotation leaves them. It returns the
// two peers.
func fixedPeers(t *testing.T, f *fakeS3) (*ssmtest.Server, *eventbridgetest.Server) {
	t.Helper()
	srv := ssmtest.NewServer(
		ssmtest.Parameter{Name: ordersParam, Type: ssmtest.SecureString, Value: ordersOld},
		ssmtest.Parameter{Name: billingParam, Type: ssmtest.SecureString, Value: billingSecret},
		ssmtest.Parameter{Name: stdParam, Type: ssmtest.SecureString, Value: stdOld},
		ssmtest.Parameter{Name: acmeParam, Type: ssmtest.SecureString, Value: acmeSecret},
	)
	t.Cleanup(srv.Close)
	srv.Put(ssmtest.Parameter{Name: ordersParam, Type: ssmtest.SecureString, Value: ordersNew + "\n" + ordersOld + "\n"})
	srv.Put(ssmtest.Parameter{Name: stdParam, Type: ssmtest.SecureString, Value: stdNew + "\n" + stdOld + "\n"})
	eb := eventbridgetest.NewServer()
	t.Cleanup(eb.Close)
	awsEnv(t, map[string]string{"S3": f.URL, "SSM": srv.URL, "EVENTBRIDGE": eb.URL})
	return srv, eb
}

// fixedObjects returns the objects the handler writes for ds once its
// sources hold the new secrets: what reverify must leave behind for them.
func fixedObjects(t *testing.T, ds ...delivery) map[string]object {
	t.Helper()
	f := newFakeS3(t)
	want := make(map[string][2]string, len(ds))
	for _, d := range ds {
		want[d.messageID] = [2]string{contract.OutcomeStored, ""}
	}
	handle(t, f, map[string]string{"orders": ordersNew, "std": stdNew}, want, ds...)
	return f.contents(t)
}

// event is the hand-off event the handler publishes for d stored under
// source.
func event(t *testing.T, source, topic string, d delivery) handoff.Event {
	t.Helper()
	key, err := contract.ObjectKey(source, d.id)
	if err != nil {
		t.Fatal(err)
	}
	return handoff.Event{Source: source, Topic: topic, WebhookID: d.id, Bucket: testBucket, Key: key, Size: int64(len(d.body)), ReceivedAt: d.received}
}

// assertContents checks that the bucket holds exactly want.
func assertContents(t *testing.T, f *fakeS3, want map[string]object) {
	t.Helper()
	got := f.contents(t)
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if w, ok := want[k]; !ok {
			t.Errorf("bucket holds %s, want it gone or never written", k)
		} else if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %+v\nwant %+v", k, got[k], w)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[k]; !ok {
			t.Errorf("bucket lacks %s", k)
		}
	}
}

// without returns m without the keys of the quarantined records of ds.
func without(m map[string]object, ds ...delivery) map[string]object {
	out := maps.Clone(m)
	for _, d := range ds {
		for _, k := range quarantineKeys(d) {
			delete(out, k)
		}
	}
	return out
}

func TestReverify(t *testing.T) {
	f := newFakeS3(t)
	seedQuarantine(t, f)
	_, eb := fixedPeers(t, f)
	seeded := f.contents(t)
	fixed := fixedObjects(t, ord1, ord2, std6)

	// The stored objects are the handler's own, byte for byte; one spelled
	// out, so that the metadata is visible here too.
	wantOrd2 := object{
		body:        "order=2&note=ü <b>&</b>\r\n",
		contentType: "application/octet-stream",
		meta: map[string]string{
			contract.MetaSource:     "orders",
			contract.MetaWebhookID:  "ord-2",
			contract.MetaTopic:      "commande%20pay%C3%A9e",
			contract.MetaMessageID:  "m-02",
			contract.MetaReceivedAt: "2026-11-28T10:00:02.500Z",
			contract.MetaBodySHA256: "09bec83d90ebd8fbc50c8e140c832c737c75127aba7a1f2f4ea4d4627031a0e3",
		},
	}
	if !reflect.DeepEqual(fixed["orders/ord-2"], wantOrd2) {
		t.Errorf("the handler stores orders/ord-2 as %+v\nwant %+v", fixed["orders/ord-2"], wantOrd2)
	}

	t.Run("orders", func(t *testing.T) {
		// Not every record is recovered: exit 1.
		want := "" +
			"_quarantine/orders/m-01/  stored  orders/ord-1\n" +
			"_quarantine/orders/m-02/  stored  orders/ord-2\n" +
			"_quarantine/orders/m-04/  conflict  orders/ord-3 holds a different body; the record stays in the quarantine\n" +
			"_quarantine/orders/m-05/  failing malformed_signature  malformed signature: not hex\n" +
			"\n" +
			"reverify orders as orders: 4 quarantined records read\n" +
			"  stored                       2\n" +
			"  duplicate                    0\n" +
			"  conflict                     1\n" +
			"  failing malformed_signature  1\n"
		expectCLI(t, exitFailed, want, "reverify", "-source", "orders", "-bucket", testBucket, "-parameter", ordersParam, "-bus", "webhooks-bus")
		wantObjects := without(seeded, ord1, ord2)
		wantObjects["orders/ord-1"] = fixed["orders/ord-1"]
		wantObjects["orders/ord-2"] = fixed["orders/ord-2"]
		assertContents(t, f, wantObjects)
		wantEvents := publishedBy(t, []handoff.Event{event(t, "orders", "orders/create", ord1), event(t, "orders", "commande payée", ord2)})
		if got := eb.Accepted(); !reflect.DeepEqual(got, wantEvents) {
			t.Errorf("published:\n%+v\nwant:\n%+v", got, wantEvents)
		}
	})

	t.Run("std", func(t *testing.T) {
		// Re-verified long after the replay window closed: each record is
		// judged at the time it was received.
		calls := len(eb.Calls())
		want := "" +
			"_quarantine/std/m-06/  stored  std/msg_6\n" +
			"_quarantine/std/m-07/  failing outside_window  outside the replay window: signed 1h0m0s from receipt, tolerance 5m0s\n" +
			"\n" +
			"reverify std as std: 2 quarantined records read\n" +
			"  stored                  1\n" +
			"  duplicate               0\n" +
			"  conflict                0\n" +
			"  failing outside_window  1\n"
		expectCLI(t, exitFailed, want, "reverify", "-source", "std", "-bucket", testBucket, "-parameter", stdParam)
		if got, ok := f.object(t, "std/msg_6"); !ok || !reflect.DeepEqual(got, fixed["std/msg_6"]) {
			t.Errorf("std/msg_6 = %+v (found %v)\nwant %+v", got, ok, fixed["std/msg_6"])
		}
		if n := len(eb.Calls()) - calls; n != 0 {
			t.Errorf("%d PutEvents calls without -bus", n)
		}
	})

	t.Run("again", func(t *testing.T) {
		// What is left fails as before, and nothing changes.
		before, mark, calls := f.contents(t), f.mark(), len(eb.Calls())
		code, stdout, _ := runCLI(t, "reverify", "-source", "orders", "-bucket", testBucket, "-parameter", ordersParam, "-bus", "webhooks-bus")
		want := "" +
			"_quarantine/orders/m-04/  conflict  orders/ord-3 holds a different body; the record stays in the quarantine\n" +
			"_quarantine/orders/m-05/  failing malformed_signature  malformed signature: not hex\n" +
			"\n" +
			"reverify orders as orders: 2 quarantined records read\n" +
			"  stored                       0\n" +
			"  duplicate                    0\n" +
			"  conflict                     1\n" +
			"  failing malformed_signature  1\n"
		if code != exitFailed || stdout != want {
			t.Errorf("exit %d, stdout:\n%s\nwant %d and:\n%s", code, stdout, exitFailed, want)
		}
		assertContents(t, f, before)
		// The conflict's conditional PUT is refused; nothing else writes.
		if w := f.writesSince(mark); !slices.Equal(w, []string{"PUT /webhooks/orders/ord-3?x-id=PutObject"}) {
			t.Errorf("writes %q, want the refused conditional PUT of the conflict alone", w)
		}
		if n := len(eb.Calls()) - calls; n != 0 {
			t.Errorf("%d PutEvents calls", n)
		}
	})
}

func TestReverifyAllRecovered(t *testing.T) {
	f := newFakeS3(t)
	seed(t, f, contract.ReasonNoMatchingSecret, ord1, ord2, std6)
	fixedPeers(t, f)
	wantObjects := without(f.contents(t), ord1, ord2)
	fixed := fixedObjects(t, ord1, ord2)
	wantObjects["orders/ord-1"] = fixed["orders/ord-1"]
	wantObjects["orders/ord-2"] = fixed["orders/ord-2"]

	args := []string{"reverify", "-source", "orders", "-bucket", testBucket, "-parameter", ordersParam}
	want := "" +
		"_quarantine/orders/m-01/  stored  orders/ord-1\n" +
		"_quarantine/orders/m-02/  stored  orders/ord-2\n" +
		"\n" +
		"reverify orders as orders: 2 quarantined records read\n" +
		"  stored     2\n" +
		"  duplicate  0\n" +
		"  conflict   0\n"
	expectCLI(t, exitOK, want, args...)
	assertContents(t, f, wantObjects)

	// The second run finds nothing left.
	mark := f.mark()
	want = "" +
		"\n" +
		"reverify orders as orders: 0 quarantined records read\n" +
		"  stored     0\n" +
		"  duplicate  0\n" +
		"  conflict   0\n"
	expectCLI(t, exitOK, want, args...)
	assertContents(t, f, wantObjects)
	if w := f.writesSince(mark); len(w) != 0 {
		t.Errorf("second run wrote %q", w)
	}
}

// TestReverifyDryRun checks that a dry run reports how each record would
// end, one of them already stored as an interrupted run leaves it, and
// changes nothing.
func TestReverifyDryRun(t *testing.T) {
	f := newFakeS3(t)
	seedQuarantine(t, f)
	handle(t, f, map[string]string{"orders": ordersNew}, map[string][2]string{"m-01": {contract.OutcomeStored, ""}}, ord1)
	_, eb := fixedPeers(t, f)
	before, mark := f.contents(t), f.mark()

	want := "" +
		"_quarantine/orders/m-01/  duplicate  orders/ord-1 holds it already; it would be removed from the quarantine\n" +
		"_quarantine/orders/m-02/  verifies  would store at orders/ord-2\n" +
		"_quarantine/orders/m-04/  conflict  orders/ord-3 holds a different body; the record would stay in the quarantine\n" +
		"_quarantine/orders/m-05/  failing malformed_signature  malformed signature: not hex\n" +
		"\n" +
		"reverify orders as orders: 4 quarantined records read (dry run: nothing stored or removed)\n" +
		"  verifies                     1\n" +
		"  duplicate                    1\n" +
		"  conflict                     1\n" +
		"  failing malformed_signature  1\n"
	expectCLI(t, exitFailed, want, "reverify", "-source", "orders", "-bucket", testBucket, "-parameter", ordersParam, "-bus", "webhooks-bus", "-dry-run")
	assertContents(t, f, before)
	if w := f.writesSince(mark); len(w) != 0 {
		t.Errorf("dry run wrote %q", w)
	}
	if n := len(eb.Calls()); n != 0 {
		t.Errorf("dry run made %d PutEvents calls", n)
	}
}

// TestReverifyInterrupted checks that a run that stored a record but could
// not remove it from the quarantine, as a run killed between the two would,
// is completed by the next: the record ends duplicate, handed off again as
// the handler hands off a duplicate, and removed.
func TestReverifyInterrupted(t *testing.T) {
	f := newFakeS3(t)
	seed(t, f, contract.ReasonNoMatchingSecret, ord1, ord2)
	_, eb := fixedPeers(t, f)
	seeded := f.contents(t)
	fixed := fixedObjects(t, ord1, ord2)
	f.mu.Lock()
	f.deny = func(r *http.Request) bool {
		return r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/webhooks/_quarantine/orders/m-01/")
	}
	f.mu.Unlock()

	args := []string{"reverify", "-source", "orders", "-bucket", testBucket, "-parameter", ordersParam, "-bus", "webhooks-bus"}
	code, stdout, _ := runCLI(t, args...)
	want := "" +
		"_quarantine/orders/m-01/  error  stored at orders/ord-1, but remove _quarantine/orders/m-01/body from the quarantine: operation error S3: DeleteObject, https response error StatusCode: 403, RequestID: 1, HostID: , api error AccessDenied: Access Denied\n" +
		"_quarantine/orders/m-02/  stored  orders/ord-2\n" +
		"\n" +
		"reverify orders as orders: 2 quarantined records read\n" +
		"  stored     1\n" +
		"  duplicate  0\n" +
		"  conflict   0\n" +
		"  error      1\n"
	if code != exitFailed || stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant %d and:\n%s", code, stdout, exitFailed, want)
	}
	wantObjects := without(seeded, ord2)
	wantObjects["orders/ord-1"] = fixed["orders/ord-1"]
	wantObjects["orders/ord-2"] = fixed["orders/ord-2"]
	assertContents(t, f, wantObjects)

	f.mu.Lock()
	f.deny = nil
	f.mu.Unlock()
	code, stdout, _ = runCLI(t, args...)
	want = "" +
		"_quarantine/orders/m-01/  duplicate  orders/ord-1\n" +
		"\n" +
		"reverify orders as orders: 1 quarantined records read\n" +
		"  stored     0\n" +
		"  duplicate  1\n" +
		"  conflict   0\n"
	if code != exitOK || stdout != want {
		t.Errorf("second run: exit %d, stdout:\n%s\nwant %d and:\n%s", code, stdout, exitOK, want)
	}
	assertContents(t, f, without(wantObjects, ord1))
	e1, e2 := event(t, "orders", "orders/create", ord1), event(t, "orders", "commande payée", ord2)
	if got, want := eb.Accepted(), publishedBy(t, []handoff.Event{e1, e2, e1}); !reflect.DeepEqual(got, want) {
		t.Errorf("published:\n%+v\nwant:\n%+v", got, want)
	}
}

// TestReverifyOtherSource re-verifies records as another source than the
// one they were received under: a sender posting to the wrong route, and a
// route the stack no longer has.
func TestReverifyOtherSource(t *testing.T) {
	// Signed with billing's secret, posted to orders' route.
	bil9 := delivery{messageID: "m-09", source: "orders", preset: "generic", id: "bil-9", topic: "invoice/paid", body: `{"invoice":9}`, secret: billingSecret, received: at("10:00:09")}
	atBilling, ghostAtOrders := bil9, ghost8
	atBilling.source, ghostAtOrders.source = "billing", "orders"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		// recovered is the quarantined delivery that ends stored, and
		// stored that delivery as the handler stores it when sent to the
		// right source.
		recovered, stored *delivery
	}{
		{
			name: "same headers",
			args: []string{"-source", "billing", "-origin", "orders", "-parameter", billingParam},
			code: exitOK,
			stdout: "" +
				"_quarantine/orders/m-09/  stored  billing/bil-9\n" +
				"\n" +
				"reverify orders as billing: 1 quarantined records read\n" +
				"  stored     1\n" +
				"  duplicate  0\n" +
				"  conflict   0\n",
			recovered: &bil9,
			stored:    &atBilling,
		},
		{
			name: "other headers",
			args: []string{"-source", "billing", "-origin", "orders", "-parameter", billingParam, "-preset", "github"},
			code: exitFailed,
			stdout: "" +
				"_quarantine/orders/m-09/  refused  received under preset generic, whose headers differ from github's: its attributes cannot be read as github\n" +
				"\n" +
				"reverify orders as billing: 1 quarantined records read\n" +
				"  stored     0\n" +
				"  duplicate  0\n" +
				"  conflict   0\n" +
				"  refused    1\n",
		},
		{
			name: "unknown source without a preset",
			args: []string{"-source", "orders", "-origin", "ghost", "-parameter", ordersParam},
			code: exitFailed,
			stdout: "" +
				"_quarantine/ghost/m-08/  refused  received for unknown source \"ghost\", under no preset: give -preset\n" +
				"\n" +
				"reverify ghost as orders: 1 quarantined records read\n" +
				"  stored     0\n" +
				"  duplicate  0\n" +
				"  conflict   0\n" +
				"  refused    1\n",
		},
		{
			name: "unknown source, preset lacking an attribute",
			args: []string{"-source", "orders", "-origin", "ghost", "-parameter", ordersParam, "-preset", "slack"},
			code: exitFailed,
			stdout: "" +
				"_quarantine/ghost/m-08/  refused  carries no timestamp attribute, which preset slack needs\n" +
				"\n" +
				"reverify ghost as orders: 1 quarantined records read\n" +
				"  stored     0\n" +
				"  duplicate  0\n" +
				"  conflict   0\n" +
				"  refused    1\n",
		},
		{
			name: "unknown source with a preset",
			args: []string{"-source", "orders", "-origin", "ghost", "-parameter", ordersParam, "-preset", "generic"},
			code: exitOK,
			stdout: "" +
				"_quarantine/ghost/m-08/  stored  orders/ord-8\n" +
				"\n" +
				"reverify ghost as orders: 1 quarantined records read\n" +
				"  stored     1\n" +
				"  duplicate  0\n" +
				"  conflict   0\n",
			recovered: &ghost8,
			stored:    &ghostAtOrders,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			seed(t, f, contract.ReasonNoMatchingSecret, bil9)
			seed(t, f, contract.ReasonUnknownSource, ghost8)
			fixedPeers(t, f)
			want := f.contents(t)

			expectCLI(t, tt.code, tt.stdout, append([]string{"reverify", "-bucket", testBucket}, tt.args...)...)
			if tt.recovered != nil {
				want = without(want, *tt.recovered)
				maps.Copy(want, fixedObjects(t, *tt.stored))
			}
			assertContents(t, f, want)
		})
	}
}

// TestReverifyOtherPreset re-verifies the records of a source configured
// with the wrong preset with the right one.
func TestReverifyOtherPreset(t *testing.T) {
	acme1 := delivery{messageID: "m-10", source: "acme", preset: "generic", id: "acme-1", topic: "thing/done", body: `{"thing":1}`, secret: acmeSecret, received: at("10:00:10")}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stored bool
	}{
		{
			name: "as received",
			args: nil,
			code: exitFailed,
			stdout: "" +
				"_quarantine/acme/m-10/  failing malformed_signature  malformed signature: wrong length for hmac-sha512\n" +
				"\n" +
				"reverify acme as acme: 1 quarantined records read\n" +
				"  stored                       0\n" +
				"  duplicate                    0\n" +
				"  conflict                     0\n" +
				"  failing malformed_signature  1\n",
		},
		{
			// The custom headers are generic's, spelled otherwise.
			name: "preset with the same headers",
			args: []string{"-preset", "generic"},
			code: exitOK,
			stdout: "" +
				"_quarantine/acme/m-10/  stored  acme/acme-1\n" +
				"\n" +
				"reverify acme as acme: 1 quarantined records read\n" +
				"  stored     1\n" +
				"  duplicate  0\n" +
				"  conflict   0\n",
			stored: true,
		},
		{
			name: "preset with other headers",
			args: []string{"-preset", "shopify"},
			code: exitFailed,
			stdout: "" +
				"_quarantine/acme/m-10/  refused  received under preset custom, whose headers differ from shopify's: its attributes cannot be read as shopify\n" +
				"\n" +
				"reverify acme as acme: 1 quarantined records read\n" +
				"  stored     0\n" +
				"  duplicate  0\n" +
				"  conflict   0\n" +
				"  refused    1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			seed(t, f, contract.ReasonMalformedSignature, acme1)
			fixedPeers(t, f)
			want := f.contents(t)

			expectCLI(t, tt.code, tt.stdout, append([]string{"reverify", "-source", "acme", "-bucket", testBucket, "-parameter", acmeParam}, tt.args...)...)
			if tt.stored {
				want = without(want, acme1)
				want["acme/acme-1"] = object{
					body:        `{"thing":1}`,
					contentType: "application/json",
					meta: map[string]string{
						contract.MetaSource:     "acme",
						contract.MetaWebhookID:  "acme-1",
						contract.MetaTopic:      "thing/done",
						contract.MetaMessageID:  "m-10",
						contract.MetaReceivedAt: "2026-11-28T10:00:10.000Z",
						contract.MetaBodySHA256: sha256Hex(`{"thing":1}`),
					},
				}
			}
			assertContents(t, f, want)
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestReverifyUnreadableRecord checks that a record reverify cannot read
// is reported and left alone.
func TestReverifyUnreadableRecord(t *testing.T) {
	f := newFakeS3(t)
	f.put(t, "_quarantine/orders/m-99/"+contract.QuarantineRecordFile, "{", nil, at("10:00:00"))
	f.put(t, "_quarantine/orders/m-99/"+contract.QuarantineBody, "body", nil, at("10:00:00"))
	fixedPeers(t, f)
	want := f.contents(t)

	wantOut := "" +
		"_quarantine/orders/m-99/  error  quarantine record: unexpected end of JSON input\n" +
		"\n" +
		"reverify orders as orders: 1 quarantined records read\n" +
		"  stored     0\n" +
		"  duplicate  0\n" +
		"  conflict   0\n" +
		"  error      1\n"
	expectCLI(t, exitFailed, wantOut, "reverify", "-source", "orders", "-bucket", testBucket, "-parameter", ordersParam)
	assertContents(t, f, want)
}

func TestReverifyStack(t *testing.T) {
	f := newFakeS3(t)
	seed(t, f, contract.ReasonNoMatchingSecret, ord1)
	ssm, eb := fixedPeers(t, f)
	fakePulumi(t, `{
  "bucketName": "webhooks",
  "eventBusName": "webhooks-dev-bus",
  "functionName": "webhook-ingest-dev-processor",
  "secretParameters": {"orders": "`+ordersParam+`", "std": "`+stdParam+`"},
  "webhookUrls": {"orders": "https://example.execute-api.eu-west-1.amazonaws.com/webhooks/orders"}
}`)

	code, stdout, stderr := runCLI(t, "reverify", "-source", "orders", "-stack", "dev")
	want := "" +
		"_quarantine/orders/m-01/  stored  orders/ord-1\n" +
		"\n" +
		"reverify orders as orders: 1 quarantined records read\n" +
		"  stored     1\n" +
		"  duplicate  0\n" +
		"  conflict   0\n"
	if code != exitOK || stderr != "" || stdout != want {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s\nwant %d, nothing, and:\n%s", code, stderr, stdout, exitOK, want)
	}
	if calls, want := ssm.Calls(), []ssmtest.Call{{Names: []string{ordersParam}, WithDecryption: true}}; !reflect.DeepEqual(calls, want) {
		t.Errorf("SSM calls %+v, want %+v", calls, want)
	}
	got := eb.Accepted()
	if len(got) != 1 || got[0].EventBusName != "webhooks-dev-bus" || !strings.Contains(got[0].Detail, `"key":"orders/ord-1"`) {
		t.Errorf("published %+v, want the event of orders/ord-1 on the stack's bus", got)
	}

	for _, tt := range []struct {
		name, stack, source string
		path                string // PATH, when not the fake's
		code                int
		stderr              string
	}{
		{
			name: "other stack", stack: "prod", source: "orders", code: exitFailed,
			stderr: "reverify: pulumi stack output --stack prod: exit status 255: error: fake pulumi: unexpected arguments: stack output --json --stack prod\n",
		},
		{
			name: "source not in the stack", stack: "dev", source: "billing", code: exitUsage,
			stderr: `reverify: stack dev has no source "billing" (its sources: orders, std); give -parameter` + "\n",
		},
		{
			name: "no pulumi", stack: "dev", source: "orders", path: t.TempDir(), code: exitFailed,
			stderr: `reverify: -stack needs the Pulumi CLI on PATH (or give -bucket and -parameter): exec: "pulumi": executable file not found in $PATH` + "\n",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path != "" {
				t.Setenv("PATH", tt.path)
			}
			code, stdout, stderr := runCLI(t, "reverify", "-source", tt.source, "-stack", tt.stack)
			if code != tt.code || stdout != "" || stderr != tt.stderr {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, nothing, %q", code, stdout, stderr, tt.code, tt.stderr)
			}
		})
	}
}

func TestReverifyFailures(t *testing.T) {
	f := newFakeS3(t)
	seed(t, f, contract.ReasonNoMatchingSecret, ord1)
	fixedPeers(t, f)
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{
			name:   "no such parameter",
			args:   []string{"-bucket", testBucket, "-parameter", "/webhook-ingest/dev/nope"},
			stderr: "reverify: secret parameter /webhook-ingest/dev/nope not found, or not readable with these credentials\n",
		},
		{
			name:   "no such bucket",
			args:   []string{"-bucket", "nope", "-parameter", ordersParam},
			stderr: "reverify: list s3://nope/_quarantine/orders/: ",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"reverify", "-source", "orders"}, tt.args...)...)
			if code != exitFailed || !strings.HasPrefix(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, stderr starting %q", code, stdout, stderr, exitFailed, tt.stderr)
			}
		})
	}
}

func TestReverifyUsage(t *testing.T) {
	base := []string{"reverify", "-bucket", "b", "-parameter", "p"}
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"reverify", "-bucket", "b", "-parameter", "p"}, "reverify: -source is required\n"},
		{append(slices.Clone(base), "-source", "Orders!"), `reverify: -source: source name "Orders!" must be 1-40 lower-case letters, digits and inner hyphens` + "\n"},
		{append(slices.Clone(base), "-source", "orders", "-preset", "custom"), "reverify: -preset custom needs its custom block: fix the source in the stack and re-verify with the preset each record was received under\n"},
		{append(slices.Clone(base), "-source", "orders", "-preset", "gitlab"), fmt.Sprintf("reverify: -preset %q is not a built-in preset (want one of %v)\n", "gitlab", contract.PresetNames())},
		{append(slices.Clone(base), "-source", "orders", "-reason", "stale"), fmt.Sprintf("reverify: -reason %q is not a reason code (want conflict or one of %v)\n", "stale", contract.RejectReasons)},
		{append(slices.Clone(base), "-source", "orders", "-from", "2026-11-28T12:00:00Z", "-to", "2026-11-28T11:00:00Z"), "reverify: -from 2026-11-28T12:00:00Z is not before -to 2026-11-28T11:00:00Z\n"},
		{[]string{"reverify", "-source", "orders", "-bucket", "b"}, "reverify: -bucket and -parameter are required (or -stack, whose outputs name them)\n"},
		{[]string{"reverify", "-source", "orders", "-parameter", "p"}, "reverify: -bucket and -parameter are required (or -stack, whose outputs name them)\n"},
		{append(slices.Clone(base), "-source", "orders", "now"), `reverify: unexpected argument "now"` + "\n"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, tt.args...)
		if code != exitUsage || stdout != "" || stderr != tt.stderr {
			t.Errorf("run %q = %d\nstdout %q\nstderr %q\nwant %d, no stdout, stderr %q", tt.args, code, stdout, stderr, exitUsage, tt.stderr)
		}
	}
}

// TestReverifyDryRunObjectsWithoutDigest checks that a dry run tells a
// duplicate from a conflict by the ETag where the stored object carries no
// body digest, as the handler's comparison does for objects stored before
// it wrote one.
func TestReverifyDryRunObjectsWithoutDigest(t *testing.T) {
	for _, tt := range []struct {
		stored string
		want   string
	}{
		{ord1.body, "_quarantine/orders/m-01/  duplicate  orders/ord-1 holds it already; it would be removed from the quarantine\n"},
		{`{"order":1,"total":3}`, "_quarantine/orders/m-01/  conflict  orders/ord-1 holds a different body; the record would stay in the quarantine\n"},
	} {
		f := newFakeS3(t)
		seed(t, f, contract.ReasonNoMatchingSecret, ord1)
		f.put(t, "orders/ord-1", tt.stored, map[string]string{contract.MetaSource: "orders"}, at("09:00:00"))
		fixedPeers(t, f)
		_, stdout, _ := runCLI(t, "reverify", "-source", "orders", "-bucket", testBucket, "-parameter", ordersParam, "-dry-run")
		if got, _, _ := strings.Cut(stdout, "\n"); got+"\n" != tt.want {
			t.Errorf("stored %q: reported %q, want %q", tt.stored, got+"\n", tt.want)
		}
	}
}
