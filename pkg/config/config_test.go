package config

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

// fieldErrors flattens the errors.Join result of Parse.
func fieldErrors(t *testing.T, err error) []*FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error is not a join: %T %v", err, err)
	}
	var out []*FieldError
	for _, e := range joined.Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("joined error %v is not a *FieldError", e)
		}
		out = append(out, fe)
	}
	return out
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, ":8080"},
		{"env over default", nil, map[string]string{"BURNCLOUD_ROUTER_ADDR": ":9000"}, ":9000"},
		{"empty env counts as unset", nil, map[string]string{"BURNCLOUD_ROUTER_ADDR": ""}, ":8080"},
		{"flag over env", []string{"--addr", "127.0.0.1:7000"}, map[string]string{"BURNCLOUD_ROUTER_ADDR": ":9000"}, "127.0.0.1:7000"},
		{"single dash flag", []string{"-addr=:7001"}, nil, ":7001"},
		{"flag may set empty", []string{"--addr="}, map[string]string{"BURNCLOUD_ROUTER_ADDR": ":9000"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr string
			s := NewSet("test", MapLookup(tt.env))
			s.Addr(&addr, "addr", "BURNCLOUD_ROUTER_ADDR", ":8080", "listen address")
			if err := s.Parse(tt.args); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if addr != tt.want {
				t.Errorf("addr = %q, want %q", addr, tt.want)
			}
		})
	}
}

func TestPrecedenceEveryKind(t *testing.T) {
	type cfg struct {
		s     string
		n     int
		d     time.Duration
		b     bool
		u     string
		a     string
		level string
	}
	bind := func(env map[string]string) (*Set, *cfg) {
		var c cfg
		s := NewSet("test", MapLookup(env))
		s.String(&c.s, "s", "T_S", "def", "")
		s.Int(&c.n, "n", "T_N", 1, "")
		s.Duration(&c.d, "d", "T_D", time.Second, "")
		s.Bool(&c.b, "b", "T_B", false, "")
		s.URL(&c.u, "u", "T_U", "http://default:1", "", Schemes("http", "https"))
		s.Addr(&c.a, "a", "T_A", ":1", "")
		s.LogLevel(&c.level, "level", "T_LEVEL", "info", "")
		return s, &c
	}
	env := map[string]string{
		"T_S": "env", "T_N": "2", "T_D": "2s", "T_B": "true",
		"T_U": "https://env:2", "T_A": ":2", "T_LEVEL": "warn",
	}
	flags := []string{"--s=flag", "--n=3", "--d=3s", "--b=false", "--u=http://flag:3", "--a=:3", "--level=debug"}

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want cfg
	}{
		{"defaults", nil, nil, cfg{"def", 1, time.Second, false, "http://default:1", ":1", "info"}},
		{"env", env, nil, cfg{"env", 2, 2 * time.Second, true, "https://env:2", ":2", "warn"}},
		{"flags", env, flags, cfg{"flag", 3, 3 * time.Second, false, "http://flag:3", ":3", "debug"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := bind(tt.env)
			if err := s.Parse(tt.args); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if *c != tt.want {
				t.Errorf("got %+v, want %+v", *c, tt.want)
			}
		})
	}
}

func TestDefaultsStoredBeforeParse(t *testing.T) {
	var n int
	s := NewSet("test", nil)
	s.Int(&n, "n", "", 42, "")
	if n != 42 {
		t.Fatalf("n = %d before Parse, want 42", n)
	}
}

