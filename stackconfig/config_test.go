package stackconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

const project = "webhook-ingest"

// values is a stack configuration held in a map, as a test writes it.
type values struct {
	m       map[string]string
	secrets map[string]bool
}

func (v values) Get(key string) (string, bool) { s, ok := v.m[key]; return s, ok }
func (v values) IsSecret(key string) bool      { return v.secrets[key] }

// declaration is one key of Pulumi.yaml's config block.
type declaration struct {
	Type        string `yaml:"type"`
	Default     any    `yaml:"default"`
	Description string `yaml:"description"`
}

func projectConfig(t *testing.T) map[string]declaration {
	t.Helper()
	b, err := os.ReadFile("../" + ProjectFile)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Config map[string]declaration `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.Config
}

// The program's ranges are the authority; Pulumi.yaml's descriptions state
// them.
func TestProjectFileStatesRanges(t *testing.T) {
	decls := projectConfig(t)
	for _, set := range intSettings {
		if want := fmt.Sprintf("%d-%d", set.r.Lo, set.r.Hi); !strings.Contains(decls[set.key].Description, want) {
			t.Errorf("the description of %s in Pulumi.yaml does not give its range %s: %q", set.key, want, decls[set.key].Description)
		}
	}
	for field, r := range map[string]Range{"throttlingRateLimit": ThrottlingRateLimitRange, "throttlingBurstLimit": ThrottlingBurstLimitRange} {
		if want := fmt.Sprintf("%s (%d-%d)", field, r.Lo, r.Hi); !strings.Contains(decls["sources"].Description, want) {
			t.Errorf("the description of sources in Pulumi.yaml does not give a source's range %s", want)
		}
	}
	for _, days := range logRetentionValues[1:] {
		if !strings.Contains(decls["logRetentionDays"].Description, " "+strconv.Itoa(days)) {
			t.Errorf("the description of logRetentionDays in Pulumi.yaml does not list %d", days)
		}
	}
}

// A stack file that sets no optional key gets Defaults, which are the
// defaults Pulumi.yaml declares: serve reads the stack file alone, without
// the engine filling in Pulumi.yaml's defaults.
func TestProjectFileDefaults(t *testing.T) {
	base := map[string]string{project + ":sources": `[{"name":"orders","preset":"generic"}]`}
	withDefaults := map[string]string{}
	for k, v := range base {
		withDefaults[k] = v
	}
	for key, d := range projectConfig(t) {
		if d.Default != nil {
			withDefaults[project+":"+key] = engineValue(t, d.Default)
		}
	}
	got, err := Load(project, "dev", values{m: withDefaults})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Load(project, "dev", values{m: base})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pulumi.yaml's defaults give\n%+v\nDefaults give\n%+v", got, want)
	}
}

// engineValue is a Pulumi.yaml default as the engine hands it to a
// program: a scalar as text, an object or list as JSON.
func engineValue(t *testing.T, v any) string {
	t.Helper()
	switch v.(type) {
	case map[string]any, []any:
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

func TestStackFileName(t *testing.T) {
	for stack, want := range map[string]string{
		"dev":          "Pulumi.dev.yaml",
		"acme/dev":     "Pulumi.dev.yaml",
		"acme/web/dev": "Pulumi.dev.yaml",
	} {
		if got := StackFileName(stack); got != want {
			t.Errorf("StackFileName(%q) = %q, want %q", stack, got, want)
		}
	}
}

func writeStackFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadStackFile holds StackFile to what the Pulumi engine hands a
// program: scalars as written, lists and objects as JSON, and every value
// that holds a secure value secret.
func TestReadStackFile(t *testing.T) {
	f, err := ReadStackFile(writeStackFile(t, `
secretsprovider: passphrase
encryptedkey: abc
config:
  aws:region: us-east-1
  webhook-ingest:memorySize: 1024
  webhook-ingest:timeoutSeconds: "60"
  webhook-ingest:eventBus: true
  webhook-ingest:alarmEmail:
  webhook-ingest:sources:
    - name: orders
      preset: generic
      quarantine: false
    - name: billing
      preset: stripe
      toleranceSeconds: 600
  webhook-ingest:secrets:
    orders:
      secure: v1:AAAA
  webhook-ingest:whole:
    secure: v1:BBBB
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key    string
		want   string
		set    bool
		secret bool
	}{
		{"aws:region", "us-east-1", true, false},
		{"webhook-ingest:memorySize", "1024", true, false},
		{"webhook-ingest:timeoutSeconds", "60", true, false},
		{"webhook-ingest:eventBus", "true", true, false},
		{"webhook-ingest:alarmEmail", "", true, false},
		{"webhook-ingest:sources", `[{"name":"orders","preset":"generic","quarantine":false},{"name":"billing","preset":"stripe","toleranceSeconds":600}]`, true, false},
		{"webhook-ingest:secrets", `{"orders":{"secure":"v1:AAAA"}}`, true, true},
		{"webhook-ingest:whole", `{"secure":"v1:BBBB"}`, true, true},
		{"webhook-ingest:batchSize", "", false, false},
	} {
		got, ok := f.Get(tc.key)
		if got != tc.want || ok != tc.set {
			t.Errorf("Get(%s) = %q, %v, want %q, %v", tc.key, got, ok, tc.want, tc.set)
		}
		if f.IsSecret(tc.key) != tc.secret {
			t.Errorf("IsSecret(%s) = %v, want %v", tc.key, !tc.secret, tc.secret)
		}
	}
}

func TestReadStackFileErrors(t *testing.T) {
	if _, err := ReadStackFile(filepath.Join(t.TempDir(), "Pulumi.none.yaml")); err == nil || !strings.Contains(err.Error(), "read the stack's configuration") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadStackFile(writeStackFile(t, "config: [")); err == nil || !strings.Contains(err.Error(), "Pulumi.dev.yaml") {
		t.Errorf("malformed file: %v", err)
	}
}

