package components

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// Config is the validated stack configuration (see stackconfig.Config) and
// the sources' secrets.
type Config struct {
	stackconfig.Config
	// Secrets maps each source name to its signing secrets (one per line,
	// newest first) as a Pulumi secret, so they stay encrypted in state.
	Secrets map[string]pulumi.StringInput
}

// LoadConfig reads and validates the stack configuration of ctx with
// stackconfig, as webhook-ops serve reads a stack file. Every error names the
// offending key and how to fix it, and never contains a secret.
func LoadConfig(ctx *pulumi.Context) (Config, error) {
	v := contextValues{ctx}
	cfg, err := stackconfig.Load(ctx.Project(), ctx.Stack(), v)
	if err != nil {
		return Config{}, err
	}
	secrets, err := stackconfig.Secrets(ctx.Project(), v, cfg.Sources)
	if err != nil {
		return Config{}, err
	}
	out := Config{Config: cfg, Secrets: make(map[string]pulumi.StringInput, len(secrets))}
	for name, s := range secrets {
		out.Secrets[name] = pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput)
	}
	return out, nil
}
