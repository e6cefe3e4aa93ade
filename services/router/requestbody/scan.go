package requestbody

import "bytes"

// A minimal JSON walker: enough to find the members of the top-level object
// and the byte spans of their values without decoding them. Strings are
// skipped with their escapes, so text inside a prompt is never mistaken for
// structure; containers are skipped by counting brackets outside strings.

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

// skipString returns the index just past the string opening at b[i], or -1.
// It jumps from quote to quote (IndexByte is vectorised): a quote preceded
// by an odd run of backslashes is escaped.
func skipString(b []byte, i int) int {
	j := i + 1
	for {
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
}

func skipContainer(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end := skipString(b, j)
			if end < 0 {
				return -1
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

func isScalarByte(c byte) bool {
	switch c {
	case ',', ':', '{', '}', '[', ']', '"', ' ', '\t', '\n', '\r':
		return false
	}
	return true
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

// member is one member of an object: the raw key (between its quotes) and
// the value's span in the walked buffer.
type member struct {
	key              []byte
	valStart, valEnd int
}

// walker visits the members of the object whose '{' is at b[open].
type walker struct {
	b       []byte
	i       int
	started bool
	end     int // index just past the closing brace, once reached
	bad     bool
}

func newWalker(b []byte, open int) walker { return walker{b: b, i: open + 1} }

// next returns the next member; false at the end of the object, or on
// malformed input, which sets w.bad.
func (w *walker) next() (member, bool) {
	b := w.b
	i := skipWS(b, w.i)
	if i >= len(b) {
		w.bad = true
		return member{}, false
	}
	if b[i] == '}' {
		w.end = i + 1
		return member{}, false
	}
	if w.started {
		if b[i] != ',' {
			w.bad = true
			return member{}, false
		}
		i = skipWS(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		w.bad = true
		return member{}, false
	}
	kend := skipString(b, i)
	if kend < 0 {
		w.bad = true
		return member{}, false
	}
	key := b[i+1 : kend-1]
	i = skipWS(b, kend)
	if i >= len(b) || b[i] != ':' {
		w.bad = true
		return member{}, false
	}
	i = skipWS(b, i+1)
	vend := skipValue(b, i)
	if vend < 0 {
		w.bad = true
		return member{}, false
	}
	w.i, w.started = vend, true
	return member{key: key, valStart: i, valEnd: vend}, true
}
