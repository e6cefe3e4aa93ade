package config

import (
	"errors"
	"strings"
)

var (
	// ErrRequired marks a setting that was left empty although it must be given.
	ErrRequired = errors.New("required")
	// ErrInvalid marks a setting whose value does not parse or is out of range.
	ErrInvalid = errors.New("invalid value")
)

// FieldError is one problem with one setting. Parse joins one FieldError per
// problem, so callers can list them all or pick them out with errors.As.
type FieldError struct {
	Flag string // flag name without dashes; empty when the setting has no flag
	Env  string // environment variable; empty when the setting has none
	// Err is ErrRequired or ErrInvalid, so errors.Is works on the joined error.
	Err error
	// Detail is the human-readable problem. It never contains the value of a
	// setting marked Secret.
	Detail string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.Env != "" && e.Flag != "":
		b.WriteString(e.Env + " (--" + e.Flag + ")")
	case e.Env != "":
		b.WriteString(e.Env)
	default:
		b.WriteString("--" + e.Flag)
	}
	b.WriteString(": ")
	b.WriteString(e.Detail)
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }
