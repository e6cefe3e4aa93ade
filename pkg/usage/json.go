package usage

import "github.com/burncloud/burncloud/pkg/jsonscan"

// Objects and arrays are walked with jsonscan.Object and jsonscan.Array,
// which skip strings (with escapes) so that key-like text inside model
// output is never mistaken for a key.

// isEmptyArray reports whether v is exactly "[]" (whitespace allowed).
func isEmptyArray(v []byte) bool {
	i := jsonscan.SkipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return false
	}
	i = jsonscan.SkipSpace(v, i+1)
	return i < len(v) && v[i] == ']' && jsonscan.SkipSpace(v, i+1) == len(v)
}

// stringLen is the raw (still escaped) length of the JSON string v, or 0
// when v is not a string.
func stringLen(v []byte) int {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return 0
	}
	return len(v) - 2
}

// parseCount reads a token count. Plain integers are the norm; a fraction is
// truncated, negative numbers read as 0, values above MaxCount as MaxCount.
// Exponents, strings, null and booleans are not counts.
func parseCount(v []byte) (int64, bool) {
	i := 0
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		i++
	}
	if i >= len(v) || v[i] < '0' || v[i] > '9' {
		return 0, false
	}
	var n int64
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		n = min(n*10+int64(v[i]-'0'), MaxCount)
	}
	if i < len(v) && v[i] == '.' {
		for i++; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		}
	}
	if i != len(v) {
		return 0, false
	}
	if neg {
		return 0, true
	}
	return n, true
}
