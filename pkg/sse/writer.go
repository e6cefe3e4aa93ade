package sse

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// ErrInvalidField is returned for an event name or id that cannot be framed:
// a line break would end the field early, and browsers ignore ids with NUL.
var ErrInvalidField = errors.New("sse: field value cannot be framed")

// AppendEvent appends one event block to dst: an "event" line when name is
// not empty, one "data" line per line of data (CRLF, LF and CR all split) and
// the terminating blank line. It does not allocate when dst has room.
func AppendEvent(dst []byte, name string, data []byte) ([]byte, error) {
	if hasBreak(name) {
		return dst, ErrInvalidField
	}
	if name != "" {
		dst = appendField(dst, "event", name)
	}
	dst = appendData(dst, data)
	return append(dst, '\n'), nil
}

// WriteEvent writes one event block to w with a single Write call, so each
// event reaches the client whole when w flushes per write.
func WriteEvent(w io.Writer, name string, data []byte) error {
	buf, err := AppendEvent(make([]byte, 0, len(name)+len(data)+32), name, data)
	if err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}

// Append appends a block holding every field ev sets: Name when not empty,
// ID when HasID, Retry when HasRetry, Data when HasData or not empty. Raw is
// ignored; a block that sets nothing is a lone blank line.
func Append(dst []byte, ev Event) ([]byte, error) {
	if hasBreak(ev.Name) || (ev.HasID && (hasBreak(ev.ID) || bytes.IndexByte(ev.ID, 0) >= 0)) ||
		(ev.HasRetry && ev.Retry < 0) {
		return dst, ErrInvalidField
	}
	if len(ev.Name) > 0 {
		dst = appendField(dst, "event", ev.Name)
	}
	if ev.HasID {
		dst = appendField(dst, "id", ev.ID)
	}
	if ev.HasRetry {
		dst = strconv.AppendInt(append(dst, "retry: "...), ev.Retry, 10)
		dst = append(dst, '\n')
	}
	if ev.HasData || len(ev.Data) > 0 {
		dst = appendData(dst, ev.Data)
	}
	return append(dst, '\n'), nil
}

// Write writes the block Append makes with a single Write call.
func Write(w io.Writer, ev Event) error {
	buf, err := Append(make([]byte, 0, len(ev.Name)+len(ev.ID)+len(ev.Data)+48), ev)
	if err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}

// AppendComment appends a block of comment lines, one per line of text.
// Clients ignore it; proxies and load balancers see traffic (keep-alive).
func AppendComment(dst []byte, text string) []byte {
	for {
		k := indexBreak(text)
		line := text
		if k >= 0 {
			line = text[:k]
		}
		dst = append(dst, ':')
		if line != "" {
			dst = append(append(dst, ' '), line...)
		}
		dst = append(dst, '\n')
		if k < 0 {
			break
		}
		text = text[k+eolLen(text, k):]
	}
	return append(dst, '\n')
}

// WriteComment writes the block AppendComment makes.
func WriteComment(w io.Writer, text string) error {
	_, err := w.Write(AppendComment(make([]byte, 0, len(text)+8), text))
	return err
}

func appendData(dst, data []byte) []byte {
	for {
		k := indexEOL(data)
		line := data
		if k >= 0 {
			line = data[:k]
		}
		dst = appendField(dst, "data", line)
		if k < 0 {
			return dst
		}
		data = data[k+eolLen(data, k):]
	}
}

// appendField always puts a space after the colon when there is a value:
// the reader strips exactly one, so a value that starts with a space
// survives the round trip.
func appendField[T string | []byte](dst []byte, field string, value T) []byte {
	dst = append(dst, field...)
	dst = append(dst, ':')
	if len(value) > 0 {
		dst = append(append(dst, ' '), value...)
	}
	return append(dst, '\n')
}

// eolLen is the length of the line terminator at b[k]: 2 for CRLF, else 1.
func eolLen[T string | []byte](b T, k int) int {
	if b[k] == '\r' && k+1 < len(b) && b[k+1] == '\n' {
		return 2
	}
	return 1
}

func hasBreak[T string | []byte](s T) bool {
	return indexBreak(s) >= 0
}

// indexBreak is indexEOL for short strings, where a plain loop is as fast.
func indexBreak[T string | []byte](s T) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return i
		}
	}
	return -1
}
