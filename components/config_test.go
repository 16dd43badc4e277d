package components

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

const (
	ordersSecret = "orders-signing-secret-5c1e"
	// badWhsec is a secret that is not whsec_ followed by base64.
	badWhsec = "whsec_not*base64-9d2f"
)

// longSources returns n generic sources with long names.
func longSources(n int) []contract.Source {
	var src []contract.Source
	for i := range n {
		src = append(src, contract.Source{Name: fmt.Sprintf("source-with-a-long-name-%02d", i), Preset: "generic"})
	}
	return src
}

// manySources returns the configuration of n long-named sources.
func manySources(n int) (sources, secrets string) {
	return sourcesConfig(longSources(n))
}

// sourcesConfig returns the sources and secrets values that configure
// sources, each with a secret.
func sourcesConfig(sources []contract.Source) (string, string) {
	sec := map[string]string{}
	for _, s := range sources {
		sec[s.Name] = "secret"
	}
	return mustMarshal(sources), mustMarshal(sec)
}

// sourcesThatFitOnlyWithoutBus returns sources whose environment fits
// Lambda's limit without the event bus variable and does not with it, in a
// stack with the default quarantine: the long-named sources of manySources,
// then one or two whose names are as long as needed to reach the limit.
func sourcesThatFitOnlyWithoutBus(t *testing.T) (sources, secrets string) {
	t.Helper()
	for n := 1; n < 100; n++ {
		for length := 1; length <= 80; length++ {
			sources := append(longSources(n), contract.Source{Name: strings.Repeat("z", min(length, 40)), Preset: "generic"})
			if length > 40 {
				sources = append(sources, contract.Source{Name: strings.Repeat("y", length-40), Preset: "generic"})
			}
			resolved := resolve(t, sources)
			without := stackconfig.EnvironmentBytes(resolved, testPrefix, "", true)
			if with := stackconfig.EnvironmentBytes(resolved, testPrefix, stackUnique, true); without <= stackconfig.MaxEnvironmentBytes && with > stackconfig.MaxEnvironmentBytes {
				return sourcesConfig(sources)
			}
		}
	}
	t.Fatal("found no sources that fit the environment only without the event bus")
	return "", ""
}

