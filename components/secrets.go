package components

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// SecretsArgs configures Secrets.
type SecretsArgs struct {
	// ParameterPrefix starts every parameter's name, "<prefix>/<source>";
	// it must start with "/" and be unique to the stack. Required.
	ParameterPrefix string
	// Sources each get a parameter. Required.
	Sources []contract.ResolvedSource
	// Values maps each source name to its secrets (one per line, newest
	// first). They must be Pulumi secrets so they stay encrypted in state.
	Values map[string]pulumi.StringInput
}

// check reports what is wrong with a.
func (a *SecretsArgs) check() error {
	if !strings.HasPrefix(a.ParameterPrefix, "/") {
		return fmt.Errorf("SecretsArgs.ParameterPrefix %q must start with /", a.ParameterPrefix)
	}
	if len(a.Sources) == 0 {
		return errors.New("SecretsArgs.Sources is empty: give at least one source")
	}
	for _, s := range a.Sources {
		if a.Values[s.Name()] == nil {
			return fmt.Errorf("SecretsArgs.Values has no secret for source %q", s.Name())
		}
	}
	return nil
}

// Secrets holds each source's signing secrets in an SSM SecureString
// parameter encrypted with the AWS managed key aws/ssm. The handler reads
// them at cold start; they never appear in the function's environment.
type Secrets struct {
	pulumi.ResourceState

	// ARNs are the parameter ARNs, in the order of SecretsArgs.Sources.
	ARNs pulumi.StringArrayOutput
	// Selectors are "<name>:<version>" of each parameter's current
	// version, in the same order. The handler reads exactly these versions,
	// so a changed secret changes the function's configuration and Lambda
	// replaces every instance that still holds the old value.
	Selectors pulumi.StringArrayOutput
	// ParameterNames maps each source name to its parameter's name, so
	// that operator tools can read a source's current secrets.
	ParameterNames pulumi.StringMapOutput
}

// NewSecrets creates one parameter per source.
func NewSecrets(ctx *pulumi.Context, name string, args *SecretsArgs, opts ...pulumi.ResourceOption) (*Secrets, error) {
	if err := args.check(); err != nil {
		return nil, err
	}
	s := &Secrets{}
	if err := ctx.RegisterComponentResource("webhook-ingest:secrets:Secrets", name, s, opts...); err != nil {
		return nil, err
	}
	arns := make(pulumi.StringArray, 0, len(args.Sources))
	selectors := make(pulumi.StringArray, 0, len(args.Sources))
	parameters := make(pulumi.StringMap, len(args.Sources))
	for _, src := range args.Sources {
		p, err := ssm.NewParameter(ctx, name+"-"+src.Name(), &ssm.ParameterArgs{
			Name:        pulumi.String(stackconfig.SecretParameterName(args.ParameterPrefix, src.Name())),
			Description: pulumi.String(fmt.Sprintf("Signing secrets of webhook source %s, one per line, newest first", src.Name())),
			Type:        pulumi.String("SecureString"),
			Tier:        pulumi.String("Standard"),
			Value:       args.Values[src.Name()],
		}, pulumi.Parent(s))
		if err != nil {
			return nil, fmt.Errorf("create secret parameter of source %s: %w", src.Name(), err)
		}
		arns = append(arns, p.Arn)
		selectors = append(selectors, pulumi.Sprintf("%s:%d", p.Name, p.Version))
		parameters[src.Name()] = p.Name
	}
	s.ARNs = arns.ToStringArrayOutput()
	s.Selectors = selectors.ToStringArrayOutput()
	s.ParameterNames = parameters.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{"arns": s.ARNs, "selectors": s.Selectors, "parameterNames": s.ParameterNames}); err != nil {
		return nil, err
	}
	return s, nil
}
