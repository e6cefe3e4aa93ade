package config

import (
	"errors"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// Each binder stores the default in *p at once, binds flag name (no dashes;
// empty for none) and environment variable env (empty for none), and fills
// *p in Parse.

// String binds a free-form text setting.
func (s *Set) String(p *string, name, env, def, usage string, opts ...Option) {
	*p = def
	s.add(&field{flag: name, env: env, usage: usage, kind: "string", def: def,
		assign: func(raw string) string { *p = raw; return "" }}, opts)
}

// Int binds a decimal integer setting.
func (s *Set) Int(p *int, name, env string, def int, usage string, opts ...Option) {
	*p = def
	f := &field{flag: name, env: env, usage: usage, kind: "int", def: strconv.Itoa(def)}
	f.assign = func(raw string) string {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return f.show(raw) + " is not an integer"
		}
		*p = n
		return ""
	}
	s.add(f, opts)
}

// Duration binds a setting written as a Go duration ("500ms", "30s", "5m").
func (s *Set) Duration(p *time.Duration, name, env string, def time.Duration, usage string, opts ...Option) {
	*p = def
	f := &field{flag: name, env: env, usage: usage, kind: "duration", def: def.String()}
	f.assign = func(raw string) string {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return f.show(raw) + " is not a duration (like 500ms, 30s, 5m)"
		}
		*p = d
		return ""
	}
	s.add(f, opts)
}

// Bool binds a switch. On the command line "--name" alone means true.
func (s *Set) Bool(p *bool, name, env string, def bool, usage string, opts ...Option) {
	*p = def
	f := &field{flag: name, env: env, usage: usage, kind: "bool", def: strconv.FormatBool(def), isBool: true}
	f.assign = func(raw string) string {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return f.show(raw) + " is not a boolean (true or false)"
		}
		*p = b
		return ""
	}
	s.add(f, opts)
}

// URL binds an absolute URL with a host, limited to the schemes given with
// the Schemes option. An empty value is allowed unless Required.
func (s *Set) URL(p *string, name, env, def, usage string, opts ...Option) {
	*p = def
	f := &field{flag: name, env: env, usage: usage, kind: "url", def: def}
	f.assign = func(raw string) string {
		if raw == "" {
			*p = ""
			return ""
		}
		if detail := checkURL(f, raw); detail != "" {
			return detail
		}
		*p = raw
		return ""
	}
	s.add(f, opts)
}

func checkURL(f *field, raw string) string {
	secret := f.marks&Secret != 0
	u, err := url.Parse(raw)
	if err != nil {
		// The parser's message quotes parts of the input; a URL with user
		// info may carry a password, so that part is only shown when safe.
		var ue *url.Error
		if !secret && !strings.Contains(raw, "@") && errors.As(err, &ue) {
			return "is not a valid URL: " + ue.Err.Error()
		}
		return "is not a valid URL"
	}
	shown := "value"
	if !secret {
		shown = strconv.Quote(u.Redacted())
	}
	if u.Scheme == "" || u.Host == "" {
		return shown + " is not an absolute URL with a host"
	}
	if len(f.schemes) > 0 && !slices.Contains(f.schemes, u.Scheme) {
		return shown + " must use " + strings.Join(f.schemes, " or ")
	}
	return ""
}

// Addr binds a listen or dial address written host:port (host may be empty,
// as in ":8080"). An empty value is allowed unless Required.
func (s *Set) Addr(p *string, name, env, def, usage string, opts ...Option) {
	*p = def
	f := &field{flag: name, env: env, usage: usage, kind: "host:port", def: def}
	f.assign = func(raw string) string {
		if raw == "" {
			*p = ""
			return ""
		}
		_, port, err := net.SplitHostPort(raw)
		if err != nil {
			return f.show(raw) + " is not a host:port"
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return f.show(raw) + " is not a host:port (port must be 0-65535)"
		}
		*p = raw
		return ""
	}
	s.add(f, opts)
}

// LogLevel binds a zap log level name (debug, info, warn, error; empty
// means info).
func (s *Set) LogLevel(p *string, name, env, def, usage string, opts ...Option) {
	*p = def
	f := &field{flag: name, env: env, usage: usage, kind: "level", def: def}
	f.assign = func(raw string) string {
		if _, err := zapcore.ParseLevel(raw); err != nil {
			return f.show(raw) + " is not a log level (debug, info, warn, error)"
		}
		*p = raw
		return ""
	}
	s.add(f, opts)
}
