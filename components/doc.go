// Package components is the infrastructure of webhook-ingest as Pulumi
// components: an HTTP API that maps each sender's headers to SQS message
// attributes and queues the raw body, a queue with a dead-letter queue, the
// Go Lambda that verifies and stores webhooks, the S3 bucket of bodies and
// the SSM parameters of the sources' secrets.
//
// Program is the Pulumi program; main.go runs it with pulumi.Run. Each AWS
// concern is a component in its own file; the contract package is the only
// source of attribute names and header mappings.
package components
