// Package contract is the single source of truth shared by the infrastructure
// (components) and the Lambda (handler): the SQS message attribute names that
// the API Gateway mapping produces, the sender presets with their headers and
// signature schemes, the handler's environment, and the S3 object key layout.
//
// Nothing in this package talks to AWS.
package contract
