package components

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/webhook-ingest/webhook-ingest/internal/lambdabuild"
)

// zipName is the file name of the deployment package.
const zipName = "bootstrap.zip"

// zipTime is the modification time of every entry of a deployment package:
// fixed, so two builds of the same source are the same bytes and
// `pulumi preview` shows no change to the function.
var zipTime = time.Date(1990, time.January, 1, 0, 0, 0, 0, time.UTC)

// goarchOf returns the Go architecture that runs on the Lambda architecture
// arch.
func goarchOf(arch string) (string, error) {
	switch arch {
	case ArchARM64:
		return "arm64", nil
	case ArchX8664:
		return "amd64", nil
	}
	return "", fmt.Errorf("unknown Lambda architecture %q (want %s or %s)", arch, ArchARM64, ArchX8664)
}

// Build compiles the main package pkg (such as "./handler") of the Go module
// in moduleDir for Lambda's provided.al2023 runtime on the Lambda
// architecture arch, with lambdabuild. It writes the executable to
// outDir/bootstrap and the deployment package, a zip holding it as an
// executable "bootstrap", to outDir/bootstrap.zip, and returns the zip's path.
//
// The build is reproducible: the same source and Go toolchain give the same
// bytes in any directory. A failed build returns the compiler's output.
func Build(ctx context.Context, moduleDir, pkg, arch, outDir string) (string, error) {
	goarch, err := goarchOf(arch)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(outDir, 0o750); err != nil {
		return "", fmt.Errorf("create build directory: %w", err)
	}
	// Build beside the final files and rename both, so a reader never sees
	// half a file or the executable of one build beside the zip of another.
	tmp, err := os.MkdirTemp(outDir, ".build-")
	if err != nil {
		return "", fmt.Errorf("create build directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	bin, err := lambdabuild.Build(ctx, moduleDir, pkg, "linux", goarch, tmp)
	if err != nil {
		return "", err
	}
	if err := writeZip(filepath.Join(tmp, zipName), bin); err != nil {
		return "", err
	}
	for _, name := range []string{lambdabuild.Executable, zipName} {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(outDir, name)); err != nil {
			return "", fmt.Errorf("move %s into %s: %w", name, outDir, err)
		}
	}
	return filepath.Join(outDir, zipName), nil
}

// writeZip writes a zip holding the file bin as "bootstrap" with mode 0755:
// the runtime executes bootstrap, and zips written without a Unix mode
// (as Pulumi's own archives are) leave it to Lambda whether it may.
func writeZip(path, bin string) (err error) {
	src, err := os.Open(bin)
	if err != nil {
		return fmt.Errorf("open %s: %w", bin, err)
	}
	defer src.Close()
	dst, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := dst.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()

	zw := zip.NewWriter(dst)
	h := &zip.FileHeader{Name: lambdabuild.Executable, Method: zip.Deflate, Modified: zipTime}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := io.Copy(w, src); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// moduleRoot returns the root directory of the Go module that contains dir,
// asking the go command so that it agrees with the build.
func moduleRoot(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("%s is not inside a Go module: run the program from the webhook-ingest checkout (the directory holding Pulumi.yaml)", dir)
	}
	return filepath.Dir(gomod), nil
}
