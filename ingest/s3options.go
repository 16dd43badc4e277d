package ingest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Options configures the handler's S3 client; pass it to s3.NewFromConfig
// (or s3.New) when the client is built at cold start.
//
// It sets the quick retry policy of newRetryer (AWS_MAX_ATTEMPTS still
// overrides the attempt count) and sends request checksums only when an
// operation requires one, which PutObject does not (this overrides
// AWS_REQUEST_CHECKSUM_CALCULATION). Integrity does not suffer: without a
// checksum the SDK signs the body's SHA-256, which S3 verifies. What it
// avoids is config.LoadDefaultConfig's default, which over HTTPS sends the
// body aws-chunked with a trailing checksum: S3-compatible test stores do not
// all decode it, and gofakes3 v1.2.0 over TLS stores the chunk framing as the
// object's bytes.
func S3Options(o *s3.Options) {
	o.Retryer = newRetryer()
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}
