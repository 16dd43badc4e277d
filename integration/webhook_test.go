//go:build integration

package integration

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// storeTimeout bounds how long a delivery may take from the API to S3,
// including the event source mapping's first poll after a fresh deploy.
const storeTimeout = 3 * time.Minute

// delivery is one webhook as the generic preset's sender sends it.
type delivery struct {
	id, topic string
	body      []byte
	// signature is the x-hmac value; missing names a header left out.
	signature string
	missing   string
}

// TestDeployedStack deploys a stack and checks, over real HTTPS and against
// the real bucket and queues, the promises the README makes.
func TestDeployedStack(t *testing.T) {
	awsCfg := awsConfig(t)
	d := deploy(t, awsCfg.Region)
	s3c := s3.NewFromConfig(awsCfg)
	sqsc := sqs.NewFromConfig(awsCfg)
	preset, ok := contract.LookupPreset("generic")
	if !ok {
		t.Fatal("contract has no generic preset")
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	good := d.signed("good-"+run, "itest.created", []byte("{\"order\": 1, \"note\": \"é, two  spaces and a final newline\"}\n"))
	twice := d.signed("twice-"+run, "itest.updated", []byte(`{"order":2}`))
	forged := good
	forged.id, forged.body = "forged-"+run, []byte(`{"order":3}`)
	forged.signature = hex.EncodeToString(hmacSHA256([]byte("not-the-secret"), forged.body))
	noID := d.signed("", "itest.created", []byte(`{"order":4}`))
	noID.missing = preset.Headers.ID

	t.Run("signed webhook is stored byte for byte", func(t *testing.T) {
		d.send(t, preset, good, true)
		got := d.waitForObject(t, s3c, good.id)
		if !bytes.Equal(got, good.body) {
			t.Errorf("stored body = %q, want the sent body %q", got, good.body)
		}
	})

	t.Run("same webhook twice is stored once", func(t *testing.T) {
		d.send(t, preset, twice, true)
		got := d.waitForObject(t, s3c, twice.id)
		if !bytes.Equal(got, twice.body) {
			t.Errorf("stored body = %q, want %q", got, twice.body)
		}
		first := d.lastModified(t, s3c, twice.id)
		// S3 times have one-second resolution: a rewrite after this pause
		// would show.
		time.Sleep(2 * time.Second)
		d.send(t, preset, twice, true)
		d.waitForDrained(t, sqsc)
		if again := d.lastModified(t, s3c, twice.id); !again.Equal(first) {
			t.Errorf("the redelivery rewrote the object: last modified %s, then %s", first, again)
		}
	})

	t.Run("bad signature is accepted by the API but never stored", func(t *testing.T) {
		d.send(t, preset, forged, true)
	})

	t.Run("request missing a required header is refused", func(t *testing.T) {
		d.send(t, preset, noID, false)
	})

	// Once the queue holds nothing, waiting or in flight, every message sent
	// above has been handled; only then do absences mean something.
	t.Run("queue drains and the DLQ stays empty", func(t *testing.T) {
		d.waitForDrained(t, sqsc)
		if n := queueDepth(t, sqsc, d.dlqURL); n != 0 {
			t.Errorf("DLQ holds %d messages, want 0", n)
		}
	})

	t.Run("bucket holds exactly the authentic deliveries", func(t *testing.T) {
		keys := d.listKeys(t, s3c)
		want := []string{d.key(t, good.id), d.key(t, twice.id)}
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("objects under %s/ = %q, want %q", d.source, keys, want)
		}
		forgedKey := d.key(t, forged.id)
		if slices.Contains(keys, forgedKey) {
			t.Errorf("the delivery with a bad signature was stored at %s", forgedKey)
		}
	})

	t.Run("preview of the unchanged stack shows no changes", func(t *testing.T) {
		res, err := d.stack.Preview(t.Context(), optpreview.ProgressStreams(os.Stdout))
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		for op, n := range res.ChangeSummary {
			if op != apitype.OpSame && n > 0 {
				t.Errorf("preview plans %d %q operations, want none; summary %v", n, op, res.ChangeSummary)
			}
		}
		if res.ChangeSummary[apitype.OpSame] == 0 {
			t.Errorf("preview reports no unchanged resources: summary %v", res.ChangeSummary)
		}
	})
}

