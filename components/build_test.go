package components

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// throwawayModule writes a small main package with its own go.mod into dir.
func throwawayModule(t *testing.T, dir, main string) {
	t.Helper()
	files := map[string]string{
		"go.mod":           "module example.com/throwaway\n\ngo 1.26\n",
		"cmd/hook/main.go": main,
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const throwawayMain = `package main

import "os"

func main() { os.Stdout.WriteString("hook\n") }
`

// assertELFMachine checks that the bootstrap in the zip at path is a Linux
// executable for goarch.
func assertELFMachine(t *testing.T, zipPath, goarch string) {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	e, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF executable: %v", err)
	}
	want := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64}[goarch]
	if e.Machine != want || e.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an %v executable", e.Type, e.Machine, want)
	}
}

// TestBuildIsReproducible builds the same source from two different
// directories into two different output directories: the executables and
// the deployment packages must be the same bytes.
func TestBuildIsReproducible(t *testing.T) {
	ctx := context.Background()
	srcA, srcB := t.TempDir(), filepath.Join(t.TempDir(), "elsewhere", "deeper")
	throwawayModule(t, srcA, throwawayMain)
	throwawayModule(t, srcB, throwawayMain)
	zipA, err := Build(ctx, srcA, "./cmd/hook", ArchARM64, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	zipB, err := Build(ctx, srcB, "./cmd/hook", ArchARM64, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if a, b := sha256File(t, zipA), sha256File(t, zipB); a != b {
		t.Errorf("deployment packages differ: %s vs %s", a, b)
	}
	binA, binB := filepath.Join(filepath.Dir(zipA), "bootstrap"), filepath.Join(filepath.Dir(zipB), "bootstrap")
	if a, b := sha256File(t, binA), sha256File(t, binB); a != b {
		t.Errorf("executables differ: %s vs %s", a, b)
	}
	assertELFMachine(t, zipA, "arm64")
}

// TestHandlerBuildIsReproducible builds the real handler twice into two
// directories and compares the results.
func TestHandlerBuildIsReproducible(t *testing.T) {
	ctx := context.Background()
	root, err := moduleRoot(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	var zips [2]string
	for i := range zips {
		if zips[i], err = Build(ctx, root, handlerPackage, ArchARM64, t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := sha256File(t, zips[0]), sha256File(t, zips[1]); a != b {
		t.Errorf("two builds of ./handler differ: %s vs %s", a, b)
	}
	if a, b := sha256File(t, filepath.Join(filepath.Dir(zips[0]), "bootstrap")), sha256File(t, filepath.Join(filepath.Dir(zips[1]), "bootstrap")); a != b {
		t.Errorf("two handler executables differ: %s vs %s", a, b)
	}
	assertELFMachine(t, zips[0], "arm64")
}

func TestBuildPackage(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	throwawayModule(t, src, throwawayMain)
	zipPath, err := Build(context.Background(), src, "./cmd/hook", ArchARM64, out)
	if err != nil {
		t.Fatal(err)
	}
	if zipPath != filepath.Join(out, "bootstrap.zip") {
		t.Errorf("package at %s", zipPath)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != "bootstrap,bootstrap.zip" {
		t.Errorf("build left %v in the output directory", left)
	}

	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 {
		t.Fatalf("package holds %d files", len(zr.File))
	}
	f := zr.File[0]
	if f.Name != "bootstrap" {
		t.Errorf("package holds %q, want bootstrap", f.Name)
	}
	if mode := f.Mode(); mode.Perm() != 0o755 || !mode.IsRegular() {
		t.Errorf("bootstrap mode %v, want an executable -rwxr-xr-x", mode)
	}
	if !f.Modified.Equal(zipTime) {
		t.Errorf("bootstrap modified %v, want the fixed %v", f.Modified, zipTime)
	}
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	inZip, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join(out, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(inZip, bin) {
		t.Error("the packaged bootstrap is not the built executable")
	}
}

func TestBuildForX8664(t *testing.T) {
	src := t.TempDir()
	throwawayModule(t, src, throwawayMain)
	zipPath, err := Build(context.Background(), src, "./cmd/hook", ArchX8664, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	assertELFMachine(t, zipPath, "amd64")
}

func TestBuildFailureReportsCompilerOutput(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	throwawayModule(t, src, "package main\n\nfunc main() { undefinedHook() }\n")
	_, err := Build(context.Background(), src, "./cmd/hook", ArchARM64, out)
	if err == nil {
		t.Fatal("a package that does not compile built")
	}
	if !strings.Contains(err.Error(), "undefined: undefinedHook") {
		t.Errorf("error does not carry the compiler's message: %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(out, "bootstrap.zip")); !os.IsNotExist(statErr) {
		t.Error("a failed build left a deployment package behind")
	}
}

func TestBuildRejectsUnknownArchitecture(t *testing.T) {
	if _, err := Build(context.Background(), t.TempDir(), "./cmd/hook", "arm", t.TempDir()); err == nil || !strings.Contains(err.Error(), "arm64") {
		t.Errorf("unknown architecture: %v", err)
	}
}

func TestModuleRoot(t *testing.T) {
	ctx := context.Background()
	root, err := moduleRoot(ctx, ".")
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if root != filepath.Dir(wd) {
		t.Errorf("module root %s from %s, want its parent", root, wd)
	}
	if _, err := os.Stat(filepath.Join(root, "handler")); err != nil {
		t.Errorf("module root %s has no handler: %v", root, err)
	}
	if _, err := moduleRoot(ctx, t.TempDir()); err == nil {
		t.Error("a directory outside any module has a module root")
	}
}
