package locals3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const bucket = "webhook-ingest-dev"

func start(t *testing.T, dir string) *s3.Client {
	t.Helper()
	h, err := Open(dir, bucket)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("k", "k", ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired})
}

func putOnce(client *s3.Client, key, body string) error {
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(body)),
		Metadata: map[string]string{"body-sha256": "x"}, IfNoneMatch: aws.String("*"),
	})
	return err
}

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestObjects: an object is a file under the bucket's directory; a second
// conditional write is refused with 412, as S3 refuses it; the object and
// its metadata outlive the endpoint; nothing is left half-written.
func TestObjects(t *testing.T) {
	dir := t.TempDir()
	client := start(t, dir)
	if err := putOnce(client, "orders/id-1", "first"); err != nil {
		t.Fatal(err)
	}
	if err := putOnce(client, "orders/id-1", "second"); status(err) != http.StatusPreconditionFailed {
		t.Fatalf("second conditional put: %v, want 412", err)
	}
	if b, err := os.ReadFile(ObjectPath(dir, bucket, "orders/id-1")); err != nil || string(b) != "first" {
		t.Fatalf("file %q, %v", b, err)
	}
	if entries, err := os.ReadDir(filepath.Join(dir, tmpDir)); err != nil || len(entries) != 0 {
		t.Errorf("temporary files left: %v, %v", entries, err)
	}

	again := start(t, dir)
	head, err := again.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("orders/id-1")})
	if err != nil || head.Metadata["body-sha256"] != "x" || aws.ToInt64(head.ContentLength) != 5 {
		t.Fatalf("after a restart: %+v, %v", head, err)
	}
	if err := putOnce(again, "orders/id-1", "third"); status(err) != http.StatusPreconditionFailed {
		t.Errorf("conditional put after a restart: %v, want 412", err)
	}
	list, err := again.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("orders/")})
	if err != nil || len(list.Contents) != 1 {
		t.Errorf("list %+v, %v", list, err)
	}
	if _, err := again.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("orders/id-1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ObjectPath(dir, bucket, "orders/id-1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("deleted object's file: %v", err)
	}
}

// TestRacingPuts: of many conditional writes of one key at once, one wins.
func TestRacingPuts(t *testing.T) {
	client := start(t, t.TempDir())
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     int
		refused int
	)
	for i := range 16 {
		wg.Go(func() {
			err := putOnce(client, "orders/race", fmt.Sprint("body ", i))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case status(err) == http.StatusPreconditionFailed:
				refused++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 || refused != 15 {
		t.Errorf("%d won, %d refused; want 1 and 15", won, refused)
	}
}

func TestOpenCleansUp(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, tmpDir, "put-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, dir)
	if entries, _ := os.ReadDir(filepath.Join(dir, tmpDir)); len(entries) != 0 {
		t.Errorf("a crash's temporary file survived Open: %v", entries)
	}
	if _, err := Open(dir, "Not_A_Bucket"); err == nil {
		t.Error("Open accepted an invalid bucket name")
	}
}
