// Command handler is the webhook-ingest Lambda: it consumes the webhook queue,
// verifies every record against its source's signature scheme and stores the
// body in S3 exactly once (see package ingest).
//
// Build it for the provided.al2023 runtime as a file named bootstrap:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -trimpath -o bootstrap ./handler
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/webhook-ingest/webhook-ingest/ingest"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	p, err := load(context.Background(), logger)
	if err != nil {
		// A broken configuration ends the init phase with an error rather than
		// starting a handler that returns it. Either way the invocation fails,
		// so SQS keeps the batch, redelivers it and finally moves it to the
		// DLQ: nothing is dropped. Exiting is better because Lambda runs init
		// again for the next invocation, so a passing cause (SSM throttling,
		// a parameter created after the function) heals by itself, whereas a
		// handler holding the error would stay broken for the life of the
		// execution environment.
		logger.Error("cold start failed: broken configuration, failing every invocation until it is fixed", slog.Any("error", err))
		reportInitError(err)
		os.Exit(1)
	}
	lambda.Start(p.Handle)
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
