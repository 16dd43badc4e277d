package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sampleTests is a throwaway package whose tests pass, fail and skip in every
// way the report must tell apart, so the stream under test is the real output
// of `go test -json`, not a hand-written imitation of it.
const sampleTests = `package sample

import "testing"

func TestPasses(t *testing.T) {}

func TestFails(t *testing.T) { t.Log("the detail"); t.Fatal("it broke") }

func TestSkips(t *testing.T) { t.Skip("needs SAMPLE_ENV=1") }

func TestTable(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("skipped", func(t *testing.T) { t.Skip("not on this OS") })
}
`

// sampleStream returns the `go test -json` stream of sampleTests.
func sampleStream(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":         "module example.com/sample\n\ngo 1.22\n",
		"sample_test.go": sampleTests,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(context.Background(), "go", "test", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	stream, err := cmd.Output()
	// go test exits 1 because TestFails fails; anything else is a setup error.
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		t.Fatalf("go test -json: %v\n%s", err, stream)
	}
	return stream
}

func runSample(t *testing.T) *report {
	t.Helper()
	r, err := summarize(bytes.NewReader(sampleStream(t)), io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSummarizeRealStream(t *testing.T) {
	stream := sampleStream(t)
	tests := []struct {
		verbose bool
		// shown must appear exactly once in the output, hidden never.
		shown, hidden []string
	}{
		{false, []string{"it broke", "the detail", "FAIL\texample.com/sample"}, []string{"=== RUN   TestPasses"}},
		{true, []string{"it broke", "the detail", "=== RUN   TestPasses", "FAIL\texample.com/sample"}, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("verbose=%v", tt.verbose), func(t *testing.T) {
			var out bytes.Buffer
			r, err := summarize(bytes.NewReader(stream), &out, tt.verbose)
			if err != nil {
				t.Fatal(err)
			}
			// Passed: TestPasses, TestTable/ok and TestTable, a parent whose
			// subtest skipped.
			if r.Passed != 3 || r.Failed != 1 || r.Skipped != 2 {
				t.Errorf("passed/failed/skipped = %d/%d/%d, want 3/1/2", r.Passed, r.Failed, r.Skipped)
			}
			if r.Packages != 1 || len(r.FailedPackages) != 1 {
				t.Errorf("packages = %d, failed %v; want 1 package that failed", r.Packages, r.FailedPackages)
			}
			for _, want := range tt.shown {
				if n := strings.Count(out.String(), want); n != 1 {
					t.Errorf("output has %q %d times, want once:\n%s", want, n, out.String())
				}
			}
			for _, unwanted := range tt.hidden {
				if strings.Contains(out.String(), unwanted) {
					t.Errorf("output has %q:\n%s", unwanted, out.String())
				}
			}
			if got := r.SkipReasons[testID{"example.com/sample", "TestSkips"}]; !strings.Contains(got, "needs SAMPLE_ENV=1") {
				t.Errorf("skip reason of TestSkips = %q, want the t.Skip message", got)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	r := runSample(t)
	r.Failed, r.FailedPackages = 0, nil // judge the skips alone
	tests := []struct {
		name     string
		allowed  map[testID]bool
		problems int
	}{
		{"nothing allowed", nil, 2},
		{"one allowed", map[testID]bool{{"example.com/sample", "TestSkips"}: true}, 1},
		{"parent allows its subtests", map[testID]bool{
			{"example.com/sample", "TestSkips"}: true,
			{"example.com/sample", "TestTable"}: true,
		}, 0},
		{"other package", map[testID]bool{{"example.com/other", "TestSkips"}: true}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if got := r.verdict(&out, tt.allowed); got != tt.problems {
				t.Errorf("problems = %d, want %d\n%s", got, tt.problems, out.String())
			}
		})
	}
}

func TestVerdictNoTestRan(t *testing.T) {
	r, err := summarize(strings.NewReader(`{"Action":"skip","Package":"example.com/empty"}`+"\n"), &bytes.Buffer{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if got := r.verdict(&out, nil); got != 1 || !strings.Contains(out.String(), "no test ran") {
		t.Errorf("problems = %d, output %q; want 1 and \"no test ran\"", got, out.String())
	}
}

func TestReadAllowList(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []testID
		wantErr bool
	}{
		{"comments and blanks", "# why\n\nexample.com/a TestX\n  example.com/b TestY/sub  \n", []testID{{"example.com/a", "TestX"}, {"example.com/b", "TestY/sub"}}, false},
		{"missing test name", "example.com/a\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "allow")
			if err := os.WriteFile(name, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readAllowList(name)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, id := range tt.want {
				if !got[id] {
					t.Errorf("%v not allowed; got %v", id, got)
				}
			}
		})
	}
}
