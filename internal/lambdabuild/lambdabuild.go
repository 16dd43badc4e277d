// Package lambdabuild compiles the webhook handler for Lambda's
// provided.al2023 runtime. It is the one place that holds the handler's go
// build flags: the Pulumi program (components.Build) and the emulator tests
// both build through it.
package lambdabuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Executable is the file name the provided runtimes start.
const Executable = "bootstrap"

// Flags are the go build flags of the handler: no RPC fallback of
// aws-lambda-go (lambda.norpc), stripped, and no build path or VCS stamp, so
// that the same source and toolchain give the same bytes in any directory.
var Flags = []string{"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w"}

// Env returns the variables that, added to the environment, select goos and
// goarch without cgo. The microarchitecture levels are pinned to Go's
// defaults, which every Lambda host runs, so that a developer's GOAMD64 or
// GOARM64 cannot change the binary.
func Env(goos, goarch string) []string {
	return []string{"GOOS=" + goos, "GOARCH=" + goarch, "CGO_ENABLED=0", "GOAMD64=v1", "GOARM64=v8.0"}
}

// Build compiles the main package pkg (such as "./handler") of the Go module
// in moduleDir for goos and goarch into dir/bootstrap, and returns that path.
// It builds beside the file and renames it into place, so a concurrent reader
// never sees half of it. A failed build returns the compiler's output.
func Build(ctx context.Context, moduleDir, pkg, goos, goarch, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create build directory: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", fmt.Errorf("create build directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	built := filepath.Join(tmp, Executable)
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"build"}, Flags...), "-o", built, pkg)...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), Env(goos, goarch)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s for %s/%s in %s: %w\n%s", pkg, goos, goarch, moduleDir, err, strings.TrimSpace(out.String()))
	}
	path := filepath.Join(dir, Executable)
	if err := os.Rename(built, path); err != nil {
		return "", fmt.Errorf("move %s into %s: %w", Executable, dir, err)
	}
	return path, nil
}
