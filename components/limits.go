package components

import (
	"fmt"
	"slices"
)

// intRange is the inclusive range of values a setting accepts. The stack
// configuration and the components' own Args checks use the same ranges, so
// each bound is written once, beside the resource it limits.
type intRange struct{ lo, hi int }

// check reports whether field's value v lies in r.
func (r intRange) check(field string, v int) error {
	if v < r.lo || v > r.hi {
		return fmt.Errorf("%s = %d is out of range: set it between %d and %d", field, v, r.lo, r.hi)
	}
	return nil
}

// logRetentionValues are the retention periods CloudWatch Logs accepts; 0
// keeps events forever.
var logRetentionValues = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// checkLogRetention reports whether field's value v is in logRetentionValues.
func checkLogRetention(field string, v int) error {
	if !slices.Contains(logRetentionValues, v) {
		return fmt.Errorf("%s = %d is not a retention CloudWatch Logs accepts: use one of %v (0 keeps logs forever)", field, v, logRetentionValues)
	}
	return nil
}
