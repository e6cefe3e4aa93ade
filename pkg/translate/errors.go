package translate

import (
	"errors"
	"fmt"
)

var (
	// ErrUnsupported is wrapped by every UnsupportedError.
	ErrUnsupported = errors.New("translate: feature not supported by the target protocol")
	// ErrInvalidRequest is wrapped by every FieldError: the request is not
	// well-formed for its own protocol.
	ErrInvalidRequest = errors.New("translate: invalid request")
	// ErrInvalidResponse is returned when an upstream answer cannot be read
	// or cannot be expressed to the client; the router answers 502.
	ErrInvalidResponse = errors.New("translate: invalid upstream response")
	// ErrNoMaxTokens is returned when an OpenAI request gives no token limit
	// and Options.DefaultMaxTokens is not set: Anthropic requires one.
	ErrNoMaxTokens = errors.New("translate: no max_tokens and no default")
)

// UnsupportedError names a request field the target protocol cannot
// express. The router answers 400 naming Field; nothing is dropped silently.
type UnsupportedError struct {
	// Field is the JSON path in the client's request, e.g. "n" or
	// "messages[2].content[0].type".
	Field string
	// Reason says what could not be expressed (may be empty).
	Reason string
}

func (e *UnsupportedError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("translate: %s is not supported by the upstream protocol", e.Field)
	}
	return fmt.Sprintf("translate: %s is not supported by the upstream protocol: %s", e.Field, e.Reason)
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// FieldError is a malformed field in the client's request.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return "translate: invalid request: " + e.Reason
	}
	return fmt.Sprintf("translate: invalid request: %s: %s", e.Field, e.Reason)
}

func (e *FieldError) Unwrap() error { return ErrInvalidRequest }

func unsupported(field, reason string) error { return &UnsupportedError{Field: field, Reason: reason} }

func invalid(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

func badResponse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidResponse}, args...)...)
}
