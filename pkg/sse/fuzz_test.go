package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// significant drops blocks that set no field: they do not survive a
// round trip through the writer (comments are not kept) and mean nothing.
func significant(evs []ev) []ev {
	var out []ev
	for _, e := range evs {
		if e.HasData || e.HasID || e.HasRetry || e.Name != "" {
			e.Raw = ""
			out = append(out, e)
		}
	}
	return out
}

func FuzzReader(f *testing.F) {
	seeds := []string{
		"data: hi\n\n",
		"event: message_start\ndata: {\"type\":\"message_start\"}\n\n",
		"data: a\r\ndata: b\r\n\r\n",
		"data: a\rdata: b\r\r",
		": keep-alive\n\nid: 1\nretry: 10\ndata\n\n",
		"\xEF\xBB\xBFdata: bom\n\n",
		"id: a\x00b\ndata: x\n\n",
		"data: cut",
		"data:  two spaces\n\n\n\n",
		"retry: 99999999999999999999\n\n",
		"data: \r",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit uint8) {
		maxBytes := int(limit) + 1
		if limit == 0 {
			maxBytes = 0 // default limit
		}
		first, err := readAll(NewReader(bytes.NewReader(in), maxBytes))
		tooLarge := errors.Is(err, ErrEventTooLarge)
		for _, e := range first {
			counted := len(e.Raw)
			if strings.HasSuffix(e.Raw, "\r\n") {
				counted-- // see NewReader
			}
			if maxBytes > 0 && counted > maxBytes {
				t.Fatalf("Raw of %d bytes exceeds limit %d", len(e.Raw), maxBytes)
			}
			if e.Raw != "" && !bytes.Contains(in, []byte(e.Raw)) {
				t.Fatalf("Raw %q is not a part of the input", e.Raw)
			}
		}

		// Chunking must not change the result.
		again, err2 := readAll(NewReader(iotest.OneByteReader(bytes.NewReader(in)), maxBytes))
		if !errors.Is(err2, err) {
			t.Fatalf("one-byte reads: err %v, whole: %v", err2, err)
		}
		if len(again) != len(first) {
			t.Fatalf("one-byte reads gave %d events, whole %d", len(again), len(first))
		}
		for i := range first {
			if strings.HasSuffix(again[i].Raw, "\r") && again[i].Raw+"\n" == first[i].Raw {
				again[i].Raw = first[i].Raw // the LF of a split CRLF after a block
			}
			if again[i] != first[i] {
				t.Fatalf("event %d differs by chunking: %+v vs %+v", i, again[i], first[i])
			}
		}
		if tooLarge {
			return
		}

		// Writing the parsed events and reparsing gives the same events.
		var out []byte
		for _, e := range first {
			out, err = Append(out, Event{
				Name: []byte(e.Name), Data: []byte(e.Data), ID: []byte(e.ID), Retry: e.Retry,
				HasData: e.HasData, HasID: e.HasID, HasRetry: e.HasRetry,
			})
			if err != nil {
				t.Fatalf("Append(%+v): %v", e, err)
			}
		}
		second, err := readAll(NewReader(bytes.NewReader(out), 0))
		if err != io.EOF {
			t.Fatalf("reparse err = %v", err)
		}
		a, b := significant(first), significant(second)
		if len(a) != len(b) {
			t.Fatalf("round trip: %d events, want %d\nin:  %q\nout: %q", len(b), len(a), in, out)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("round trip event %d: %+v, want %+v", i, b[i], a[i])
			}
		}
	})
}
