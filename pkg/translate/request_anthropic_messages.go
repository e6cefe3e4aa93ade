package translate

import (
	"bytes"
	"encoding/json"
	"strings"
)

func (c *anToOa) message(v []byte, p string) error {
	role, content, err := readAnMessage(v, p)
	switch {
	case err != nil:
		return err
	case role == "user":
		return c.user(content, p)
	}
	return c.assistant(content, p)
}

// readAnMessage reads a message's role (user or assistant) and content.
func readAnMessage(v []byte, p string) (role string, content []byte, err error) {
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "role":
			role, err = getString(fv, at(p, k))
		case "content":
			content = fv
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	switch {
	case err != nil:
	case content == nil:
		err = invalid(at(p, "content"), "required")
	case role != "user" && role != "assistant":
		err = invalid(at(p, "role"), "must be user or assistant")
	}
	return role, content, err
}

// anBlocks walks an array of content blocks, handing each to fn with its
// type.
func anBlocks(v []byte, p string, fn func(typ string, bv []byte, bp string) error) error {
	return elements(v, p, func(i int, bv []byte) error {
		bp := idx(p, i)
		typ, err := blockType(bv, bp)
		if err != nil {
			return err
		}
		return fn(typ, bv, bp)
	})
}

// blockType reads a content block's "type" without decoding the rest.
func blockType(v []byte, p string) (string, error) { return memberString(v, p, "type") }

// memberString reads one string member of an object ("" when absent), so
// errors can name what an object is before judging its other members.
func memberString(v []byte, p, key string) (string, error) {
	var s string
	err := members(v, p, func(k string, fv []byte) error {
		if k != key || isNull(fv) {
			return nil
		}
		var err error
		s, err = getString(fv, at(p, k))
		return err
	})
	return s, err
}

// user writes tool results first, as OpenAI wants them right after the
// assistant's calls, then the user's other content as one message.
func (c *anToOa) user(v []byte, p string) error {
	p = at(p, "content")
	if kind(v) == '"' {
		s, err := getString(v, p)
		c.msgs = append(c.msgs, oaMessage{Role: "user", Content: s})
		return err
	}
	var parts []oaPart
	err := anBlocks(v, p, func(typ string, bv []byte, bp string) error {
		var err error
		var part oaPart
		switch typ {
		case "text":
			part, err = anTextBlock(bv, bp)
		case "image":
			part, err = anImage(bv, bp)
		case "document":
			part, err = anDocument(bv, bp)
		case "tool_result":
			var m oaMessage
			m, err = anToolResult(bv, bp)
			c.msgs = append(c.msgs, m)
			return err
		default:
			return unsupported(at(bp, "type"), "content block "+typ)
		}
		parts = append(parts, part)
		return err
	})
	if err == nil && len(parts) > 0 {
		c.msgs = append(c.msgs, oaMessage{Role: "user", Content: parts})
	}
	return err
}

// anSourceIn is the source of an image or document block.
type anSourceIn struct {
	typ, media, data, url string
}

