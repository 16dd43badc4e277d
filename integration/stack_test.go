//go:build integration

// Package integration deploys a throwaway stack of this project into a real
// AWS account with the Pulumi Automation API, sends real webhooks to it over
// HTTPS, checks what lands in S3 and the DLQ, and destroys it again.
//
// The tests are off unless WEBHOOK_INGEST_INTEGRATION=1 is set and AWS
// credentials are available; they also need the Pulumi CLI on PATH. See
// docs/ci-and-deploy.md.
package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optremove"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/webhook-ingest/webhook-ingest/components"
)

// enableVar is the environment variable that turns the integration tests on.
const enableVar = "WEBHOOK_INGEST_INTEGRATION"

// prerequisites ends every skip and setup failure message.
const prerequisites = "the integration tests run when " + enableVar + "=1 is set and need AWS credentials " +
	"with a region (from any source the AWS SDK reads: environment, profile, SSO, OIDC web identity) " +
	"and the Pulumi CLI on PATH; see docs/ci-and-deploy.md"

// minTimeout is how long a deploy, the checks and a destroy can take.
const minTimeout = 30 * time.Minute

// awsConfig returns the AWS configuration the tests and the deployment use,
// or skips the test unless the integration tests are enabled and AWS
// credentials are present.
func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	if os.Getenv(enableVar) != "1" {
		t.Skipf("integration tests are off: %s", prerequisites)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Skipf("%s=1 but the AWS configuration does not load (%v); %s", enableVar, err, prerequisites)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		t.Skipf("%s=1 but no AWS credentials were found (%v); %s", enableVar, err, prerequisites)
	}
	if cfg.Region == "" {
		t.Skipf("%s=1 but no AWS region is set (AWS_REGION or a profile's region); %s", enableVar, prerequisites)
	}
	// From here on the tests were asked for and can reach AWS: a missing
	// prerequisite is a failure, not a reason to pass quietly.
	if _, err := exec.LookPath("pulumi"); err != nil {
		t.Fatalf("the Pulumi CLI is not on PATH (%v): install it from https://www.pulumi.com/docs/install/ or build it with scripts/install-pulumi; %s", err, prerequisites)
	}
	if deadline, ok := t.Deadline(); ok && time.Until(deadline) < minTimeout {
		t.Fatalf("the test deadline is %s away, too short for a deploy and a destroy: run go test with -timeout 45m", time.Until(deadline).Round(time.Second))
	}
	return cfg
}

// deployment is a stack that is up, with the outputs the tests use.
type deployment struct {
	stack auto.Stack
	// source is the one configured source and secret its signing secret.
	source, secret string
	// url is the source's webhook URL.
	url                      string
	queueURL, dlqURL, bucket string
}

// deploy creates a throwaway stack of the project on a temporary local
// backend, configures one generic source, and runs `up`. The stack is
// destroyed and removed when the test ends, also when it fails.
func deploy(t *testing.T, region string) *deployment {
	t.Helper()
	ctx := t.Context()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	project, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("load the project settings: %v", err)
	}
	// The state, the stack settings and the passphrase must outlive a failed
	// destroy, so that whoever reads the failure can finish the job by hand:
	// they go in a directory that is removed only after a clean destroy.
	keep, err := os.MkdirTemp("", "webhook-ingest-itest-")
	if err != nil {
		t.Fatal(err)
	}
	passphraseFile := filepath.Join(keep, "passphrase")
	if err := os.WriteFile(passphraseFile, []byte(randomHex(t, 16)), 0o600); err != nil {
		t.Fatal(err)
	}
	workDir, stateDir := filepath.Join(keep, "work"), filepath.Join(keep, "state")
	for _, dir := range []string{workDir, stateDir} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	project.Backend = &workspace.ProjectBackend{URL: "file://" + stateDir}
	project.Main = root

	d := &deployment{
		source: "itest",
		secret: randomHex(t, 32),
	}
	stackName := "itest-" + randomHex(t, 4)
	d.stack, err = auto.UpsertStackInlineSource(ctx, stackName, project.Name.String(), components.Program,
		auto.Project(*project),
		auto.WorkDir(workDir),
		auto.SecretsProvider("passphrase"),
		auto.EnvVars(map[string]string{
			"PULUMI_CONFIG_PASSPHRASE_FILE": passphraseFile,
			"PULUMI_SKIP_UPDATE_CHECK":      "true",
		}),
	)
	if err != nil {
		os.RemoveAll(keep) // nothing was deployed
		t.Fatalf("create stack %s: %v", stackName, err)
	}
	// Registered before `up`, so that a half-finished deploy is torn down too.
	t.Cleanup(func() { destroy(t, d.stack, keep) })

	ns := project.Name.String() + ":"
	config := []struct {
		key    string
		value  string
		secret bool
	}{
		{"aws:region", region, false},
		{ns + "sources[0].name", d.source, false},
		{ns + "sources[0].preset", "generic", false},
		{ns + "secrets." + d.source, d.secret, true},
		// A throwaway bucket still holds the test's objects at destroy.
		{ns + "forceDestroy", "true", false},
		{ns + "logRetentionDays", "1", false},
	}
	for _, c := range config {
		// Path syntax for the nested keys, as a user would type them.
		path := strings.ContainsAny(strings.TrimPrefix(c.key, ns), ".[")
		err := d.stack.SetConfigWithOptions(ctx, c.key, auto.ConfigValue{Value: c.value, Secret: c.secret}, &auto.ConfigOptions{Path: path})
		if err != nil {
			t.Fatalf("set config %s: %v", c.key, err)
		}
	}

	t.Logf("deploying stack %s (state and settings in %s)", stackName, keep)
	start := time.Now()
	res, err := d.stack.Up(ctx, optup.ProgressStreams(os.Stdout))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("up took %s", time.Since(start).Round(time.Second))

	d.url = webhookURL(t, res.Outputs, d.source)
	d.queueURL = stringOutput(t, res.Outputs, "queueUrl")
	d.dlqURL = stringOutput(t, res.Outputs, "deadLetterQueueUrl")
	d.bucket = stringOutput(t, res.Outputs, "bucketName")
	return d
}