func TestBinderValidation(t *testing.T) {
	tests := []struct {
		name    string
		bind    func(s *Set)
		value   string
		wantErr string // empty: valid
	}{
		{"int ok", func(s *Set) { var n int; s.Int(&n, "x", "X", 0, "") }, "-12", ""},
		{"int bad", func(s *Set) { var n int; s.Int(&n, "x", "X", 0, "") }, "12a", `X (--x): "12a" is not an integer`},
		{"duration ok", func(s *Set) { var d time.Duration; s.Duration(&d, "x", "X", 0, "") }, "1m30s", ""},
		{"duration bad", func(s *Set) { var d time.Duration; s.Duration(&d, "x", "X", 0, "") }, "30", `X (--x): "30" is not a duration`},
		{"bool ok", func(s *Set) { var b bool; s.Bool(&b, "x", "X", false, "") }, "1", ""},
		{"bool bad", func(s *Set) { var b bool; s.Bool(&b, "x", "X", false, "") }, "yes", `X (--x): "yes" is not a boolean`},
		{"addr ok", func(s *Set) { var a string; s.Addr(&a, "x", "X", "", "") }, "[::1]:80", ""},
		{"addr no port", func(s *Set) { var a string; s.Addr(&a, "x", "X", "", "") }, "abc", `X (--x): "abc" is not a host:port`},
		{"addr port range", func(s *Set) { var a string; s.Addr(&a, "x", "X", "", "") }, "h:70000", "port must be 0-65535"},
		{"addr port name", func(s *Set) { var a string; s.Addr(&a, "x", "X", "", "") }, "h:http", "port must be 0-65535"},
		{"url ok", func(s *Set) { var u string; s.URL(&u, "x", "X", "", "", Schemes("nats")) }, "nats://127.0.0.1:4222", ""},
		{"url scheme", func(s *Set) { var u string; s.URL(&u, "x", "X", "", "", Schemes("http", "https")) }, "ftp://h", `X (--x): "ftp://h" must use http or https`},
		{"url relative", func(s *Set) { var u string; s.URL(&u, "x", "X", "", "") }, "localhost:8081", "is not an absolute URL with a host"},
		{"url no host", func(s *Set) { var u string; s.URL(&u, "x", "X", "", "") }, "http:///path", "is not an absolute URL with a host"},
		{"url unparsable", func(s *Set) { var u string; s.URL(&u, "x", "X", "", "") }, "http://a b", "is not a valid URL: invalid character"},
		{"url password redacted", func(s *Set) { var u string; s.URL(&u, "x", "X", "", "", Schemes("redis")) }, "http://u:hunter2@h", `"http://u:xxxxx@h" must use redis`},
		{"level ok", func(s *Set) { var l string; s.LogLevel(&l, "x", "X", "info", "") }, "ERROR", ""},
		{"level bad", func(s *Set) { var l string; s.LogLevel(&l, "x", "X", "info", "") }, "verbose", `X (--x): "verbose" is not a log level`},
		{"env only", func(s *Set) { var n int; s.Int(&n, "", "X", 0, "") }, "z", `X: "z" is not an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSet("test", MapLookup(map[string]string{"X": tt.value}))
			tt.bind(s)
			err := s.Parse(nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tt.value, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tt.value, err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("password leaked: %v", err)
			}
		})
	}
}

func TestFlagOnlyErrorNamesFlag(t *testing.T) {
	var n int
	s := NewSet("test", nil)
	s.Int(&n, "workers", "", 1, "")
	err := s.Parse([]string{"--workers=many"})
	if err == nil || err.Error() != `--workers: "many" is not an integer` {
		t.Fatalf("err = %v", err)
	}
}

func TestEveryProblemReported(t *testing.T) {
	type config struct {
		Addr, ControlURL, Secret, Level string
		Workers                         int
		Timeout                         time.Duration
		Debug                           bool
	}
	var c config
	env := map[string]string{
		"BURNCLOUD_ROUTER_ADDR":  "abc",
		"BURNCLOUD_CONTROL_URL":  "ftp://control",
		"BURNCLOUD_LOG_LEVEL":    "loud",
		"BURNCLOUD_WORKERS":      "four",
		"BURNCLOUD_DEBUG":        "maybe",
		"BURNCLOUD_ROUTER_SLACK": "forever",
	}
	s := NewSet("burncloud-router", MapLookup(env))
	s.Addr(&c.Addr, "addr", "BURNCLOUD_ROUTER_ADDR", ":8080", "listen address")
	s.URL(&c.ControlURL, "control-url", "BURNCLOUD_CONTROL_URL", "http://127.0.0.1:8081", "control", Schemes("http", "https"))
	s.String(&c.Secret, "secret", "BURNCLOUD_SECRET", "", "master secret", Required, Secret)
	s.LogLevel(&c.Level, "log-level", "BURNCLOUD_LOG_LEVEL", "info", "log level")
	s.Int(&c.Workers, "workers", "BURNCLOUD_WORKERS", 1, "workers")
	s.Duration(&c.Timeout, "slack", "BURNCLOUD_ROUTER_SLACK", time.Second, "slack")
	s.Bool(&c.Debug, "debug", "BURNCLOUD_DEBUG", false, "debug")

	err := s.Parse(nil)
	got := fieldErrors(t, err)
	want := []struct {
		flag, env string
		kind      error
		msg       string
	}{
		{"addr", "BURNCLOUD_ROUTER_ADDR", ErrInvalid, `BURNCLOUD_ROUTER_ADDR (--addr): "abc" is not a host:port`},
		{"control-url", "BURNCLOUD_CONTROL_URL", ErrInvalid, `BURNCLOUD_CONTROL_URL (--control-url): "ftp://control" must use http or https`},
		{"secret", "BURNCLOUD_SECRET", ErrRequired, `BURNCLOUD_SECRET (--secret): must be set`},
		{"log-level", "BURNCLOUD_LOG_LEVEL", ErrInvalid, `BURNCLOUD_LOG_LEVEL (--log-level): "loud" is not a log level (debug, info, warn, error)`},
		{"workers", "BURNCLOUD_WORKERS", ErrInvalid, `BURNCLOUD_WORKERS (--workers): "four" is not an integer`},
		{"slack", "BURNCLOUD_ROUTER_SLACK", ErrInvalid, `BURNCLOUD_ROUTER_SLACK (--slack): "forever" is not a duration (like 500ms, 30s, 5m)`},
		{"debug", "BURNCLOUD_DEBUG", ErrInvalid, `BURNCLOUD_DEBUG (--debug): "maybe" is not a boolean (true or false)`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i]
		if g.Flag != w.flag || g.Env != w.env || !errors.Is(g, w.kind) || g.Error() != w.msg {
			t.Errorf("problem %d = {%q %q %v} %q, want %q", i, g.Flag, g.Env, g.Err, g.Error(), w.msg)
		}
	}
	if !errors.Is(err, ErrRequired) || !errors.Is(err, ErrInvalid) {
		t.Errorf("joined error should match both sentinels: %v", err)
	}
	// A broken value leaves the default in place.
	if c.Addr != ":8080" || c.Workers != 1 {
		t.Errorf("defaults overwritten by bad values: %+v", c)
	}
}

func TestRequired(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		ok   bool
	}{
		{"missing", nil, nil, false},
		{"empty env", nil, map[string]string{"BURNCLOUD_ADMIN_KEY": ""}, false},
		{"empty flag", []string{"--admin-key="}, map[string]string{"BURNCLOUD_ADMIN_KEY": "k"}, false},
		{"env", nil, map[string]string{"BURNCLOUD_ADMIN_KEY": "k"}, true},
		{"flag", []string{"--admin-key", "k"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var key string
			s := NewSet("test", MapLookup(tt.env))
			s.String(&key, "admin-key", "BURNCLOUD_ADMIN_KEY", "", "", Required)
			err := s.Parse(tt.args)
			if tt.ok != (err == nil) {
				t.Fatalf("Parse = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok && !errors.Is(err, ErrRequired) {
				t.Errorf("error %v is not ErrRequired", err)
			}
		})
	}
}

func TestSecretNotLeaked(t *testing.T) {
	const secret = "s3cr3t-Z9q"
	tests := []struct {
		name string
		bind func(s *Set)
	}{
		{"int", func(s *Set) { var n int; s.Int(&n, "x", "X", 0, "", Secret) }},
		{"duration", func(s *Set) { var d time.Duration; s.Duration(&d, "x", "X", 0, "", Secret) }},
		{"bool", func(s *Set) { var b bool; s.Bool(&b, "x", "X", false, "", Secret) }},
		{"addr", func(s *Set) { var a string; s.Addr(&a, "x", "X", "", "", Secret) }},
		{"level", func(s *Set) { var l string; s.LogLevel(&l, "x", "X", "info", "", Secret) }},
	}
	values := []string{secret, "postgres://u:" + secret + "@h:5432/db", "http://h:" + secret, "http://" + secret + " x/"}
	for _, tt := range tests {
		for _, v := range values {
			t.Run(tt.name, func(t *testing.T) {
				s := NewSet("test", MapLookup(map[string]string{"X": v}))
				tt.bind(s)
				err := s.Parse(nil)
				if err == nil {
					t.Fatalf("Parse(%q) accepted a bad value", v)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("secret leaked: %v", err)
				}
			})
		}
	}
	for _, v := range values[1:] {
		t.Run("url", func(t *testing.T) {
			var u string
			s := NewSet("test", MapLookup(map[string]string{"X": v}))
			s.URL(&u, "x", "X", "", "", Secret, Schemes("nats"))
			err := s.Parse(nil)
			if err == nil {
				t.Fatalf("Parse(%q) accepted a bad value", v)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("secret leaked: %v", err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var c struct{ Addr, URL, Secret, DB string }
	var out bytes.Buffer
	s := NewSet("burncloud-router", nil)
	s.SetOutput(&out)
	s.Addr(&c.Addr, "addr", "BURNCLOUD_ROUTER_ADDR", ":8080", "listen address")
	s.URL(&c.URL, "control-url", "BURNCLOUD_CONTROL_URL", "http://127.0.0.1:8081", "control plane", Schemes("http", "https"))
	s.String(&c.Secret, "secret", "BURNCLOUD_SECRET", "default-secret-value", "master secret", Required, Secret)
	s.URL(&c.DB, "", "BURNCLOUD_DATABASE_URL", "postgres://u:pw-in-default@db/x", "database")

	for _, arg := range []string{"--help", "-h", "-help"} {
		out.Reset()
		if err := s.Parse([]string{arg}); !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("Parse(%s) = %v, want flag.ErrHelp", arg, err)
		}
		text := out.String()
		for _, want := range []string{
			"Usage of burncloud-router:",
			"--addr host:port", "listen address", "env BURNCLOUD_ROUTER_ADDR", `default ":8080"`,
			"--control-url url", "env BURNCLOUD_CONTROL_URL", "schemes http, https",
			"--secret string", "env BURNCLOUD_SECRET", "required, secret",
			"BURNCLOUD_DATABASE_URL url (environment only)", "postgres://u:xxxxx@db/x",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("usage lacks %q:\n%s", want, text)
			}
		}
		for _, leak := range []string{"default-secret-value", "pw-in-default"} {
			if strings.Contains(text, leak) {
				t.Errorf("usage leaks %q:\n%s", leak, text)
			}
		}
	}
}

func TestBadCommandLine(t *testing.T) {
	tests := [][]string{{"--nope"}, {"--addr"}}
	for _, args := range tests {
		var addr, key string
		s := NewSet("test", nil)
		s.Addr(&addr, "addr", "", ":1", "")
		s.String(&key, "key", "", "", "", Required)
		err := s.Parse(args)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("Parse(%q) = %v, want ErrUsage", args, err)
		}
		if errors.Is(err, ErrRequired) {
			t.Errorf("Parse(%q) checked settings after a bad command line: %v", args, err)
		}
	}
}

func TestBoolFlagAlone(t *testing.T) {
	var b bool
	s := NewSet("test", MapLookup(map[string]string{"B": "false"}))
	s.Bool(&b, "b", "B", false, "")
	if err := s.Parse([]string{"--b", "rest"}); err != nil {
		t.Fatal(err)
	}
	if !b {
		t.Error("--b alone should set true over env false")
	}
	if got := s.Args(); len(got) != 1 || got[0] != "rest" {
		t.Errorf("Args = %q, want [rest]", got)
	}
}

func TestRegistrationPanics(t *testing.T) {
	tests := []struct {
		name string
		bind func(s *Set)
	}{
		{"no flag nor env", func(s *Set) { var v string; s.String(&v, "", "", "", "") }},
		{"env twice", func(s *Set) {
			var a, b string
			s.String(&a, "a", "E", "", "")
			s.String(&b, "b", "E", "", "")
		}},
		{"flag twice", func(s *Set) {
			var a, b string
			s.String(&a, "a", "", "", "")
			s.String(&b, "a", "", "", "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.bind(NewSet("test", nil))
		})
	}
}
