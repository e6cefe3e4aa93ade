package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/compatibility.md from the tests")

const compatPath = "../../docs/compatibility.md"

// compatRow is one feature: per route the outcomes seen in the tests.
type compatRow struct {
	section, feature string
	cells            map[string][]string
}

// TestCompatibilityDoc runs every fixture and unsupported case, and renders
// what actually happened as docs/compatibility.md. It fails when the
// committed file differs; -update rewrites it.
func TestCompatibilityDoc(t *testing.T) {
	var rows []*compatRow
	byKey := map[string]*compatRow{}
	notes := map[string][]string{}
	add := func(section, feature, route, cell string) {
		key := section + "\x00" + feature
		r := byKey[key]
		if r == nil {
			r = &compatRow{section: section, feature: feature, cells: map[string][]string{}}
			byKey[key] = r
			rows = append(rows, r)
		}
		if !slices.Contains(r.cells[route], cell) {
			r.cells[route] = append(r.cells[route], cell)
		}
	}
	for _, route := range append(slices.Clone(routes), geminiRouteNames...) {
		fixtures := loadFixtures(t, route)
		for _, name := range slices.Sorted(maps.Keys(fixtures)) {
			fx := fixtures[name]
			got, err := run(route, fx)
			if err != nil {
				t.Fatalf("%s/%s: %v", route, name, err)
			}
			// The fixture must pass for the row to claim support.
			ok := t.Run(route+"/"+name, func(t *testing.T) { compare(t, fx.Kind, got, fx.Want) })
			if !ok {
				continue
			}
			add(fx.Section, fx.Feature, route, "✓")
			if fx.Note != "" {
				notes[route+"\x00"+fx.Section] = append(notes[route+"\x00"+fx.Section], fmt.Sprintf("- **%s** (%s): %s", fx.Feature, sectionTitle(fx.Section), fx.Note))
			}
		}
	}
	for _, tc := range append(slices.Clone(unsupportedCases), geminiUnsupportedCases...) {
		_, err := translateRequest(tc.route, tc.body)
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Fatalf("%s %s: %v, want UnsupportedError", tc.route, tc.field, err)
		}
		add("request", tc.feature, tc.route, "400 `"+ue.Field+"`")
	}
	doc := renderCompat(rows, notes, errorTable(), geminiErrorTable())
	if *update {
		if err := os.WriteFile(compatPath, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(compatPath)
	if err != nil || !bytes.Equal(have, doc) {
		t.Fatalf("%s is not current (%v); run go test ./translate -run TestCompatibilityDoc -update", compatPath, err)
	}
}

var sections = []string{"request", "response", "stream", "error"}

func sectionTitle(s string) string {
	switch s {
	case "request":
		return "requests"
	case "response":
		return "answers"
	case "stream":
		return "streams"
	}
	return "error bodies"
}

// errorTable renders the error type mapping by running the translators.
func errorTable() string {
	var b strings.Builder
	b.WriteString("\n| Anthropic type (status) | OpenAI type / code | back to Anthropic |\n|---|---|---|\n")
	for _, tc := range anthropicErrorTypes {
		out := AnthropicErrorToOpenAI(appendAnthropicError(nil, tc.typ, "m"), tc.status)
		var e oaErrorBody
		_ = json.Unmarshal(out, &e)
		code := string(e.Error.Code)
		var back anErrorBody
		_ = json.Unmarshal(OpenAIErrorToAnthropic(out, tc.status), &back)
		fmt.Fprintf(&b, "| %s (%d) | %s / %s | %s |\n", tc.typ, tc.status, e.Error.Type, strings.Trim(code, `"`), back.Error.Type)
	}
	return b.String()
}

func renderCompat(rows []*compatRow, notes map[string][]string, errTable, gmErrTable string) []byte {
	var b strings.Builder
	b.WriteString(`# Protocol translation compatibility

What the router does when a client's protocol differs from its channel's
(package ` + "`pkg/translate`" + `). Generated from the translator's tests; do not edit:
run ` + "`go test ./translate -run TestCompatibilityDoc -update`" + ` in ` + "`pkg`" + `.

- **OpenAI client → Anthropic**: an OpenAI Chat Completions request served by an Anthropic channel.
- **Anthropic client → OpenAI**: an Anthropic Messages request served by an OpenAI-compatible channel.
- **OpenAI client → Gemini**, **Anthropic client → Gemini**: such a request served by a Gemini
  (generateContent) channel; **Gemini client → OpenAI**, **Gemini client → Anthropic**: a Gemini
  generateContent request served by an OpenAI-compatible or an Anthropic channel. Each section has a
  second table for these.

✓ translated (see the notes below) · 400 ` + "`field`" + ` refused with an error naming the field,
never dropped silently · — not part of that side's protocol.
`)
	for _, sec := range sections {
		fmt.Fprintf(&b, "\n## %s\n\n", strings.ToUpper(sectionTitle(sec)[:1])+sectionTitle(sec)[1:])
		b.WriteString("| Feature | OpenAI client → Anthropic | Anthropic client → OpenAI |\n|---|---|---|\n")
		for _, r := range rows {
			if r.section != sec || !r.has(routes) {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", r.feature, cell(r.cells[routes[0]]), cell(r.cells[routes[1]]))
		}
		if sec == "error" {
			b.WriteString(errTable)
		}
		b.WriteString("\n| Feature |")
		for _, route := range geminiRouteNames {
			b.WriteString(" " + geminiRouteTitle(route) + " |")
		}
		b.WriteString("\n|---|---|---|---|---|\n")
		for _, r := range rows {
			if r.section != sec || !r.has(geminiRouteNames) {
				continue
			}
			fmt.Fprintf(&b, "| %s |", r.feature)
			for _, route := range geminiRouteNames {
				b.WriteString(" " + cell(r.cells[route]) + " |")
			}
			b.WriteString("\n")
		}
		if sec == "error" {
			b.WriteString(gmErrTable)
		}
	}
	b.WriteString("\n## Notes\n")
	for _, route := range append(slices.Clone(routes), geminiRouteNames...) {
		title := geminiRouteTitle(route)
		if route == routes[0] || route == routes[1] {
			title = map[string]string{routes[0]: "OpenAI client → Anthropic", routes[1]: "Anthropic client → OpenAI"}[route]
		}
		fmt.Fprintf(&b, "\n### %s\n\n", title)
		for _, sec := range sections {
			for _, n := range notes[route+"\x00"+sec] {
				b.WriteString(n + "\n")
			}
		}
	}
	return []byte(b.String())
}

// has reports whether the row has an outcome on any of routes.
func (r *compatRow) has(routes []string) bool {
	for _, route := range routes {
		if len(r.cells[route]) > 0 {
			return true
		}
	}
	return false
}

// geminiErrorTable renders the Gemini status mapping by running the
// translators: to each client, and back to a Gemini client.
func geminiErrorTable() string {
	var b strings.Builder
	b.WriteString("\n| Gemini status (code) | OpenAI type / code | Anthropic type | back to Gemini from OpenAI | from Anthropic |\n|---|---|---|---|---|\n")
	for _, tc := range geminiStatuses {
		in := appendGeminiError(nil, tc.code, "m", tc.status)
		var oa oaErrorBody
		_ = json.Unmarshal(GeminiErrorToOpenAI(in, tc.code), &oa)
		var an anErrorBody
		_ = json.Unmarshal(GeminiErrorToAnthropic(in, tc.code), &an)
		var fromOA, fromAn gmErrorBody
		_ = json.Unmarshal(OpenAIErrorToGemini(GeminiErrorToOpenAI(in, tc.code), tc.code), &fromOA)
		_ = json.Unmarshal(AnthropicErrorToGemini(GeminiErrorToAnthropic(in, tc.code), tc.code), &fromAn)
		fmt.Fprintf(&b, "| %s (%d) | %s / %s | %s | %s | %s |\n", tc.status, tc.code, oa.Error.Type, strings.Trim(string(oa.Error.Code), `"`),
			an.Error.Type, fromOA.Error.Status, fromAn.Error.Status)
	}
	return b.String()
}

func cell(outcomes []string) string {
	if len(outcomes) == 0 {
		return "—"
	}
	return strings.Join(outcomes, ", ")
}
