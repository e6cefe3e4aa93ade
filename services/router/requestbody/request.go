// Package requestbody reads the few fields of an OpenAI request body the
// router needs, and makes the only two edits it may make — the model name
// and stream_options.include_usage — at the byte level, so every other byte
// reaches the upstream exactly as the client sent it.
package requestbody

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/burncloud/burncloud/pkg/jsonscan"
)

// ErrMalformed marks a body the router refuses with 400.
var ErrMalformed = errors.New("malformed request body")

// FieldError says which member of the body is wrong. Its text is safe to
// show to the client: it never quotes the body.
type FieldError struct {
	Field   string // empty for the body as a whole
	Problem string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return "invalid request body: " + e.Problem
	}
	return "invalid request body: " + e.Field + " " + e.Problem
}

func (e *FieldError) Unwrap() error { return ErrMalformed }

func fieldErr(field, problem string) error { return &FieldError{Field: field, Problem: problem} }

// Request holds what the router reads from a body, and where it found it.
type Request struct {
	Model  string
	Stream bool
	// IncludeUsage reports that the client itself asked for the usage chunk.
	IncludeUsage bool
	ServiceTier  string
	// MaxOutputTokens is max_completion_tokens, max_tokens or
	// max_output_tokens, whichever is given; 0 when none is.
	MaxOutputTokens int64

	modelStart, modelEnd int
	modelPlain           bool // the model string holds no escapes
	opts                 optsKind
	optsStart, optsEnd   int
	optsEmpty            bool
	usageStart, usageEnd int // include_usage's value, when present
	lastEnd              int // just past the last member's value
}

type optsKind uint8

const (
	optsAbsent optsKind = iota
	optsNull
	optsObject
)

// fields the router reads; each may appear once.
const (
	seenModel = 1 << iota
	seenStream
	seenOptions
	seenTier
	seenMaxTokens
	seenMaxCompletion
	seenMaxOutput
)

func fieldBit(key []byte) int {
	switch string(key) {
	case "model":
		return seenModel
	case "stream":
		return seenStream
	case "stream_options":
		return seenOptions
	case "service_tier":
		return seenTier
	case "max_tokens":
		return seenMaxTokens
	case "max_completion_tokens":
		return seenMaxCompletion
	case "max_output_tokens":
		return seenMaxOutput
	}
	return 0
}

func fieldName(bit int) string {
	switch bit {
	case seenModel:
		return "model"
	case seenStream:
		return "stream"
	case seenOptions:
		return "stream_options"
	case seenTier:
		return "service_tier"
	case seenMaxTokens:
		return "max_tokens"
	case seenMaxCompletion:
		return "max_completion_tokens"
	}
	return "max_output_tokens"
}

// unescape returns raw (the inside of a JSON string) decoded. Without
// escapes it returns raw itself, so the common case does not allocate;
// escaped keys are decoded so that "mod\u0065l" is seen as "model", as the
// upstream's parser will see it.
func unescape(raw []byte) ([]byte, bool) {
	for _, c := range raw {
		if c == '\\' {
			var s string
			quoted := make([]byte, 0, len(raw)+2)
			quoted = append(append(append(quoted, '"'), raw...), '"')
			if err := json.Unmarshal(quoted, &s); err != nil {
				return nil, false
			}
			return []byte(s), true
		}
	}
	return raw, true
}