func TestConfigErrors(t *testing.T) {
	manySrc, manySec := manySources(40)
	fitSrc, fitSec := sourcesThatFitOnlyWithoutBus(t)
	cases := []struct {
		name string
		// key is the configuration key the error must name; set replaces
		// keys of testConfig, of the project's namespace unless they name
		// another (the empty string removes one).
		key    string
		set    map[string]string
		secret bool // whether the secrets key is marked secret
		want   string
	}{
		{"no sources", "sources", map[string]string{"sources": ""}, true, "webhook-ingest:sources is not set"},
		{"empty sources", "sources", map[string]string{"sources": "[]"}, true, "webhook-ingest:sources is empty"},
		{"sources not a list", "sources", map[string]string{"sources": `{"name":"orders"}`}, true, "webhook-ingest:sources must be a list"},
		{"unknown field", "sources", map[string]string{"sources": `[{"name":"orders","preset":"generic","tolerance":5}]`}, true, `unknown field "tolerance"`},
		{"unknown preset", "sources", map[string]string{"sources": `[{"name":"orders","preset":"gitlab"}]`}, true, `webhook-ingest:sources[0]: source "orders": unknown preset "gitlab"`},
		{"unsafe name", "sources", map[string]string{"sources": `[{"name":"../orders","preset":"generic"}]`, "secrets": `{"../orders":"x"}`}, true, "webhook-ingest:sources[0]: source name \"../orders\" must be"},
		{"upper-case name", "sources", map[string]string{"sources": `[{"name":"Orders","preset":"generic"}]`}, true, "webhook-ingest:sources[0]: source name \"Orders\""},
		{"duplicate name", "sources", map[string]string{"sources": `[{"name":"orders","preset":"generic"},{"name":"orders","preset":"github"}]`}, true, `webhook-ingest:sources[1]: source "orders" is listed twice`},
		{"unknown source field", "sources", map[string]string{"sources": `[{"name":"orders","preset":"generic","secretParameter":"/x"}]`}, true, `json: unknown field "secretParameter"`},
		{"custom without block", "sources", map[string]string{"sources": `[{"name":"orders","preset":"custom"}]`}, true, "webhook-ingest:sources[0]: source \"orders\": preset custom needs a custom block"},
		{"bad custom header", "sources", map[string]string{"sources": `[{"name":"orders","preset":"custom","custom":{"signatureHeader":"X Sig"}}]`}, true, "custom.signatureHeader"},
		{"tolerance out of range", "sources", map[string]string{"sources": `[{"name":"orders","preset":"stripe","toleranceSeconds":-1}]`}, true, "toleranceSeconds -1"},
		{"quarantine not a bool", "sources", map[string]string{"sources": `[{"name":"orders","preset":"generic","quarantine":"no"}]`}, true, "webhook-ingest:sources must be a list of {name, preset, toleranceSeconds, custom, quarantine, allowedCidrs, throttlingRateLimit, throttlingBurstLimit} objects"},
		{"source quarantine without quarantineDays", "sources", map[string]string{"sources": `[{"name":"gh","preset":"github","quarantine":false},{"name":"orders","preset":"generic","quarantine":true}]`, "secrets": `{"gh":"x","orders":"` + ordersSecret + `"}`, "quarantineDays": "0"}, true,
			"webhook-ingest:sources[1].quarantine is true, but webhook-ingest:quarantineDays is 0 (no quarantine): set webhook-ingest:quarantineDays between 1 and 365, or remove the key (pulumi config rm --path 'sources[1].quarantine')"},
		{"too many sources", "sources", map[string]string{"sources": manySrc, "secrets": manySec}, true, "over its 4096-byte limit"},
		{"no secrets", "secrets", map[string]string{"secrets": ""}, true, "webhook-ingest:secrets is not set: give every source its signing secret with pulumi config set --secret --path 'secrets.<source>'"},
		{"plaintext secrets", "secrets", nil, false, "webhook-ingest:secrets is stored in plaintext"},
		{"secrets not a map", "secrets", map[string]string{"secrets": `["` + ordersSecret + `"]`}, true, "webhook-ingest:secrets must map each source name"},
		{"missing secret", "secrets", map[string]string{"sources": `[{"name":"orders","preset":"generic"},{"name":"gh","preset":"github"}]`}, true, "webhook-ingest:secrets.gh is missing: set the signing secret of source \"gh\" with pulumi config set --secret --path 'secrets.gh'"},
		{"secret for unknown source", "secrets", map[string]string{"secrets": `{"orders":"` + ordersSecret + `","shopify":"x"}`}, true, `webhook-ingest:secrets has secrets for unknown sources ["shopify"]`},
		{"secrets over the parameter's size", "secrets", map[string]string{"secrets": `{"orders":"` + strings.Repeat("rotated-secret-0123456789\\n", 160) + `"}`}, true, "webhook-ingest:secrets.orders is 4160 bytes, more than the 4096 bytes of its SSM parameter"},
		{"empty secret", "secrets", map[string]string{"secrets": `{"orders":"  \n "}`}, true, "webhook-ingest:secrets.orders is not a usable generic secret"},
		{"bad whsec secret", "secrets", map[string]string{"sources": `[{"name":"orders","preset":"svix"}]`, "secrets": `{"orders":"` + badWhsec + `"}`}, true, "webhook-ingest:secrets.orders is not a usable svix secret"},
		{"bad rotated whsec secret", "secrets", map[string]string{"sources": `[{"name":"orders","preset":"standard-webhooks"}]`, "secrets": `{"orders":"` + whsec("fine") + `\n` + badWhsec + `"}`}, true, "secret on line 2"},
		{"secret with CR-only line ends", "secrets", map[string]string{"secrets": `{"orders":"new-secret\rold-secret"}`}, true, "webhook-ingest:secrets.orders is not a usable generic secret (secret on line 1: secret contains a carriage return"},
		{"secret with a byte-order mark", "secrets", map[string]string{"secrets": `{"orders":"\ufeffa-secret"}`}, true, "webhook-ingest:secrets.orders is not a usable generic secret (secret on line 1: secret starts with a byte-order mark"},
		{"memory too small", "memorySize", map[string]string{"memorySize": "64"}, true, "webhook-ingest:memorySize = 64 is out of range: set it between 128 and 10240"},
		{"memory too large", "memorySize", map[string]string{"memorySize": "10241"}, true, "between 128 and 10240"},
		{"memory not a number", "memorySize", map[string]string{"memorySize": "lots"}, true, `webhook-ingest:memorySize = "lots" is not a whole number`},
		{"timeout zero", "timeoutSeconds", map[string]string{"timeoutSeconds": "0"}, true, "webhook-ingest:timeoutSeconds = 0 is out of range: set it between 1 and 900"},
		{"timeout too long", "timeoutSeconds", map[string]string{"timeoutSeconds": "901"}, true, "between 1 and 900"},
		{"architecture", "architecture", map[string]string{"architecture": "arm"}, true, `webhook-ingest:architecture = "arm" is not a Lambda architecture: set it to "arm64" or "x86_64"`},
		{"batch size zero", "batchSize", map[string]string{"batchSize": "0"}, true, "webhook-ingest:batchSize = 0 is out of range"},
		{"batch size too large", "batchSize", map[string]string{"batchSize": "10001", "batchingWindowSeconds": "1"}, true, "between 1 and 10000"},
		{"large batch without window", "batchSize", map[string]string{"batchSize": "11"}, true, "webhook-ingest:batchSize = 11 needs webhook-ingest:batchingWindowSeconds of at least 1"},
		{"window too long", "batchingWindowSeconds", map[string]string{"batchingWindowSeconds": "301"}, true, "webhook-ingest:batchingWindowSeconds = 301 is out of range: set it between 0 and 300"},
		{"concurrency below 2", "maximumConcurrency", map[string]string{"maximumConcurrency": "1"}, true, "webhook-ingest:maximumConcurrency = 1 is out of range: set it between 2 and 1000"},
		{"concurrency above 1000", "maximumConcurrency", map[string]string{"maximumConcurrency": "1001"}, true, "between 2 and 1000"},
		{"record concurrency 0", "recordConcurrency", map[string]string{"recordConcurrency": "0"}, true, "webhook-ingest:recordConcurrency = 0 is out of range: set it between 1 and 1000"},
		{"record concurrency above 1000", "recordConcurrency", map[string]string{"recordConcurrency": "1001"}, true, "between 1 and 1000"},
		{"receive count below 5", "maxReceiveCount", map[string]string{"maxReceiveCount": "3"}, true, "webhook-ingest:maxReceiveCount = 3 is out of range: set it between 5 and 1000"},
		{"negative body retention", "bodyRetentionDays", map[string]string{"bodyRetentionDays": "-1"}, true, "webhook-ingest:bodyRetentionDays = -1 is out of range"},
		{"negative quarantine", "quarantineDays", map[string]string{"quarantineDays": "-1"}, true, "webhook-ingest:quarantineDays = -1 is out of range: set it between 0 and 365"},
		{"quarantine over a year", "quarantineDays", map[string]string{"quarantineDays": "366"}, true, "webhook-ingest:quarantineDays = 366 is out of range: set it between 0 and 365"},
		{"quarantine not a number", "quarantineDays", map[string]string{"quarantineDays": "2w"}, true, `webhook-ingest:quarantineDays = "2w" is not a whole number: set an integer between 0 and 365`},
		{"log retention CloudWatch refuses", "logRetentionDays", map[string]string{"logRetentionDays": "31"}, true, "webhook-ingest:logRetentionDays = 31 is not a retention CloudWatch Logs accepts"},
		{"negative log retention", "logRetentionDays", map[string]string{"logRetentionDays": "-7"}, true, "webhook-ingest:logRetentionDays = -7 is out of range"},
		{"burst zero", "throttlingBurstLimit", map[string]string{"throttlingBurstLimit": "0"}, true, "webhook-ingest:throttlingBurstLimit = 0 is out of range: set it between 1 and 5000"},
		{"rate zero", "throttlingRateLimit", map[string]string{"throttlingRateLimit": "0"}, true, "webhook-ingest:throttlingRateLimit = 0 is out of range: set it between 1 and 10000"},
		{"rate not an integer", "throttlingRateLimit", map[string]string{"throttlingRateLimit": "1.5"}, true, `webhook-ingest:throttlingRateLimit = "1.5" is not a whole number`},
		{"forceDestroy not a bool", "forceDestroy", map[string]string{"forceDestroy": "yes"}, true, `webhook-ingest:forceDestroy = "yes" is not a boolean: set it to true or false`},
		{"eventBus not a bool", "eventBus", map[string]string{"eventBus": "on"}, true, `webhook-ingest:eventBus = "on" is not a boolean: set it to true or false`},
		{"event bus over the environment limit", "sources", map[string]string{"sources": fitSrc, "secrets": fitSec, "eventBus": "true"}, true, "over its 4096-byte limit"},
		{"dashboard not a bool", "dashboard", map[string]string{"dashboard": "maybe"}, true, `webhook-ingest:dashboard = "maybe" is not a boolean`},
		{"alarmEmail without domain", "alarmEmail", map[string]string{"alarmEmail": "ops"}, true, `webhook-ingest:alarmEmail = "ops" is not a plain e-mail address: set it to one such as ops@example.com, or remove it (pulumi config rm alarmEmail)`},
		{"alarmEmail with a display name", "alarmEmail", map[string]string{"alarmEmail": "Ops <ops@example.com>"}, true, "is not a plain e-mail address"},
		{"alarmEmail without a dot in the domain", "alarmEmail", map[string]string{"alarmEmail": "ops@localhost"}, true, "is not a plain e-mail address"},
		{"alarmEmail with spaces", "alarmEmail", map[string]string{"alarmEmail": " ops@example.com"}, true, "is not a plain e-mail address"},
		{"alarmDeadLetterQueue not a bool", "alarmDeadLetterQueue", map[string]string{"alarmDeadLetterQueue": "enabled"}, true, `webhook-ingest:alarmDeadLetterQueue = "enabled" is not a boolean`},
		{"alarmQueueAge not a bool", "alarmQueueAge", map[string]string{"alarmQueueAge": "900"}, true, `webhook-ingest:alarmQueueAge = "900" is not a boolean`},
		{"queue age below a minute", "alarmQueueAgeSeconds", map[string]string{"alarmQueueAgeSeconds": "59"}, true, "webhook-ingest:alarmQueueAgeSeconds = 59 is out of range: set it between 60 and 345600"},
		{"queue age beyond retention", "alarmQueueAgeSeconds", map[string]string{"alarmQueueAgeSeconds": "345601"}, true, "between 60 and 345600"},
		{"alarmFunctionErrors not a bool", "alarmFunctionErrors", map[string]string{"alarmFunctionErrors": "y"}, true, `webhook-ingest:alarmFunctionErrors = "y" is not a boolean`},
		{"negative errors threshold", "alarmFunctionErrorsThreshold", map[string]string{"alarmFunctionErrorsThreshold": "-1"}, true, "webhook-ingest:alarmFunctionErrorsThreshold = -1 is out of range: set it between 0 and 1000000"},
		{"alarmFunctionThrottles not a bool", "alarmFunctionThrottles", map[string]string{"alarmFunctionThrottles": "n"}, true, `webhook-ingest:alarmFunctionThrottles = "n" is not a boolean`},
		{"throttles threshold not a number", "alarmFunctionThrottlesThreshold", map[string]string{"alarmFunctionThrottlesThreshold": "few"}, true, `webhook-ingest:alarmFunctionThrottlesThreshold = "few" is not a whole number`},
		{"alarmRejected not a bool", "alarmRejected", map[string]string{"alarmRejected": "always"}, true, `webhook-ingest:alarmRejected = "always" is not a boolean`},
		{"rejected threshold too large", "alarmRejectedThreshold", map[string]string{"alarmRejectedThreshold": "1000001"}, true, "webhook-ingest:alarmRejectedThreshold = 1000001 is out of range: set it between 0 and 1000000"},
		{"alarmConflict not a bool", "alarmConflict", map[string]string{"alarmConflict": "on"}, true, `webhook-ingest:alarmConflict = "on" is not a boolean: set it to true or false`},
		{"negative conflict threshold", "alarmConflictThreshold", map[string]string{"alarmConflictThreshold": "-1"}, true, "webhook-ingest:alarmConflictThreshold = -1 is out of range: set it between 0 and 1000000"},
		{"source rate zero", "sources", map[string]string{"sources": `[{"name":"orders","preset":"generic","throttlingRateLimit":0}]`}, true,
			"webhook-ingest:sources[0].throttlingRateLimit = 0 is out of range: set it between 1 and 10000"},
		{"source burst too high", "sources", map[string]string{"sources": `[{"name":"gh","preset":"github"},{"name":"orders","preset":"generic","throttlingBurstLimit":5001}]`, "secrets": `{"gh":"x","orders":"` + ordersSecret + `"}`}, true,
			"webhook-ingest:sources[1].throttlingBurstLimit = 5001 is out of range: set it between 1 and 5000"},
		{"source rate not a number", "sources", map[string]string{"sources": `[{"name":"orders","preset":"generic","throttlingRateLimit":"fast"}]`}, true,
			"json: cannot unmarshal string into Go struct field Source.throttlingRateLimit of type int"},
		{"domain not an object", "domain", map[string]string{"domain": "hooks.example.com"}, true,
			"webhook-ingest:domain must be an object {name, hostedZoneId} or {name, certificateArn}"},
		{"domain without a name", "domain", map[string]string{"domain": `{"hostedZoneId":"` + testZoneID + `"}`}, true,
			"webhook-ingest:domain.name is not set"},
		{"domain name with a capital", "domain", map[string]string{"domain": `{"name":"Hooks.example.com","hostedZoneId":"` + testZoneID + `"}`}, true,
			`webhook-ingest:domain.name = "Hooks.example.com" is not a domain name (it has upper-case letters)`},
		{"domain with neither zone nor certificate", "domain", map[string]string{"domain": `{"name":"hooks.example.com"}`}, true,
			"webhook-ingest:domain sets neither hostedZoneId nor certificateArn"},
		{"domain with both", "domain", map[string]string{"domain": `{"name":"hooks.example.com","hostedZoneId":"` + testZoneID + `","certificateArn":"` + testCertificateARN + `"}`}, true,
			"webhook-ingest:domain sets both hostedZoneId and certificateArn"},
		{"domain zone id lower-case", "domain", map[string]string{"domain": `{"name":"hooks.example.com","hostedZoneId":"z0123456789abcdefghij"}`}, true,
			`webhook-ingest:domain.hostedZoneId = "z0123456789abcdefghij" is not a Route 53 hosted zone id`},
		{"domain too long for a certificate", "domain", map[string]string{"domain": `{"name":"` + strings.Repeat("h", 60) + `.example.com","hostedZoneId":"` + testZoneID + `"}`}, true,
			"webhook-ingest:domain.name is 72 characters: ACM issues a certificate only for a name of at most 64"},
		{"domain certificate not an ARN", "domain", map[string]string{"domain": `{"name":"hooks.example.com","certificateArn":"hooks.example.com"}`}, true,
			`webhook-ingest:domain.certificateArn = "hooks.example.com" is not an ACM certificate ARN`},
		{"domain certificate of another region", "domain", map[string]string{"aws:region": "eu-west-1", "domain": `{"name":"hooks.example.com","certificateArn":"` + testCertificateARN + `"}`}, true,
			"webhook-ingest:domain.certificateArn is a certificate of us-east-1, but the stack deploys to eu-west-1 (aws:region)"},
		{"execute-api endpoint off without a domain", "disableExecuteApiEndpoint", map[string]string{"disableExecuteApiEndpoint": "true"}, true,
			"webhook-ingest:disableExecuteApiEndpoint is true, but webhook-ingest:domain is not set, so nothing could reach the API"},
		{"execute-api switch not a bool", "disableExecuteApiEndpoint", map[string]string{"disableExecuteApiEndpoint": "off"}, true,
			`webhook-ingest:disableExecuteApiEndpoint = "off" is not a boolean`},
		{"alarmApi5xx not a bool", "alarmApi5xx", map[string]string{"alarmApi5xx": "5xx"}, true, `webhook-ingest:alarmApi5xx = "5xx" is not a boolean`},
		{"negative 5xx threshold", "alarmApi5xxThreshold", map[string]string{"alarmApi5xxThreshold": "-5"}, true, "webhook-ingest:alarmApi5xxThreshold = -5 is out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			for k, v := range tc.set {
				if !strings.Contains(k, ":") {
					k = testProject + ":" + k
				}
				if v == "" {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			var secretKeys []string
			if tc.secret {
				secretKeys = []string{testProject + ":secrets"}
			}
			c := &cloud{}
			err := pulumi.RunErr(Program, pulumi.WithMocks(testProject, testStack, c), withConfig(cfg, secretKeys...))
			if err == nil {
				t.Fatal("invalid configuration accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, testProject+":"+tc.key) {
				t.Errorf("error does not name %s:%s: %v", testProject, tc.key, err)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error\n%v\ndoes not say\n%s", err, tc.want)
			}
			for _, secret := range []string{ordersSecret, badWhsec, "not*base64"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error reveals a secret: %v", err)
				}
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, r := range c.resources {
				if r.Custom {
					t.Errorf("invalid configuration still created %s %s", r.Type, r.Name)
				}
			}
		})
	}

	// Every key Pulumi.yaml declares has a case, so every key is read and
	// checked, and every case's key is declared.
	project := loadProject(t)
	tested := map[string]bool{}
	for _, tc := range cases {
		tested[tc.key] = true
		if _, ok := project.Config[tc.key]; !ok {
			t.Errorf("key %s is read by the program but not declared in Pulumi.yaml", tc.key)
		}
	}
	for key := range project.Config {
		if !tested[key] {
			t.Errorf("Pulumi.yaml declares %s, but no case shows the program validating it", key)
		}
	}
}

func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	p, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatalf("Pulumi.yaml: %v", err)
	}
	return p
}

