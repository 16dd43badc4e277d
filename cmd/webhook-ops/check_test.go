package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestCheckAgainstServe runs check against serve, a real HTTP edge and S3
// endpoint on loopback: every source passes, the wrongly signed webhooks
// are found in the quarantine (or, where the source's quarantine is off,
// not at their keys), and the test webhooks carry the marks.
func TestCheckAgainstServe(t *testing.T) {
	projectDir(t, "dev", allPresets+"    - {name: quiet, preset: generic, quarantine: false}\n")
	setSecrets(t)
	t.Setenv(secretEnv("quiet"), "quiet-secret")
	s := startServe(t, t.TempDir())
	awsEnv(t, map[string]string{"S3": s.s3})

	code, stdout, stderr := runCLI(t, "check", "-api", s.edge, "-bucket", s.bucket, "-timeout", "30s")
	if code != exitOK {
		t.Fatalf("check = %d\n%s%s\nserve:\n%s", code, stdout, stderr, s.out)
	}
	for _, source := range []string{"orders", "shop", "gh", "billing", "std", "svix", "slack", "recharge", "acme"} {
		if !strings.Contains(stdout, source) {
			t.Errorf("no row of %s:\n%s", source, stdout)
		}
	}
	if strings.Contains(stdout, "FAIL") || strings.Count(stdout, "not stored, quarantined in _quarantine/") != 9 ||
		!strings.Contains(stdout, "not stored (dropped: the source's quarantine is off)") {
		t.Errorf("report:\n%s", stdout)
	}
	if !strings.Contains(s.out.String(), " stored  orders/"+checkIDPrefix) {
		t.Errorf("the test webhook's id does not start with %s:\n%s", checkIDPrefix, s.out)
	}
	if got := len(s.quarantined("orders")); got != 1 {
		t.Errorf("%d quarantined orders records, want 1", got)
	}
}

// TestCheckFails: check exits 1 and says why when the edge refuses, and
// when nothing is stored in time.
func TestCheckFails(t *testing.T) {
	projectDir(t, "dev", "  webhook-ingest:sources: [{name: orders, preset: generic}]\n")
	t.Setenv(secretEnv("orders"), "s")
	s := startServe(t, t.TempDir())
	awsEnv(t, map[string]string{"S3": s.s3})

	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"message":"Forbidden"}`, http.StatusForbidden)
	}))
	defer refusing.Close()
	// Accepts and drops everything, so nothing is ever stored.
	black := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer black.Close()
	for _, tc := range []struct {
		api, want string
	}{
		{refusing.URL, "FAIL refused: HTTP 403"},
		{black.URL, "FAIL not stored at orders/check-"},
	} {
		start := time.Now()
		code, stdout, _ := runCLI(t, "check", "-api", tc.api, "-bucket", s.bucket, "-timeout", "1s")
		if code != exitFailed || !strings.Contains(stdout, tc.want) || time.Since(start) > 10*time.Second {
			t.Errorf("check against %s = %d after %s\n%s", tc.api, code, time.Since(start), stdout)
		}
	}
	if code, _, stderr := runCLI(t, "check", "-api", s.edge); code != exitUsage || !strings.Contains(stderr, "-api and -bucket go together") {
		t.Errorf("check -api alone = %d %s", code, stderr)
	}
}

// TestCheckUnknownSource: a -source the stack does not have is a usage
// error found before any test webhook is sent.
func TestCheckUnknownSource(t *testing.T) {
	projectDir(t, "dev", "  webhook-ingest:sources: [{name: orders, preset: generic}]\n")
	t.Setenv(secretEnv("orders"), "s")
	var requests atomic.Int32
	edge := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	defer edge.Close()

	code, _, stderr := runCLI(t, "check", "-api", edge.URL, "-bucket", "b", "-source", "orders", "-source", "nope")
	if code != exitUsage || !strings.Contains(stderr, `stack dev has no source "nope"`) {
		t.Errorf("check -source nope = %d %s", code, stderr)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the stack before the usage error, want 0", n)
	}
}
