package fakeupstream

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidScenario is wrapped by every scenario parse or validation error.
var ErrInvalidScenario = errors.New("fakeupstream: invalid scenario")

// ScenarioError names the option that is wrong and why.
type ScenarioError struct {
	Option string
	Reason string
}

func (e *ScenarioError) Error() string {
	return fmt.Sprintf("fakeupstream: scenario option %q: %s", e.Option, e.Reason)
}

func (e *ScenarioError) Unwrap() error { return ErrInvalidScenario }

// Scenario selects how the fake answers. The zero value is a healthy answer.
// Fields mirror the grammar in the package documentation; a zero field is
// unset, except that Cut and Malformed say whether CutAfter and
// MalformedAfter apply (0 is a meaningful count there).
type Scenario struct {
	Status          int
	RetryAfter      int // seconds
	Latency         time.Duration
	Chunks          int
	Pace            time.Duration
	Cut             bool
	CutAfter        int
	Malformed       bool
	MalformedAfter  int
	Hang            bool
	BodyBytes       int
	NoUsage         bool
	ZeroUsage       bool
	FailFirst       int
	Tools           bool
	PromptTokens    int
	CachedTokens    int
	ReasoningTokens int
	Timing          bool
}

type optKind uint8

const (
	flagOpt optKind = iota
	intOpt
	durOpt
	sizeOpt
)

const (
	maxCount    = 1_000_000
	maxTokens   = 1 << 30
	maxBodySize = 64 << 20
	maxWait     = 10 * time.Minute
)

// option is one entry of the grammar. get reports the value and whether the
// option is set; set stores a parsed (or merged) value.
type option struct {
	name     string
	kind     optKind
	min, max int64
	get      func(*Scenario) (int64, bool)
	set      func(*Scenario, int64)
}

func intField(name string, lo, hi int64, f func(*Scenario) *int) option {
	return option{name: name, kind: intOpt, min: lo, max: hi,
		get: func(s *Scenario) (int64, bool) { v := *f(s); return int64(v), v != 0 },
		set: func(s *Scenario, v int64) { *f(s) = int(v) }}
}

func durField(name string, f func(*Scenario) *time.Duration) option {
	return option{name: name, kind: durOpt, max: int64(maxWait),
		get: func(s *Scenario) (int64, bool) { v := *f(s); return int64(v), v != 0 },
		set: func(s *Scenario, v int64) { *f(s) = time.Duration(v) }}
}

func flagField(name string, f func(*Scenario) *bool) option {
	return option{name: name, kind: flagOpt,
		get: func(s *Scenario) (int64, bool) { return 0, *f(s) },
		set: func(s *Scenario, _ int64) { *f(s) = true }}
}

// countField is an int whose zero is meaningful, paired with an "is set" flag.
func countField(name string, on func(*Scenario) *bool, n func(*Scenario) *int) option {
	return option{name: name, kind: intOpt, max: maxCount,
		get: func(s *Scenario) (int64, bool) { return int64(*n(s)), *on(s) },
		set: func(s *Scenario, v int64) { *on(s), *n(s) = true, int(v) }}
}

// options is the grammar, in canonical order.
var options = [...]option{
	intField("status", 400, 599, func(s *Scenario) *int { return &s.Status }),
	intField("retry-after", 1, 86400, func(s *Scenario) *int { return &s.RetryAfter }),
	durField("latency", func(s *Scenario) *time.Duration { return &s.Latency }),
	intField("chunks", 1, maxCount, func(s *Scenario) *int { return &s.Chunks }),
	durField("pace", func(s *Scenario) *time.Duration { return &s.Pace }),
	countField("cut-after", func(s *Scenario) *bool { return &s.Cut }, func(s *Scenario) *int { return &s.CutAfter }),
	countField("malformed-after", func(s *Scenario) *bool { return &s.Malformed }, func(s *Scenario) *int { return &s.MalformedAfter }),
	flagField("hang", func(s *Scenario) *bool { return &s.Hang }),
	{name: "body", kind: sizeOpt, min: 1, max: maxBodySize,
		get: func(s *Scenario) (int64, bool) { return int64(s.BodyBytes), s.BodyBytes != 0 },
		set: func(s *Scenario, v int64) { s.BodyBytes = int(v) }},
	flagField("no-usage", func(s *Scenario) *bool { return &s.NoUsage }),
	flagField("zero-usage", func(s *Scenario) *bool { return &s.ZeroUsage }),
	intField("fail-first", 1, maxTokens, func(s *Scenario) *int { return &s.FailFirst }),
	flagField("tools", func(s *Scenario) *bool { return &s.Tools }),
	intField("prompt-tokens", 1, maxTokens, func(s *Scenario) *int { return &s.PromptTokens }),
	intField("cached", 0, maxTokens, func(s *Scenario) *int { return &s.CachedTokens }),
	intField("reasoning", 0, maxTokens, func(s *Scenario) *int { return &s.ReasoningTokens }),
	flagField("timing", func(s *Scenario) *bool { return &s.Timing }),
}

