// Package enginetest runs the Pulumi program (components.Program) through the
// real Pulumi CLI and engine, offline: an Automation API inline program with
// the project's own Pulumi.yaml and stack file, a temporary file backend, the
// passphrase secrets provider, and internal/fakeawsprovider standing in for
// the AWS provider plugin. It checks what Pulumi's mocks never see: the
// config schema, the documented `pulumi config set` commands, secrets in
// state, and that a second preview changes nothing. With
// WEBHOOK_INGEST_REAL_PROVIDER=1 it previews against the real AWS provider
// instead. It has no code of its own.
package enginetest
