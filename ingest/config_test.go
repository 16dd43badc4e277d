package ingest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/ssmtest"
)

// Secret values used below; every test checks that none of them leaks into an
// error or a log line.
const (
	ordersSecret  = "orders-secret-5f1d9a"
	oldSecret     = "orders-old-secret-77ab"
	shopSecret    = "shop-secret-c0ffee"
	badWhsec      = "whsec_not*base64*secret-ee31"
	plainSecret   = "plain-string-secret-9911"
	ordersParam   = "/webhook-ingest/test/orders"
	shopParam     = "/webhook-ingest/test/shop"
	badParam      = "/webhook-ingest/test/bad"
	plainParam    = "/webhook-ingest/test/plain"
	crParam       = "/webhook-ingest/test/cr"
	bomParam      = "/webhook-ingest/test/bom"
	missingParam  = "/webhook-ingest/test/missing"
	testBucket    = "webhook-bodies"
	fakeAccessKey = "AKIDTEST"
)

var allSecrets = []string{ordersSecret, oldSecret, shopSecret, badWhsec, plainSecret}

func newSSM(t *testing.T) *ssmtest.Server {
	t.Helper()
	srv := ssmtest.NewServer(
		ssmtest.Parameter{Name: ordersParam, Type: ssmtest.SecureString, Value: ordersSecret + "\n" + oldSecret + "\n"},
		ssmtest.Parameter{Name: shopParam, Type: ssmtest.SecureString, Value: shopSecret},
		ssmtest.Parameter{Name: badParam, Type: ssmtest.SecureString, Value: badWhsec},
		ssmtest.Parameter{Name: plainParam, Type: ssmtest.String, Value: plainSecret},
		ssmtest.Parameter{Name: crParam, Type: ssmtest.SecureString, Value: ordersSecret + "\r" + oldSecret},
		ssmtest.Parameter{Name: bomParam, Type: ssmtest.SecureString, Value: "\uFEFF" + ordersSecret},
	)
	t.Cleanup(srv.Close)
	return srv
}

// awsConfig points every client at endpoint and never retries, so that a
// failure shows at once.
func awsConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(fakeAccessKey, "test-secret-key", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// testFunctionName is the function name the tests' Lambda environment has.
const testFunctionName = "webhook-ingest-config-test"

// env returns a getenv of vars in an environment as Lambda gives it: with
// contract.EnvFunctionName set to testFunctionName unless vars has the key.
func env(vars map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := vars[k]; ok || k != contract.EnvFunctionName {
			return v
		}
		return testFunctionName
	}
}

// envSource is a source of the handler's environment: its name, preset and
// secret selector.
type envSource struct{ name, preset, selector string }

// sourcesJSON returns the contract.EnvSources value of sources.
func sourcesJSON(t *testing.T, sources ...envSource) string {
	t.Helper()
	var resolved []contract.ResolvedSource
	var selectors []string
	for _, s := range sources {
		r, err := contract.Source{Name: s.name, Preset: s.preset}.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		resolved = append(resolved, r)
		selectors = append(selectors, s.selector)
	}
	v, err := contract.EncodeEnvSources(resolved, selectors)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// assertNoSecret fails if any configured secret appears in texts.
func assertNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, s := range allSecrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q leaked into %q", s, text)
			}
		}
	}
}

