// Command pulumi-resource-aws is the engine test's stand-in for the Pulumi AWS
// provider plugin (see package fakeawsprovider): a test double that checks
// shapes, not AWS. Put the directory holding it first on PATH and the Pulumi
// engine loads it in place of the real plugin.
//
// Like every plugin, it prints the port it serves gRPC on as the first line
// of its standard output; the engine passes arguments it does not need.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"

	"github.com/webhook-ingest/webhook-ingest/internal/fakeawsprovider"
)

func main() {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, &fakeawsprovider.Provider{})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (fake):", err)
		os.Exit(1)
	}
	fmt.Println(handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (fake):", err)
		os.Exit(1)
	}
}
