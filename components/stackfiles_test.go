package components

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// setUpDev is what the documented setup (docs/ci-and-deploy.md, "Create the
// stacks") adds to the committed Pulumi.dev.yaml, as the Pulumi CLI v3.274.1
// wrote it on a file backend with the passphrase provider:
//
//	pulumi stack init dev --secrets-provider passphrase
//	pulumi config set --stack dev --secret --path 'secrets.orders' '<secret>'
//
// With a KMS provider the stack line is secretsprovider plus encryptedkey
// instead of encryptionsalt; the secret is the same shape.
const setUpDev = `  webhook-ingest:secrets:
    orders:
      secure: v1:RPxJoEjaXf/KaAtL:43p6UorM49JiD0WBQCyGvtYdqNsOrssaWGM=
encryptionsalt: v1:xlzCipmyyVg=:v1:ccIpkD/oruECAg6L:p0044NOpueVj+bM06cLTtXQQx8CVPQ==
`

// secretProviders are the schemes `pulumi stack init --secrets-provider`
// accepts besides passphrase and default.
var secretProviders = []string{"awskms://", "azurekeyvault://", "gcpkms://", "hashivault://"}

// stackFiles returns the Pulumi.<stack>.yaml files of the repository, by
// stack name: the stacks the workflows preview and deploy.
func stackFiles(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("../Pulumi.*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range paths {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "Pulumi."), ".yaml")
		out[name] = p
	}
	return out
}

// TestStackFiles checks every committed stack settings file the way the CLI
// and the workflows use it, then deploys it under the mocks: its keys are
// declared in Pulumi.yaml and of their type, it names a region and valid
// sources, its secrets provider fields are complete, and a secret it holds
// is encrypted and belongs to a source. The committed Pulumi.dev.yaml is
// also checked with what the documented setup adds to it, which is what CI
// previews.
func TestStackFiles(t *testing.T) {
	files := stackFiles(t)
	if _, ok := files["dev"]; !ok {
		t.Fatal("Pulumi.dev.yaml is not committed")
	}
	for name, path := range files {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkStackFile(t, name, b)
		})
	}
	t.Run("dev after the documented setup", func(t *testing.T) {
		b, err := os.ReadFile(files["dev"])
		if err != nil {
			t.Fatal(err)
		}
		// Once the team has committed its own setup, the file is checked as
		// it is.
		if !strings.Contains(string(b), "webhook-ingest:secrets:") {
			if !strings.HasSuffix(string(b), "\n      preset: generic\n") {
				t.Fatalf("Pulumi.dev.yaml no longer ends with its source list; update setUpDev:\n%s", b)
			}
			b = append(b, setUpDev...)
		}
		if secrets := checkStackFile(t, "dev", b); !secrets {
			t.Error("the set-up Pulumi.dev.yaml holds no secret")
		}
	})
}