// ParseScenario parses the grammar in the package documentation. The empty
// string is the zero Scenario. Every problem is reported, joined.
func ParseScenario(text string) (Scenario, error) {
	var sc Scenario
	if text == "" {
		return sc, nil
	}
	var errs []error
	var seen [len(options)]bool
	for part := range strings.SplitSeq(text, ",") {
		name, value, hasValue := strings.Cut(part, "=")
		i := optionIndex(name)
		if i < 0 {
			errs = append(errs, &ScenarioError{Option: name, Reason: "unknown option"})
			continue
		}
		if seen[i] {
			errs = append(errs, &ScenarioError{Option: name, Reason: "given more than once"})
			continue
		}
		seen[i] = true
		opt := &options[i]
		if opt.kind == flagOpt {
			if hasValue {
				errs = append(errs, &ScenarioError{Option: name, Reason: "takes no value"})
				continue
			}
			opt.set(&sc, 0)
			continue
		}
		if !hasValue {
			errs = append(errs, &ScenarioError{Option: name, Reason: "needs a value (" + name + "=...)"})
			continue
		}
		v, err := parseValue(opt, value)
		if err != nil {
			errs = append(errs, &ScenarioError{Option: name, Reason: err.Error()})
			continue
		}
		opt.set(&sc, v)
	}
	if len(errs) == 0 {
		if err := sc.Validate(); err != nil {
			return Scenario{}, err
		}
		return sc, nil
	}
	return Scenario{}, errors.Join(errs...)
}

func optionIndex(name string) int {
	for i := range options {
		if options[i].name == name {
			return i
		}
	}
	return -1
}

func parseValue(opt *option, value string) (int64, error) {
	var v int64
	var err error
	switch opt.kind {
	case durOpt:
		var d time.Duration
		d, err = time.ParseDuration(value)
		v = int64(d)
	case sizeOpt:
		v, err = parseSize(value)
	default:
		v, err = strconv.ParseInt(value, 10, 64)
	}
	if err != nil {
		return 0, fmt.Errorf("bad value %q", value)
	}
	if v < opt.min || v > opt.max {
		return 0, fmt.Errorf("value %q out of range [%s, %s]", value, formatValue(opt.kind, opt.min), formatValue(opt.kind, opt.max))
	}
	return v, nil
}

// parseSize reads a byte count with an optional b, kb or mb suffix (1 kb = 1024 bytes).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	lower := strings.ToLower(s)
	switch {
	case strings.HasSuffix(lower, "kb"):
		mult, lower = 1<<10, lower[:len(lower)-2]
	case strings.HasSuffix(lower, "mb"):
		mult, lower = 1<<20, lower[:len(lower)-2]
	case strings.HasSuffix(lower, "b"):
		lower = lower[:len(lower)-1]
	}
	n, err := strconv.ParseUint(lower, 10, 32)
	if err != nil {
		return 0, err
	}
	return int64(n) * mult, nil
}

func formatValue(k optKind, v int64) string {
	switch k {
	case durOpt:
		return time.Duration(v).String()
	case sizeOpt:
		switch {
		case v != 0 && v%(1<<20) == 0:
			return strconv.FormatInt(v>>20, 10) + "mb"
		case v != 0 && v%(1<<10) == 0:
			return strconv.FormatInt(v>>10, 10) + "kb"
		}
		return strconv.FormatInt(v, 10) + "b"
	}
	return strconv.FormatInt(v, 10)
}

// Validate checks ranges and combinations, reporting every problem.
func (s Scenario) Validate() error {
	var errs []error
	for i := range options {
		opt := &options[i]
		v, ok := opt.get(&s)
		if ok && opt.kind != flagOpt && (v < opt.min || v > opt.max) {
			errs = append(errs, &ScenarioError{Option: opt.name, Reason: fmt.Sprintf("value %s out of range [%s, %s]",
				formatValue(opt.kind, v), formatValue(opt.kind, opt.min), formatValue(opt.kind, opt.max))})
		}
	}
	if s.RetryAfter != 0 && s.Status == 0 {
		errs = append(errs, &ScenarioError{Option: "retry-after", Reason: "needs status"})
	}
	if s.NoUsage && s.ZeroUsage {
		errs = append(errs, &ScenarioError{Option: "zero-usage", Reason: "conflicts with no-usage"})
	}
	if s.Cut && s.CutAfter < 0 || s.Malformed && s.MalformedAfter < 0 {
		errs = append(errs, &ScenarioError{Option: "cut-after/malformed-after", Reason: "negative count"})
	}
	return errors.Join(errs...)
}

// String is the canonical form: set options in grammar order. ParseScenario
// of it gives back the same Scenario.
func (s Scenario) String() string {
	var b strings.Builder
	for i := range options {
		opt := &options[i]
		v, ok := opt.get(&s)
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(opt.name)
		if opt.kind != flagOpt {
			b.WriteByte('=')
			b.WriteString(formatValue(opt.kind, v))
		}
	}
	return b.String()
}

// Merge returns s with every option set in o replacing s's.
func (s Scenario) Merge(o Scenario) Scenario {
	for i := range options {
		if v, ok := options[i].get(&o); ok {
			options[i].set(&s, v)
		}
	}
	// The usage modes exclude each other: the later layer's choice wins.
	if o.NoUsage {
		s.ZeroUsage = false
	}
	if o.ZeroUsage {
		s.NoUsage = false
	}
	return s
}
