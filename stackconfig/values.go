package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Values is a stack's configuration as Pulumi hands it to a program.
type Values interface {
	// Get returns the value of a full key ("webhook-ingest:sources"),
	// lists and objects as JSON, and whether the key is set.
	Get(key string) (string, bool)
	// IsSecret reports whether the value of a full key is stored
	// encrypted.
	IsSecret(key string) bool
}

// MaxParameterBytes is the largest value of a Standard-tier SSM parameter,
// which holds a source's secrets.
const MaxParameterBytes = 4096

// reader reads the keys of one namespace of a stack's configuration. Its
// errors name the full key ("webhook-ingest:<key>") and the fix.
type reader struct {
	v  Values
	ns string
}

func (r reader) key(k string) string { return r.ns + ":" + k }

func (r reader) get(k string) (string, bool) { return r.v.Get(r.key(k)) }

// intInRange sets *dst to the value of k when k is set.
func (r reader) intInRange(k string, dst *int, rng Range) error {
	v, ok := r.get(k)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%s = %q is not a whole number: set an integer between %d and %d", r.key(k), v, rng.Lo, rng.Hi)
	}
	if err := rng.Check(r.key(k), n); err != nil {
		return err
	}
	*dst = n
	return nil
}

// boolean sets *dst to the value of k when k is set.
func (r reader) boolean(k string, dst *bool) error {
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
func (r reader) email(k string) (string, error) {
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
func (r reader) sources() ([]contract.ResolvedSource, error) {
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
		return nil, fmt.Errorf("%s must be a list of {name, preset, toleranceSeconds, custom, quarantine, allowedCidrs, throttlingRateLimit, throttlingBurstLimit} objects: %w", k, err)
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

// domain reads the optional custom domain object k. Unset, empty ({}, the
// default Pulumi.yaml declares) or null means none.
func (r reader) domain(k string) (*Domain, error) {
	v, ok := r.get(k)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	var d Domain
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s must be an object {name, hostedZoneId} or {name, certificateArn}, set field by field (pulumi config set --path 'domain.name' hooks.example.com): %w", r.key(k), err)
	}
	if d == (Domain{}) {
		return nil, nil
	}
	region, _ := r.v.Get("aws:region")
	if err := d.Check(r.key(k), region); err != nil {
		return nil, err
	}
	return &d, nil
}

// Secrets reads the secrets key of the namespace project from v: each
// source's signing secrets, one per line, newest first. Every source must
// have usable secrets, and no other name may have any. The values are
// plaintext here, so no error includes one or an error derived from parsing
// one.
func Secrets(project string, v Values, sources []contract.ResolvedSource) (map[string]string, error) {
	r := reader{v: v, ns: project}
	k := r.key("secrets")
	setHint := "pulumi config set --secret --path 'secrets.<source>' <secret>"
	raw, ok := r.get("secrets")
	if !ok {
		return nil, fmt.Errorf("%s is not set: give every source its signing secret with %s", k, setHint)
	}
	if !v.IsSecret(k) {
		return nil, fmt.Errorf("%s is stored in plaintext: remove it (pulumi config rm secrets) and set each value with %s", k, setHint)
	}
	var values map[string]string
	// The decode error is dropped on purpose: a syntax error quotes the
	// offending character, which may belong to a secret.
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		return nil, fmt.Errorf("%s must map each source name to its secret string: set each with %s", k, setHint)
	}
	known := make(map[string]bool, len(sources))
	out := make(map[string]string, len(sources))
	for _, s := range sources {
		name := s.Name()
		known[name] = true
		secret, ok := values[name]
		if !ok {
			return nil, fmt.Errorf("%s.%s is missing: set the signing secret of source %q with pulumi config set --secret --path 'secrets.%s' <secret>", k, name, name, name)
		}
		if len(secret) > MaxParameterBytes {
			return nil, fmt.Errorf("%s.%s is %d bytes, more than the %d bytes of its SSM parameter: keep only the secrets in use (drop retired ones) and set it again with pulumi config set --secret --path 'secrets.%s' <secret>",
				k, name, len(secret), MaxParameterBytes, name)
		}
		// Scheme.Keys reports line numbers and decoding offsets, never
		// secret bytes; the tests hold it to that.
		if _, err := s.Preset.Scheme.Keys(secret); err != nil {
			return nil, fmt.Errorf("%s.%s is not a usable %s secret (%w): set it again with pulumi config set --secret --path 'secrets.%s' <secret>", k, name, s.Preset.Name, err, name)
		}
		out[name] = secret
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
