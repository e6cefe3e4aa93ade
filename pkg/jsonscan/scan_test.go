package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSkipSpace(t *testing.T) {
	tests := []struct {
		in   string
		at   int
		want int
	}{
		{"", 0, 0},
		{"x", 0, 0},
		{" \t\r\nx", 0, 4},
		{"   ", 0, 3},
		{"a  b", 1, 3},
		{"a", 1, 1},
		{"\v x", 0, 0}, // only JSON's four whitespace bytes count
	}
	for _, tt := range tests {
		if got := SkipSpace([]byte(tt.in), tt.at); got != tt.want {
			t.Errorf("SkipSpace(%q, %d) = %d, want %d", tt.in, tt.at, got, tt.want)
		}
	}
}

func TestSkipString(t *testing.T) {
	tests := []struct {
		in   string
		at   int
		want int
	}{
		{`""`, 0, 2},
		{`"abc" tail`, 0, 5},
		{`x:"abc"`, 2, 7},
		{`"a\"b"`, 0, 6},
		{`"a\\"`, 0, 5},
		{`"a\\\"b"`, 0, 8},
		{`"`, 0, -1},
		{`"abc`, 0, -1},
		{`"abc\"`, 0, -1},
		{`"01234567\"89abcdef\\"`, 0, 22},
		{`"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"`, 0, 1 + 64 + 10 + 1},
		{`"` + strings.Repeat(`0123456789\"`, 20) + `"x`, 0, 1 + 12*20 + 1},
		{`"` + strings.Repeat(`\\`, 40) + `\"` + strings.Repeat("y", 100) + `"`, 0, 1 + 80 + 2 + 100 + 1},
		{`"` + strings.Repeat("z", 100) + `\\"`, 0, 1 + 100 + 2 + 1},
		{`"` + strings.Repeat("z", 100) + `\`, 0, -1},
	}
	for _, tt := range tests {
		if got := SkipString([]byte(tt.in), tt.at); got != tt.want {
			t.Errorf("SkipString(%q, %d) = %d, want %d", tt.in, tt.at, got, tt.want)
		}
	}
}

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`"abc"`, 5},
		{`"a\"b"`, 6},
		{`"unterminated\"`, -1},
		{`{"a":"}"}`, 9},
		{`[1,[2,{"x":"]"}],3] tail`, 19},
		{`{}`, 2},
		{`[]`, 2},
		{`123,`, 3},
		{`-1.5e3]`, 6},
		{`null}`, 4},
		{`true `, 4},
		{`{"a":`, -1},
		{`[1,2`, -1},
		{`}`, -1},
		{`,`, -1},
		{` 1`, -1}, // the value must start at i
		{``, -1},
	}
	for _, tt := range tests {
		if got := SkipValue([]byte(tt.in), 0); got != tt.want {
			t.Errorf("SkipValue(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// skipStringSlow is the obvious reference for SkipString.
func skipStringSlow(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return j + 1
		case '\\':
			j++
		}
	}
	return -1
}

func FuzzSkipString(f *testing.F) {
	f.Add([]byte(`abc"`))
	f.Add([]byte(strings.Repeat("0123456789", 30) + `"`))
	f.Add([]byte(`0123456789\\\\\\\"0123456789\"0123456789\\"tail`))
	f.Add([]byte(`unterminated\`))
	f.Fuzz(func(t *testing.T, in []byte) {
		in = append([]byte{'"'}, in...)
		if got, want := SkipString(in, 0), skipStringSlow(in, 0); got != want {
			t.Fatalf("SkipString(%q) = %d, want %d", in, got, want)
		}
	})
}

// FuzzSkipValue checks that a valid JSON value is skipped exactly, and that
// any input gives -1 or an end inside it.
func FuzzSkipValue(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"}]"}],"c":null}`))
	f.Add([]byte(`"esc\"aped\\"`))
	f.Add([]byte(`-12.5e+3`))
	f.Add([]byte(`[true,false,"` + strings.Repeat("x", 70) + `"]`))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, in []byte) {
		in = bytes.TrimLeft(in, " \t\r\n")
		end := SkipValue(in, 0)
		if end != -1 && (end <= 0 || end > len(in)) {
			t.Fatalf("SkipValue(%q) = %d, out of range", in, end)
		}
		v := bytes.TrimRight(in, " \t\r\n")
		if json.Valid(v) {
			if got := SkipValue(v, 0); got != len(v) {
				t.Fatalf("SkipValue(%q) = %d, want %d", v, got, len(v))
			}
		}
	})
}

func BenchmarkSkipValue(b *testing.B) {
	body := []byte(`{"role":"user","content":"` + strings.Repeat(`some text with \"quotes\" `, 40) + `","n":[1,2,3]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if SkipValue(body, 0) != len(body) {
			b.Fatal("short skip")
		}
	}
}
