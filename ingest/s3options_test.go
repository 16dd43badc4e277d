package ingest_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

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
