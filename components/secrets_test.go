package components

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestSecretParameters(t *testing.T) {
	c := allPresets(t)
	if got, want := len(c.all(tParameter)), len(presetCases); got != want {
		t.Fatalf("%d parameters, want one per source (%d)", got, want)
	}
	for _, pc := range presetCases {
		p := c.one(t, tParameter, "webhook-ingest-secrets-"+pc.source.Name)
		if got, want := str(t, p, "name"), "/webhook-ingest/dev/"+pc.source.Name; got != want {
			t.Errorf("parameter name %q, want %q", got, want)
		}
		if got := str(t, p, "type"); got != "SecureString" {
			t.Errorf("parameter %s type %q, want SecureString", pc.source.Name, got)
		}
		if has(p, "keyId") {
			t.Errorf("parameter %s names a key; the processor's role is granted no kms:Decrypt", pc.source.Name)
		}
		v := p.Inputs["value"]
		if !v.ContainsSecrets() {
			t.Errorf("parameter %s value is not a Pulumi secret, so state would hold it in plaintext", pc.source.Name)
		}
		if got := str(t, p, "value"); got != pc.secret {
			t.Errorf("parameter %s holds %d bytes, not the configured secret", pc.source.Name, len(got))
		}
	}
}

// TestNoSecretOutsideItsParameter walks every input of every resource,
// including the function's environment, for any secret or any line of one.
func TestNoSecretOutsideItsParameter(t *testing.T) {
	c := allPresets(t)
	var needles []string
	for _, pc := range presetCases {
		for line := range strings.SplitSeq(pc.secret, "\n") {
			needles = append(needles, line)
			if key, ok := strings.CutPrefix(line, "whsec_"); ok {
				needles = append(needles, key)
				raw, err := base64.StdEncoding.DecodeString(key)
				if err == nil {
					needles = append(needles, string(raw))
				}
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.resources {
		for key, v := range r.Inputs {
			if r.Type == tParameter && key == "value" {
				continue
			}
			walkStrings(v, func(s string) {
				for _, n := range needles {
					if strings.Contains(s, n) {
						t.Errorf("%s %s input %s contains a secret", r.Type, r.Name, key)
					}
				}
			})
		}
	}
}

func walkStrings(v resource.PropertyValue, f func(string)) {
	switch {
	case v.IsString():
		f(v.StringValue())
	case v.IsSecret():
		walkStrings(v.SecretValue().Element, f)
	case v.IsOutput():
		walkStrings(v.OutputValue().Element, f)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			walkStrings(e, f)
		}
	case v.IsObject():
		for k, e := range v.ObjectValue() {
			f(string(k))
			walkStrings(e, f)
		}
	case v.IsArchive():
		a := v.ArchiveValue()
		f(a.Path)
		f(a.URI)
	case v.IsAsset():
		a := v.AssetValue()
		f(a.Path)
		f(a.Text)
	}
}

func TestSecretsArgs(t *testing.T) {
	sources := resolve(t, []contract.Source{{Name: "orders", Preset: "generic"}})
	values := map[string]pulumi.StringInput{"orders": pulumi.ToSecret(pulumi.String("s")).(pulumi.StringOutput)}
	for _, tc := range []struct {
		args SecretsArgs
		want string
	}{
		{SecretsArgs{Sources: sources, Values: values}, `SecretsArgs.ParameterPrefix "" must start with /`},
		{SecretsArgs{ParameterPrefix: "/p", Values: values}, "SecretsArgs.Sources is empty"},
		{SecretsArgs{ParameterPrefix: "/p", Sources: sources}, `SecretsArgs.Values has no secret for source "orders"`},
	} {
		assertComponentError(t, func(ctx *pulumi.Context) error {
			_, err := NewSecrets(ctx, "s", &tc.args)
			return err
		}, tc.want)
	}
}