// signed returns a delivery of body signed the generic preset's way, written
// here from its definition (hex HMAC-SHA256 of the body with the raw secret)
// rather than with the contract's own signer, so that a mistake shared by
// the signer and the verifier cannot make the test pass.
func (d *deployment) signed(id, topic string, body []byte) delivery {
	return delivery{id: id, topic: topic, body: body, signature: hex.EncodeToString(hmacSHA256([]byte(d.secret), body))}
}

func hmacSHA256(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// send posts w to the source's webhook URL and checks that the API accepted
// it (a 2xx status) or refused it, as accepted says.
func (d *deployment) send(t *testing.T, p contract.Preset, w delivery, accepted bool) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, d.url, bytes.NewReader(w.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for header, value := range map[string]string{
		p.Headers.Signature: w.signature,
		p.Headers.ID:        w.id,
		p.Headers.Topic:     w.topic,
	} {
		if header != w.missing {
			req.Header.Set(header, value)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", d.url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case accepted && !ok:
		t.Fatalf("POST %s (id %q) = %s %s, want a 2xx status", d.url, w.id, resp.Status, msg)
	case !accepted && ok:
		t.Errorf("POST %s without %s = %s %s, want the request refused", d.url, w.missing, resp.Status, msg)
	}
}

// key returns the object key of a delivery of the test's source.
func (d *deployment) key(t *testing.T, id string) string {
	t.Helper()
	k, err := contract.ObjectKey(d.source, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// waitForObject polls the bucket until the delivery's object exists and
// returns its body.
func (d *deployment) waitForObject(t *testing.T, c *s3.Client, id string) []byte {
	t.Helper()
	key := d.key(t, id)
	var body []byte
	err := eventually(t.Context(), storeTimeout, func(ctx context.Context) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(key)})
		var missing *s3types.NoSuchKey
		if errors.As(err, &missing) {
			return errNotYet
		}
		if err != nil {
			return fmt.Errorf("get s3://%s/%s: %w", d.bucket, key, err)
		}
		defer out.Body.Close()
		body, err = io.ReadAll(out.Body)
		return err
	})
	if err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	return body
}

// lastModified returns the time the delivery's object was written.
func (d *deployment) lastModified(t *testing.T, c *s3.Client, id string) time.Time {
	t.Helper()
	out, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(d.bucket), Key: aws.String(d.key(t, id))})
	if err != nil {
		t.Fatalf("head s3://%s/%s: %v", d.bucket, d.key(t, id), err)
	}
	return aws.ToTime(out.LastModified)
}

// listKeys returns the sorted keys under the source's prefix.
func (d *deployment) listKeys(t *testing.T, c *s3.Client) []string {
	t.Helper()
	var keys []string
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{
		Bucket: aws.String(d.bucket),
		Prefix: aws.String(d.source + "/"),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list s3://%s/%s/: %v", d.bucket, d.source, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	slices.Sort(keys)
	return keys
}

// waitForDrained waits until the queue has neither waiting nor in-flight
// messages, three readings in a row since the counts are approximate.
func (d *deployment) waitForDrained(t *testing.T, c *sqs.Client) {
	t.Helper()
	calm := 0
	err := eventually(t.Context(), storeTimeout, func(ctx context.Context) error {
		if queueDepth(t, c, d.queueURL) > 0 {
			calm = 0
			return errNotYet
		}
		if calm++; calm < 3 {
			return errNotYet
		}
		return nil
	})
	if err != nil {
		t.Fatalf("queue %s does not drain: %v", d.queueURL, err)
	}
}

// queueDepth returns the approximate number of messages in the queue:
// waiting, in flight and delayed.
func queueDepth(t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	names := []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	}
	out, err := c.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		t.Fatalf("get attributes of %s: %v", url, err)
	}
	total := 0
	for _, name := range names {
		n, err := strconv.Atoi(out.Attributes[string(name)])
		if err != nil {
			t.Fatalf("queue %s attribute %s = %q: %v", url, name, out.Attributes[string(name)], err)
		}
		total += n
	}
	return total
}
