// Command testreport reads the event stream of `go test -json` on standard
// input and reports it the way CI needs: package results as they finish, the
// full output of every failed test, and every skipped test with its reason.
// It exits non-zero when a test or build failed, when no test ran at all, or
// when a test skipped that the allow-list does not name, because in CI a
// skipped test is a test that silently did not run.
//
// Usage:
//
//	go test -json ./... | go run ./scripts/testreport [-v] [-allow FILE]
//
// With -v every line of test output is printed as it arrives, as
// `go test -v` would, for long tests whose progress matters.
//
// The allow-list file holds one "<import path> <test name>" per line; blank
// lines and lines starting with '#' are ignored.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent) or of the
// build events go test interleaves with it.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	FailedBuild string
	ImportPath  string
}

// testID names one test, subtests included ("TestX/case").
type testID struct {
	Package, Test string
}

func (id testID) String() string { return id.Package + " " + id.Test }

// report is what a stream amounted to.
type report struct {
	Passed, Failed, Skipped int
	// Packages counts package test runs: a package fuzzed after its tests
	// ran counts once per run.
	Packages       int
	FailedPackages []string
	// SkipReasons holds the last output lines of each skipped test.
	SkipReasons map[testID]string
	Skips       []testID
}

func main() {
	allowFile := flag.String("allow", "", "file listing the tests allowed to skip")
	verbose := flag.Bool("v", false, "print all test output as it arrives")
	flag.Parse()
	allowed, err := readAllowList(*allowFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	r, err := summarize(os.Stdin, os.Stdout, *verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	problems := r.verdict(os.Stdout, allowed)
	// The plain "N passed, N failed, N skipped" line is the closing line CI
	// tooling recognises; keep it alone on its line.
	fmt.Printf("tests: %d passed, %d failed, %d skipped\n", r.Passed, r.Failed, r.Skipped)
	if problems > 0 {
		os.Exit(1)
	}
}

// readAllowList parses the allow-list file; an empty name allows nothing.
func readAllowList(name string) (map[testID]bool, error) {
	allowed := make(map[testID]bool)
	if name == "" {
		return allowed, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read allow-list: %w", err)
	}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pkg, test, ok := strings.Cut(line, " ")
		if !ok || strings.TrimSpace(test) == "" {
			return nil, fmt.Errorf("%s:%d: want \"<import path> <test name>\", got %q", name, n+1, line)
		}
		allowed[testID{pkg, strings.TrimSpace(test)}] = true
	}
	return allowed, nil
}

// summarize consumes the event stream, writing to out as it goes the output
// of the packages and of failed tests, or with verbose all output. Lines that
// are not JSON (a go command error before any test ran) pass through as they are.
func summarize(in io.Reader, out io.Writer, verbose bool) (*report, error) {
	r := &report{SkipReasons: make(map[testID]string)}
	pending := make(map[testID]*strings.Builder)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		id := testID{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(out, e.Output)
		case e.Action == "build-fail":
			r.FailedPackages = append(r.FailedPackages, e.ImportPath)
		case e.Test == "":
			r.packageEvent(e, out)
		case e.Action == "output":
			if verbose {
				fmt.Fprint(out, e.Output)
			}
			b := pending[id]
			if b == nil {
				b = new(strings.Builder)
				pending[id] = b
			}
			b.WriteString(e.Output)
		case e.Action == "pass":
			r.Passed++
			delete(pending, id)
		case e.Action == "fail":
			r.Failed++
			if b := pending[id]; b != nil && !verbose {
				fmt.Fprint(out, b.String())
			}
			delete(pending, id)
		case e.Action == "skip":
			r.Skipped++
			r.Skips = append(r.Skips, id)
			if b := pending[id]; b != nil {
				r.SkipReasons[id] = lastLines(b.String(), 4)
			}
			delete(pending, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read go test -json stream: %w", err)
	}
	return r, nil
}

// packageEvent handles an event of a whole package: its result line, or
// output printed outside any test (TestMain, a panic, a timeout).
func (r *report) packageEvent(e event, out io.Writer) {
	switch e.Action {
	case "output":
		fmt.Fprint(out, e.Output)
	case "pass":
		r.Packages++
	case "fail":
		r.Packages++
		r.FailedPackages = append(r.FailedPackages, e.Package)
	}
}

// verdict prints what must be looked at and returns how many problems there
// are: failed tests or packages, skips not on the allow-list, and a run in
// which no test ran.
func (r *report) verdict(out io.Writer, allowed map[testID]bool) int {
	problems := 0
	fmt.Fprintf(out, "\npackage test runs: %d\n", r.Packages)
	for _, p := range slices.Compact(slices.Sorted(slices.Values(r.FailedPackages))) {
		fmt.Fprintf(out, "FAILED package %s\n", p)
		problems++
	}
	if r.Failed > 0 {
		problems++
	}
	for _, id := range r.Skips {
		verdict := "NOT ALLOWED"
		if allowed[id] || allowed[testID{id.Package, topLevel(id.Test)}] {
			verdict = "allowed"
		} else {
			problems++
		}
		fmt.Fprintf(out, "SKIP (%s) %s\n", verdict, id)
		if reason := r.SkipReasons[id]; reason != "" {
			fmt.Fprint(out, indent(reason))
		}
	}
	if r.Passed+r.Failed == 0 {
		fmt.Fprintln(out, "no test ran")
		problems++
	}
	return problems
}

// topLevel returns the top-level test of a subtest name, so that allowing a
// test allows its subtests too.
func topLevel(test string) string {
	top, _, _ := strings.Cut(test, "/")
	return top
}

// lastLines returns up to n trailing non-empty lines of s, each ending in a
// newline, without the "--- SKIP" line go test adds itself.
func lastLines(s string, n int) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "--- SKIP") || strings.HasPrefix(t, "=== ") {
			continue
		}
		keep = append(keep, t)
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	if len(keep) == 0 {
		return ""
	}
	return strings.Join(keep, "\n") + "\n"
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}
