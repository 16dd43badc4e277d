package components

import (
	"encoding/json"
	"fmt"
)

// mustMarshal encodes v, a value built only of strings, numbers, slices,
// maps and structs of them, as compact JSON. Such a value cannot fail to
// encode, so a failure is a programming error.
func mustMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode %T: %v", v, err))
	}
	return string(b)
}
