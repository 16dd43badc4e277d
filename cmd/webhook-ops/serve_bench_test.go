package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkServe measures deliveries per second through serve on this
// machine: signed generic webhooks from 16 concurrent senders over loopback
// HTTP, each acknowledged once on disk, then verified and stored as a file
// by the handler's processing. acks/s is the edge alone; deliveries/s runs
// from the first request to the last object stored.
func BenchmarkServe(b *testing.B) {
	projectDir(b, "dev", "  webhook-ingest:sources: [{name: orders, preset: generic}]\n")
	b.Setenv(secretEnv("orders"), killSecret)
	s := startServe(b, filepath.Join(b.TempDir(), "data"))
	const senders = 16
	run := fmt.Sprint(time.Now().UnixNano())

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			for i := w; i < b.N; i += senders {
				if _, ok := postOrder(s.edge, killSecret, fmt.Sprintf("bench-%s-%d", run, i)); !ok {
					b.Errorf("delivery %d not acknowledged", i)
					return
				}
			}
		})
	}
	wg.Wait()
	acked := time.Since(start)
	waitFor(b, time.Minute, "every delivery stored", func() bool { return strings.Count(s.out.String(), " stored  orders/bench-"+run) >= b.N })
	stored := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/acked.Seconds(), "acks/s")
	b.ReportMetric(float64(b.N)/stored.Seconds(), "deliveries/s")
}