func hexHMAC(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestLoad(t *testing.T) {
	srv := newSSM(t)
	var logs bytes.Buffer
	vars := map[string]string{
		contract.EnvBucket: testBucket,
		contract.EnvSources: sourcesJSON(t,
			envSource{"orders", "generic", ordersParam},
			envSource{"orders-copy", "generic", ordersParam},
			envSource{"shop", "shopify", shopParam},
		),
	}
	p, err := Load(context.Background(), awsConfig(srv.URL), env(vars), slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("GetParameters calls = %d, want 1: %+v", len(calls), calls)
	}
	if !calls[0].WithDecryption {
		t.Error("GetParameters did not ask for decryption")
	}
	if got, want := calls[0].Names, []string{ordersParam, shopParam}; !slices.Equal(got, want) {
		t.Errorf("GetParameters names = %q, want each parameter once: %q", got, want)
	}

	if p.Bucket != testBucket {
		t.Errorf("Bucket = %q, want %q", p.Bucket, testBucket)
	}
	if p.FunctionName != testFunctionName {
		t.Errorf("FunctionName = %q, want %s's %q", p.FunctionName, contract.EnvFunctionName, testFunctionName)
	}
	if p.S3 == nil || p.Logger == nil {
		t.Error("S3 client or logger not set")
	}
	if len(p.Receivers) != 3 {
		t.Fatalf("Receivers = %d, want 3", len(p.Receivers))
	}
	for name, preset := range map[string]string{"orders": "generic", "orders-copy": "generic", "shop": "shopify"} {
		s, ok := p.Receivers[name]
		if !ok || s.Name() != name || s.Preset.Name != preset || s.Verifier == nil {
			t.Errorf("source %q = %+v, want preset %q with a verifier", name, s, preset)
		}
	}

	// Both lines of the rotated secret verify; the other source's secret does
	// not, so each source got its own parameter's value.
	body := []byte(`{"order":1}`)
	for _, tc := range []struct {
		secret string
		want   error
	}{
		{ordersSecret, nil},
		{oldSecret, nil},
		{shopSecret, contract.ErrNoMatchingSecret},
	} {
		d := contract.Delivery{Body: body, Signature: hexHMAC(tc.secret, body), ID: "id-1"}
		if err := p.Receivers["orders"].Verifier.Verify(d, time.Now()); err != tc.want {
			t.Errorf("orders verifies a signature made with a %d-byte secret: %v, want %v", len(tc.secret), err, tc.want)
		}
	}

	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil {
		t.Fatalf("cold start log is not one JSON line: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "shop:shopify") {
		t.Errorf("cold start log does not list the sources: %s", logs.String())
	}
	assertNoSecret(t, logs.String())
}

func TestLoadBatchesGetParameters(t *testing.T) {
	const n = 23
	var params []ssmtest.Parameter
	var sources []envSource
	for i := range n {
		name := fmt.Sprintf("/webhook-ingest/test/s%02d", i)
		params = append(params, ssmtest.Parameter{Name: name, Type: ssmtest.SecureString, Value: fmt.Sprintf("secret-%02d", i)})
		sources = append(sources, envSource{fmt.Sprintf("s%02d", i), "generic", name})
	}
	srv := ssmtest.NewServer(params...)
	defer srv.Close()

	vars := map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t, sources...)}
	p, err := Load(context.Background(), awsConfig(srv.URL), env(vars), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	calls := srv.Calls()
	var sizes []int
	var asked []string
	for _, c := range calls {
		sizes = append(sizes, len(c.Names))
		asked = append(asked, c.Names...)
		if !c.WithDecryption {
			t.Error("a GetParameters call did not ask for decryption")
		}
	}
	if want := []int{10, 10, 3}; !slices.Equal(sizes, want) {
		t.Errorf("GetParameters batch sizes = %v, want %v", sizes, want)
	}
	slices.Sort(asked)
	if len(slices.Compact(asked)) != n {
		t.Errorf("asked for %d distinct names, want %d", len(asked), n)
	}
	body := []byte("x")
	d := contract.Delivery{Body: body, Signature: hexHMAC("secret-22", body), ID: "1"}
	if err := p.Receivers["s22"].Verifier.Verify(d, time.Now()); err != nil {
		t.Errorf("the last batch's secret does not verify: %v", err)
	}
}

// TestLoadPinnedVersions loads sources whose parameters are pinned to a
// version, as the stack deploys them: each source gets exactly the version
// it names, even when a newer one exists, so a warm function never mixes a
// secret deployed with it and one changed after.
func TestLoadPinnedVersions(t *testing.T) {
	srv := ssmtest.NewServer(
		ssmtest.Parameter{Name: ordersParam, Type: ssmtest.SecureString, Value: oldSecret},
		ssmtest.Parameter{Name: ordersParam, Type: ssmtest.SecureString, Value: ordersSecret},
		ssmtest.Parameter{Name: shopParam, Type: ssmtest.SecureString, Value: shopSecret},
	)
	defer srv.Close()
	vars := map[string]string{
		contract.EnvBucket: testBucket,
		contract.EnvSources: sourcesJSON(t,
			envSource{"orders-v1", "generic", ordersParam + ":1"},
			envSource{"orders-v2", "generic", ordersParam + ":2"},
			envSource{"shop", "generic", shopParam},
		),
	}
	var logs bytes.Buffer
	p, err := Load(context.Background(), awsConfig(srv.URL), env(vars), slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("GetParameters calls = %d, want 1: %+v", len(calls), calls)
	}
	if got, want := calls[0].Names, []string{ordersParam + ":1", ordersParam + ":2", shopParam}; !slices.Equal(got, want) {
		t.Errorf("GetParameters names = %q, want %q", got, want)
	}

	body := []byte(`{"order":1}`)
	for _, tc := range []struct {
		source, secret string
		want           error
	}{
		{"orders-v1", oldSecret, nil},
		{"orders-v1", ordersSecret, contract.ErrNoMatchingSecret},
		{"orders-v2", ordersSecret, nil},
		{"orders-v2", oldSecret, contract.ErrNoMatchingSecret},
		{"shop", shopSecret, nil},
	} {
		d := contract.Delivery{Body: body, Signature: hexHMAC(tc.secret, body), ID: "id-1"}
		if err := p.Receivers[tc.source].Verifier.Verify(d, time.Now()); err != tc.want {
			t.Errorf("%s verifies a signature made with a %d-byte secret: %v, want %v", tc.source, len(tc.secret), err, tc.want)
		}
	}
	assertNoSecret(t, logs.String())
}

func TestLoadErrors(t *testing.T) {
	srv := newSSM(t)
	closed := ssmtest.NewServer()
	closed.Close()
	throttling := ssmtest.NewServer()
	t.Cleanup(throttling.Close)
	throttling.Fail(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")

	good := envSource{"orders", "generic", ordersParam}
	tests := []struct {
		name     string
		endpoint string
		vars     map[string]string
		want     []string // substrings of the error
		// transient is an error that is not a broken configuration.
		transient bool
	}{
		{
			name: "bucket unset",
			vars: map[string]string{contract.EnvSources: sourcesJSON(t, good)},
			want: []string{contract.EnvBucket, "not set"},
		},
		{
			name: "function name unset",
			vars: map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t, good), contract.EnvFunctionName: ""},
			want: []string{contract.EnvFunctionName, "not set"},
		},
		{
			name: "sources unset",
			vars: map[string]string{contract.EnvBucket: testBucket},
			want: []string{contract.EnvSources, "not set"},
		},
		{
			name: "sources not JSON",
			vars: map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: "orders=generic"},
			want: []string{contract.EnvSources, "JSON"},
		},
		{
			name: "unknown preset",
			vars: map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: `[{"name":"orders","preset":"nope","secretSelector":"/p"}]`},
			want: []string{contract.EnvSources, `"orders"`, `unknown preset "nope"`},
		},
		{
			name: "missing parameters",
			vars: map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t, good,
				envSource{"gone", "github", missingParam},
				envSource{"gone-too", "slack", missingParam + "-2"},
			)},
			want: []string{"not found", missingParam + ` (source "gone")`, missingParam + `-2 (source "gone-too")`},
		},
		{
			name: "pinned version SSM does not have",
			vars: map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t,
				envSource{"orders", "generic", ordersParam + ":2"})},
			want: []string{"not found", ordersParam + `:2 (source "orders")`},
		},
		{
			name: "plain String parameter",
			vars: map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t,
				envSource{"plain", "generic", plainParam})},
			want: []string{plainParam, "String", "SecureString"},
		},
		{
			name: "secret unusable by the scheme",
			vars: map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t,
				envSource{"std", "standard-webhooks", badParam})},
			want: []string{`source "std"`, badParam, "base64"},
		},
		{
			name:      "SSM unreachable",
			endpoint:  closed.URL,
			vars:      map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t, good)},
			want:      []string{"SSM", ordersParam},
			transient: true,
		},
		{
			name:      "SSM throttling",
			endpoint:  throttling.URL,
			vars:      map[string]string{contract.EnvBucket: testBucket, contract.EnvSources: sourcesJSON(t, good)},
			want:      []string{"SSM", ordersParam, "ThrottlingException"},
			transient: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			endpoint := srv.URL
			if tc.endpoint != "" {
				endpoint = tc.endpoint
			}
			p, err := Load(context.Background(), awsConfig(endpoint), env(tc.vars), slog.New(slog.NewJSONHandler(&logs, nil)))
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error", p)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var ce *ConfigError
			if errors.As(err, &ce) == tc.transient {
				t.Errorf("error %q: a *ConfigError is %v, want %v", err, tc.transient, !tc.transient)
			}
			assertNoSecret(t, err.Error(), logs.String())
		})
	}
}

