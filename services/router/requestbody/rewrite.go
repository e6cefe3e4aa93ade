package requestbody

import "unicode/utf8"

const (
	includeUsageMember = `"include_usage":true`
	streamOptionsTrue  = `{"include_usage":true}`
)

// edit replaces body[start:end] with text (an insertion when start == end).
type edit struct {
	start, end int
	text       string
	model      bool // text is the model name, to be written as a JSON string
}

// Rewrite returns the body to send upstream: body with the model set to
// model, and, when addUsage and the stream lacks it, include_usage turned
// on. Every other byte is kept. Without changes it returns body itself;
// otherwise the result is appended to dst[:0].
func (r *Request) Rewrite(dst, body []byte, model string, addUsage bool) []byte {
	var edits [2]edit
	n := 0
	if model != r.Model || !r.modelPlain {
		edits[n] = edit{start: r.modelStart, end: r.modelEnd, text: model, model: true}
		n++
	}
	if addUsage && r.NeedsUsage() {
		edits[n] = r.usageEdit()
		n++
	}
	if n == 0 {
		return body
	}
	if n == 2 && edits[1].start < edits[0].start {
		edits[0], edits[1] = edits[1], edits[0]
	}
	out := dst[:0]
	at := 0
	for _, e := range edits[:n] {
		out = append(out, body[at:e.start]...)
		if e.model {
			out = appendString(out, e.text)
		} else {
			out = append(out, e.text...)
		}
		at = e.end
	}
	return append(out, body[at:]...)
}

func (r *Request) usageEdit() edit {
	switch {
	case r.opts == optsAbsent:
		return edit{start: r.lastEnd, end: r.lastEnd, text: `,"stream_options":` + streamOptionsTrue}
	case r.opts == optsNull:
		return edit{start: r.optsStart, end: r.optsEnd, text: streamOptionsTrue}
	case r.usageEnd > 0: // present but false or null
		return edit{start: r.usageStart, end: r.usageEnd, text: "true"}
	case r.optsEmpty:
		return edit{start: r.optsStart + 1, end: r.optsStart + 1, text: includeUsageMember}
	}
	return edit{start: r.optsStart + 1, end: r.optsStart + 1, text: includeUsageMember + ","}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}