// checkStackFile checks the settings file of stack (see TestStackFiles) and
// reports whether it holds the sources' secrets.
func checkStackFile(t *testing.T, stack string, b []byte) (hasSecrets bool) {
	t.Helper()
	p := loadProject(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "Pulumi."+stack+".yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ps, err := workspace.LoadProjectStack(nil, p, file)
	if err != nil {
		t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
	}

	// The secrets provider: the fields a provider needs, and no fields of
	// another. Without any, the backend decides (Pulumi Cloud encrypts; a
	// self-managed backend asks for a passphrase, which the workflows refuse
	// before running: .github/actions/stack-ready).
	switch sp := ps.SecretsProvider; {
	case sp == "" || sp == "default":
		if ps.EncryptedKey != "" {
			t.Errorf("Pulumi.%s.yaml has an encryptedkey but no secretsprovider", stack)
		}
	case sp == "passphrase":
		if ps.EncryptedKey != "" {
			t.Errorf("Pulumi.%s.yaml: the passphrase provider takes an encryptionsalt, not an encryptedkey", stack)
		}
	case slices.ContainsFunc(secretProviders, func(s string) bool { return strings.HasPrefix(sp, s) }):
		if ps.EncryptedKey == "" || ps.EncryptionSalt != "" {
			t.Errorf("Pulumi.%s.yaml: secretsprovider %s needs its encryptedkey (and no encryptionsalt)", stack, sp)
		}
	default:
		t.Errorf("Pulumi.%s.yaml: unknown secretsprovider %q", stack, sp)
	}

	cfg := map[string]string{}
	var secretNames []string
	for key, v := range ps.Config {
		s, err := v.Value(config.NopDecrypter)
		if err != nil {
			t.Fatal(err)
		}
		if key.Namespace() != testProject {
			if v.Secure() {
				continue
			}
			cfg[key.String()] = s
			continue
		}
		decl, ok := p.Config[key.Name()]
		if !ok {
			t.Errorf("Pulumi.%s.yaml sets %s, which Pulumi.yaml does not declare", stack, key)
			continue
		}
		if decl.Secret && !v.Secure() {
			t.Errorf("Pulumi.%s.yaml holds %s in plain text: set it with --secret", stack, key)
			continue
		}
		if key.Name() == "secrets" {
			// Each value is ciphertext here; the names are the sources'.
			var byName map[string]any
			if err := json.Unmarshal([]byte(s), &byName); err != nil {
				t.Fatalf("Pulumi.%s.yaml %s is not an object of secrets: %v", stack, key, err)
			}
			for name := range byName {
				secretNames = append(secretNames, name)
			}
			hasSecrets = true
			continue
		}
		var value any = s
		if v.Object() {
			if value, err = v.ToObject(); err != nil {
				t.Fatal(err)
			}
		}
		if !workspace.ValidateConfigValue(*decl.Type, decl.Items, value) {
			t.Errorf("Pulumi.%s.yaml %s = %s is not of type %s", stack, key, s, *decl.Type)
		}
		cfg[key.String()] = s
	}
	if cfg["aws:region"] == "" {
		t.Errorf("Pulumi.%s.yaml sets no aws:region", stack)
	}
	var sources []contract.Source
	if err := json.Unmarshal([]byte(cfg[testProject+":sources"]), &sources); err != nil || len(sources) == 0 {
		t.Fatalf("Pulumi.%s.yaml sources %s: %v", stack, cfg[testProject+":sources"], err)
	}
	resolved, err := contract.ResolveSources(sources)
	if err != nil {
		t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
	}
	var sourceNames []string
	standIn := map[string]string{}
	for _, s := range resolved {
		sourceNames = append(sourceNames, s.Name())
		standIn[s.Name()] = standInSecret(t, s)
	}
	if hasSecrets {
		slices.Sort(secretNames)
		slices.Sort(sourceNames)
		if !slices.Equal(secretNames, sourceNames) {
			t.Errorf("Pulumi.%s.yaml holds secrets for %v, its sources are %v", stack, secretNames, sourceNames)
		}
	}

	// Deploy it under the mocks, with Pulumi.yaml's defaults filled in as
	// the engine does and a valid stand-in for each source's secret (the
	// real ones cannot be decrypted here).
	for key, decl := range p.Config {
		full := testProject + ":" + key
		if _, set := cfg[full]; !set && decl.Default != nil {
			cfg[full] = engineValue(decl.Default)
		}
	}
	cfg[testProject+":secrets"] = mustMarshal(standIn)
	c := mustRun(t, cfg)
	if got, want := len(c.all(tRoute)), len(resolved); got != want {
		t.Errorf("Pulumi.%s.yaml deploys %d routes, want one per source (%d)", stack, got, want)
	}
	return hasSecrets
}

// standInSecret is a valid secret for s's preset, from the presets' test
// cases.
func standInSecret(t *testing.T, s contract.ResolvedSource) string {
	t.Helper()
	for _, c := range presetCases {
		if c.source.Preset == s.Source.Preset {
			return c.secret
		}
	}
	t.Fatalf("no test secret for preset %s", s.Source.Preset)
	return ""
}
