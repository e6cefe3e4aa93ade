package declarative

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	env := lookupMap(map[string]string{"KEY": "sk-123", "EMPTY": "", "A_1": "x$y", "DOLLAR": "$"})
	tests := []struct {
		name, in, want string
	}{
		{"no variables", "a: b\n", "a: b\n"},
		{"one", `keys: ["${KEY}"]`, `keys: ["sk-123"]`},
		{"several on a line", "${KEY}${A_1}-${KEY}", "sk-123x$y-sk-123"},
		{"empty value", "a: '${EMPTY}'", "a: ''"},
		{"escaped", "price: $$5 and $${KEY}", "price: $5 and ${KEY}"},
		{"lone dollar kept", "a: $5 $KEY $", "a: $5 $KEY $"},
		{"values are not expanded again", "${DOLLAR}{KEY} ${A_1}", "${KEY} x$y"},
		{"comment lines left alone", "  # set ${UNSET} first, $$\nk: ${KEY}\n", "  # set ${UNSET} first, $$\nk: sk-123\n"},
		{"no trailing newline", "k: ${KEY}", "k: sk-123"},
		{"CRLF", "a: ${KEY}\r\nb: 1\r\n", "a: sk-123\r\nb: 1\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand([]byte(tt.in), env)
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	env := lookupMap(map[string]string{"SET": "v"})
	tests := []struct {
		name, in string
		want     []string
	}{
		{"unset", "a: ${SET}\nb: ${OPENAI_API_KEY}\n", []string{"line 2: variable OPENAI_API_KEY is not set"}},
		{
			"all of them",
			"${A} ${B}\n# ${C}\n${D}",
			[]string{"line 1: variable A is not set", "line 1: variable B is not set", "line 3: variable D is not set"},
		},
		{"unterminated", "a: ${SET\nb: 1", []string{`line 1: "${SET" has no closing "}"`}},
		{
			"bad names",
			"${} ${1X} ${A-B} ${VAR:-default}",
			[]string{
				`line 1: "${}" is not a variable reference: want ${NAME} with letters, digits and _ (write $$ for a literal $)`,
				`line 1: "${1X}" is not a variable reference: want ${NAME} with letters, digits and _ (write $$ for a literal $)`,
				`line 1: "${A-B}" is not a variable reference: want ${NAME} with letters, digits and _ (write $$ for a literal $)`,
				`line 1: "${VAR:-default}" is not a variable reference: want ${NAME} with letters, digits and _ (write $$ for a literal $)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Expand([]byte(tt.in), env)
			if out != nil {
				t.Errorf("Expand returned %q with its error", out)
			}
			if got := problemStrings(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExpandDoesNotEchoValues(t *testing.T) {
	_, err := Expand([]byte("a: ${SECRET}\nb: ${MISSING}\n"), lookupMap(map[string]string{"SECRET": "sk-do-not-print"}))
	if err == nil || strings.Contains(err.Error(), "sk-do-not-print") {
		t.Errorf("error = %v", err)
	}
}

// escape is the inverse of Expand for text without variables or comments.
func escape(s string) string { return strings.ReplaceAll(s, "$", "$$") }

func hasCommentLine(s string) bool {
	for line := range strings.Lines(s) {
		if trimmed := strings.TrimLeft(line, " \t"); strings.HasPrefix(trimmed, "#") {
			return true
		}
	}
	return false
}

func FuzzExpand(f *testing.F) {
	for _, seed := range []string{
		"", "a: b", "${A}", "$${A}", "$$", "$", "${", "${}", "${A", "${A}${B}", "x: ${ A }",
		"# ${A}\nb: ${A}\n", "keys: [\"${OPENAI_API_KEY}\"]\n", "$$$", "${A}}", "\r\n${A}\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lookup := func(name string) (string, bool) {
			if !validVarName(name) {
				t.Fatalf("lookup of invalid name %q", name)
			}
			return "<" + name + ">", len(name)%2 == 0
		}
		out, err := Expand([]byte(s), lookup)
		if err == nil && !strings.Contains(s, "$") && string(out) != s {
			t.Fatalf("Expand changed text without $: %q -> %q", s, out)
		}
		if err == nil && bytes.Contains(out, []byte("${")) && !strings.Contains(s, "$${") && !hasCommentLine(s) {
			t.Fatalf("Expand left a reference in %q -> %q", s, out)
		}
		if !hasCommentLine(s) {
			back, err := Expand([]byte(escape(s)), lookup)
			if err != nil || string(back) != s {
				t.Fatalf("Expand(escape(%q)) = %q, %v; want the text back", s, back, err)
			}
		}
	})
}
