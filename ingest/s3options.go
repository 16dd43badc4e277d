package ingest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Options configures the handler's S3 client; pass it to s3.NewFromConfig.
// It sets the quick retry policy of newRetryer, and request checksums only
// when required, so that PutObject sends the plain body signed with its
// SHA-256 rather than aws-chunked, which not every S3-compatible store reads.
func S3Options(o *s3.Options) {
	o.Retryer = newRetryer()
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}
