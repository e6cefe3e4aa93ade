package requestbody

import "github.com/burncloud/burncloud/pkg/jsonscan"

// A minimal JSON walker: enough to find the members of the top-level object
// and the byte spans of their values without decoding them. jsonscan skips
// strings with their escapes, so text inside a prompt is never mistaken for
// structure.

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
	i := jsonscan.SkipSpace(b, w.i)
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
		i = jsonscan.SkipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		w.bad = true
		return member{}, false
	}
	kend := jsonscan.SkipString(b, i)
	if kend < 0 {
		w.bad = true
		return member{}, false
	}
	key := b[i+1 : kend-1]
	i = jsonscan.SkipSpace(b, kend)
	if i >= len(b) || b[i] != ':' {
		w.bad = true
		return member{}, false
	}
	i = jsonscan.SkipSpace(b, i+1)
	vend := jsonscan.SkipValue(b, i)
	if vend < 0 {
		w.bad = true
		return member{}, false
	}
	w.i, w.started = vend, true
	return member{key: key, valStart: i, valEnd: vend}, true
}
