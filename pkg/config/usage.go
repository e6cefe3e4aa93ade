package config

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// Usage writes one entry per setting: flag, kind, description, environment
// variable, default and marks. Secret defaults are never written.
func (s *Set) Usage(w io.Writer) {
	fmt.Fprintf(w, "Usage of %s:\n", s.name)
	for _, f := range s.fields {
		var b strings.Builder
		b.WriteString("  ")
		if f.flag != "" {
			b.WriteString("--" + f.flag)
			if !f.isBool {
				b.WriteString(" " + f.kind)
			}
		} else {
			b.WriteString(f.env + " " + f.kind + " (environment only)")
		}
		b.WriteString("\n    \t" + f.usage + "\n    \t")

		var notes []string
		if f.env != "" && f.flag != "" {
			notes = append(notes, "env "+f.env)
		}
		if d := f.shownDefault(); d != "" {
			notes = append(notes, "default "+d)
		}
		if f.marks&Required != 0 {
			notes = append(notes, "required")
		}
		if f.marks&Secret != 0 {
			notes = append(notes, "secret")
		}
		if len(f.schemes) > 0 {
			notes = append(notes, "schemes "+strings.Join(f.schemes, ", "))
		}
		b.WriteString(strings.Join(notes, ", ") + "\n")
		io.WriteString(w, b.String())
	}
}

func (f *field) shownDefault() string {
	if f.def == "" || f.marks&Secret != 0 {
		return ""
	}
	if f.kind == "url" {
		if u, err := url.Parse(f.def); err == nil {
			return strconv.Quote(u.Redacted())
		}
		return ""
	}
	return strconv.Quote(f.def)
}
