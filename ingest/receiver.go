package ingest

import "github.com/webhook-ingest/webhook-ingest/contract"

// Receiver is one configured source, ready to verify its deliveries: the
// resolved source and a verifier holding its secrets.
type Receiver struct {
	contract.ResolvedSource
	Verifier *contract.Verifier
}
