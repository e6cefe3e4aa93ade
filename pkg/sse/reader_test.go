package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// ev is the comparable form of an Event used by the tables.
type ev struct {
	Name, Data, ID, Raw string
	Retry               int64
	HasData             bool
	HasID               bool
	HasRetry            bool
}

func toEv(e Event) ev {
	return ev{
		Name: string(e.Name), Data: string(e.Data), ID: string(e.ID), Raw: string(e.Raw),
		Retry: e.Retry, HasData: e.HasData, HasID: e.HasID, HasRetry: e.HasRetry,
	}
}

// readAll collects every event (the partial one at a cut too) and the final error.
func readAll(r *Reader) ([]ev, error) {
	var out []ev
	for {
		e, err := r.Next()
		if len(e.Raw) > 0 {
			out = append(out, toEv(e))
		}
		if err != nil {
			return out, err
		}
	}
}

func data(d, raw string) ev { return ev{Data: d, Raw: raw, HasData: true} }

func TestReaderSpec(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		max     int
		want    []ev
		wantErr error
		lastID  string
	}{
		{name: "empty stream", in: "", wantErr: io.EOF},
		{name: "one event LF", in: "data: hi\n\n", want: []ev{data("hi", "data: hi\n\n")}, wantErr: io.EOF},
		{name: "CRLF", in: "data: a\r\n\r\ndata: b\r\n\r\n",
			want: []ev{data("a", "data: a\r\n\r\n"), data("b", "data: b\r\n\r\n")}, wantErr: io.EOF},
		{name: "CR only", in: "data: a\r\rdata: b\r\r",
			want: []ev{data("a", "data: a\r\r"), data("b", "data: b\r\r")}, wantErr: io.EOF},
		{name: "mixed endings", in: "data: a\rdata: b\r\ndata: c\n\r\n",
			want: []ev{data("a\nb\nc", "data: a\rdata: b\r\ndata: c\n\r\n")}, wantErr: io.EOF},
		{name: "multi-line data", in: "data: one\ndata: two\ndata: three\n\n",
			want: []ev{data("one\ntwo\nthree", "data: one\ndata: two\ndata: three\n\n")}, wantErr: io.EOF},
		{name: "data without colon is an empty value", in: "data\n\n", want: []ev{data("", "data\n\n")}, wantErr: io.EOF},
		{name: "two empty data lines give one LF", in: "data\ndata\n\n", want: []ev{data("\n", "data\ndata\n\n")}, wantErr: io.EOF},
		{name: "no space after colon", in: "data:x\n\n", want: []ev{data("x", "data:x\n\n")}, wantErr: io.EOF},
		{name: "only one space stripped", in: "data:  x \n\n", want: []ev{data(" x ", "data:  x \n\n")}, wantErr: io.EOF},
		{name: "colon inside value kept", in: "data: {\"a\":1}\n\n", want: []ev{data(`{"a":1}`, "data: {\"a\":1}\n\n")}, wantErr: io.EOF},
		{name: "event name, last wins", in: "event: a\nevent: ping\ndata: {}\n\n",
			want: []ev{{Name: "ping", Data: "{}", HasData: true, Raw: "event: a\nevent: ping\ndata: {}\n\n"}}, wantErr: io.EOF},
		{name: "comment only block", in: ": keep-alive\n\ndata: x\n\n",
			want: []ev{{Raw: ": keep-alive\n\n"}, data("x", "data: x\n\n")}, wantErr: io.EOF},
		{name: "comment between fields", in: "data: a\n:note\ndata: b\n\n",
			want: []ev{data("a\nb", "data: a\n:note\ndata: b\n\n")}, wantErr: io.EOF},
		{name: "unknown field and wrong case ignored", in: "Data: x\nfoo: bar\ndata: y\n\n",
			want: []ev{data("y", "Data: x\nfoo: bar\ndata: y\n\n")}, wantErr: io.EOF},
		{name: "id persists, NUL id ignored", in: "id: 7\ndata: a\n\nid: 8\x009\ndata: b\n\n",
			want: []ev{
				{ID: "7", HasID: true, Data: "a", HasData: true, Raw: "id: 7\ndata: a\n\n"},
				data("b", "id: 8\x009\ndata: b\n\n"),
			}, wantErr: io.EOF, lastID: "7"},
		{name: "empty id resets", in: "id: 7\n\nid\n\n",
			want: []ev{{ID: "7", HasID: true, Raw: "id: 7\n\n"}, {HasID: true, Raw: "id\n\n"}}, wantErr: io.EOF},
		{name: "retry digits only", in: "retry: 1500\n\nretry: 15a\n\nretry:\n\nretry: -1\n\n",
			want:    []ev{{Retry: 1500, HasRetry: true, Raw: "retry: 1500\n\n"}, {Raw: "retry: 15a\n\n"}, {Raw: "retry:\n\n"}, {Raw: "retry: -1\n\n"}},
			wantErr: io.EOF},
		{name: "retry saturates", in: "retry: 99999999999999999999999\n\n",
			want: []ev{{Retry: 1<<63 - 1, HasRetry: true, Raw: "retry: 99999999999999999999999\n\n"}}, wantErr: io.EOF},
		{name: "BOM stripped once", in: "\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n",
			want: []ev{data("a", "data: a\n\n"), {Raw: "\xEF\xBB\xBFdata: b\n\n"}}, wantErr: io.EOF},
		{name: "BOM only", in: "\xEF\xBB\xBF", wantErr: io.EOF},
		{name: "partial BOM is data", in: "\xEF\xBBdata: a\n\n", want: []ev{{Raw: "\xEF\xBBdata: a\n\n"}}, wantErr: io.EOF},
		{name: "stray blank lines skipped", in: "\n\r\n\rdata: a\n\n\n\ndata: b\n\n\n",
			want: []ev{data("a", "data: a\n\n"), data("b", "data: b\n\n")}, wantErr: io.EOF},
		{name: "cut inside block", in: "data: a\n\ndata: b\ndata: c",
			want: []ev{data("a", "data: a\n\n"), data("b\nc", "data: b\ndata: c")}, wantErr: io.ErrUnexpectedEOF},
		{name: "cut after a line", in: "data: [DONE]\n",
			want: []ev{data("[DONE]", "data: [DONE]\n")}, wantErr: io.ErrUnexpectedEOF},
		{name: "trailing CR ends the block at EOF", in: "data: a\n\r",
			want: []ev{data("a", "data: a\n\r")}, wantErr: io.EOF},
		{name: "exactly at limit", in: "data: 12\n\n", max: 10, want: []ev{data("12", "data: 12\n\n")}, wantErr: io.EOF},
		{name: "one byte over limit", in: "data: 123\n\n", max: 10, wantErr: ErrEventTooLarge},
		{name: "final LF of CRLF not counted", in: "data: 1\r\n\r\n", max: 10, want: []ev{data("1", "data: 1\r\n\r\n")}, wantErr: io.EOF},
		{name: "CRLF block over limit", in: "data: 1\r\n\r\n", max: 9, wantErr: ErrEventTooLarge},
		{name: "endless line hits limit", in: strings.Repeat("x", 100), max: 10, wantErr: ErrEventTooLarge},
		{name: "limit after good events", in: "data: 1\n\ndata: 123456789\n\n", max: 10,
			want: []ev{data("1", "data: 1\n\n")}, wantErr: ErrEventTooLarge},
	}
	readers := map[string]func(string) io.Reader{
		"whole":   func(s string) io.Reader { return strings.NewReader(s) },
		"onebyte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"dataerr": func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) },
		"halves":  func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
	}
	for _, tt := range tests {
		for rname, mk := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				r := NewReader(mk(tt.in), tt.max)
				got, err := readAll(r)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %d events %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
				}
				for i := range got {
					if sameRaw(got[i].Raw, tt.want[i].Raw) {
						got[i].Raw = tt.want[i].Raw
					}
					if got[i] != tt.want[i] {
						t.Errorf("event %d = %+v, want %+v", i, got[i], tt.want[i])
					}
				}
				if string(r.LastEventID()) != tt.lastID {
					t.Errorf("LastEventID = %q, want %q", r.LastEventID(), tt.lastID)
				}
			})
		}
	}
}

