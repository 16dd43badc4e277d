package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// maxParameterBytes is the largest value of a Standard-tier SSM parameter,
// which holds a source's secrets.
const maxParameterBytes = 4096

// configReader reads the keys of one namespace of a stack's configuration.
// Its errors name the full key ("webhook-ingest:<key>") and the fix.
type configReader struct {
	ctx *pulumi.Context
	ns  string
}

func (r configReader) key(k string) string { return r.ns + ":" + k }

func (r configReader) get(k string) (string, bool) { return r.ctx.GetConfig(r.key(k)) }

// intInRange sets *dst to the value of k when k is set.
func (r configReader) intInRange(k string, dst *int, rng intRange) error {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%s = %q is not a whole number: set an integer between %d and %d", r.key(k), v, rng.lo, rng.hi)
	}
	if err := rng.check(r.key(k), n); err != nil {
		return err
	}
	*dst = n
	return nil
}

// boolean sets *dst to the value of k when k is set.
func (r configReader) boolean(k string, dst *bool) error {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%s = %q is not a boolean: set it to true or false", r.key(k), v)
	}
	*dst = b
	return nil
}

// email reads an optional plain e-mail address ("ops@example.com"); unset
// or empty means none.
func (r configReader) email(k string) (string, error) {
	v, ok := r.get(k)
	if !ok || v == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v || !strings.Contains(v[strings.LastIndex(v, "@")+1:], ".") {
		return "", fmt.Errorf("%s = %q is not a plain e-mail address: set it to one such as ops@example.com, or remove it (pulumi config rm %s) to send no notifications", r.key(k), v, k)
	}
	return v, nil
}

// sources reads and resolves the sources list.
func (r configReader) sources() ([]contract.ResolvedSource, error) {
	k := r.key("sources")
	example := "pulumi config set --path 'sources[0].name' orders && pulumi config set --path 'sources[0].preset' generic"
	v, ok := r.get("sources")
	if !ok {
		return nil, fmt.Errorf("%s is not set: list at least one source, e.g. %s", k, example)
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	var sources []contract.Source
	if err := dec.Decode(&sources); err != nil {
		return nil, fmt.Errorf("%s must be a list of {name, preset, toleranceSeconds, custom, quarantine} objects: %w", k, err)
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("%s is empty: list at least one source, e.g. %s", k, example)
	}
	resolved, err := contract.ResolveSources(sources)
	if se := (*contract.SourceError)(nil); errors.As(err, &se) {
		return nil, fmt.Errorf("%s[%d]: %w", k, se.Index, se.Err)
	}
	return resolved, nil
}

// secrets reads the secrets map. The value is plaintext here, so no error
// below may include it or an error derived from parsing it.
func (r configReader) secrets(sources []contract.ResolvedSource) (map[string]pulumi.StringInput, error) {
	k := r.key("secrets")
	setHint := "pulumi config set --secret --path 'secrets.<source>' <secret>"
	v, ok := r.get("secrets")
	if !ok {
		return nil, fmt.Errorf("%s is not set: give every source its signing secret with %s", k, setHint)
	}
	if !r.ctx.IsConfigSecret(k) {
		return nil, fmt.Errorf("%s is stored in plaintext: remove it (pulumi config rm secrets) and set each value with %s", k, setHint)
	}
	var values map[string]string
	// The decode error is dropped on purpose: a syntax error quotes the
	// offending character, which may belong to a secret.
	if err := json.Unmarshal([]byte(v), &values); err != nil {
		return nil, fmt.Errorf("%s must map each source name to its secret string: set each with %s", k, setHint)
	}
	known := make(map[string]bool, len(sources))
	out := make(map[string]pulumi.StringInput, len(sources))
	for _, s := range sources {
		name := s.Name()
		known[name] = true
		secret, ok := values[name]
		if !ok {
			return nil, fmt.Errorf("%s.%s is missing: set the signing secret of source %q with pulumi config set --secret --path 'secrets.%s' <secret>", k, name, name, name)
		}
		if len(secret) > maxParameterBytes {
			return nil, fmt.Errorf("%s.%s is %d bytes, more than the %d bytes of its SSM parameter: keep only the secrets in use (drop retired ones) and set it again with pulumi config set --secret --path 'secrets.%s' <secret>",
				k, name, len(secret), maxParameterBytes, name)
		}
		// Scheme.Keys reports line numbers and decoding offsets, never
		// secret bytes; the tests hold it to that.
		if _, err := s.Preset.Scheme.Keys(secret); err != nil {
			return nil, fmt.Errorf("%s.%s is not a usable %s secret (%w): set it again with pulumi config set --secret --path 'secrets.%s' <secret>", k, name, s.Preset.Name, err, name)
		}
		out[name] = pulumi.ToSecret(pulumi.String(secret)).(pulumi.StringOutput)
	}
	var unknown []string
	for name := range values {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("%s has secrets for unknown sources %q: add them to %s or remove them with pulumi config rm --path 'secrets.<source>'", k, unknown, r.key("sources"))
	}
	return out, nil
}
