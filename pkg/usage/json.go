package usage

import "github.com/burncloud/burncloud/pkg/jsonscan"

// This file walks the members of an object without decoding it, on top of
// jsonscan, which skips strings (with escapes) so that key-like text inside
// model output is never mistaken for a key. It does not validate; on
// malformed input the walk stops early and nothing panics.

// object walks the members of one JSON object.
type object struct {
	b []byte
	i int
}

// openObject starts a walk when v (after whitespace) is an object.
func openObject(v []byte) (object, bool) {
	i := jsonscan.SkipSpace(v, 0)
	if i >= len(v) || v[i] != '{' {
		return object{}, false
	}
	return object{b: v, i: i + 1}, true
}

// next returns the next member: the key's raw bytes (escapes not decoded)
// and the value's bytes. ok is false at the end or at malformed input.
func (o *object) next() (key, val []byte, ok bool) {
	b := o.b
	i := jsonscan.SkipSpace(b, o.i)
	if i < len(b) && b[i] == ',' {
		i = jsonscan.SkipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		return nil, nil, false
	}
	end := jsonscan.SkipString(b, i)
	if end < 0 {
		return nil, nil, false
	}
	key = b[i+1 : end-1]
	i = jsonscan.SkipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return nil, nil, false
	}
	i = jsonscan.SkipSpace(b, i+1)
	vend := jsonscan.SkipValue(b, i)
	if vend < 0 {
		return nil, nil, false
	}
	o.i = vend
	return key, b[i:vend], true
}

// member returns the value of the first member named key in the object v.
func member(v []byte, key string) ([]byte, bool) {
	o, ok := openObject(v)
	if !ok {
		return nil, false
	}
	for k, val, more := o.next(); more; k, val, more = o.next() {
		if string(k) == key {
			return val, true
		}
	}
	return nil, false
}

// array walks the elements of one JSON array.
type array struct {
	b []byte
	i int
}

func openArray(v []byte) (array, bool) {
	i := jsonscan.SkipSpace(v, 0)
	if i >= len(v) || v[i] != '[' {
		return array{}, false
	}
	return array{b: v, i: i + 1}, true
}

func (a *array) next() ([]byte, bool) {
	b := a.b
	i := jsonscan.SkipSpace(b, a.i)
	if i < len(b) && b[i] == ',' {
		i = jsonscan.SkipSpace(b, i+1)
	}
	if i >= len(b) || b[i] == ']' {
		return nil, false
	}
	end := jsonscan.SkipValue(b, i)
	if end < 0 {
		return nil, false
	}
	a.i = end
	return b[i:end], true
}

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
