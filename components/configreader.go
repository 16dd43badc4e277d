package components

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// contextValues is the stack configuration of a Pulumi program, as
// stackconfig reads it.
type contextValues struct{ ctx *pulumi.Context }

func (v contextValues) Get(key string) (string, bool) { return v.ctx.GetConfig(key) }

func (v contextValues) IsSecret(key string) bool { return v.ctx.IsConfigSecret(key) }
