package sse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestAppendEvent(t *testing.T) {
	tests := []struct {
		name, event, data, want string
		wantErr                 error
	}{
		{name: "data only", data: `{"a":1}`, want: "data: {\"a\":1}\n\n"},
		{name: "named", event: "message_start", data: "{}", want: "event: message_start\ndata: {}\n\n"},
		{name: "empty data", data: "", want: "data:\n\n"},
		{name: "LF split", data: "a\nb", want: "data: a\ndata: b\n\n"},
		{name: "CRLF split", data: "a\r\nb", want: "data: a\ndata: b\n\n"},
		{name: "CR split", data: "a\rb", want: "data: a\ndata: b\n\n"},
		{name: "trailing newline kept", data: "a\n", want: "data: a\ndata:\n\n"},
		{name: "leading space kept", data: " a", want: "data:  a\n\n"},
		{name: "name with LF", event: "a\nb", data: "x", wantErr: ErrInvalidField},
		{name: "name with CR", event: "a\r", data: "x", wantErr: ErrInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendEvent([]byte("prefix|"), tt.event, []byte(tt.data))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if string(got) != "prefix|"+tt.want {
				t.Fatalf("got %q, want %q", got, "prefix|"+tt.want)
			}
			var w bytes.Buffer
			if err := WriteEvent(&w, tt.event, []byte(tt.data)); err != nil || w.String() != tt.want {
				t.Fatalf("WriteEvent = %q, %v", w.String(), err)
			}
			e, err := NewReader(&w, 0).Next()
			wantData := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(tt.data)
			if err != nil || string(e.Data) != wantData || string(e.Name) != tt.event {
				t.Fatalf("reparsed %+v, %v", toEv(e), err)
			}
		})
	}
}

func TestAppendFullEvent(t *testing.T) {
	tests := []struct {
		name    string
		in      Event
		want    string
		wantErr error
	}{
		{name: "all fields", in: Event{Name: []byte("x"), ID: []byte("42"), HasID: true, Retry: 3000, HasRetry: true, Data: []byte("d"), HasData: true},
			want: "event: x\nid: 42\nretry: 3000\ndata: d\n\n"},
		{name: "empty id resets", in: Event{HasID: true}, want: "id:\n\n"},
		{name: "data without HasData", in: Event{Data: []byte("d")}, want: "data: d\n\n"},
		{name: "nothing", in: Event{}, want: "\n"},
		{name: "id with NUL", in: Event{ID: []byte("a\x00"), HasID: true}, wantErr: ErrInvalidField},
		{name: "id with LF", in: Event{ID: []byte("a\n"), HasID: true}, wantErr: ErrInvalidField},
		{name: "negative retry", in: Event{Retry: -1, HasRetry: true}, wantErr: ErrInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w bytes.Buffer
			err := Write(&w, tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if w.String() != tt.want {
				t.Fatalf("got %q, want %q", w.String(), tt.want)
			}
		})
	}
}

func TestComment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ":\n\n"},
		{"keep-alive", ": keep-alive\n\n"},
		{"a\r\nb", ": a\n: b\n\n"},
	}
	for _, tt := range tests {
		var w bytes.Buffer
		if err := WriteComment(&w, tt.in); err != nil || w.String() != tt.want {
			t.Errorf("WriteComment(%q) = %q, %v; want %q", tt.in, w.String(), err, tt.want)
		}
		e, err := NewReader(&w, 0).Next()
		if err != nil || e.HasData || string(e.Raw) != tt.want {
			t.Errorf("reparsed %+v, %v", toEv(e), err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteErrors(t *testing.T) {
	if err := WriteEvent(failWriter{}, "", []byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("WriteEvent err = %v", err)
	}
	if err := WriteComment(failWriter{}, "x"); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("WriteComment err = %v", err)
	}
	if err := WriteEvent(failWriter{}, "a\nb", nil); !errors.Is(err, ErrInvalidField) {
		t.Errorf("WriteEvent bad name err = %v", err)
	}
}