// readAnSource reads a block's source object (v, nil when absent). refuse
// holds the members the target cannot take, with the reason; other unknown
// members are refused too.
func readAnSource(v []byte, p string, refuse map[string]string) (anSourceIn, error) {
	var s anSourceIn
	if v == nil {
		return s, invalid(p, "required")
	}
	err := members(v, p, func(k string, fv []byte) error {
		if why, ok := refuse[k]; ok {
			return unsupported(at(p, k), why)
		}
		var err error
		switch k {
		case "type":
			s.typ, err = getString(fv, at(p, k))
		case "media_type":
			s.media, err = getString(fv, at(p, k))
		case "data":
			s.data, err = getString(fv, at(p, k))
		case "url":
			s.url, err = getString(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	return s, err
}

// imageSource reads a source object into a URL OpenAI takes.
func imageSource(v []byte, p string) (string, error) {
	src, err := readAnSource(v, p, nil)
	if err != nil {
		return "", err
	}
	switch src.typ {
	case "base64":
		if src.media == "" || src.data == "" {
			return "", invalid(p, "media_type and data are required")
		}
		return "data:" + src.media + ";base64," + src.data, nil
	case "url":
		if src.url == "" {
			return "", invalid(at(p, "url"), "required")
		}
		return src.url, nil
	}
	return "", unsupported(at(p, "type"), "source "+src.typ)
}

func anImage(v []byte, p string) (oaPart, error) {
	part := oaPart{Type: "image_url"}
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type", "cache_control":
		case "source":
			var url string
			url, err = imageSource(fv, at(p, k))
			part.ImageURL = &oaImageURL{URL: url}
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err == nil && part.ImageURL == nil {
		err = invalid(at(p, "source"), "required")
	}
	return part, err
}

func anDocument(v []byte, p string) (oaPart, error) {
	var src []byte
	var title string
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type", "cache_control":
		case "source":
			src = fv
		case "title":
			if !isNull(fv) {
				title, err = getString(fv, at(p, k))
			}
		case "citations":
			err = members(fv, at(p, k), func(ck string, cv []byte) error {
				if on, err := getBool(cv, at(p, k+"."+ck)); ck != "enabled" || err != nil || on {
					return unsupported(at(p, k), "OpenAI returns no citations")
				}
				return nil
			})
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return oaPart{}, err
	}
	sp := at(p, "source")
	s, err := readAnSource(src, sp, map[string]string{"url": ""})
	switch {
	case err != nil:
		return oaPart{}, err
	case s.typ == "base64" && s.media == "application/pdf":
		if title == "" {
			title = "document.pdf"
		}
		return oaPart{Type: "file", File: &oaFile{Filename: title, FileData: "data:application/pdf;base64," + s.data}}, nil
	case s.typ == "text" && title == "":
		return oaPart{Type: "text", Text: &s.data}, nil
	case s.typ == "text":
		return oaPart{}, unsupported(at(p, "title"), "OpenAI text parts have no title")
	}
	return oaPart{}, unsupported(at(sp, "type"), "document source "+s.typ+" "+s.media)
}

// anToolResult makes a tool message. is_error has no OpenAI field; it is
// kept by starting the content with "Error: ".
func anToolResult(v []byte, p string) (oaMessage, error) {
	m := oaMessage{Role: "tool"}
	var isError bool
	var parts []oaPart
	var text *string
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type", "cache_control":
		case "tool_use_id":
			m.ToolCallID, err = getString(fv, at(p, k))
		case "is_error":
			if !isNull(fv) {
				isError, err = getBool(fv, at(p, k))
			}
		case "content":
			if kind(fv) == '"' {
				var s string
				s, err = getString(fv, at(p, k))
				text = &s
				return err
			}
			err = elements(fv, at(p, k), func(i int, bv []byte) error {
				part, err := anTextBlock(bv, idx(at(p, k), i))
				parts = append(parts, part)
				return err
			})
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return m, err
	}
	if m.ToolCallID == "" {
		return m, invalid(at(p, "tool_use_id"), "required")
	}
	if text == nil && len(parts) == 1 {
		text = parts[0].Text
	}
	switch {
	case text != nil && isError:
		m.Content = strings.TrimSuffix("Error: "+*text, " ")
	case text != nil:
		m.Content = *text
	case isError:
		m.Content = append([]oaPart{{Type: "text", Text: ptr("Error:")}}, parts...)
	case len(parts) > 0:
		m.Content = parts
	default:
		m.Content = ""
	}
	return m, nil
}

func (c *anToOa) assistant(v []byte, p string) error {
	p = at(p, "content")
	m := oaMessage{Role: "assistant"}
	if kind(v) == '"' {
		s, err := getString(v, p)
		m.Content = s
		c.msgs = append(c.msgs, m)
		return err
	}
	var parts []oaPart
	var thinking []string
	err := anBlocks(v, p, func(typ string, bv []byte, bp string) error {
		var err error
		switch typ {
		case "text":
			var part oaPart
			part, err = anTextBlock(bv, bp)
			parts = append(parts, part)
		case "tool_use":
			var tc oaToolCall
			tc, err = anToolUse(bv, bp)
			m.ToolCalls = append(m.ToolCalls, tc)
		case "thinking":
			var t string
			t, err = anThinkingText(bv, bp)
			thinking = append(thinking, t)
		case "redacted_thinking":
			err = unsupported(at(bp, "type"), "encrypted thinking is readable only by Anthropic")
		default:
			err = unsupported(at(bp, "type"), "content block "+typ)
		}
		return err
	})
	if err != nil {
		return err
	}
	m.ReasoningContent = strings.Join(thinking, "\n\n")
	if len(parts) > 0 {
		m.Content = textContent(parts)
	}
	c.msgs = append(c.msgs, m)
	return nil
}

func anToolUse(v []byte, p string) (oaToolCall, error) {
	tc := oaToolCall{Type: "function"}
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type", "cache_control":
		case "id":
			tc.ID, err = getString(fv, at(p, k))
		case "name":
			tc.Function.Name, err = getString(fv, at(p, k))
		case "input":
			if kind(fv) != '{' {
				return invalid(at(p, k), "must be an object")
			}
			var buf bytes.Buffer
			_ = json.Compact(&buf, fv) // valid: checked with the whole body
			tc.Function.Arguments = buf.String()
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err == nil && (tc.ID == "" || tc.Function.Name == "") {
		err = invalid(p, "id and name are required")
	}
	if tc.Function.Arguments == "" {
		tc.Function.Arguments = "{}"
	}
	return tc, err
}

// anThinkingText reads a thinking block's text: only Anthropic can check
// the signature; OpenAI upstreams take the text.
func anThinkingText(v []byte, p string) (string, error) {
	text, _, err := anThinkingBlock(v, p)
	return text, err
}