// TestLoadQuarantine checks the quarantine switch: on only when the
// environment says true.
func TestLoadQuarantine(t *testing.T) {
	srv := newSSM(t)
	for value, want := range map[string]bool{"": false, "true": true, "false": false, "1": true} {
		vars := map[string]string{
			contract.EnvBucket:     testBucket,
			contract.EnvSources:    sourcesJSON(t, envSource{"orders", "generic", ordersParam}),
			contract.EnvQuarantine: value,
		}
		p, err := Load(context.Background(), awsConfig(srv.URL), env(vars), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s=%q: %v", contract.EnvQuarantine, value, err)
		}
		if p.Quarantine != want {
			t.Errorf("%s=%q: Quarantine = %v, want %v", contract.EnvQuarantine, value, p.Quarantine, want)
		}
	}
}

// TestLoadConcurrency checks the records in flight: the default, or what the
// environment says.
func TestLoadConcurrency(t *testing.T) {
	srv := newSSM(t)
	for value, want := range map[string]int{"": DefaultConcurrency, "1": 1, "250": 250, "1000": 1000} {
		vars := map[string]string{
			contract.EnvBucket:      testBucket,
			contract.EnvSources:     sourcesJSON(t, envSource{"orders", "generic", ordersParam}),
			contract.EnvConcurrency: value,
		}
		p, err := Load(context.Background(), awsConfig(srv.URL), env(vars), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s=%q: %v", contract.EnvConcurrency, value, err)
		}
		if p.Concurrency != want {
			t.Errorf("%s=%q: Concurrency = %d, want %d", contract.EnvConcurrency, value, p.Concurrency, want)
		}
	}
}
