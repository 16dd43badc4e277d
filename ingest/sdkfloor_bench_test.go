package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/ingest"
	"github.com/webhook-ingest/webhook-ingest/internal/s3test"
)

// BenchmarkSDKFloor prices one 1 KiB PutObject as the handler sends it (its
// S3 client, ingest.S3Options, its connection pool, its headers), 100 in
// flight on long-lived goroutines, against the same PUT with the same
// headers sent by net/http alone (a fixed Authorization header instead of a
// signature). The peer is an in-process server that only reads the body and
// answers 200, so both figures include the same server work and their
// difference is the SDK's own cost per request; over this plain-HTTP peer
// the SDK also hashes the body for its signature, about 1 µs it does not
// spend over HTTPS. It reports the process's CPU (user+system) per request.
func BenchmarkSDKFloor(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("ETag", `"0"`)
	}))
	b.Cleanup(srv.Close)
	body := []byte(benchBody(1024))
	sum := sha256.Sum256(body)
	checksum := base64.StdEncoding.EncodeToString(sum[:])
	meta := map[string]string{"source": "orders", "webhook-id": "evt_1NqZ8xLkdF2eZvKYlo2C0uQj", "topic": "orders/create",
		"sqs-message-id": "059f36b4-87a3-44ab-83d2-661975830a7d", "received-at": "2026-11-28T21:25:07.123Z",
		"body-sha256": hex.EncodeToString(sum[:])}

	b.Run("sdk-PutObject", func(b *testing.B) {
		client := (&s3test.Server{URL: srv.URL, Bucket: s3test.Bucket}).Client(ingest.S3Options, withPool)
		runFloor(b, func(i int) error {
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String(s3test.Bucket), Key: aws.String("orders/evt_" + strconv.Itoa(i)),
				Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
				ContentType: aws.String("application/json"), Metadata: meta, IfNoneMatch: aws.String("*"),
				ChecksumSHA256: aws.String(checksum),
			})
			return err
		})
	})
	b.Run("net-http-PUT", func(b *testing.B) {
		client := ingest.HTTPClient(ingest.DefaultConcurrency)
		runFloor(b, func(i int) error {
			req, err := http.NewRequest(http.MethodPut, srv.URL+"/"+s3test.Bucket+"/orders/evt_"+strconv.Itoa(i), bytes.NewReader(body))
			if err != nil {
				return err
			}
			for k, v := range meta {
				req.Header.Set("X-Amz-Meta-"+k, v)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("If-None-Match", "*")
			req.Header.Set("X-Amz-Checksum-Sha256", checksum)
			req.Header.Set("X-Amz-Date", "20261204T120000Z")
			req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/s3/aws4_request, "+
				"SignedHeaders=content-length;content-type;host;if-none-match;x-amz-checksum-sha256;x-amz-content-sha256;x-amz-date, "+
				"Signature=0000000000000000000000000000000000000000000000000000000000000000")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		})
	})
}

// runFloor runs b.N requests, 100 at a time on 100 long-lived goroutines,
// after one warm-up round, and reports the process's CPU per request.
func runFloor(b *testing.B, request func(i int) error) {
	const inFlight = 100
	jobs := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range inFlight {
		go func() {
			for i := range jobs {
				if err := request(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
				wg.Done()
			}
		}()
	}
	b.Cleanup(func() { close(jobs) })
	round := func(from, n int) {
		for i := range n {
			wg.Add(1)
			jobs <- from + i
		}
		wg.Wait()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
	}
	round(-inFlight, inFlight)
	b.ReportAllocs()
	b.ResetTimer()
	before := processCPU(b)
	for i := 0; i < b.N; i += inFlight {
		round(i, min(inFlight, b.N-i))
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-before).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU returns the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