// Parse reads body, which must be one JSON object with a non-empty string
// "model". A field the router relies on that appears twice is refused, so
// the router and the upstream cannot read different values.
func Parse(body []byte) (Request, error) {
	var r Request
	open := jsonscan.SkipSpace(body, 0)
	if open >= len(body) || body[open] != '{' {
		return r, fieldErr("", "must be a JSON object")
	}
	w := newWalker(body, open)
	seen := 0
	var maxTokens, maxCompletion, maxOutput int64
	for m, ok := w.next(); ok; m, ok = w.next() {
		r.lastEnd = m.valEnd
		key, ok := unescape(m.key)
		if !ok {
			return r, fieldErr("", "has a malformed key")
		}
		bit := fieldBit(key)
		if bit == 0 {
			continue
		}
		name := fieldName(bit)
		if seen&bit != 0 {
			return r, fieldErr(name, "appears more than once")
		}
		seen |= bit
		v := body[m.valStart:m.valEnd]
		var err error
		switch bit {
		case seenModel:
			err = r.readModel(v, m.valStart)
		case seenStream:
			r.Stream, err = readBool(name, v)
		case seenOptions:
			err = r.readOptions(body, m.valStart, m.valEnd)
		case seenTier:
			r.ServiceTier, err = readOptString(name, v)
		case seenMaxTokens:
			maxTokens = readCount(v)
		case seenMaxCompletion:
			maxCompletion = readCount(v)
		case seenMaxOutput:
			maxOutput = readCount(v)
		}
		if err != nil {
			return r, err
		}
	}
	if w.bad {
		return r, fieldErr("", "is not valid JSON")
	}
	if jsonscan.SkipSpace(body, w.end) != len(body) {
		return r, fieldErr("", "has data after the JSON object")
	}
	if seen&seenModel == 0 {
		return r, fieldErr("model", "is required")
	}
	switch {
	case maxCompletion > 0:
		r.MaxOutputTokens = maxCompletion
	case maxTokens > 0:
		r.MaxOutputTokens = maxTokens
	default:
		r.MaxOutputTokens = maxOutput
	}
	return r, nil
}

func (r *Request) readModel(v []byte, at int) error {
	if len(v) < 2 || v[0] != '"' {
		return fieldErr("model", "must be a string")
	}
	r.modelStart, r.modelEnd = at, at+len(v)
	raw := v[1 : len(v)-1]
	name, ok := unescape(raw)
	if !ok {
		return fieldErr("model", "is not a valid string")
	}
	if len(name) == 0 {
		return fieldErr("model", "must not be empty")
	}
	r.modelPlain = len(name) == len(raw)
	r.Model = string(name)
	return nil
}

func readBool(field string, v []byte) (bool, error) {
	switch string(v) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, fieldErr(field, "must be a boolean")
}

func readOptString(field string, v []byte) (string, error) {
	if string(v) == "null" {
		return "", nil
	}
	if len(v) < 2 || v[0] != '"' {
		return "", fieldErr(field, "must be a string")
	}
	s, ok := unescape(v[1 : len(v)-1])
	if !ok {
		return "", fieldErr(field, "is not a valid string")
	}
	return string(s), nil
}

// readCount reads a non-negative integer; anything else is left to the
// upstream to refuse and counts as absent here.
func readCount(v []byte) int64 {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func (r *Request) readOptions(body []byte, start, end int) error {
	v := body[start:end]
	if string(v) == "null" {
		r.opts, r.optsStart, r.optsEnd = optsNull, start, end
		return nil
	}
	if v[0] != '{' {
		return fieldErr("stream_options", "must be an object")
	}
	r.opts, r.optsStart, r.optsEnd = optsObject, start, end
	w := newWalker(body, start)
	seen := false
	r.optsEmpty = true
	for m, ok := w.next(); ok; m, ok = w.next() {
		r.optsEmpty = false
		key, ok := unescape(m.key)
		if !ok {
			return fieldErr("stream_options", "has a malformed key")
		}
		if string(key) != "include_usage" {
			continue
		}
		if seen {
			return fieldErr("stream_options.include_usage", "appears more than once")
		}
		seen = true
		inc, err := readBool("stream_options.include_usage", body[m.valStart:m.valEnd])
		if err != nil {
			return err
		}
		r.IncludeUsage = inc
		r.usageStart, r.usageEnd = m.valStart, m.valEnd
	}
	if w.bad {
		return fieldErr("stream_options", "is not valid JSON")
	}
	return nil
}

// NeedsUsage reports whether a streamed request must have include_usage
// added for the router to read its usage; the usage-only chunk the upstream
// then sends is not the client's to see.
func (r *Request) NeedsUsage() bool { return r.Stream && !r.IncludeUsage }
