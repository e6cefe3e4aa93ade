package translate

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestStringEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`"abc",`, 5},
		{`"a\"b"x`, 6},
		{`"a\\"x`, 5},
		{`"a\\\"b"`, 8},
		{`"\\\\"`, 6},
		{`"unterminated`, 13},
		{`"a\`, 3},
	}
	for _, tt := range tests {
		if got := stringEnd([]byte(tt.in), 0); got != tt.want {
			t.Errorf("stringEnd(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzMembers checks the walker against encoding/json on valid objects:
// the same keys with the same values, in order.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1,"b":[1,{"c":"]}"}],"d":"x\"y"}`, ` { "k" : null , "\u0041" : {"z":[]} } `,
		`{"a":"\\","b":"\\\""}`, `{"a":{"a":{"a":[[[]]]}},"b":-1.5e3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) || kind(in) != '{' {
			return
		}
		var want []json.RawMessage
		var keys []string
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.Token() // {
		for dec.More() {
			k, _ := dec.Token()
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			keys, want = append(keys, k.(string)), append(want, v)
		}
		i := 0
		err := members(in, "", func(k string, v []byte) error {
			if i >= len(keys) || k != keys[i] || !bytes.Equal(bytes.TrimSpace(v), bytes.TrimSpace(want[i])) {
				t.Fatalf("member %d = %q: %s, want %q: %s", i, k, v, keys[i], want[i])
			}
			i++
			if kind(v) == '[' {
				n := 0
				var all []json.RawMessage
				_ = json.Unmarshal(v, &all)
				_ = elements(v, "", func(j int, ev []byte) error {
					if j != n || !bytes.Equal(bytes.TrimSpace(ev), bytes.TrimSpace(all[j])) {
						t.Fatalf("element %d = %s, want %s", j, ev, all[j])
					}
					n++
					return nil
				})
				if n != len(all) {
					t.Fatalf("%d elements, want %d", n, len(all))
				}
			}
			return nil
		})
		if err != nil || i != len(keys) {
			t.Fatalf("walked %d of %d members: %v", i, len(keys), err)
		}
	})
}