// sameRaw allows the one difference chunking makes: the LF of a block's
// final CRLF is dropped when the CR was the last byte of a read.
func sameRaw(got, want string) bool {
	return got == want || (strings.HasSuffix(want, "\r\n") && got == want[:len(want)-1])
}

func TestReaderStickyErrors(t *testing.T) {
	r := NewReader(strings.NewReader("data: a\n"), 0)
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("first err = %v", err)
	}
	for range 2 {
		if e, err := r.Next(); err != io.EOF || len(e.Raw) != 0 {
			t.Fatalf("after cut: %+v, %v", e, err)
		}
	}

	boom := errors.New("connection reset")
	r = NewReader(io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom)), 0)
	got, err := readAll(r)
	if !errors.Is(err, boom) || len(got) != 2 || got[1].Data != "b" {
		t.Fatalf("got %+v, %v", got, err)
	}

	r = NewReader(strings.NewReader("data: 0123456789\n\ndata: a\n\n"), 8)
	for range 2 {
		if _, err := r.Next(); !errors.Is(err, ErrEventTooLarge) {
			t.Fatalf("err = %v, want sticky ErrEventTooLarge", err)
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderNoProgress(t *testing.T) {
	if _, err := NewReader(zeroReader{}, 0).Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err = %v, want io.ErrNoProgress", err)
	}
}

// The buffer grows on demand and slices stay correct across growth.
func TestReaderLargeEvents(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 5000)
	var stream []byte
	for i := range 5 {
		stream, _ = AppendEvent(stream, "n", big[:len(big)-i*1000])
	}
	r := NewReader(iotest.HalfReader(bytes.NewReader(stream)), 1<<16)
	for i := range 5 {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if !bytes.Equal(e.Data, big[:len(big)-i*1000]) || string(e.Name) != "n" {
			t.Fatalf("event %d: data len %d name %q", i, len(e.Data), e.Name)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end err = %v", err)
	}
}

// Concatenated Raw bytes of every block reproduce the stream minus stray
// blank lines and the BOM: what a proxy forwarding Raw sends on.
func TestReaderRawForwarding(t *testing.T) {
	in := "\xEF\xBB\xBF: hi\n\nevent: a\r\ndata: 1\r\n\r\n\ndata: 2\rid: 3\r\r"
	want := ": hi\n\nevent: a\r\ndata: 1\r\n\r\ndata: 2\rid: 3\r\r"
	r := NewReader(strings.NewReader(in), 0)
	var out []byte
	for {
		e, err := r.Next()
		out = append(out, e.Raw...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(out) != want {
		t.Fatalf("forwarded %q, want %q", out, want)
	}
}

// chunkReader serves its chunks one per Read and fails the test when asked
// for more: an event must be returned as soon as its bytes are in.
type chunkReader struct {
	t      *testing.T
	chunks []string
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		c.t.Error("read past a complete event")
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks = c.chunks[1:]
	return n, nil
}

func TestReaderDoesNotWait(t *testing.T) {
	tests := []struct {
		chunks []string
		want   []string
	}{
		{[]string{"data: a\n\n"}, []string{"a"}},
		{[]string{"data: a\r\r"}, []string{"a"}},
		{[]string{"data: a\r\n\r"}, []string{"a"}},
		{[]string{"data: a\r\r", "\ndata: b\r\r"}, []string{"a", "b"}},
		{[]string{"data: a\r", "\n", "\r", "\ndata: b\r", "\ndata: c\r\r"}, []string{"a", "b\nc"}},
	}
	for _, tt := range tests {
		r := NewReader(&chunkReader{t: t, chunks: tt.chunks}, 0)
		for _, want := range tt.want {
			e, err := r.Next()
			if err != nil || string(e.Data) != want {
				t.Errorf("%q: got %q, %v; want %q", tt.chunks, e.Data, err, want)
			}
		}
	}
}

// countingReader serves its input in reads of the given sizes and counts them.
type countingReader struct {
	in    []byte
	sizes []byte
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := len(c.in)
	if c.reads < len(c.sizes) {
		n = min(n, int(c.sizes[c.reads])+1)
	}
	c.reads++
	n = copy(p, c.in[:n])
	c.in = c.in[n:]
	return n, nil
}

func TestReaderReady(t *testing.T) {
	tests := []struct {
		name  string
		reads []string
		// ready after each Next
		want []bool
	}{
		{"two events in one read", []string{"data: a\n\ndata: b\n\n"}, []bool{true, false}},
		{"a partial event follows", []string{"data: a\n\ndata: b\n"}, []bool{false}},
		{"stray blank lines are no event", []string{"data: a\n\n\n\n"}, []bool{false}},
		{"CRLF blocks", []string{"data: a\r\n\r\ndata: b\r\n\r\n"}, []bool{true, false}},
		{"CR blocks", []string{"data: a\r\rdata: b\r\r"}, []bool{true, false}},
		{"the LF of a split CRLF", []string{"data: a\r\n\r", "\ndata: b\r\n\r\n"}, []bool{false, false}},
		{"comment-only block", []string{"data: a\n\n: ping\n\n"}, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The source ends only when the test says so: it reports
			// a read past the chunks as an error.
			r := NewReader(&chunkReader{t: t, chunks: tt.reads}, 0)
			if r.Ready() {
				t.Fatal("ready before anything was read")
			}
			for i, want := range tt.want {
				if _, err := r.Next(); err != nil {
					t.Fatalf("Next %d: %v", i, err)
				}
				if got := r.Ready(); got != want {
					t.Errorf("after event %d: Ready() = %v, want %v", i, got, want)
				}
			}
		})
	}
	r := NewReader(strings.NewReader("data: a\n\n"), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if !r.Ready() {
		t.Error("not ready at the end: a relay would wait for nothing")
	}
}

// FuzzReaderReady checks that Ready never promises an event Next would have
// to read for: a relay that trusts it would hold an event back.
func FuzzReaderReady(f *testing.F) {
	f.Add([]byte("data: a\n\ndata: b\n\n"), []byte{3, 200})
	f.Add([]byte("data: a\r\n\r\n: c\r\n\r\ndata: b\r"), []byte{0, 1, 2, 3})
	f.Add([]byte("\xEF\xBB\xBFdata: a\r\rdata: b\n\n\n"), []byte{1})
	f.Fuzz(func(t *testing.T, in, sizes []byte) {
		src := &countingReader{in: in, sizes: sizes}
		r := NewReader(src, 256)
		for range 10000 {
			ready := r.Ready()
			before := src.reads
			_, err := r.Next()
			if ready && src.reads != before {
				t.Fatalf("Ready() was true but Next read the source (input %q, sizes %v)", in, sizes)
			}
			if err != nil {
				return
			}
		}
	})
}
