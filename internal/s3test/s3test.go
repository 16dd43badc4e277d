// Package s3test runs an in-memory S3 (gofakes3) on a loopback httptest
// server, so that tests exercise the SDK's real requests, conditional writes
// and error decoding rather than an interface invented for mocking.
package s3test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Bucket is the name of the bucket every Server starts with.
const Bucket = "webhooks"

// Region is the region clients of a Server sign for.
const Region = "us-east-1"

// Server is an S3 endpoint over plain HTTP on 127.0.0.1 holding the empty
// bucket Bucket. Point the SDK at URL (AWS_ENDPOINT_URL_S3 or
// s3.Options.BaseEndpoint); any credentials are accepted.
type Server struct {
	URL    string
	Bucket string
}

// Start starts a Server, closed when the test ends. When wrap is not nil it
// wraps gofakes3's handler, for instance to inject S3 error responses or
// latency in front of the real store.
func Start(t testing.TB, wrap func(http.Handler) http.Handler) *Server {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatalf("create bucket %q: %v", Bucket, err)
	}
	h := gofakes3.New(backend).Server()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Bucket: Bucket}
}

// Client returns an S3 client for s with static test credentials and
// path-style addressing; optFns are applied last, as s3.New does.
func (s *Server) Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, optFns...)
}
