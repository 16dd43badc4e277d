// Command handler is the webhook-ingest Lambda: it consumes the webhook queue,
// verifies every record against its source's signature scheme and stores the
// body in S3 exactly once (see package ingest).
//
// It runs on the provided.al2023 runtime as a file named bootstrap, built by
// package internal/lambdabuild, which holds its go build flags; the Pulumi
// program builds and packages it at every deployment (components.Build).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/ingest"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: msTime}))
	p, err := load(context.Background(), logger)
	if err != nil {
		// A failed cold start ends the init phase with an error rather than
		// starting a handler that returns it. Either way the invocation fails,
		// so SQS keeps the batch, redelivers it and finally moves it to the
		// DLQ: nothing is dropped. Exiting is better because Lambda runs init
		// again for the next invocation, so a passing cause (SSM throttling, a
		// parameter created after the function) heals by itself.
		errorType, msg := loadErrorType, "cold start failed: could not load the configuration, trying again at the next invocation"
		if ce := (*ingest.ConfigError)(nil); errors.As(err, &ce) {
			errorType, msg = configErrorType, "cold start failed: broken configuration, failing every invocation until it is fixed"
		}
		logger.Error(msg, slog.Any("error", err))
		reportInitError(errorType, err)
		os.Exit(1)
	}
	lambda.Start(p.Handle)
}

// msTime writes the time in UTC to the millisecond, CloudWatch Logs'
// resolution, as the received-at metadata is written, rather than slog's
// nanoseconds: 6 bytes less on every line. Each line keeps a valid RFC 3339
// time because under the stack's JSON log format Lambda reads a line's level
// only from a line that has one (docs/handler.md, "Logs").
func msTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
		return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(contract.ReceivedAtLayout))
	}
	return a
}

// load builds the processor once per cold start: AWS clients from the
// standard SDK environment (AWS_REGION, AWS_ENDPOINT_URL_S3, …) and the
// secrets from SSM.
func load(ctx context.Context, logger *slog.Logger) (*ingest.Processor, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return ingest.Load(ctx, awsCfg, os.Getenv, logger)
}
