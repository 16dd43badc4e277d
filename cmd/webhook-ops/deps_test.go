package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoPulumi keeps webhook-ops quick to build: it reads stack files
// through stackconfig and calls the Pulumi CLI, and links neither the Pulumi
// SDK nor pulumi-aws, whose compilation takes minutes on a fresh machine.
func TestLinksNoPulumi(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/pulumi/") {
			t.Errorf("webhook-ops links %s", pkg)
		}
	}
}
