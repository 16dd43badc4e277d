// Package components is the infrastructure of webhook-ingest as Pulumi
// components: an HTTP API that maps each sender's headers to SQS message
// attributes and queues the raw body (api.go), with an optional custom
// domain name (domain.go), a queue with a dead-letter queue (queue.go), the
// Go Lambda that verifies and stores webhooks (processor.go, built by
// build.go), the S3 bucket of bodies (bucket.go), the SSM parameters of the
// sources' secrets (secrets.go), and the operations around them (alarms.go,
// dashboard.go, bus.go). Every IAM policy is written in iam.go.
//
// Program (program.go) is the Pulumi program: it reads the stack
// configuration (config.go, configreader.go) and creates an Ingest
// (ingest.go), which composes the rest. Each component also stands alone:
// its Args validate themselves and a zero value takes the default the stack
// configuration documents. Package contract is the only source of attribute
// names, header mappings and the handler's environment.
package components
