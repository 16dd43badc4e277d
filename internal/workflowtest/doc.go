// Package workflowtest holds the tests of the repository's GitHub Actions
// setup (.github/workflows and the local actions in .github/actions): it runs
// the workflows' own shell steps against stack settings files, and holds the
// workflows to the rules docs/ci-and-deploy.md states (a pinned Pulumi CLI,
// per-job concurrency, deploy credentials only in the dev and prod
// environments, an opt-in nightly run). It has no code of its own.
package workflowtest
