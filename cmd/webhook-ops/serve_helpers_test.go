package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/internal/locals3"
)

// projectDir makes a project directory holding the repository's Pulumi.yaml
// and Pulumi.<stack>.yaml with the given config block, and makes it the
// working directory of the test.
func projectDir(t testing.TB, stack, config string) string {
	t.Helper()
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"Pulumi.yaml":               string(project),
		"Pulumi." + stack + ".yaml": "config:\n" + config,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

// syncBuffer is an output buffer written and read concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// served is a webhook-ops serve running in the test's process.
type served struct {
	edge, s3, bucket, data string
	out                    *syncBuffer
	cancel                 context.CancelFunc
	code                   chan int
	stopped                bool
}

var (
	routePattern = regexp.MustCompile(`(?m)^POST (http://127\.0\.0\.1:\d+)/webhooks/`)
	s3Pattern    = regexp.MustCompile(`(?m)^S3 endpoint (http://127\.0\.0\.1:\d+) bucket (\S+) `)
)

// startServe runs serve on free loopback ports with the data directory
// data, until the test ends or stop.
func startServe(t testing.TB, data string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{data: data, out: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	args = append([]string{"serve", "-addr", "127.0.0.1:0", "-data", data}, args...)
	go func() { s.code <- run(ctx, args, strings.NewReader(""), s.out, s.out) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.out.String(), "Ctrl-C stops") {
		select {
		case code := <-s.code:
			cancel()
			t.Fatalf("serve exited with %d:\n%s", code, s.out)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", s.out)
		}
	}
	out := s.out.String()
	s.edge = routePattern.FindStringSubmatch(out)[1]
	m := s3Pattern.FindStringSubmatch(out)
	s.s3, s.bucket = m[1], m[2]
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop ends serve as Ctrl-C does and returns its exit status.
func (s *served) stop(t testing.TB) int {
	t.Helper()
	if s.stopped {
		return exitOK
	}
	s.stopped = true
	s.cancel()
	select {
	case code := <-s.code:
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop:\n%s", s.out)
		return exitFailed
	}
}

// object returns the body stored at key, and whether there is one.
func (s *served) object(key string) ([]byte, bool) {
	b, err := os.ReadFile(locals3.ObjectPath(filepath.Join(s.data, s3Dir), s.bucket, key))
	return b, err == nil
}

// quarantined returns the quarantine directories of source.
func (s *served) quarantined(source string) []string {
	dirs, _ := filepath.Glob(locals3.ObjectPath(filepath.Join(s.data, s3Dir), s.bucket, "_quarantine/"+source+"/*/record.json"))
	return dirs
}
