// Package config binds a service's settings from command-line flags and
// BURNCLOUD_* environment variables.
//
// A flag given on the command line wins over the environment, which wins over
// the default. An environment variable set to the empty string counts as
// unset, because compose files and Helm charts often pass "${VAR}" through
// empty. Parse validates every setting and reports every problem at once.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Lookup reads one environment variable. os.LookupEnv has this shape; tests
// pass MapLookup so no library reads the real environment.
type Lookup func(key string) (string, bool)

// MapLookup serves variables from m.
func MapLookup(m map[string]string) Lookup {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

// Option changes how one setting is bound.
type Option interface{ apply(*field) }

// Mark is a yes/no property of a setting.
type Mark uint8

const (
	// Required refuses an empty value.
	Required Mark = 1 << iota
	// Secret keeps the value out of error messages and usage text.
	Secret
)

func (m Mark) apply(f *field) { f.marks |= m }

type schemes []string

func (s schemes) apply(f *field) { f.schemes = append(f.schemes, s...) }

// Schemes limits a URL setting to the given schemes (lower case). It has no
// effect on other kinds of setting.
func Schemes(allowed ...string) Option { return schemes(allowed) }

// ErrUsage marks a malformed command line (an unknown flag, a flag without
// its argument).
var ErrUsage = errors.New("bad command line")

// Set is the set of settings of one program.
type Set struct {
	name   string
	env    Lookup
	flags  *flag.FlagSet
	fields []*field
	envs   map[string]bool
	out    io.Writer
}

// NewSet starts an empty set for the program called name, reading the
// environment through env (nil means an empty environment).
func NewSet(name string, env Lookup) *Set {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Problems are returned, not printed; usage is printed by Parse on --help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &Set{name: name, env: env, flags: fs, envs: map[string]bool{}, out: os.Stderr}
}

// SetOutput sets where --help prints the usage text (default os.Stderr).
func (s *Set) SetOutput(w io.Writer) { s.out = w }

// Args returns the arguments left after the flags.
func (s *Set) Args() []string { return s.flags.Args() }

// Parse reads args (without the program name), then the environment, then
// the defaults, and stores every value. It returns flag.ErrHelp after
// printing the usage when asked for help, an ErrUsage error for a malformed
// command line, and otherwise errors.Join of one *FieldError per problem.
func (s *Set) Parse(args []string) error {
	if err := s.flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			s.Usage(s.out)
			return flag.ErrHelp
		}
		// The rest of the command line cannot be trusted, so settings are
		// not checked: a flag after the bad one would look missing.
		return fmt.Errorf("%s: %w: %v", s.name, ErrUsage, err)
	}
	var errs []error
	for _, f := range s.fields {
		raw := f.resolve(s.env)
		if raw == "" && f.marks&Required != 0 {
			errs = append(errs, f.problem(ErrRequired, "must be set"))
			continue
		}
		if detail := f.assign(raw); detail != "" {
			errs = append(errs, f.problem(ErrInvalid, detail))
		}
	}
	return errors.Join(errs...)
}

// field is one setting. It is also the flag.Value behind its flag: Set only
// records the text, so that flags and environment are validated alike.
type field struct {
	flag, env, usage string
	kind             string // shown in usage: "string", "int", "host:port"…
	def              string // default as text
	marks            Mark
	schemes          []string
	isBool           bool

	raw     string
	flagged bool
	// assign parses raw into the destination, or describes what is wrong.
	assign func(raw string) (detail string)
}

func (f *field) String() string   { return f.raw }
func (f *field) IsBoolFlag() bool { return f.isBool }
func (f *field) Set(v string) error {
	f.raw, f.flagged = v, true
	return nil
}

func (f *field) resolve(env Lookup) string {
	if f.flagged {
		return f.raw
	}
	if f.env != "" {
		if v, ok := env(f.env); ok && v != "" {
			return v
		}
	}
	return f.def
}

// show renders a value for a message, or hides it when the setting is secret.
func (f *field) show(v string) string {
	if f.marks&Secret != 0 {
		return "value"
	}
	return strconv.Quote(v)
}

func (f *field) problem(kind error, detail string) error {
	return &FieldError{Flag: f.flag, Env: f.env, Err: kind, Detail: detail}
}

func (s *Set) add(f *field, opts []Option) {
	if f.flag == "" && f.env == "" {
		panic("config: setting needs a flag name or an environment variable")
	}
	for _, o := range opts {
		o.apply(f)
	}
	if f.env != "" {
		if s.envs[f.env] {
			panic("config: environment variable bound twice: " + f.env)
		}
		s.envs[f.env] = true
	}
	if f.flag != "" {
		s.flags.Var(f, f.flag, f.usage) // panics on a duplicate, as flag does
	}
	s.fields = append(s.fields, f)
}
