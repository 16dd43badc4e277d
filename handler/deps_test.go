package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestHandlerLinksNoPulumi keeps the Lambda small and its cold start short:
// it shares only package contract with the Pulumi program.
func TestHandlerLinksNoPulumi(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "pulumi") || pkg == "github.com/webhook-ingest/webhook-ingest/components" {
			t.Errorf("the handler links %s", pkg)
		}
	}
}
