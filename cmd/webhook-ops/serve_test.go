package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/localbus"
)

// allPresets is a stack with one source of every preset, custom included,
// and the event hand-off.
const allPresets = `  webhook-ingest:eventBus: true
  webhook-ingest:sources:
    - {name: orders, preset: generic}
    - {name: shop, preset: shopify}
    - {name: gh, preset: github}
    - {name: billing, preset: stripe}
    - {name: std, preset: standard-webhooks}
    - {name: svix, preset: svix}
    - {name: slack, preset: slack}
    - {name: recharge, preset: recharge}
    - name: acme
      preset: custom
      custom: {signatureHeader: X-Acme-Signature, idHeader: X-Acme-Delivery, timestampHeader: X-Acme-Time,
               algorithm: hmac-sha512, encoding: base64, prefix: "sha512=", signedContent: "{timestamp}.{id}.{body}"}
`

// presetSecrets are the secrets of allPresets' sources.
var presetSecrets = map[string]string{
	"orders":   "orders-new-secret\norders-old-secret",
	"shop":     "shpss_0123456789abcdef",
	"gh":       "github-secret-6b7c",
	"billing":  "whsec_stripe_kept_verbatim_55d1",
	"std":      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	"svix":     "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
	"slack":    "8f742231b10e8888abcd99yyyzzz85a5",
	"recharge": "recharge-client-secret-31",
	"acme":     "acme-secret-0e0e",
}

func setSecrets(t testing.TB) {
	t.Helper()
	for source, secret := range presetSecrets {
		t.Setenv(secretEnv(source), secret)
	}
}

// sent is one webhook a test sent and where it must end.
type sent struct {
	source, key string
	body        []byte
}

var keyPattern = regexp.MustCompile(`  key (\S+)`)

// sendCLI posts body to source's route with webhook-ops send and returns
// the key it reports.
func sendCLI(t testing.TB, s *served, source, id string, body []byte, extra ...string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"send", "-source", source, "-url", s.edge + "/webhooks/" + source, "-id", id, "-body", file}, extra...)
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK || !strings.HasPrefix(stdout, "HTTP 200 OK") {
		t.Fatalf("send %v = %d\n%s%s", args, code, stdout, stderr)
	}
	return keyPattern.FindStringSubmatch(stdout)[1]
}

// postSigned posts body with header to source's route, as a sender's own
// library signed it.
func postSigned(t testing.TB, s *served, source string, header http.Header, body []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.edge+"/webhooks/"+source, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d", source, resp.StatusCode)
	}
}

// libraryDeliveries sends one webhook to each source whose sender's own
// library the project tests against: stripe-go, svix and
// standard-webhooks.
func libraryDeliveries(t *testing.T, s *served) []sent {
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	var out []sent

	stripeBody := []byte(`{"id":"evt_1NqLocal","object":"event","type":"invoice.paid"}`)
	signed := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: stripeBody, Secret: presetSecrets["billing"], Timestamp: now})
	postSigned(t, s, "billing", http.Header{"Stripe-Signature": {signed.Header}}, stripeBody)
	out = append(out, sent{"billing", "billing/evt_1NqLocal", stripeBody})

	stdBody := []byte(`{"type":"invoice.paid","n":1}`)
	std, err := standardwebhooks.NewWebhook(presetSecrets["std"])
	if err != nil {
		t.Fatal(err)
	}
	sig, err := std.Sign("msg_std_1", now, stdBody)
	if err != nil {
		t.Fatal(err)
	}
	postSigned(t, s, "std", http.Header{"Webhook-Id": {"msg_std_1"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}, stdBody)
	out = append(out, sent{"std", "std/msg_std_1", stdBody})

	svixBody := []byte(`{"type":"invoice.paid","n":2}`)
	sv, err := svix.NewWebhook(presetSecrets["svix"])
	if err != nil {
		t.Fatal(err)
	}
	if sig, err = sv.Sign("msg_svix_1", now, svixBody); err != nil {
		t.Fatal(err)
	}
	postSigned(t, s, "svix", http.Header{"Svix-Id": {"msg_svix_1"}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}}, svixBody)
	return append(out, sent{"svix", "svix/msg_svix_1", svixBody})
}

