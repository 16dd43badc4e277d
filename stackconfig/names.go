package stackconfig

import "strings"

// Names of the stack's resources that must be unique in the account and
// region, derived from the project and stack names. The rest are named by
// Pulumi.

// StackName returns "<project>-<stack>" with the characters dashboard names
// refuse replaced: the name of the event bus, the alarms and the dashboard.
func StackName(project, stack string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, project+"-"+stack)
}

// PathPrefix returns "/<project>/<stack>", which starts the names of the
// stack's log groups and secret parameters.
func PathPrefix(project, stack string) string { return "/" + project + "/" + stack }

// SecretParameterName returns the name of the SSM parameter under prefix
// that holds the secrets of source.
func SecretParameterName(prefix, source string) string { return prefix + "/" + source }
