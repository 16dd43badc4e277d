package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// stackOutputs are the outputs of a deployed stack that the commands can
// take their flags from.
type stackOutputs struct {
	WebhookURLs      map[string]string `json:"webhookUrls"`
	BucketName       string            `json:"bucketName"`
	EventBusName     string            `json:"eventBusName"`
	SecretParameters map[string]string `json:"secretParameters"`
}

// readStack reads the outputs of stack through the Pulumi CLI, run in the
// current directory (the project's, holding Pulumi.yaml) with the user's own
// login and credentials.
func readStack(ctx context.Context, stack string) (stackOutputs, error) {
	pulumi, err := exec.LookPath("pulumi")
	if err != nil {
		return stackOutputs{}, fmt.Errorf("-stack needs the Pulumi CLI on PATH (or give -bucket and -parameter): %w", err)
	}
	cmd := exec.CommandContext(ctx, pulumi, "stack", "output", "--json", "--stack", stack)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return stackOutputs{}, fmt.Errorf("pulumi stack output --stack %s: %w: %s", stack, err, strings.TrimSpace(stderr.String()))
	}
	var o stackOutputs
	if err := json.Unmarshal(out, &o); err != nil {
		return stackOutputs{}, fmt.Errorf("pulumi stack output --stack %s: not the outputs of a webhook-ingest stack: %w", stack, err)
	}
	return o, nil
}
