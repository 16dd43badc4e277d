package lambdabuild

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// module writes a module holding the main package ./cmd/hook into a new
// directory and returns it.
func module(t *testing.T, main string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":           "module example.com/hook\n\ngo 1.26\n",
		"cmd/hook/main.go": main,
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const hookMain = "package main\n\nfunc main() { println(\"hook\") }\n"

// build builds ./cmd/hook of a fresh module for linux/goarch and returns the
// executable's bytes.
func build(t *testing.T, goarch string) []byte {
	t.Helper()
	out := t.TempDir()
	path, err := Build(context.Background(), module(t, hookMain), "./cmd/hook", "linux", goarch, out)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(out, Executable) {
		t.Errorf("built %s, want %s in %s", path, Executable, out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("build left %d entries in the output directory, want only %s", len(entries), Executable)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuild(t *testing.T) {
	for goarch, machine := range map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64} {
		t.Run(goarch, func(t *testing.T) {
			f, err := elf.NewFile(bytes.NewReader(build(t, goarch)))
			if err != nil {
				t.Fatalf("not an ELF file: %v", err)
			}
			if f.Machine != machine || f.Type != elf.ET_EXEC {
				t.Errorf("built a %v %v, want a %v executable", f.Type, f.Machine, machine)
			}
			if f.Section(".symtab") != nil {
				t.Error("executable has a symbol table, want it stripped")
			}
		})
	}
}

// TestBuildIsReproducible builds the same source in two directories, the
// second with a developer's GOAMD64 or GOARM64 set: the executables must be
// the same bytes.
func TestBuildIsReproducible(t *testing.T) {
	for goarch, level := range map[string][2]string{"amd64": {"GOAMD64", "v3"}, "arm64": {"GOARM64", "v9.0"}} {
		t.Run(goarch, func(t *testing.T) {
			want := build(t, goarch)
			t.Setenv(level[0], level[1])
			if !bytes.Equal(build(t, goarch), want) {
				t.Errorf("%s=%s changed the executable", level[0], level[1])
			}
		})
	}
}

func TestBuildFailureReportsCompilerOutput(t *testing.T) {
	out := t.TempDir()
	_, err := Build(context.Background(), module(t, "package main\n\nfunc main() { undefinedHook() }\n"), "./cmd/hook", "linux", "arm64", out)
	if err == nil || !strings.Contains(err.Error(), "undefined: undefinedHook") {
		t.Fatalf("error %v, want the compiler's message", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a failed build left %d entries in the output directory", len(entries))
	}
}
