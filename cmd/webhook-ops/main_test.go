package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// awsEnv gives the command the standard SDK environment of a test: static
// credentials, a region, no shared config files, and the endpoints given as
// AWS_ENDPOINT_URL_<service>.
func awsEnv(t *testing.T, endpoints map[string]string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(k, v)
	}
	for service, url := range endpoints {
		t.Setenv("AWS_ENDPOINT_URL_"+service, url)
	}
}

// runCLI runs one command line in-process.
func runCLI(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// expectCLI runs one command line in-process and checks that it exits with
// code, having printed stdout and nothing on standard error.
func expectCLI(t *testing.T, code int, stdout string, args ...string) {
	t.Helper()
	gotCode, gotStdout, gotStderr := runCLI(t, args...)
	if gotCode != code || gotStderr != "" || gotStdout != stdout {
		t.Errorf("%q: exit %d, stderr %q, stdout:\n%s\nwant %d, nothing, and:\n%s", args, gotCode, gotStderr, gotStdout, code, stdout)
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, exitUsage, "", "usage:"},
		{[]string{"help"}, exitOK, "usage:", ""},
		{[]string{"fly"}, exitUsage, "", `unknown command "fly"`},
		{[]string{"redrive", "-h"}, exitOK, "", "-dlq"},
		{[]string{"replay", "-h"}, exitOK, "", "-dry-run"},
		{[]string{"quarantine", "ls", "-h"}, exitOK, "", "-reason"},
		{[]string{"reverify", "-h"}, exitOK, "", "-origin"},
		{[]string{"serve", "-h"}, exitOK, "", "-s3-addr"},
		{[]string{"send", "-h"}, exitOK, "", "-secret-stdin"},
		{[]string{"check", "-h"}, exitOK, "", "-timeout"},
		{[]string{"serve", "-addr", "nonsense"}, exitUsage, "", "-addr nonsense"},
		{[]string{"redrive", "-nope"}, exitUsage, "", "flag provided but not defined: -nope"},
		{[]string{"redrive", "-dlq", "arn:aws:sqs:eu-west-1:1:q", "extra"}, exitUsage, "", `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, tt.args...)
		if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("run %q = %d\nstdout %q\nstderr %q\nwant %d, stdout with %q, stderr with %q", tt.args, code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
		}
	}
}
