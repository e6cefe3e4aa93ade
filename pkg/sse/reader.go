// Package sse reads and writes Server-Sent Events as the WHATWG HTML
// standard defines them (the "text/event-stream" format).
//
// The Reader is built for proxies: every event comes with the exact bytes it
// was read from (Event.Raw), so it can be forwarded without re-encoding, and
// the returned slices alias internal buffers so steady-state reading does not
// allocate. Bytes are not validated as UTF-8; invalid sequences pass through.
package sse

import (
	"bytes"
	"errors"
	"io"
	"math"
)

// DefaultMaxEventBytes is the event size limit used when NewReader is given
// a limit below one.
const DefaultMaxEventBytes = 1 << 20

// initialBufferBytes keeps idle streams cheap; the buffer doubles on demand
// up to the event limit.
const initialBufferBytes = 4 << 10

// maxEmptyReads guards against readers that return (0, nil) forever.
const maxEmptyReads = 100

// ErrEventTooLarge is returned when one event block (Raw) would exceed the
// reader's limit. It is sticky: the stream cannot be resynchronised.
var ErrEventTooLarge = errors.New("sse: event exceeds size limit")

// Event is one event block. Its slices alias the Reader's buffers and stay
// valid only until the next call to Next.
type Event struct {
	// Name is the value of the last "event" field; empty means "message".
	Name []byte
	// Data holds the "data" field values joined by "\n".
	Data []byte
	// ID is the value of the block's last valid "id" field, when HasID.
	// Reader.LastEventID holds the standard's persistent last event ID.
	ID []byte
	// Retry is the reconnection time in milliseconds, when HasRetry.
	Retry int64
	// HasData reports whether the block had a "data" field. A block without
	// one (comments only, or only id/retry) is not dispatched to scripts by
	// browsers, but proxies still forward it: comments are keep-alives.
	HasData  bool
	HasID    bool
	HasRetry bool
	// Raw is the block exactly as read, from its first line through the
	// terminating blank line. A leading byte order mark and stray blank
	// lines between blocks are not part of any Raw, nor is the LF of a CRLF
	// whose CR ended a block and was the last byte of a read (the block is
	// returned without waiting for the next read).
	Raw []byte
}

// Reader splits an event stream into events.
type Reader struct {
	src        io.Reader
	max        int
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	err        error
	bomDone    bool
	skipLF     bool   // a block ended in a CR that was the last byte read
	data       []byte // joined data when a block has several data lines
	lastID     []byte
}

// NewReader returns a Reader that refuses events whose Raw bytes exceed
// maxEventBytes (DefaultMaxEventBytes when maxEventBytes < 1). The LF of a
// block's final CRLF is not counted, so the outcome does not depend on where
// reads split the stream.
func NewReader(r io.Reader, maxEventBytes int) *Reader {
	if maxEventBytes < 1 {
		maxEventBytes = DefaultMaxEventBytes
	}
	return &Reader{src: r, max: maxEventBytes}
}

// LastEventID is the standard's last event ID after the events read so far.
// It aliases an internal buffer that changes when a later block sets an id.
func (r *Reader) LastEventID() []byte { return r.lastID }

// Next returns the next event block.
//
// At a clean end of stream it returns io.EOF. When the stream ends (or fails)
// inside a block, it returns that incomplete block, parsed as far as it goes
// (an unterminated last line counts as a line), together with
// io.ErrUnexpectedEOF or the read error; a spec-following client would
// discard it, a proxy may forward its Raw. Later calls return io.EOF or the
// read error.
func (r *Reader) Next() (Event, error) {
	if errors.Is(r.err, ErrEventTooLarge) {
		return Event{}, r.err
	}
	r.skipBOM()
	line := 0         // offset of the current line from r.start
	crBefore := false // the previous line ended in a CR that was the last byte read
	for {
		window := r.buf[r.start+line : r.end]
		if len(window) > 0 && (crBefore || (line == 0 && r.skipLF)) {
			// Complete a CRLF that was split across reads.
			if window[0] == '\n' {
				if line == 0 && r.skipLF {
					r.start++
				} else {
					line++
				}
				window = window[1:]
			}
			crBefore, r.skipLF = false, false
		}
		k := indexEOL(window)
		if k < 0 {
			if r.err != nil {
				return r.atEnd()
			}
			if r.end-r.start > r.max {
				r.err = ErrEventTooLarge
				return Event{}, r.err
			}
			r.fill()
			continue
		}
		n := eolLen(window, k)
		// A CR that is the last byte read may be half of a CRLF: decide when
		// the next byte comes, without holding the event back until then.
		splitCR := window[k] == '\r' && k+1 == len(window)
		if k > 0 {
			line += k + n
			crBefore = splitCR
			continue
		}
		if line == 0 { // stray blank line: no block to end
			r.start += n
			r.skipLF = splitCR
			continue
		}
		size := line + n
		if line+1 > r.max { // the final LF of a CRLF is not counted: see NewReader
			r.err = ErrEventTooLarge
			return Event{}, r.err
		}
		raw := r.buf[r.start : r.start+size : r.start+size]
		r.start += size
		r.skipLF = splitCR
		return r.parse(raw), nil
	}
}

