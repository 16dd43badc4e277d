// Package contract is what the infrastructure (package components) and the
// code that handles webhooks (handler, ingest, handoff and webhook-ops) must
// agree on. It imports nothing else of the project and talks to no AWS
// service. It holds:
//
//   - the SQS message attribute names and the API Gateway mapping that
//     writes them (attributes.go);
//   - the sender presets and custom senders (preset.go);
//   - signature schemes (scheme.go), the Verifier (verifier.go) and the signer
//     (sign.go), with secret parsing (secret.go), signature headers and
//     timestamps (signature.go), the signed-content template (template.go)
//     and the rejection reasons (errors.go);
//   - source configuration and resolution (source.go);
//   - the handler's environment (env.go);
//   - S3 object keys (key.go) and user metadata (metadata.go);
//   - the quarantine's keys and record (quarantine.go);
//   - the queues' retention (queue.go);
//   - metric, dimension, outcome and reason names (metrics.go);
//   - the source of hand-off events (events.go).
//
// The examples show one webhook's path: sign, verify, object key.
package contract
