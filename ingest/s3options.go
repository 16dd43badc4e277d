package ingest

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Options configures the handler's S3 client; pass it to s3.NewFromConfig.
// It sets the quick retry policy of newRetryer, and request checksums only
// when required, so that PutObject sends the plain body rather than
// aws-chunked, which not every S3-compatible store reads.
func S3Options(o *s3.Options) {
	o.Retryer = newRetryer()
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

// HTTPClient returns the HTTP client of the handler's AWS clients. It keeps
// up to conns connections to one host idle, where the SDK's default keeps 10,
// so that the concurrent requests of one batch reuse the last batch's
// connections instead of opening (and, over TLS, handshaking) new ones.
func HTTPClient(conns int) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = conns
		t.MaxIdleConnsPerHost = conns
	})
}
