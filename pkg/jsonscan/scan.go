// Package jsonscan holds the primitives of a minimal JSON tokenizer: finding
// where whitespace, a string or a whole value ends, and walking the members
// of an object or the elements of an array, without decoding or allocating.
// Strings are skipped with their escapes, so text inside a value is never
// mistaken for structure. Nothing is validated; on malformed input
// the functions report -1 (or stop early) and never panic.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(b []byte, i int) int {
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

// SkipString returns the index just past the string whose opening quote is
// at b[i], or -1 when it is not terminated.
func SkipString(b []byte, i int) int {
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
	// Long strings: let IndexByte (vectorised) find quotes and count the
	// backslashes before each; an odd run means the quote is escaped.
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

// SkipValue returns the index just past the value starting at b[i], or -1.
// A number or literal runs to the next structural byte or whitespace; it is
// not checked.
func SkipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		return skipContainer(b, i)
	}
	j := i
	for j < len(b) && class[b[j]] == plain {
		j++
	}
	if j == i {
		return -1
	}
	return j
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
			j = SkipString(b, j)
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
