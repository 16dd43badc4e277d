package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
	"github.com/webhook-ingest/webhook-ingest/internal/s3test"
)

// TestS3OptionsChecksums pins why S3Options asks for request checksums only
// when required: over TLS the SDK's default sends aws-chunked bodies with a
// trailing checksum, which gofakes3 v1.2.0 stores framing and all; over plain
// HTTP the default sends no trailer. With S3Options the bytes are exact on
// both.
func TestS3OptionsChecksums(t *testing.T) {
	// config.LoadDefaultConfig's default, which s3.NewFromConfig passes on;
	// s3.New alone leaves it unset, which sends no checksum.
	whenSupported := func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported }
	body := []byte("{\"a\":1}\x00\xff binary tail")
	cases := []struct {
		name    string
		tls     bool
		options []func(*s3.Options)
		intact  bool
	}{
		{name: "https, S3Options", tls: true, options: []func(*s3.Options){ingest.S3Options}, intact: true},
		{name: "http, S3Options", options: []func(*s3.Options){ingest.S3Options}, intact: true},
		{name: "http, SDK default", options: []func(*s3.Options){whenSupported}, intact: true},
		{name: "https, SDK default: aws-chunked framing stored", tls: true, options: []func(*s3.Options){whenSupported}, intact: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			backend := s3mem.New()
			if err := backend.CreateBucket(s3test.Bucket); err != nil {
				t.Fatal(err)
			}
			var srv *httptest.Server
			if tc.tls {
				srv = httptest.NewTLSServer(gofakes3.New(backend).Server())
			} else {
				srv = httptest.NewServer(gofakes3.New(backend).Server())
			}
			defer srv.Close()
			client := s3.New(s3.Options{
				Region:       s3test.Region,
				BaseEndpoint: aws.String(srv.URL),
				UsePathStyle: true,
				HTTPClient:   srv.Client(),
				Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
			}, tc.options...)
			ctx := context.Background()
			if _, err := client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(s3test.Bucket), Key: aws.String("k"), Body: bytes.NewReader(body),
			}); err != nil {
				t.Fatalf("put: %v", err)
			}
			out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3test.Bucket), Key: aws.String("k")})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			defer out.Body.Close()
			got, err := io.ReadAll(out.Body)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if bytes.Equal(got, body) != tc.intact {
				t.Fatalf("stored %q; want intact %v", got, tc.intact)
			}
		})
	}
}

// TestStoreSendsChecksum stores a record and a quarantined one over TLS, as
// on Lambda, where the SDK signs no payload hash: every PutObject must carry
// the body's SHA-256 as its checksum, for S3 to check, in a header rather
// than an aws-chunked trailer, and the bytes must be stored exact.
func TestStoreSendsChecksum(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket(s3test.Bucket); err != nil {
		t.Fatal(err)
	}
	type put struct{ key, checksum, payload, trailer string }
	var mu sync.Mutex
	var puts []put
	fake := gofakes3.New(backend).Server()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			puts = append(puts, put{r.URL.Path, r.Header.Get("X-Amz-Checksum-Sha256"), r.Header.Get("X-Amz-Content-Sha256"), r.Header.Get("X-Amz-Trailer")})
			mu.Unlock()
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := (&s3test.Server{URL: srv.URL, Bucket: s3test.Bucket}).Client(ingest.S3Options, func(o *s3.Options) { o.HTTPClient = srv.Client() })
	p := &ingest.Processor{S3: client, Bucket: s3test.Bucket, Receivers: testReceivers(t), FunctionName: testFunction,
		Quarantine: true, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}

	body := "{\"a\":1}\x00\xff binary tail"
	bad := genericAttrs("evt-bad", "t", body)
	bad[contract.AttrSignature] = strings.Repeat("00", 32)
	resp, err := p.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		message("m-good", body, time.Now(), genericAttrs("evt-good", "t", body)),
		message("m-bad", body, time.Now(), bad),
	}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle: %v %+v", err, resp.BatchItemFailures)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(puts) != 3 {
		t.Fatalf("%d PUTs, want 3 (the body, and the quarantine's record and body): %+v", len(puts), puts)
	}
	get := func(key string) []byte {
		out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(s3test.Bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		return b
	}
	for _, p := range puts {
		if p.payload != "UNSIGNED-PAYLOAD" || p.trailer != "" {
			t.Errorf("%s: x-amz-content-sha256 %q, x-amz-trailer %q: want an unsigned payload without a trailer over TLS", p.key, p.payload, p.trailer)
		}
		stored := get(strings.TrimPrefix(p.key, "/"+s3test.Bucket+"/"))
		sum := sha256.Sum256(stored)
		if want := base64.StdEncoding.EncodeToString(sum[:]); p.checksum != want {
			t.Errorf("%s: x-amz-checksum-sha256 %q, want %q, the stored bytes' SHA-256", p.key, p.checksum, want)
		}
		if !strings.HasSuffix(p.key, contract.QuarantineRecordFile) && string(stored) != body {
			t.Errorf("%s: stored %q, want the exact body", p.key, stored)
		}
	}
}
