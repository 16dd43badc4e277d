package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"time"
)

// Error types a failed invocation reports after a failed cold start: a
// broken configuration (ingest.ConfigError), or any other failure to load it.
const (
	configErrorType = "ConfigurationError"
	loadErrorType   = "ConfigurationLoadError"
)

// reportInitError tells the Runtime API why init failed, so that the failed
// invocation carries errorType and err's message instead of a bare
// Runtime.ExitError. It is best effort: the exit that follows fails the
// invocation either way.
func reportInitError(errorType string, err error) {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		return
	}
	body, jerr := json.Marshal(map[string]string{"errorType": errorType, "errorMessage": err.Error()})
	if jerr != nil {
		return
	}
	req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	client := http.Client{Timeout: 2 * time.Second}
	if resp, derr := client.Do(req); derr == nil {
		resp.Body.Close()
	}
}
