package contract

// isName reports whether s is 1 to max bytes long, starts with a byte that
// first accepts and continues with bytes that rest accepts. It stands in for
// regular expressions whose counted repetitions cost thousands of
// allocations at every cold start.
func isName(s string, max int, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > max || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }

// isSourceName: lower-case letters, digits and inner hyphens, 1-40 bytes.
func isSourceName(s string) bool {
	return isName(s, 40, isLowerAlnum, func(c byte) bool { return isLowerAlnum(c) || c == '-' }) &&
		s[len(s)-1] != '-'
}

// isHeaderName: letters, digits, '-' and '_', starting with a letter or digit.
func isHeaderName(s string) bool {
	return isName(s, 128, isAlnum, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' })
}

// isVerbatimID: ids stored as they are, short and from a set that is safe in
// any S3 tool; never "." or ".." since they start with a letter or digit.
func isVerbatimID(s string) bool {
	return isName(s, 200, isAlnum, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' })
}