// loadConfig runs LoadConfig against cfg.
func loadConfig(t *testing.T, cfg map[string]string) Config {
	t.Helper()
	var got Config
	_, err := runWith(func(ctx *pulumi.Context) error {
		var err error
		got, err = LoadConfig(ctx)
		return err
	}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got.Secrets = nil
	return got
}

func TestProjectFile(t *testing.T) {
	p := loadProject(t)
	if p.Name != testProject || p.Runtime.Name() != "go" {
		t.Errorf("project %s with runtime %s, want %s on go", p.Name, p.Runtime.Name(), testProject)
	}
	for key, decl := range p.Config {
		if decl.Description == "" || decl.Type == nil {
			t.Errorf("config %s lacks a type or a description", key)
		}
	}
	if !p.Config["secrets"].Secret {
		t.Error("Pulumi.yaml does not declare secrets as secret")
	}
	for _, preset := range contract.PresetNames() {
		if !strings.Contains(p.Config["sources"].Description, preset) {
			t.Errorf("the description of sources in Pulumi.yaml does not list preset %s", preset)
		}
	}

	// stackconfig's tests hold the descriptions to its ranges.

	// The engine fills in Pulumi.yaml's defaults (as strings, like every
	// config value); the program's own defaults must be the same values.
	withDefaults := testConfig()
	for key, decl := range p.Config {
		if decl.Default != nil {
			withDefaults[testProject+":"+key] = engineValue(decl.Default)
		}
	}
	if got, want := loadConfig(t, withDefaults), loadConfig(t, testConfig()); !reflect.DeepEqual(got, want) {
		t.Errorf("Pulumi.yaml defaults give\n%+v\nthe program's defaults give\n%+v", got, want)
	}
	var withoutDefault []string
	for key, decl := range p.Config {
		if decl.Default == nil {
			withoutDefault = append(withoutDefault, key)
		}
	}
	if slices.Sort(withoutDefault); !slices.Equal(withoutDefault, []string{"secrets", "sources"}) {
		t.Errorf("keys without default %v, want only sources and secrets", withoutDefault)
	}
}

// TestDevStack checks Pulumi.dev.yaml against Pulumi.yaml as the CLI would,
// then runs the program with it (plus the secret an operator sets).
func TestDevStack(t *testing.T) {
	p := loadProject(t)
	stack, err := workspace.LoadProjectStack(nil, p, "../Pulumi.dev.yaml")
	if err != nil {
		t.Fatalf("Pulumi.dev.yaml: %v", err)
	}
	cfg := map[string]string{}
	for key, v := range stack.Config {
		if v.Secure() {
			// An operator's own encrypted secret, set while following the
			// deploy steps; it cannot be read without their passphrase.
			continue
		}
		s, err := v.Value(config.NopDecrypter)
		if err != nil {
			t.Fatal(err)
		}
		cfg[key.String()] = s
		if key.Namespace() != testProject {
			continue
		}
		decl, ok := p.Config[key.Name()]
		if !ok {
			t.Errorf("Pulumi.dev.yaml sets %s, which Pulumi.yaml does not declare", key)
			continue
		}
		var value any = s
		if v.Object() {
			value, err = v.ToObject()
			if err != nil {
				t.Fatal(err)
			}
		}
		if !workspace.ValidateConfigValue(*decl.Type, decl.Items, value) {
			t.Errorf("Pulumi.dev.yaml %s = %s is not of type %s", key, s, *decl.Type)
		}
	}
	if cfg["aws:region"] == "" {
		t.Error("Pulumi.dev.yaml sets no aws:region")
	}
	var sources []contract.Source
	if err := json.Unmarshal([]byte(cfg[testProject+":sources"]), &sources); err != nil || len(sources) != 1 || sources[0].Preset != "generic" {
		t.Fatalf("Pulumi.dev.yaml sources %v (%v), want one generic source", sources, err)
	}
	for key, decl := range p.Config {
		full := testProject + ":" + key
		if _, set := cfg[full]; !set && decl.Default != nil {
			cfg[full] = engineValue(decl.Default)
		}
	}
	cfg[testProject+":secrets"] = mustMarshal(map[string]string{sources[0].Name: "dev-secret"})
	c := mustRun(t, cfg)
	if got := names(c.all(tRoute)); !slices.Equal(got, []string{nAPI + "-" + sources[0].Name}) {
		t.Errorf("dev stack routes %v", got)
	}
}
