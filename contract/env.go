package contract

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Environment variables of the handler.
const (
	// EnvBucket names the bucket that stores webhook bodies.
	EnvBucket = "WEBHOOK_BUCKET"
	// EnvSources holds the JSON array of EnvSource values.
	EnvSources = "WEBHOOK_SOURCES"
	// EnvEventBus, when set, names the EventBridge bus (name or ARN) that
	// receives one hand-off event per stored webhook; unset, none is sent.
	EnvEventBus = "WEBHOOK_EVENT_BUS"
	// EnvQuarantine is "true" when the stack keeps failed records under
	// QuarantinePrefix; unset or "false", they are dropped.
	EnvQuarantine = "WEBHOOK_QUARANTINE"
	// EnvConcurrency, when set, bounds the records of one batch the handler
	// processes at once, 1 to MaxConcurrency (unset: DefaultConcurrency).
	EnvConcurrency = "WEBHOOK_CONCURRENCY"
	// EnvFunctionName is the function's name. Lambda sets this reserved
	// variable itself; the handler makes it the value of DimensionFunction.
	EnvFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
)

// The records of one batch the handler processes at once: by default
// enough for a batch of 100 to take one S3 round trip, and at most few
// enough that a batch of 10,000 does not open 10,000 connections.
const (
	DefaultConcurrency = 100
	MaxConcurrency     = 1000
)

// EnvSource is one source of the handler's EnvSources: the resolved source
// and the SSM SecureString parameter version that holds its secrets.
type EnvSource struct {
	ResolvedSource
	// SecretSelector is "<parameter name>:<version>", so that the handler
	// reads exactly the secrets deployed with it.
	SecretSelector string
}

// envSource is the JSON form of an EnvSource: the configured source's fields
// the handler uses, and the selector.
type envSource struct {
	Source
	SecretSelector string `json:"secretSelector"`
}

// EncodeEnvSources returns the value of EnvSources for sources whose secrets
// are at selectors, index for index. It leaves out the sources' throttling,
// which API Gateway applies and the handler never reads, so that it takes
// none of the environment's 4 KB and changing it does not update the
// function.
func EncodeEnvSources(sources []ResolvedSource, selectors []string) (string, error) {
	if len(selectors) != len(sources) {
		return "", fmt.Errorf("%d secret selectors for %d sources", len(selectors), len(sources))
	}
	out := make([]envSource, len(sources))
	for i, s := range sources {
		src := s.Source
		src.ThrottlingRateLimit, src.ThrottlingBurstLimit = nil, nil
		out[i] = envSource{Source: src, SecretSelector: selectors[i]}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", EnvSources, err)
	}
	return string(b), nil
}

// ParseEnvSources decodes and resolves an EnvSources value: at least one
// source, unique names, known presets, and a secret selector for each.
func ParseEnvSources(value string) ([]EnvSource, error) {
	var raw []envSource
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		return nil, fmt.Errorf("%s is not a JSON array of sources: %w", EnvSources, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s lists no source", EnvSources)
	}
	sources := make([]Source, len(raw))
	for i, r := range raw {
		sources[i] = r.Source
	}
	resolved, err := ResolveSources(sources)
	var se *SourceError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("%s[%d]: %w", EnvSources, se.Index, se.Err)
	}
	out := make([]EnvSource, len(raw))
	for i, r := range raw {
		if r.SecretSelector == "" {
			return nil, fmt.Errorf("%s[%d]: source %q: secretSelector is empty", EnvSources, i, r.Name)
		}
		out[i] = EnvSource{ResolvedSource: resolved[i], SecretSelector: r.SecretSelector}
	}
	return out, nil
}
