package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v84/github"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// received is the one request a recorder got.
type received struct {
	header http.Header
	body   []byte
}

func recorder(t *testing.T) (*httptest.Server, *received) {
	t.Helper()
	var got received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

// TestSendSignsAsTheSenders: what send posts verifies with the senders' own
// libraries where the project cross-tests them, and with the handler's
// verifier for every preset; the id, topic and timestamp headers are there.
func TestSendSignsAsTheSenders(t *testing.T) {
	custom := `{"signatureHeader":"X-Acme-Signature","idHeader":"X-Acme-Delivery","timestampHeader":"X-Acme-Time","algorithm":"hmac-sha512","encoding":"base64","prefix":"sha512=","signedContent":"{timestamp}.{id}.{body}"}`
	secrets := map[string]string{
		"generic": "g-secret", "shopify": "shpss_1", "github": "gh-secret", "stripe": "whsec_stripe_1",
		"standard-webhooks": presetSecrets["std"], "svix": presetSecrets["svix"], "slack": "slack-1", "recharge": "rc-1", "custom": "acme-1",
	}
	libraries := map[string]func(r received, secret string) error{
		"github": func(r received, secret string) error {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(r.body))
			req.Header = r.header
			if _, err := github.ValidatePayload(req, []byte(secret)); err != nil {
				return err
			}
			if github.DeliveryID(req) != "id-7" || github.WebHookType(req) != "push" {
				return fmt.Errorf("delivery %q, event %q", github.DeliveryID(req), github.WebHookType(req))
			}
			return nil
		},
		"stripe": func(r received, secret string) error {
			return stripewebhook.ValidatePayload(r.body, r.header.Get("Stripe-Signature"), secret)
		},
		"standard-webhooks": func(r received, secret string) error {
			lib, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				return err
			}
			return lib.Verify(r.body, r.header)
		},
		"svix": func(r received, secret string) error {
			lib, err := svix.NewWebhook(secret)
			if err != nil {
				return err
			}
			return lib.Verify(r.body, r.header)
		},
	}
	for _, name := range contract.PresetNames() {
		t.Run(name, func(t *testing.T) {
			srv, got := recorder(t)
			t.Setenv("SENDER_SECRET", secrets[name]+"\nolder-secret\n")
			args := []string{"send", "-preset", name, "-url", srv.URL + "/webhooks/src", "-secret-env", "SENDER_SECRET", "-id", "id-7", "-topic", "push"}
			block := ""
			if name == contract.CustomPreset {
				block = custom
				args = append(args, "-custom", custom)
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != exitOK {
				t.Fatalf("send = %d %s%s", code, stdout, stderr)
			}
			p, err := namedPreset(name, block)
			if err != nil {
				t.Fatal(err)
			}
			id, _, _ := p.Identify("id-7", "push", got.body)
			if want := "HTTP 200 OK  id " + id + "  key src/"; !strings.HasPrefix(stdout, want) {
				t.Errorf("stdout %q, want it to start %q", stdout, want)
			}
			if lib := libraries[name]; lib != nil {
				if err := lib(*got, secrets[name]); err != nil {
					t.Errorf("the %s library rejects what send signed: %v", name, err)
				}
			}
			v, err := contract.NewVerifier(p.Scheme, secrets[name], p.Tolerance)
			if err != nil {
				t.Fatal(err)
			}
			d := contract.Delivery{Body: got.body, Signature: got.header.Get(p.Headers.Signature), ID: got.header.Get(p.Headers.ID), Timestamp: got.header.Get(p.Headers.Timestamp)}
			if err := v.Verify(d, time.Now()); err != nil {
				t.Errorf("the handler's verifier rejects it: %v", err)
			}
			for _, h := range []string{p.Headers.ID, p.Headers.Topic, p.Headers.Timestamp} {
				if h != "" && got.header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
			}
		})
	}
}