// destroy tears the stack down and removes it. Only when both worked is the
// kept directory deleted; otherwise the failure says how to finish by hand.
func destroy(t *testing.T, stack auto.Stack, keep string) {
	// The test's context is already cancelled when cleanups run.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	_, err := stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout))
	if err == nil {
		err = stack.Workspace().RemoveStack(ctx, stack.Name(), optremove.Force())
	}
	if err != nil {
		t.Errorf("destroy stack %s: %v\nits resources may still exist; finish with:\n"+
			"  cd %s && PULUMI_CONFIG_PASSPHRASE_FILE=%s pulumi destroy --yes --stack %s",
			stack.Name(), err, filepath.Join(keep, "work"), filepath.Join(keep, "passphrase"), stack.Name())
		return
	}
	t.Logf("destroy took %s", time.Since(start).Round(time.Second))
	if err := os.RemoveAll(keep); err != nil {
		t.Errorf("remove %s: %v", keep, err)
	}
}

// webhookURL returns the URL of source from the stack's map of webhook URLs.
func webhookURL(t *testing.T, outputs auto.OutputMap, source string) string {
	t.Helper()
	const key = "webhookUrls"
	out, ok := outputs[key]
	if !ok {
		t.Fatalf("the stack has no %q output; outputs: %v", key, outputNames(outputs))
	}
	urls, ok := out.Value.(map[string]any)
	if !ok {
		t.Fatalf("output %q is %T, want a map of source to URL", key, out.Value)
	}
	url, ok := urls[source].(string)
	if !ok || !strings.HasPrefix(url, "https://") {
		t.Fatalf("output %q has %v for source %q, want an https URL", key, urls[source], source)
	}
	return url
}

// stringOutput returns the non-empty string output called key.
func stringOutput(t *testing.T, outputs auto.OutputMap, key string) string {
	t.Helper()
	out, ok := outputs[key]
	if !ok {
		t.Fatalf("the stack has no %q output; outputs: %v", key, outputNames(outputs))
	}
	s, ok := out.Value.(string)
	if !ok || s == "" {
		t.Fatalf("output %q is %v (%T), want a non-empty string", key, out.Value, out.Value)
	}
	return s
}

func outputNames(outputs auto.OutputMap) []string {
	names := make([]string, 0, len(outputs))
	for k := range outputs {
		names = append(names, k)
	}
	return names
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// errNotYet tells a poll to try again.
var errNotYet = errors.New("not yet")

// eventually calls f until it returns nil or an error other than errNotYet,
// or until timeout passes; it returns f's last error.
func eventually(ctx context.Context, timeout time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		err := f(ctx)
		if !errors.Is(err, errNotYet) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %s: %w", timeout, err)
		case <-tick.C:
		}
	}
}
