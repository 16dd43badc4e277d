package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"time"
)

// initErrorType is the errorType a failed invocation reports when the
// configuration is broken.
const initErrorType = "ConfigurationError"

// reportInitError tells the Runtime API why init failed, so that the failed
// invocation carries the reason (errorType and errorMessage) instead of a bare
// Runtime.ExitError. The message names variables and parameters, never a
// secret. It is best effort: the exit that follows fails the invocation
// either way.
func reportInitError(err error) {
	api := os.Getenv("AWS_LAMBDA_RUNTIME_API")
	if api == "" {
		return
	}
	body, jerr := json.Marshal(map[string]string{"errorType": initErrorType, "errorMessage": err.Error()})
	if jerr != nil {
		return
	}
	req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", initErrorType)
	client := http.Client{Timeout: 2 * time.Second}
	if resp, derr := client.Do(req); derr == nil {
		resp.Body.Close()
	}
}
