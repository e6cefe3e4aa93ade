package config

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary text to every binder through the environment and
// the command line. Parse must not panic, and a value marked Secret must not
// show up in the error, wherever a marker is placed inside it.
func FuzzParse(f *testing.F) {
	f.Add("abc", "", "flag")
	f.Add("http://u:", "@h:1", "--x")
	f.Add("nats://h:", "", "-1")
	f.Add("[::1", "]:80", "--n=3")
	f.Add("1", "s", "--b")
	f.Add("", "", "")

	const marker = "Qz7Kx9Wv"
	f.Fuzz(func(t *testing.T, before, after, arg string) {
		value := before + marker + after
		env := map[string]string{}
		for _, k := range []string{"S", "N", "D", "B", "U", "A", "L"} {
			env[k] = value
		}
		var (
			str, u, a, l string
			n            int
			d            time.Duration
			b            bool
		)
		s := NewSet("fuzz", MapLookup(env))
		s.String(&str, "s", "S", "", "", Secret, Required)
		s.Int(&n, "n", "N", 0, "", Secret)
		s.Duration(&d, "d", "D", 0, "", Secret)
		s.Bool(&b, "b", "B", false, "", Secret)
		s.URL(&u, "u", "U", "", "", Secret, Schemes("http"))
		s.Addr(&a, "a", "A", "", "", Secret)
		s.LogLevel(&l, "l", "L", "info", "", Secret)

		err := s.Parse([]string{arg})
		if err != nil && strings.Contains(err.Error(), marker) && !strings.Contains(arg, marker) {
			t.Fatalf("secret value leaked: %v", err)
		}
		if err == nil && arg == "" && u != value {
			t.Fatalf("accepted URL %q but stored %q", value, u)
		}
	})
}
