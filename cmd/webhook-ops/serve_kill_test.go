package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/locals3"
)

// buildOps builds webhook-ops into a temporary directory.
func buildOps(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webhook-ops")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a webhook-ops serve running as a process of its own.
type process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	edge string
}

func startProcess(t *testing.T, bin, data string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-data", data), out: &syncBuffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	waitFor(t, 30*time.Second, "serve to start", func() bool { return strings.Contains(p.out.String(), "Ctrl-C stops") })
	p.edge = routePattern.FindStringSubmatch(p.out.String())[1]
	return p
}

// kill ends the process with SIGKILL: no drain, no clean close.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// postOrder signs an orders webhook with id as the generic sender does and
// posts it; it reports whether the edge acknowledged it.
func postOrder(url, secret, id string) (body []byte, acknowledged bool) {
	p, _ := contract.LookupPreset("generic")
	body = fmt.Appendf(nil, `{"order":%q}`, id)
	w, err := signWebhook(p, secret, id, "orders/paid", body, time.Now())
	if err != nil {
		return body, false
	}
	status, _, err := post(context.Background(), url+"/webhooks/orders", w)
	return body, err == nil && status == 200
}

const killSecret = "kill-test-secret"

// TestServeSurvivesKill kills serve with SIGKILL between acknowledging
// webhooks and processing them, and under load, and restarts it: every
// webhook the edge acknowledged is stored exactly once, byte for byte, and
// nothing is quarantined or in conflict.
func TestServeSurvivesKill(t *testing.T) {
	bin := buildOps(t)
	dir := projectDir(t, "dev", `  webhook-ingest:batchSize: 20
  webhook-ingest:batchingWindowSeconds: 300
  webhook-ingest:sources: [{name: orders, preset: generic}]
`)
	t.Setenv(secretEnv("orders"), killSecret)
	data := filepath.Join(t.TempDir(), "data")
	stored := func(id string) ([]byte, bool) {
		b, err := os.ReadFile(locals3.ObjectPath(filepath.Join(data, s3Dir), "webhook-ingest-dev", "orders/"+id))
		return b, err == nil
	}
	acked := map[string][]byte{}
	// ack posts n orders, <prefix>-00 on, to edge; each must be acknowledged.
	ack := func(edge, prefix string, n int) {
		t.Helper()
		for i := range n {
			id := fmt.Sprintf("%s-%02d", prefix, i)
			body, ok := postOrder(edge, killSecret, id)
			if !ok {
				t.Fatalf("%s not acknowledged", id)
			}
			acked[id] = body
		}
	}

	// 15 webhooks acknowledged; the batch of 20 waits for its window to
	// fill, so none is processed when the process dies.
	p := startProcess(t, bin, data)
	ack(p.edge, "held", 15)
	p.kill(t)
	for id := range acked {
		if _, ok := stored(id); ok {
			t.Fatalf("%s was processed before the kill: the test no longer kills between acknowledgement and processing", id)
		}
	}

	// Restart; 5 more fill the batch.
	p = startProcess(t, bin, data)
	if !strings.Contains(p.out.String(), "queue: 15 waiting") {
		t.Errorf("after the restart:\n%s", p.out)
	}
	ack(p.edge, "fill", 5)
	for id := range acked {
		waitFor(t, 20*time.Second, id+" stored", func() bool { _, ok := stored(id); return ok })
	}
	p.kill(t)

	// Under load, without a window: 8 senders, killed mid-stream.
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.dev.yaml"), []byte("config:\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p = startProcess(t, bin, data)
	var (
		mu    sync.Mutex
		count atomic.Int32
		wg    sync.WaitGroup
		stop  = make(chan struct{})
	)
	for s := range 8 {
		wg.Go(func() {
			for i := 0; i < 100; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("load-%d-%03d", s, i)
				if body, ok := postOrder(p.edge, killSecret, id); ok {
					mu.Lock()
					acked[id] = body
					mu.Unlock()
					count.Add(1)
				}
			}
		})
	}
	waitFor(t, 60*time.Second, "100 acknowledged under load", func() bool { return count.Load() >= 100 })
	p.kill(t)
	close(stop)
	wg.Wait()

	p = startProcess(t, bin, data)
	for id, body := range acked {
		waitFor(t, 30*time.Second, id+" stored", func() bool { _, ok := stored(id); return ok })
		if got, _ := stored(id); string(got) != string(body) {
			t.Errorf("%s holds %q, want %q", id, got, body)
		}
	}
	files, _ := filepath.Glob(locals3.ObjectPath(filepath.Join(data, s3Dir), "webhook-ingest-dev", "orders/*"))
	quarantined, _ := filepath.Glob(locals3.ObjectPath(filepath.Join(data, s3Dir), "webhook-ingest-dev", "_quarantine/*"))
	if len(files) < len(acked) || len(quarantined) != 0 || strings.Contains(p.out.String(), " conflict ") {
		t.Errorf("%d objects for %d acknowledged webhooks, %d quarantined:\n%s", len(files), len(acked), len(quarantined), p.out)
	}
	t.Logf("%d webhooks acknowledged across three kills, all stored", len(acked))
}
