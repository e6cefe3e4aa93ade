package jsonwrite

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", `""`},
		{"plain", `"plain"`},
		{`quo"te back\slash`, `"quo\"te back\\slash"`},
		{"nl\n cr\r tab\t", `"nl\n cr\r tab\t"`},
		{"ctl\x00\x1f\x7f", `"ctl\u0000\u001f` + "\x7f" + `"`},
		{"日本 🚀", `"日本 🚀"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"cut\xe6\x97", `"cut\ufffd\ufffd"`},
		{"<&>\u2028", "\"<&>\u2028\""}, // not HTML-escaped
	}
	for _, tt := range tests {
		if got := AppendString([]byte("x:"), tt.in); string(got) != "x:"+tt.want {
			t.Errorf("AppendString(%q) = %s, want x:%s", tt.in, got, tt.want)
		}
		if got := AppendString(nil, []byte(tt.in)); string(got) != tt.want {
			t.Errorf("AppendString([]byte %q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quo"te`, `back\slash`, "ctl\x00\x1f\n\r\t", "日本", "bad\xffutf8", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		if fromBytes := AppendString(nil, []byte(s)); string(fromBytes) != string(b) {
			t.Fatalf("%q: string gives %s, []byte gives %s", s, b, fromBytes)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q rendered as invalid JSON %s: %v", s, b, err)
		}
		// Valid text round-trips; invalid bytes become U+FFFD each, as encoding/json does.
		std, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if got != want || utf8.ValidString(s) && got != s {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := strings.Repeat("hello, \"world\"\n café ", 20)
	buf := make([]byte, 0, 4*len(s))
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}
