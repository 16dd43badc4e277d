package ingest

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // G501: S3's ETag of a single-part upload is an MD5, compared, not trusted for integrity
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// store writes body under res.key unless an object is already there, which
// it reports as Duplicate for compare to confirm.
func (p *Processor) store(ctx context.Context, res result, body []byte, sum [sha256.Size]byte, meta map[string]string) result {
	err := p.putOnce(ctx, res.key, body, sum, meta)
	switch {
	case err == nil:
		return res.end(Stored, "", "")
	case isPreconditionFailed(err):
		return res.end(Duplicate, "", "")
	case ctx.Err() != nil:
		return res.end(Retry, contract.ReasonDeadline, reasonDeadline)
	default:
		// Everything else is retried, AccessDenied included: it is a
		// configuration fault, and redelivery (or the dead-letter queue)
		// keeps the delivery until someone fixes it.
		return res.end(Retry, contract.ReasonStoreFailed, s3Reason("PutObject", err))
	}
}

// putOnce writes body, whose SHA-256 is sum, at key with If-None-Match: *, so
// that S3 refuses (412) to replace an existing object: a redelivery, or a
// copy racing in the same batch, cannot overwrite it. The SHA-256 goes as
// the object's checksum, which S3 checks against the bytes it receives; over
// HTTPS the SDK signs no payload hash, so without it nothing would.
func (p *Processor) putOnce(ctx context.Context, key string, body []byte, sum [sha256.Size]byte, meta map[string]string) error {
	contentType := "application/octet-stream"
	if json.Valid(body) {
		contentType = "application/json"
	}
	_, err := p.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(p.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
		Metadata:      meta,
		IfNoneMatch:   aws.String("*"),
		// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	return err
}

func isPreconditionFailed(err error) bool {
	return httpStatus(err) == http.StatusPreconditionFailed
}

// httpStatus returns the HTTP status of S3's answer to a failed call, or 0
// when there was none.
func httpStatus(err error) int {
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		return respErr.HTTPStatusCode()
	}
	return 0
}

// compare tells a duplicate from a conflict once res.key is taken.
func (p *Processor) compare(ctx context.Context, res result, body []byte, sum [sha256.Size]byte) result {
	exists, same, err := p.holds(ctx, res.key, body, sum)
	switch {
	case err != nil && ctx.Err() != nil:
		return res.end(Retry, contract.ReasonDeadline, reasonDeadline)
	case err != nil:
		return res.end(Retry, contract.ReasonDuplicateCheckFailed, s3Reason("HeadObject", err))
	case !exists:
		// Taken a moment ago, gone now (expired): the redelivery stores it.
		return res.end(Retry, contract.ReasonDuplicateCheckFailed, "s3 HeadObject: "+res.key+" is gone after its write was refused")
	case same:
		return res
	}
	return res.end(Conflict, contract.ReasonConflict, reasonConflict)
}

// holds reports whether key holds an object, and whether its body is body,
// whose SHA-256 is sum: by the stored object's contract.MetaBodySHA256, or,
// on an object stored without it, by its ETag, the MD5 of a single-part
// upload to a bucket encrypted with S3-managed keys, which is how the
// handler stores them.
func (p *Processor) holds(ctx context.Context, key string, body []byte, sum [sha256.Size]byte) (exists, same bool, err error) {
	out, err := p.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(key)})
	if httpStatus(err) == http.StatusNotFound {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if stored, ok := out.Metadata[contract.MetaBodySHA256]; ok {
		return true, stored == hex.EncodeToString(sum[:]), nil
	}
	md := md5.Sum(body) //nolint:gosec // G401: see the import
	return true, strings.Trim(aws.ToString(out.ETag), `"`) == hex.EncodeToString(md[:]), nil
}

// s3Reason describes a failed S3 call briefly: the operation, and the S3
// error code and HTTP status when S3 answered, else the SDK's error text.
func s3Reason(op string, err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("s3 %s: %s (HTTP %d)", op, apiErr.ErrorCode(), httpStatus(err))
	}
	return "s3 " + op + ": " + err.Error()
}