// TestSendSecretAndBody: the secret never comes from the command line, and
// the body and secret come from the files and streams the flags name.
func TestSendSecretAndBody(t *testing.T) {
	srv, got := recorder(t)
	dir := t.TempDir()
	secretFile, bodyFile := filepath.Join(dir, "secret"), filepath.Join(dir, "body")
	if err := os.WriteFile(secretFile, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bodyFile, []byte(`{"from":"file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/webhooks/orders"
	verify := func(secret, body string) {
		t.Helper()
		p, _ := contract.LookupPreset("generic")
		v, _ := contract.NewVerifier(p.Scheme, secret, 0)
		if string(got.body) != body || v.Verify(contract.Delivery{Body: got.body, Signature: got.header.Get("X-Hmac")}, time.Now()) != nil {
			t.Errorf("posted %q signed %q; want %q signed with %q", got.body, got.header.Get("X-Hmac"), body, secret)
		}
	}
	if code, _, stderr := runCLI(t, "send", "-preset", "generic", "-url", url, "-secret-file", secretFile, "-body", bodyFile); code != exitOK {
		t.Fatal(stderr)
	}
	verify("file-secret", `{"from":"file"}`)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"send", "-preset", "generic", "-url", url, "-secret-file", secretFile, "-body", "-"}, strings.NewReader("from stdin"), &out, &errOut); code != exitOK {
		t.Fatal(errOut.String())
	}
	verify("file-secret", "from stdin")
	if code := run(context.Background(), []string{"send", "-preset", "generic", "-url", url, "-secret-stdin", "-body", bodyFile}, strings.NewReader("stdin-secret\n"), &out, &errOut); code != exitOK {
		t.Fatal(errOut.String())
	}
	verify("stdin-secret", `{"from":"file"}`)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-preset", "generic", "-url", url, "-secret", "x"}, "flag provided but not defined: -secret"},
		{[]string{"-preset", "generic", "-url", url}, "never on the command line"},
		{[]string{"-preset", "generic", "-url", url, "-secret-stdin", "-body", "-"}, "both read standard input"},
		{[]string{"-preset", "generic", "-url", url, "-secret-file", secretFile, "-secret-stdin"}, "at most one of"},
		{[]string{"-preset", "generic", "-secret-file", secretFile}, "-url is required"},
		{[]string{"-preset", "gitlab", "-url", url, "-secret-file", secretFile}, `unknown preset "gitlab"`},
		{[]string{"-preset", "custom", "-url", url, "-secret-file", secretFile}, "needs -custom"},
		{[]string{"-url", url, "-secret-file", secretFile}, "give -preset or -source"},
		{[]string{"-preset", "generic", "-url", url, "-secret-env", "WEBHOOK_OPS_TEST_UNSET"}, "WEBHOOK_OPS_TEST_UNSET: the variable is not set"},
	} {
		if code, _, stderr := runCLI(t, append([]string{"send"}, tc.args...)...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("send %v = %d %q, want usage error %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestSendRefused: a refusal exits 1 with the edge's answer.
func TestSendRefused(t *testing.T) {
	projectDir(t, "dev", "  webhook-ingest:sources: [{name: orders, preset: generic}]\n")
	t.Setenv(secretEnv("orders"), "s")
	s := startServe(t, t.TempDir())
	code, stdout, stderr := runCLI(t, "send", "-source", "nope", "-url", s.edge+"/webhooks/nope")
	if code != exitUsage || !strings.Contains(stderr, `stack dev has no source "nope"`) {
		t.Errorf("unknown source: %d %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "send", "-preset", "generic", "-url", s.edge+"/webhooks/billing", "-secret-env", secretEnv("orders"))
	if code != exitFailed || !strings.Contains(stdout, "HTTP 404 Not Found") || !strings.Contains(stderr, `{"message":"Not Found"}`) {
		t.Errorf("no route: %d %s %s", code, stdout, stderr)
	}
}
