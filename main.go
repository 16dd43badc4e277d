// Command webhook-ingest is the Pulumi program that deploys webhook-ingest;
// run it with `pulumi up` (see docs/infrastructure.md).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/components"
)

func main() {
	pulumi.Run(components.Program)
}