// Ready reports whether Next will return without reading the source: a
// whole block is buffered already, or the source has ended. A relay that
// flushes only when Ready is false sends events that arrived together in one
// write, and never holds one back while it waits for more.
func (r *Reader) Ready() bool {
	if r.err != nil {
		return true
	}
	if !r.bomDone {
		return false
	}
	rest := r.buf[r.start:r.end]
	if r.skipLF && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	inBlock := false
	for {
		k := indexEOL(rest)
		switch {
		case k < 0:
			return false
		case k > 0:
			inBlock = true
		case inBlock: // a blank line ends the block
			return true
		}
		rest = rest[k+eolLen(rest, k):]
	}
}

// atEnd handles a failed or finished source with no complete block left.
func (r *Reader) atEnd() (Event, error) {
	if r.start == r.end {
		return Event{}, r.err
	}
	if r.end-r.start > r.max {
		r.err = ErrEventTooLarge
		return Event{}, r.err
	}
	raw := r.buf[r.start:r.end:r.end]
	r.start = r.end
	err := r.err
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return r.parse(raw), err
}

// skipBOM drops one UTF-8 byte order mark at the very start of the stream.
func (r *Reader) skipBOM() {
	bom := []byte{0xEF, 0xBB, 0xBF}
	for !r.bomDone {
		have := r.buf[r.start:r.end]
		if len(have) < len(bom) && bytes.HasPrefix(bom, have) && r.err == nil {
			r.fill()
			continue
		}
		if bytes.HasPrefix(have, bom) {
			r.start += len(bom)
		}
		r.bomDone = true
	}
}

// fill moves unread bytes to the front, grows the buffer when it is full
// (never beyond max+1: one byte past the limit proves a block too large),
// and reads once.
func (r *Reader) fill() {
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	if r.end == len(r.buf) {
		size := max(2*len(r.buf), initialBufferBytes)
		size = min(size, r.max+1)
		if size <= len(r.buf) {
			r.err = ErrEventTooLarge
			return
		}
		grown := make([]byte, size)
		copy(grown, r.buf[:r.end])
		r.buf = grown
	}
	for range maxEmptyReads {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.err = io.ErrNoProgress
}

// parse interprets the lines of one block (standard §9.2.6).
func (r *Reader) parse(raw []byte) Event {
	ev := Event{Raw: raw}
	var first []byte // the only data value, while there is just one
	nData := 0
	for rest := raw; len(rest) > 0; {
		line := rest
		rest = nil
		if k := indexEOL(line); k >= 0 {
			line, rest = line[:k], line[k+eolLen(line, k):]
		}
		if len(line) == 0 || line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if c := bytes.IndexByte(line, ':'); c >= 0 {
			field, value = line[:c], line[c+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			ev.Name = value
		case "data":
			switch nData {
			case 0:
				first = value
			case 1:
				r.data = append(append(append(r.data[:0], first...), '\n'), value...)
			default:
				r.data = append(append(r.data, '\n'), value...)
			}
			nData++
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				ev.ID, ev.HasID = value, true
				r.lastID = append(r.lastID[:0], value...)
			}
		case "retry":
			if ms, ok := parseRetry(value); ok {
				ev.Retry, ev.HasRetry = ms, true
			}
		}
	}
	ev.HasData = nData > 0
	switch {
	case nData == 1:
		ev.Data = first
	case nData > 1:
		ev.Data = r.data
	}
	return ev
}

// parseRetry accepts ASCII digits only; values beyond int64 saturate.
func parseRetry(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// indexEOL returns the index of the first CR or LF in b, or -1.
func indexEOL(b []byte) int {
	lf := bytes.IndexByte(b, '\n')
	scope := b
	if lf >= 0 {
		scope = b[:lf]
	}
	if cr := bytes.IndexByte(scope, '\r'); cr >= 0 {
		return cr
	}
	return lf
}
