package declarative

import (
	"bytes"
	"fmt"
)

// Expand substitutes every ${NAME} in doc with lookup(NAME), e.g. os.LookupEnv.
// "$$" stands for a literal "$"; a "$" followed by anything else is kept as
// it is. Lines whose first non-blank character is "#" are YAML comments and
// are copied unchanged. A variable lookup does not know, or a malformed
// reference, is an error (a *ValidationError listing all of them, by line).
//
// Values are inserted verbatim: a value that YAML would read as more than a
// plain scalar (a leading "*", ": " inside, a newline) needs quotes around
// the reference in the file, e.g. key: "${KEY}".
func Expand(doc []byte, lookup func(string) (string, bool)) ([]byte, error) {
	if bytes.IndexByte(doc, '$') < 0 {
		return doc, nil
	}
	ps := newProblems()
	out := make([]byte, 0, len(doc))
	line := 1
	for len(doc) > 0 {
		end := bytes.IndexByte(doc, '\n') + 1
		if end == 0 {
			end = len(doc)
		}
		text := doc[:end]
		doc = doc[end:]
		if trimmed := bytes.TrimLeft(text, " \t"); len(trimmed) > 0 && trimmed[0] == '#' {
			out = append(out, text...)
		} else {
			out = expandLine(out, text, line, lookup, ps)
		}
		line++
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func expandLine(out, text []byte, line int, lookup func(string) (string, bool), ps *problems) []byte {
	for {
		i := bytes.IndexByte(text, '$')
		if i < 0 || i == len(text)-1 {
			return append(out, text...)
		}
		out = append(out, text[:i]...)
		switch text[i+1] {
		case '$':
			out = append(out, '$')
			text = text[i+2:]
			continue
		case '{':
		default:
			out = append(out, '$')
			text = text[i+1:]
			continue
		}
		end := bytes.IndexByte(text[i:], '}')
		if end < 0 {
			ps.addLine("", "", line, "%q has no closing \"}\"", clip(text[i:]))
			return out
		}
		ref := text[i : i+end+1]
		name := string(ref[2 : len(ref)-1])
		text = text[i+end+1:]
		if !validVarName(name) {
			ps.addLine("", "", line, "%q is not a variable reference: want ${NAME} with letters, digits and _ (write $$ for a literal $)", clip(ref))
			continue
		}
		v, ok := lookup(name)
		if !ok {
			ps.addLine("", "", line, "variable %s is not set", name)
			continue
		}
		out = append(out, v...)
	}
}

// clip shortens quoted text in messages; the text may be a mistyped secret,
// so little of it is shown.
func clip(b []byte) string {
	b = bytes.TrimRight(b, "\r\n")
	if len(b) > 24 {
		return fmt.Sprintf("%s…", b[:24])
	}
	return string(b)
}

func validVarName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && !isAlnum(c) {
			return false
		}
	}
	return true
}
