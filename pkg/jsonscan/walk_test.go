package jsonscan

import (
	"bytes"
	"testing"
)

func TestMember(t *testing.T) {
	tests := []struct {
		name, obj, key string
		want           string
		ok             bool
	}{
		{"first member", `{"seq":1,"stream":"U"}`, "seq", "1", true},
		{"spaced", ` { "a" : 1 , "dup" : true } `, "dup", "true", true},
		{"nested value whole", `{"u":{"n":[1,2]},"x":0}`, "u", `{"n":[1,2]}`, true},
		{"the key text inside a string value", `{"s":"\"seq\":5","t":1}`, "seq", "", false},
		{"a nested key is not top-level", `{"u":{"seq":5}}`, "seq", "", false},
		{"first of two", `{"k":1,"k":2}`, "k", "1", true},
		{"missing", `{"a":1}`, "b", "", false},
		{"not an object", `[1,2]`, "a", "", false},
		{"cut", `{"a":`, "a", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := Member([]byte(tt.obj), tt.key)
			if ok != tt.ok || string(v) != tt.want {
				t.Fatalf("Member(%s, %q) = %q, %v; want %q, %v", tt.obj, tt.key, v, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestArrayElements(t *testing.T) {
	a, ok := OpenArray([]byte(` [1, "a,b" ,{"c":[2]}, null] `))
	if !ok {
		t.Fatal("not opened")
	}
	var got []string
	for el, more := a.Next(); more; el, more = a.Next() {
		got = append(got, string(el))
	}
	want := []string{"1", `"a,b"`, `{"c":[2]}`, "null"}
	if len(got) != len(want) {
		t.Fatalf("elements %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("elements %q, want %q", got, want)
		}
	}
	if _, ok := OpenArray([]byte(`{}`)); ok {
		t.Fatal("an object opened as an array")
	}
}

// FuzzWalk: walking any input ends, never panics, and every key and value
// it returns is a piece of the input.
func FuzzWalk(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[1,{"c":"\""}]}`))
	f.Add([]byte(`[1,"x",{"y":null}]`))
	f.Add([]byte(`{"a"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if o, ok := OpenObject(b); ok {
			for k, v, more := o.Next(); more; k, v, more = o.Next() {
				if !bytes.Contains(b, k) || len(v) == 0 || !bytes.Contains(b, v) {
					t.Fatalf("member %q: %q out of %q", k, v, b)
				}
			}
		}
		if a, ok := OpenArray(b); ok {
			for v, more := a.Next(); more; v, more = a.Next() {
				if len(v) == 0 || !bytes.Contains(b, v) {
					t.Fatalf("element %q out of %q", v, b)
				}
			}
		}
	})
}