func TestReadProjectName(t *testing.T) {
	name, err := ReadProjectName("..")
	if err != nil || name != project {
		t.Errorf("ReadProjectName = %q, %v, want %q", name, err, project)
	}
	if _, err := ReadProjectName(t.TempDir()); err == nil || !strings.Contains(err.Error(), "run webhook-ops in the directory holding Pulumi.yaml") {
		t.Errorf("no project file: %v", err)
	}
}

// TestLoadStackFile reads stack files through Load: the settings serve
// takes from them, and errors word for word as preview gives them (the
// components tests hold the program to the same messages).
func TestLoadStackFile(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		check      func(Config) bool
		want       string
	}{
		{"defaults", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n",
			func(c Config) bool {
				return c.BatchSize == 10 && c.TimeoutSeconds == 30 && c.MaxReceiveCount == 5 && c.Quarantine() && !c.EventBus &&
					c.VisibilityTimeoutSeconds() == 180 && len(c.Sources) == 1 && c.Sources[0].Preset.Name == "generic"
			}, ""},
		{"settings", `config:
  webhook-ingest:sources: [{name: orders, preset: generic}, {name: std, preset: standard-webhooks, toleranceSeconds: 60}]
  webhook-ingest:batchSize: 50
  webhook-ingest:batchingWindowSeconds: 2
  webhook-ingest:timeoutSeconds: 10
  webhook-ingest:maxReceiveCount: 7
  webhook-ingest:quarantineDays: 0
  webhook-ingest:eventBus: true
`, func(c Config) bool {
			return c.BatchSize == 50 && c.BatchingWindowSeconds == 2 && c.VisibilityTimeoutSeconds() == 62 && c.MaxReceiveCount == 7 &&
				!c.Quarantine() && c.EventBus && c.Sources[1].Tolerance.Seconds() == 60
		}, ""},
		{"no sources", "config:\n  aws:region: us-east-1\n", nil,
			"webhook-ingest:sources is not set: list at least one source, e.g. pulumi config set --path 'sources[0].name' orders && pulumi config set --path 'sources[0].preset' generic"},
		{"unknown preset", "config:\n  webhook-ingest:sources: [{name: orders, preset: gitlab}]\n", nil,
			`webhook-ingest:sources[0]: source "orders": unknown preset "gitlab" (want one of ` + fmt.Sprint(contract.PresetNames()) + ")"},
		{"unknown field", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic, tolerance: 5}]\n", nil,
			`webhook-ingest:sources must be a list of {name, preset, toleranceSeconds, custom, quarantine, allowedCidrs, throttlingRateLimit, throttlingBurstLimit} objects: json: unknown field "tolerance"`},
		{"out of range", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n  webhook-ingest:maxReceiveCount: 3\n", nil,
			"webhook-ingest:maxReceiveCount = 3 is out of range: set it between 5 and 1000"},
		{"not a number", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n  webhook-ingest:batchSize: lots\n", nil,
			`webhook-ingest:batchSize = "lots" is not a whole number: set an integer between 1 and 10000`},
		{"large batch without window", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n  webhook-ingest:batchSize: 11\n", nil,
			"webhook-ingest:batchSize = 11 needs webhook-ingest:batchingWindowSeconds of at least 1 (Lambda requires a batching window for batches over 10): set it, or lower the batch size"},
		{"source quarantine without stack quarantine", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic, quarantine: true}]\n  webhook-ingest:quarantineDays: 0\n", nil,
			"webhook-ingest:sources[0].quarantine is true, but webhook-ingest:quarantineDays is 0 (no quarantine): set webhook-ingest:quarantineDays between 1 and 365, or remove the key (pulumi config rm --path 'sources[0].quarantine')"},
		{"architecture", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n  webhook-ingest:architecture: arm\n", nil,
			`webhook-ingest:architecture = "arm" is not a Lambda architecture: set it to "arm64" or "x86_64"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadStackFile(writeStackFile(t, tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(project, "dev", f)
			switch {
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("error\n%v\nwant\n%s", err, tc.want)
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && !tc.check(cfg):
				t.Errorf("config %+v", cfg)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	sources, err := contract.ResolveSources([]contract.Source{{Name: "orders", Preset: "generic"}, {Name: "std", Preset: "standard-webhooks"}})
	if err != nil {
		t.Fatal(err)
	}
	const key = project + ":secrets"
	for _, tc := range []struct {
		name   string
		value  string
		secret bool
		want   string
	}{
		{"usable", `{"orders":"s3cret","std":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, true, ""},
		{"plaintext", `{"orders":"s3cret","std":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, false,
			"webhook-ingest:secrets is stored in plaintext: remove it (pulumi config rm secrets) and set each value with pulumi config set --secret --path 'secrets.<source>' <secret>"},
		{"missing", `{"orders":"s3cret"}`, true,
			`webhook-ingest:secrets.std is missing: set the signing secret of source "std" with pulumi config set --secret --path 'secrets.std' <secret>`},
		{"unknown", `{"orders":"s3cret","std":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","x":"y"}`, true,
			`webhook-ingest:secrets has secrets for unknown sources ["x"]: add them to webhook-ingest:sources or remove them with pulumi config rm --path 'secrets.<source>'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Secrets(project, values{m: map[string]string{key: tc.value}, secrets: map[string]bool{key: tc.secret}}, sources)
			if tc.want == "" {
				if err != nil || got["orders"] != "s3cret" {
					t.Errorf("Secrets = %v, %v", got, err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}