// TestServeEveryPreset runs the local pipeline end to end over HTTP on
// loopback: a webhook of every preset is stored byte for byte under the key
// the handler derives, its hand-off event written; a redelivery is a
// duplicate; a wrong secret is quarantined, not stored; a request without a
// mapped header is refused at the edge; Ctrl-C stops cleanly.
func TestServeEveryPreset(t *testing.T) {
	projectDir(t, "dev", allPresets)
	setSecrets(t)
	s := startServe(t, filepath.Join(t.TempDir(), "data"))

	deliveries := libraryDeliveries(t, s)
	for i, source := range []string{"orders", "shop", "gh", "slack", "recharge", "acme"} {
		body := fmt.Appendf(nil, "{\"n\":%d,\"note\":\"ü <b>&</b>\\n\"}\r\n", i)
		deliveries = append(deliveries, sent{source, sendCLI(t, s, source, fmt.Sprintf("id-%d", i), body), body})
	}
	if len(deliveries) != len(contract.PresetNames()) {
		t.Fatalf("%d deliveries for %d presets", len(deliveries), len(contract.PresetNames()))
	}
	for _, d := range deliveries {
		// The record's line follows its store.
		waitFor(t, 10*time.Second, "stored "+d.key, func() bool { return strings.Contains(s.out.String(), " stored  "+d.key) })
		if got, _ := s.object(d.key); !bytes.Equal(got, d.body) {
			t.Errorf("%s holds %q, want %q", d.key, got, d.body)
		}
	}
	if d := deliveries[0]; d.key != "billing/evt_1NqLocal" || deliveries[1].key != "std/msg_std_1" || deliveries[3].key != "orders/id-0" {
		t.Errorf("keys %v", deliveries)
	}

	// The same webhook again: a duplicate, still one object.
	orders := deliveries[3]
	sendCLI(t, s, "orders", "id-0", orders.body)
	waitFor(t, 10*time.Second, "duplicate line", func() bool { return strings.Contains(s.out.String(), " duplicate  orders/id-0") })

	// A wrong secret: quarantined, nothing at its key.
	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, []byte("not-the-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := sendCLI(t, s, "orders", "id-forged", []byte(`{"forged":true}`), "-secret-file", wrong)
	waitFor(t, 10*time.Second, "quarantine", func() bool { return len(s.quarantined("orders")) == 1 })
	if _, ok := s.object(key); ok {
		t.Errorf("the wrongly signed webhook is stored at %s", key)
	}
	var rec contract.QuarantineRecord
	if b, err := os.ReadFile(s.quarantined("orders")[0]); err != nil || json.Unmarshal(b, &rec) != nil || rec.ReasonCode != contract.ReasonNoMatchingSecret {
		t.Errorf("quarantine record %+v (%v)", rec, err)
	}

	// A missing mapped header: refused at the edge, nothing queued.
	resp, err := http.Post(s.edge+"/webhooks/orders", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no headers: HTTP %d, want 400", resp.StatusCode)
	}

	// One hand-off event per stored or duplicate webhook.
	b, err := os.ReadFile(filepath.Join(s.data, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	for line := range strings.Lines(string(b)) {
		var ev localbus.Event
		var detail struct{ Key string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil || json.Unmarshal(ev.Detail, &detail) != nil {
			t.Fatalf("event line %q: %v", line, err)
		}
		keys[detail.Key]++
	}
	for _, d := range deliveries {
		want := 1
		if d.key == orders.key {
			want = 2
		}
		if keys[d.key] != want {
			t.Errorf("%d events of %s, want %d", keys[d.key], d.key, want)
		}
	}

	if code := s.stop(t); code != exitOK || !strings.Contains(s.out.String(), "stopped: 0 waiting in the queue, 0 dead-lettered") {
		t.Errorf("stop = %d\n%s", code, s.out)
	}
}
