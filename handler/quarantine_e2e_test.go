package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/ssmtest"
)

var opsBuild builtOnce

// webhookOps builds the operator CLI once per test binary, as an operator
// builds it from the module root.
func webhookOps(tb testing.TB) string {
	tb.Helper()
	return opsBuild.get(tb, "webhook-ingest-ops-", func(dir string) (string, error) {
		path := filepath.Join(dir, "webhook-ops")
		cmd := exec.Command("go", "build", "-o", path, "./cmd/webhook-ops")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build ./cmd/webhook-ops: %w\n%s", err, out)
		}
		return path, nil
	})
}

// ops runs webhook-ops with args against w's S3 and SSM, with the
// function's static credentials and nothing of the machine's AWS
// configuration.
func (w *world) ops(tb testing.TB, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	cmd := exec.Command(webhookOps(tb), args...)
	none := filepath.Join(tb.TempDir(), "none")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tb.TempDir(), "AWS_CONFIG_FILE=" + none, "AWS_SHARED_CREDENTIALS_FILE=" + none}
	for k, v := range w.env {
		if strings.HasPrefix(k, "AWS_") {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	var exit *exec.ExitError
	if err := cmd.Run(); err != nil && !errors.As(err, &exit) {
		tb.Fatalf("run webhook-ops %q: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// rotatedSecrets are the secrets each sender signs with after its secret
// was rotated at the sender but not in the stack.
var rotatedSecrets = map[string]string{
	"generic":             "generic-rotated-secret-77e0",
	"shopify":             "shpss_rotated_fedcba9876543210",
	"github":              "github-rotated-secret-1d2e",
	"stripe":              "whsec_stripe_rotated_0a9b",
	"standard-webhooks":   "whsec_cm90YXRlZC1zdGFuZGFyZC1zZWNyZXQtYjE=",     // base64("rotated-standard-secret-b1")
	"svix":                "whsec_cm90YXRlZC1zdml4LXNlY3JldC1ieXRlcy1jMg==", // base64("rotated-svix-secret-bytes-c2")
	"slack":               "rotated-slack-signing-secret-44",
	"recharge":            "recharge-rotated-client-secret",
	contract.CustomPreset: "acme-rotated-secret-5150",
}

// TestEndToEndQuarantineAndReverify runs the bootstrap with the quarantine
// on while every sender signs with a secret the stack does not have: each
// delivery is quarantined, body and cause. Once each source's SSM parameter
// holds the new secret, webhook-ops reverify stores every one byte for byte
// at its normal key, with the handler's metadata, and empties the
// quarantine; a second reverify changes nothing.
func TestEndToEndQuarantineAndReverify(t *testing.T) {
	w := newWorld(t, 0)
	w.env[contract.EnvQuarantine] = "true"
	e := startEmulator(t, w.env)
	now := time.Now()
	received := time.UnixMilli(now.UnixMilli())

	if got, want := slices.Sorted(maps.Keys(rotatedSecrets)), contract.PresetNames(); !slices.Equal(got, want) {
		t.Fatalf("rotated secrets for presets %v, want one for each of %v", got, want)
	}
	type sent struct {
		preset, source, messageID string
		d                         delivery
		rec                       events.SQSMessage
	}
	var all []sent
	var records []events.SQSMessage
	for _, preset := range contract.PresetNames() {
		s := senders[preset]
		secret := rotatedSecrets[preset]
		d := s.sign(secret, 300, now)
		if preset == "generic" {
			// The generic sender signs with the old secret whatever it is
			// given.
			d.attrs[contract.AttrSignature] = hex.EncodeToString(mac(sha256.New, secret, d.body))
		}
		x := sent{preset: preset, source: s.source.Name, messageID: "q-" + preset, d: d}
		x.rec = record(x.messageID, x.source, d, now)
		all = append(all, x)
		records = append(records, x.rec)
	}

	t.Run("quarantined", func(t *testing.T) {
		_, raw, logs := e.batch(t, records...)
		assertNoFailures(t, raw)
		for _, x := range all {
			l := recordLine(t, logs, x.messageID)
			if l["outcome"] != contract.OutcomeQuarantined || l[contract.DimensionReason] != contract.ReasonNoMatchingSecret {
				t.Errorf("%s: outcome %v %v (%v), want %s %s", x.preset, l["outcome"], l[contract.DimensionReason], l["reason"], contract.OutcomeQuarantined, contract.ReasonNoMatchingSecret)
			}
		}
		var want []string
		for _, x := range all {
			dir := contract.QuarantineDir(x.source, x.messageID)
			want = append(want, dir+contract.QuarantineBody, dir+contract.QuarantineRecordFile)

			if body, ok := w.object(t, dir+contract.QuarantineBody); !ok || !bytes.Equal(body, []byte(x.d.body)) {
				t.Errorf("%s: quarantined body %q (found %v), want %q", x.preset, body, ok, x.d.body)
			}
			raw, _ := w.object(t, dir+contract.QuarantineRecordFile)
			q, err := contract.ParseQuarantineRecord(raw)
			if err != nil {
				t.Errorf("%s: %v", x.preset, err)
				continue
			}
			attrs := map[string]string{contract.AttrSource: x.source}
			maps.Copy(attrs, x.d.attrs)
			config := senders[x.preset].source
			if q.Source != x.source || q.MessageID != x.messageID || !q.ReceivedAt.Equal(received) || q.ReasonCode != contract.ReasonNoMatchingSecret ||
				q.Size != int64(len(x.d.body)) || !maps.Equal(q.Attributes, attrs) || q.Config == nil || !reflect.DeepEqual(*q.Config, config) {
				t.Errorf("%s: %s holds %s, want source %s, message %s, received %s, reason %s, size %d, attributes %v, config %+v",
					x.preset, contract.QuarantineRecordFile, raw, x.source, x.messageID, received.UTC().Format(contract.ReceivedAtLayout), contract.ReasonNoMatchingSecret, len(x.d.body), attrs, config)
			}
		}
		slices.Sort(want)
		if got := w.keys(t); !slices.Equal(got, want) {
			t.Errorf("bucket holds %q, want the quarantine alone: %q", got, want)
		}
	})
	if t.Failed() {
		return
	}

	for _, x := range all {
		w.ssm.Put(ssmtest.Parameter{Name: "/webhook-ingest/e2e/" + x.source, Type: ssmtest.SecureString, Value: rotatedSecrets[x.preset] + "\n"})
	}

	t.Run("reverify", func(t *testing.T) {
		var want []string
		for _, x := range all {
			key := mustKey(t, x.source, x.d.id)
			want = append(want, key)
			code, stdout, stderr := w.ops(t, "reverify", "-source", x.source, "-bucket", w.s3.Bucket, "-parameter", "/webhook-ingest/e2e/"+x.source)
			wantOut := fmt.Sprintf("%s  stored  %s\n\nreverify %s as %s: 1 quarantined records read\n  stored     1\n  duplicate  0\n  conflict   0\n",
				contract.QuarantineDir(x.source, x.messageID), key, x.source, x.source)
			if code != 0 || stderr != "" || stdout != wantOut {
				t.Errorf("%s: exit %d, stderr %q, stdout:\n%s\nwant 0, nothing, and:\n%s", x.preset, code, stderr, stdout, wantOut)
			}
			if body, ok := w.object(t, key); !ok || !bytes.Equal(body, []byte(x.d.body)) {
				t.Errorf("%s: %s = %q (found %v), want %q", x.preset, key, body, ok, x.d.body)
			}
			head, err := w.s3.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(w.s3.Bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(x.d.body))
			for name, v := range map[string]string{
				contract.MetaSource:     x.source,
				contract.MetaMessageID:  x.messageID,
				contract.MetaReceivedAt: received.UTC().Format(contract.ReceivedAtLayout),
				contract.MetaBodySHA256: hex.EncodeToString(sum[:]),
			} {
				if head.Metadata[name] != v {
					t.Errorf("%s: %s metadata %s = %q, want %q", x.preset, key, name, head.Metadata[name], v)
				}
			}
		}
		slices.Sort(want)
		if got := w.keys(t); !slices.Equal(got, want) {
			t.Errorf("bucket holds %q, want the stored deliveries alone: %q", got, want)
		}
	})

	t.Run("again", func(t *testing.T) {
		before := w.keys(t)
		requests := w.requests.Load()
		for _, x := range all {
			code, stdout, stderr := w.ops(t, "reverify", "-source", x.source, "-bucket", w.s3.Bucket, "-parameter", "/webhook-ingest/e2e/"+x.source)
			wantOut := fmt.Sprintf("\nreverify %s as %s: 0 quarantined records read\n  stored     0\n  duplicate  0\n  conflict   0\n", x.source, x.source)
			if code != 0 || stderr != "" || stdout != wantOut {
				t.Errorf("%s: exit %d, stderr %q, stdout:\n%s\nwant 0, nothing, and:\n%s", x.preset, code, stderr, stdout, wantOut)
			}
		}
		// One listing per run, and nothing else.
		if n := w.requests.Load() - requests; n != int64(len(all)) {
			t.Errorf("S3 served %d requests, want %d listings", n, len(all))
		}
		if got := w.keys(t); !slices.Equal(got, before) {
			t.Errorf("bucket holds %q, want %q", got, before)
		}
	})
}
