package components

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// handlerPackage is the main package of the Lambda, relative to the module
// root.
const handlerPackage = "./handler"

// Program is the Pulumi program: it reads the stack configuration, builds
// the handler, creates the pipeline and exports its outputs. `pulumi up`
// (through main.go), the Automation API and the tests all run it.
func Program(ctx *pulumi.Context) error {
	in, err := deploy(ctx)
	if err != nil {
		return err
	}
	for name, value := range outputs(in) {
		ctx.Export(name, value)
	}
	return nil
}

func deploy(ctx *pulumi.Context) (*Ingest, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	pkg, err := buildHandler(ctx.Context(), cfg.Architecture)
	if err != nil {
		return nil, err
	}
	return NewIngest(ctx, "webhook-ingest", &IngestArgs{Config: cfg, Code: pulumi.NewFileArchive(pkg)})
}

// buildHandler builds the handler for the Lambda architecture arch into
// dist/<goarch>/ of the module and returns the deployment package's path.
// The tests replace it with a wrapper that runs the real build once per
// test binary.
var buildHandler = func(ctx context.Context, arch string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the working directory: %w", err)
	}
	root, err := moduleRoot(ctx, wd)
	if err != nil {
		return "", err
	}
	goarch, err := goarchOf(arch)
	if err != nil {
		return "", err
	}
	return Build(ctx, root, handlerPackage, arch, filepath.Join(root, "dist", goarch))
}
