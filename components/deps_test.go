package components

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProgramLinksNoAWSClient keeps the Pulumi program apart from the
// handler's runtime: everything the two share lives in package contract, so
// the program links no AWS service client and none of the handler's
// packages.
func TestProgramLinksNoAWSClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "..").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "aws-sdk-go-v2/service/") ||
			pkg == "github.com/webhook-ingest/webhook-ingest/ingest" ||
			pkg == "github.com/webhook-ingest/webhook-ingest/handoff" {
			t.Errorf("the program links %s", pkg)
		}
	}
}
