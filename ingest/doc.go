// Package ingest is the processing core of the webhook Lambda: it verifies
// each SQS record against its source's scheme and stores the body in S3
// exactly once, reporting every record's outcome in one log line that is
// also its metric. It knows nothing of the Lambda runtime, so it is tested
// directly; package handler's main wires it to the runtime.
package ingest
