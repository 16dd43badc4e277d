package contract

import (
	"encoding/json"
	"fmt"
	"time"
)

// Environment variables of the handler.
const (
	// EnvBucket names the bucket that stores webhook bodies.
	EnvBucket = "WEBHOOK_BUCKET"
	// EnvSources holds the JSON array of Source values.
	EnvSources = "WEBHOOK_SOURCES"
	// EnvEventBus, when set, names the EventBridge bus (name or ARN) that
	// receives one hand-off event per stored webhook; unset, none is sent.
	EnvEventBus = "WEBHOOK_EVENT_BUS"
	// EnvFunctionName is the function's name. Lambda sets this reserved
	// variable itself; the handler makes it the value of DimensionFunction.
	EnvFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
)

// Source is one configured sender. The stack config's sources list and the
// handler's WEBHOOK_SOURCES share this shape; SecretParameter is filled in by
// the program and names the SSM SecureString that holds the source's secrets,
// pinned to a version ("<name>:<version>") so that the handler reads exactly
// the secrets deployed with it.
type Source struct {
	Name   string `json:"name"`
	Preset string `json:"preset"`
	// ToleranceSeconds overrides the preset's replay window; 0 keeps it. Only
	// presets that sign a timestamp have a window.
	ToleranceSeconds int     `json:"toleranceSeconds,omitempty"`
	Custom           *Custom `json:"custom,omitempty"`
	SecretParameter  string  `json:"secretParameter,omitempty"`
}

// ValidateSourceName reports whether name can be used in a route, an object
// key prefix, an SSM parameter name and a resource name.
func ValidateSourceName(name string) error {
	if !isSourceName(name) {
		return fmt.Errorf("source name %q must be 1-40 lower-case letters, digits and inner hyphens", name)
	}
	return nil
}

// MaxToleranceSeconds bounds a configured replay window (one week).
const MaxToleranceSeconds = 7 * 24 * 3600

// Resolve validates s and returns its preset and replay tolerance.
func (s Source) Resolve() (Preset, time.Duration, error) {
	if err := ValidateSourceName(s.Name); err != nil {
		return Preset{}, 0, err
	}
	var p Preset
	switch {
	case s.Preset == CustomPreset:
		if s.Custom == nil {
			return Preset{}, 0, fmt.Errorf("source %q: preset custom needs a custom block", s.Name)
		}
		var err error
		if p, err = s.Custom.Preset(); err != nil {
			return Preset{}, 0, fmt.Errorf("source %q: %w", s.Name, err)
		}
	case s.Custom != nil:
		return Preset{}, 0, fmt.Errorf("source %q: a custom block needs preset %q, not %q", s.Name, CustomPreset, s.Preset)
	default:
		var ok bool
		if p, ok = LookupPreset(s.Preset); !ok {
			return Preset{}, 0, fmt.Errorf("source %q: unknown preset %q (want one of %v)", s.Name, s.Preset, PresetNames())
		}
	}
	if s.ToleranceSeconds < 0 || s.ToleranceSeconds > MaxToleranceSeconds {
		return Preset{}, 0, fmt.Errorf("source %q: toleranceSeconds %d must be between 0 (the preset's default) and %d", s.Name, s.ToleranceSeconds, MaxToleranceSeconds)
	}
	if s.ToleranceSeconds > 0 && !p.Scheme.UsesTimestamp() {
		return Preset{}, 0, fmt.Errorf("source %q: toleranceSeconds does not apply: preset %q signs no timestamp, so it has no replay window", s.Name, s.Preset)
	}
	tolerance := p.Tolerance
	if s.ToleranceSeconds > 0 {
		tolerance = time.Duration(s.ToleranceSeconds) * time.Second
	}
	return p, tolerance, nil
}

// CheckSources validates a list of sources: each resolves and no name is
// used twice. An error starts with the offending source's index, "[i]: ",
// for the caller to prefix with where the list came from.
func CheckSources(sources []Source) error {
	seen := make(map[string]bool, len(sources))
	for i, s := range sources {
		if _, _, err := s.Resolve(); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
		if seen[s.Name] {
			return fmt.Errorf("[%d]: source %q is listed twice: give each source its own name", i, s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

// ParseSources decodes and validates a WEBHOOK_SOURCES value: at least one
// source, unique names, known presets, and a secret parameter for each.
func ParseSources(value string) ([]Source, error) {
	var sources []Source
	if err := json.Unmarshal([]byte(value), &sources); err != nil {
		return nil, fmt.Errorf("%s is not a JSON array of sources: %w", EnvSources, err)
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("%s lists no source", EnvSources)
	}
	if err := CheckSources(sources); err != nil {
		return nil, fmt.Errorf("%s%w", EnvSources, err)
	}
	for i, s := range sources {
		if s.SecretParameter == "" {
			return nil, fmt.Errorf("%s[%d]: source %q: secretParameter is empty", EnvSources, i, s.Name)
		}
	}
	return sources, nil
}
