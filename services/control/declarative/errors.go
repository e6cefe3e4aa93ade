package declarative

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrKeyInUse: a token's key is already the secret of another token.
var ErrKeyInUse = errors.New("declarative: token key already used by another token")

// Problem is one thing wrong with a file.
type Problem struct {
	// Path names the entry, e.g. `channels[1] "openai-main"` or
	// `users[0] "alice".tokens[1] "laptop"`; "" for the document itself.
	Path string
	// Field within the entry, e.g. "type" or "tiers[0].input"; "" for the
	// entry as a whole.
	Field   string
	Message string
	// Line in the document (1-based), 0 when unknown.
	Line int
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Path == "" && p.Field == "" && p.Line > 0 {
		b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a file; a file with any
// problem changes nothing.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid declarative file: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid declarative file (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// problems collects Problems; lines maps "path|field" to the line the
// decoder saw it on, so that later checks can point at it too.
type problems struct {
	list  []Problem
	lines map[string]int
}

func newProblems() *problems { return &problems{lines: map[string]int{}} }

func (ps *problems) at(path, field string, line int) {
	if line > 0 {
		ps.lines[path+"|"+field] = line
	}
}

// line finds where a field was given: the field itself, else the field it
// is part of ("keys" for "keys[1]", "timeouts" for "timeouts.idle"), else
// its entry.
func (ps *problems) line(path, field string) int {
	for {
		if l, ok := ps.lines[path+"|"+field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return ps.lines[path+"|"]
		}
		field = field[:i]
	}
}

func (ps *problems) add(path, field, format string, args ...any) {
	ps.addLine(path, field, ps.line(path, field), format, args...)
}

func (ps *problems) addLine(path, field string, line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{Path: path, Field: field, Message: fmt.Sprintf(format, args...), Line: line})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps.list}
}
