package stackconfig

import (
	"strconv"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// Lambda's limit on the total size of a function's environment variables
// (names and values), and the parts of the handler's environment not known
// before deployment, at their longest: an S3 bucket name, and a parameter
// version selector of ten digits (more updates than a parameter will see).
const (
	MaxEnvironmentBytes = 4096
	MaxBucketNameBytes  = 63
	MaxVersionSelector  = ":9999999999"
)

// QuarantineOn is the value of contract.EnvQuarantine for a stack with a
// quarantine; without one, the variable is not set.
const QuarantineOn = "true"

// QuarantineWithoutStack returns the index of the first source that sets its
// quarantine to true in a stack without a quarantine (quarantine false), or
// -1. Such a source would silently drop what it asks to keep.
func QuarantineWithoutStack(sources []contract.ResolvedSource, quarantine bool) int {
	for i, s := range sources {
		if q := s.Source.Quarantine; !quarantine && q != nil && *q {
			return i
		}
	}
	return -1
}

// EnvironmentBytes is the largest size the handler's environment can reach
// with sources whose secrets are under parameterPrefix, with eventBus (the
// bus name) when it is not empty, and with the quarantine switch when
// quarantine is true.
func EnvironmentBytes(sources []contract.ResolvedSource, parameterPrefix, eventBus string, quarantine bool) int {
	selectors := make([]string, len(sources))
	for i, s := range sources {
		selectors[i] = SecretParameterName(parameterPrefix, s.Name()) + MaxVersionSelector
	}
	value, err := contract.EncodeEnvSources(sources, selectors)
	if err != nil {
		panic("encode " + contract.EnvSources + ": " + err.Error())
	}
	n := len(contract.EnvSources) + len(value) + len(contract.EnvBucket) + MaxBucketNameBytes +
		len(contract.EnvConcurrency) + len(strconv.Itoa(contract.MaxConcurrency))
	if eventBus != "" {
		n += len(contract.EnvEventBus) + len(eventBus)
	}
	if quarantine {
		n += len(contract.EnvQuarantine) + len(QuarantineOn)
	}
	return n
}
