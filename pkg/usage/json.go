package usage

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// This file is a minimal JSON tokenizer: just enough to walk the members of
// an object without decoding it, skipping strings (with escapes) so that a
// key-like text inside model output is never mistaken for a key. It does not
// validate; on malformed input the walk stops early and nothing panics.

// skipWS returns the index of the first non-whitespace byte at or after i.
func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at b[i] (a
// quote), or -1 when it is not terminated.
func skipString(b []byte, i int) int {
	j := i + 1
	// Most strings are short keys and values: look at eight bytes at a time
	// for a quote or a backslash, stepping over escapes as they come.
	for n := 0; j+8 <= len(b) && n < 8; n++ {
		w := binary.LittleEndian.Uint64(b[j:])
		m := zeroBytes(w^quotes) | zeroBytes(w^backslashes)
		if m == 0 {
			j += 8
			continue
		}
		j += bits.TrailingZeros64(m) / 8
		if b[j] == '"' {
			return j + 1
		}
		j += 2 // a backslash and the byte it escapes
		n = 0
	}
	// Long strings: let IndexByte find quotes and count the backslashes
	// before each; an odd run means the quote is escaped.
	for j < len(b) {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
	return -1
}

const (
	lows        = 0x0101010101010101
	highs       = 0x8080808080808080
	quotes      = '"' * lows
	backslashes = '\\' * lows
)

// zeroBytes has the high bit set in the lowest zero byte of w (and maybe in
// higher ones after it: borrows only spread upwards, so the lowest is exact).
func zeroBytes(w uint64) uint64 {
	return (w - lows) &^ w & highs
}

// skipValue returns the index just past the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipContainer(b, i)
	}
	j := i
	for j < len(b) && isScalarByte(b[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// isScalarByte reports whether c may appear in a number or literal.
func isScalarByte(c byte) bool {
	return class[c] == plain
}

// Byte classes of the tokenizer; a constant table.
const (
	plain      = 0
	structural = 1 // quote or bracket: skipContainer must look at it
	separator  = 2 // whitespace, comma or colon
)

var class = [256]uint8{
	'"': structural, '{': structural, '}': structural, '[': structural, ']': structural,
	' ': separator, '\t': separator, '\n': separator, '\r': separator, ',': separator, ':': separator,
}

// skipContainer returns the index just past the object or array starting at
// b[i], or -1. Brackets are only counted, not matched: enough to find the end
// of well-formed input, and harmless on anything else.
func skipContainer(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		if class[b[j]] != structural {
			continue
		}
		switch b[j] {
		case '"':
			j = skipString(b, j)
			if j < 0 {
				return -1
			}
			j-- // the loop steps past the closing quote
		case '{', '[':
			depth++
		default:
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

// object walks the members of one JSON object.
type object struct {
	b []byte
	i int
}

// openObject starts a walk when v (after whitespace) is an object.
func openObject(v []byte) (object, bool) {
	i := skipWS(v, 0)
	if i >= len(v) || v[i] != '{' {
		return object{}, false
	}
	return object{b: v, i: i + 1}, true
}

// next returns the next member: the key's raw bytes (escapes not decoded)
// and the value's bytes. ok is false at the end or at malformed input.
func (o *object) next() (key, val []byte, ok bool) {
	b := o.b
	i := skipWS(b, o.i)
	if i < len(b) && b[i] == ',' {
		i = skipWS(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		return nil, nil, false
	}
	end := skipString(b, i)
	if end < 0 {
		return nil, nil, false
	}
	key = b[i+1 : end-1]
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return nil, nil, false
	}
	i = skipWS(b, i+1)
	vend := skipValue(b, i)
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
	i := skipWS(v, 0)
	if i >= len(v) || v[i] != '[' {
		return array{}, false
	}
	return array{b: v, i: i + 1}, true
}

func (a *array) next() ([]byte, bool) {
	b := a.b
	i := skipWS(b, a.i)
	if i < len(b) && b[i] == ',' {
		i = skipWS(b, i+1)
	}
	if i >= len(b) || b[i] == ']' {
		return nil, false
	}
	end := skipValue(b, i)
	if end < 0 {
		return nil, false
	}
	a.i = end
	return b[i:end], true
}

// isEmptyArray reports whether v is exactly "[]" (whitespace allowed).
func isEmptyArray(v []byte) bool {
	i := skipWS(v, 0)
	if i >= len(v) || v[i] != '[' {
		return false
	}
	i = skipWS(v, i+1)
	return i < len(v) && v[i] == ']' && skipWS(v, i+1) == len(v)
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
