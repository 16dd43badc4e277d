package main

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// benchBatch returns n generic records of about 1 KiB each with ids unique to
// tag, so that every batch is stored rather than found duplicate. Ids are as
// long as real ones, since they are logged: a 28-character delivery id (a
// Stripe event id's length) and a 36-character SQS message id (a UUID).
func benchBatch(tag string, n int, now time.Time) []events.SQSMessage {
	records := make([]events.SQSMessage, n)
	for j := range records {
		id := fmt.Sprintf("evt_%012s%012d", tag, j)
		msgID := fmt.Sprintf("%08d-0000-4000-8000-%012s", j, tag)
		body := fmt.Sprintf(`{"batch":%q,"record":%d,"pad":"%s"}`, tag, j, strings.Repeat("x", 990))
		records[j] = record(msgID, senders["generic"].source.Name, genericDelivery(id, body), now)
	}
	return records
}

// functionLogBytes counts the bytes the function itself wrote in out,
// leaving out the platform's START, END and REPORT lines.
func functionLogBytes(out string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if !platformLine.MatchString(sc.Text()) {
			n += len(sc.Bytes()) + 1
		}
	}
	return n
}

// BenchmarkEmulatorWarmBatch invokes the real bootstrap under the emulator
// with batches of 10, 100 and 1,000 × 1 KiB records after one cold start,
// against an S3 that adds the given latency to every request. It reports the
// batch latency as seen by the invoker, the bootstrap's CPU time and log
// bytes per batch and per record, and its peak RSS over the whole run (a
// fresh bootstrap per batch size).
func BenchmarkEmulatorWarmBatch(b *testing.B) {
	for _, size := range []int{10, 100, 1000} {
		for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
			b.Run(fmt.Sprintf("batch=%d/s3=+%dms", size, latency.Milliseconds()), func(b *testing.B) {
				warmBatches(b, size, latency)
			})
		}
	}
}

func warmBatches(b *testing.B, size int, latency time.Duration) {
	w := newWorld(b, latency)
	e := startEmulator(b, withGCSettings(w.env))
	e.batch(b, benchBatch("cold", size, time.Now())...)
	pid := e.runtimePID(b)
	before, err := readStat(pid)
	if err != nil {
		b.Fatal(err)
	}
	logMark := e.stdout.Len()

	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		records := benchBatch(fmt.Sprintf("%d", i), size, time.Now())
		b.StartTimer()
		resp, _ := e.batchResponse(b, records...)
		if len(resp.BatchItemFailures) != 0 {
			b.Fatalf("failures: %+v", resp.BatchItemFailures)
		}
	}
	b.StopTimer()
	e.waitForBatchLines(b, logMark, b.N)

	after, err := readStat(pid)
	if err != nil {
		b.Fatal(err)
	}
	rss, err := peakRSS(pid)
	if err != nil {
		b.Fatal(err)
	}
	cpu := float64(time.Duration(after.cpu-before.cpu)*clockTick) / float64(time.Millisecond) / float64(b.N)
	logBytes := float64(functionLogBytes(e.stdout.String()[logMark:])) / float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/batch")
	b.ReportMetric(cpu, "cpu-ms/batch")
	b.ReportMetric(cpu/float64(size), "cpu-ms/record")
	b.ReportMetric(logBytes, "log-B/batch")
	b.ReportMetric(logBytes/float64(size), "log-B/record")
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
}

// withGCSettings returns env with GOGC and GOMEMLIMIT set from
// BENCH_BOOTSTRAP_GOGC and BENCH_BOOTSTRAP_GOMEMLIMIT when those are set, so
// that the bootstrap's GC trade-offs can be measured (docs/handler.md).
func withGCSettings(env map[string]string) map[string]string {
	env = maps.Clone(env)
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if v := os.Getenv("BENCH_BOOTSTRAP_" + k); v != "" {
			env[k] = v
		}
	}
	return env
}

// BenchmarkEmulatorColdStart starts a fresh emulator per iteration and sends
// it one batch of 10 × 1 KiB records (S3 on loopback, no added latency). It
// reports the init phase as the emulator measures it (INIT REPORT: from the
// bootstrap's exec to its first request for work, so SDK configuration and
// the SSM read included), the first invocation's latency as the invoker sees
// it (init plus the batch), and the bootstrap's peak RSS.
func BenchmarkEmulatorColdStart(b *testing.B) {
	var initTotal, firstTotal time.Duration
	var rssMax int64
	for i := range b.N {
		b.StopTimer()
		w := newWorld(b, 0)
		e := startEmulator(b, w.env)
		records := benchBatch(fmt.Sprintf("cold-%d", i), 10, time.Now())
		b.StartTimer()
		start := time.Now()
		resp, _ := e.batchResponse(b, records...)
		firstTotal += time.Since(start)
		b.StopTimer()
		if len(resp.BatchItemFailures) != 0 {
			b.Fatalf("failures: %+v", resp.BatchItemFailures)
		}
		inits := e.initDurations()
		if len(inits) != 1 {
			b.Fatalf("emulator reported %d init phases, want 1", len(inits))
		}
		initTotal += inits[0]
		rss, err := peakRSS(e.runtimePID(b))
		if err != nil {
			b.Fatal(err)
		}
		rssMax = max(rssMax, rss)
		b.StartTimer()
	}
	b.ReportMetric(float64(initTotal.Microseconds())/1000/float64(b.N), "init-ms")
	b.ReportMetric(float64(firstTotal.Microseconds())/1000/float64(b.N), "first-invoke-ms")
	b.ReportMetric(float64(rssMax)/(1<<20), "peak-RSS-MiB")
}
