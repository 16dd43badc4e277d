package contract

import (
	"fmt"
	"net/netip"
	"time"
)

// Source is one configured sender as the stack configuration's sources list
// writes it. Resolve checks it and looks up its preset.
type Source struct {
	Name   string `json:"name"`
	Preset string `json:"preset"`
	// ToleranceSeconds overrides the preset's replay window; 0 keeps it. Only
	// presets that sign a timestamp have a window.
	ToleranceSeconds int     `json:"toleranceSeconds,omitempty"`
	Custom           *Custom `json:"custom,omitempty"`
	// Quarantine false drops the source's failed records instead of
	// keeping them in the quarantine; unset or true keeps them when the
	// stack has a quarantine.
	Quarantine *bool `json:"quarantine,omitempty"`
	// AllowedCIDRs, when set, are the only address ranges the source's
	// requests may come from (AttrSourceIP); others fail with
	// ReasonSourceNotAllowed.
	AllowedCIDRs []string `json:"allowedCidrs,omitempty"`
	// ThrottlingRateLimit (requests per second) and ThrottlingBurstLimit,
	// when set, are the limits of the source's route in place of the
	// stack's; unset, the route takes the stack's. They are the API's
	// concern: the handler's environment leaves them out (EncodeEnvSources).
	ThrottlingRateLimit  *int `json:"throttlingRateLimit,omitempty"`
	ThrottlingBurstLimit *int `json:"throttlingBurstLimit,omitempty"`
}

// maxAllowedCIDRs bounds a source's address ranges: the list travels in the
// handler's environment, which Lambda caps at 4 KB.
const maxAllowedCIDRs = 50

// Quarantines reports whether the source keeps its failed records, given
// whether the stack has a quarantine.
func (s Source) Quarantines(stack bool) bool {
	return stack && (s.Quarantine == nil || *s.Quarantine)
}

// ResolvedSource is a Source that passed Resolve: the preset it names (or
// its custom block describes) and its replay window.
type ResolvedSource struct {
	Source    Source
	Preset    Preset
	Tolerance time.Duration
	// Allowed are the parsed AllowedCIDRs; nil allows every address.
	Allowed []netip.Prefix
}

// Allows reports whether a request from addr, an AttrSourceIP value, may
// reach the source: always when it has no AllowedCIDRs, else only when addr
// is an address within one of them.
func (r ResolvedSource) Allows(addr string) bool {
	if len(r.Allowed) == 0 {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.Allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Name returns the source's name.
func (r ResolvedSource) Name() string { return r.Source.Name }

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

// Resolve validates s and returns it with its preset and replay tolerance.
func (s Source) Resolve() (ResolvedSource, error) {
	if err := ValidateSourceName(s.Name); err != nil {
		return ResolvedSource{}, err
	}
	var p Preset
	switch {
	case s.Preset == CustomPreset:
		if s.Custom == nil {
			return ResolvedSource{}, fmt.Errorf("source %q: preset custom needs a custom block", s.Name)
		}
		var err error
		if p, err = s.Custom.Preset(); err != nil {
			return ResolvedSource{}, fmt.Errorf("source %q: %w", s.Name, err)
		}
	case s.Custom != nil:
		return ResolvedSource{}, fmt.Errorf("source %q: a custom block needs preset %q, not %q", s.Name, CustomPreset, s.Preset)
	default:
		var ok bool
		if p, ok = LookupPreset(s.Preset); !ok {
			return ResolvedSource{}, fmt.Errorf("source %q: unknown preset %q (want one of %v)", s.Name, s.Preset, PresetNames())
		}
	}
	if s.ToleranceSeconds < 0 || s.ToleranceSeconds > MaxToleranceSeconds {
		return ResolvedSource{}, fmt.Errorf("source %q: toleranceSeconds %d must be between 0 (the preset's default) and %d", s.Name, s.ToleranceSeconds, MaxToleranceSeconds)
	}
	if s.ToleranceSeconds > 0 && !p.Scheme.UsesTimestamp() {
		return ResolvedSource{}, fmt.Errorf("source %q: toleranceSeconds does not apply: preset %q signs no timestamp, so it has no replay window", s.Name, s.Preset)
	}
	tolerance := p.Tolerance
	if s.ToleranceSeconds > 0 {
		tolerance = time.Duration(s.ToleranceSeconds) * time.Second
	}
	allowed, err := parseCIDRs(s.AllowedCIDRs)
	if err != nil {
		return ResolvedSource{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	return ResolvedSource{Source: s, Preset: p, Tolerance: tolerance, Allowed: allowed}, nil
}

// parseCIDRs parses a source's allowedCidrs: IPv4 or IPv6 ranges in CIDR
// notation with no host bits set, so that what is written is what is meant.
func parseCIDRs(cidrs []string) ([]netip.Prefix, error) {
	if len(cidrs) > maxAllowedCIDRs {
		return nil, fmt.Errorf("allowedCidrs lists %d ranges, more than %d: merge them into wider ones", len(cidrs), maxAllowedCIDRs)
	}
	var out []netip.Prefix
	for i, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("allowedCidrs[%d] %q is not a range such as 192.0.2.0/24 or 2001:db8::/32", i, c)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("allowedCidrs[%d] %q has host bits set: write %s", i, c, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

// SourceError is what is wrong with one source of a list: Index is its
// position, so that a caller can name the configuration key at fault.
type SourceError struct {
	Index int
	Err   error
}

func (e *SourceError) Error() string { return fmt.Sprintf("sources[%d]: %v", e.Index, e.Err) }

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// ResolveSources resolves every source of a list in which no name is used
// twice. The error is a *SourceError naming the first source at fault.
func ResolveSources(sources []Source) ([]ResolvedSource, error) {
	out := make([]ResolvedSource, len(sources))
	seen := make(map[string]bool, len(sources))
	for i, s := range sources {
		r, err := s.Resolve()
		if err != nil {
			return nil, &SourceError{Index: i, Err: err}
		}
		if seen[s.Name] {
			return nil, &SourceError{Index: i, Err: fmt.Errorf("source %q is listed twice: give each source its own name", s.Name)}
		}
		seen[s.Name] = true
		out[i] = r
	}
	return out, nil
}
