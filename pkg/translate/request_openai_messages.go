package translate

import (
	"encoding/json"
	"strings"
)

// oaMsg holds one OpenAI message's members before its role decides what
// they become.
type oaMsg struct {
	role           string
	content        []byte
	toolCalls      []byte
	toolCallID     string
	refusal        string
	reasoning      string
	reasoningKey   string
	thinkingBlocks []byte
	cacheControl   json.RawMessage
}

func (c *oaToAn) messages(v []byte) error {
	c.lastToolMsg = -1
	return elements(v, "messages", func(i int, mv []byte) error {
		p := idx("messages", i)
		role, err := memberString(mv, p, "role")
		if err != nil {
			return err
		}
		switch role {
		case "system", "developer", "user", "assistant", "tool":
		case "":
			return invalid(at(p, "role"), "required")
		default:
			return unsupported(at(p, "role"), "role "+role)
		}
		m := oaMsg{role: role}
		if err := members(mv, p, m.field(p)); err != nil {
			return err
		}
		return c.message(&m, p)
	})
}

func (m *oaMsg) field(p string) func(k string, v []byte) error {
	return func(k string, v []byte) error {
		if isNull(v) {
			return nil
		}
		var err error
		switch k {
		case "role":
			m.role, err = getString(v, at(p, k))
		case "content":
			m.content = v
		case "tool_calls":
			m.toolCalls = v
		case "tool_call_id":
			m.toolCallID, err = getString(v, at(p, k))
		case "refusal":
			m.refusal, err = getString(v, at(p, k))
		case "reasoning_content", "reasoning":
			m.reasoningKey = k
			m.reasoning, err = getString(v, at(p, k))
		case "thinking_blocks":
			m.thinkingBlocks = v
		case "cache_control":
			m.cacheControl, err = rawObject(v, at(p, k))
		case "extra_content":
			// Gemini's thought signature (from a Gemini channel's answer):
			// only Gemini can check it.
			_, err = signatureOf(v, at(p, k))
		case "annotations":
			err = elements(v, at(p, k), func(i int, _ []byte) error {
				return unsupported(idx(at(p, k), i), "Anthropic takes no citations in history")
			})
		case "name":
			// A tool message's name repeats the called function's, which the
			// tool_use block already carries; other roles' names would be lost.
			if m.role == "tool" {
				_, err = getString(v, at(p, k))
			} else {
				err = unsupported(at(p, k), "Anthropic messages have no participant names")
			}
		case "audio", "function_call":
			err = unsupported(at(p, k), "")
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	}
}

func (c *oaToAn) message(m *oaMsg, p string) error {
	if m.role != "assistant" && (m.toolCalls != nil || m.refusal != "" || m.reasoning != "" || m.thinkingBlocks != nil) {
		return invalid(p, "tool_calls, refusal and reasoning belong to assistant messages")
	}
	if m.role != "tool" && m.toolCallID != "" {
		return invalid(at(p, "tool_call_id"), "belongs to tool messages")
	}
	if m.role != "assistant" && m.content == nil {
		return invalid(at(p, "content"), "required")
	}
	switch m.role {
	case "system", "developer":
		if c.afterSystem {
			return unsupported(at(p, "role"), "Anthropic takes system prompts only before the conversation")
		}
		blocks, err := contentBlocks(m.content, at(p, "content"), textOnly)
		if err != nil {
			return err
		}
		if err := applyCache(blocks, m.cacheControl, p); err != nil {
			return err
		}
		for _, b := range blocks {
			c.systemCached = c.systemCached || b.CacheControl != nil
		}
		c.system = append(c.system, blocks...)
		return nil
	case "user":
		c.afterSystem, c.lastToolMsg = true, -1
		if kind(m.content) == '"' && m.cacheControl == nil {
			s, err := getString(m.content, at(p, "content"))
			c.out.Messages = append(c.out.Messages, anMessage{Role: "user", Content: s})
			return err
		}
		blocks, err := contentBlocks(m.content, at(p, "content"), userParts)
		if err == nil {
			err = applyCache(blocks, m.cacheControl, p)
		}
		c.out.Messages = append(c.out.Messages, anMessage{Role: "user", Content: blocks})
		return err
	case "assistant":
		c.afterSystem, c.lastToolMsg = true, -1
		return c.assistant(m, p)
	}
	c.afterSystem = true
	return c.toolResult(m, p)
}

type partSet uint8

const (
	textOnly  partSet = iota // system and tool messages
	userParts                // text, images, files
	assistantParts
)

// contentBlocks turns a string or an array of content parts into blocks.
func contentBlocks(v []byte, p string, set partSet) ([]anBlock, error) {
	if v == nil {
		return nil, nil
	}
	if kind(v) == '"' {
		s, err := getString(v, p)
		if err != nil || s == "" {
			return nil, err
		}
		return []anBlock{{Type: "text", Text: &s}}, nil
	}
	var out []anBlock
	err := elements(v, p, func(i int, pv []byte) error {
		b, err := contentPart(pv, idx(p, i), set)
		if err == nil && (b.Type != "text" || *b.Text != "" || b.CacheControl != nil) {
			out = append(out, b)
		}
		return err
	})
	return out, err
}

func contentPart(v []byte, p string, set partSet) (anBlock, error) {
	var b anBlock
	var text string
	var hasText bool
	var image, file []byte
	typ, err := blockType(v, p)
	switch {
	case err != nil:
		return b, err
	case typ == "":
		return b, invalid(at(p, "type"), "required")
	case typ != "text" && !(typ == "refusal" && set == assistantParts) &&
		!((typ == "image_url" || typ == "file") && set == userParts):
		return b, unsupported(at(p, "type"), "content part "+typ)
	}
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
		case "text", "refusal", "image_url", "file":
			if k != typ {
				return unsupported(at(p, k), "not part of a "+typ+" part")
			}
			switch k {
			case "image_url":
				image = fv
			case "file":
				file = fv
			default:
				hasText = true
				text, err = getString(fv, at(p, k))
			}
		case "cache_control":
			b.CacheControl, err = rawObject(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err != nil {
		return b, err
	}
	switch typ {
	case "image_url":
		return imageBlock(b, image, at(p, "image_url"))
	case "file":
		return fileBlock(b, file, at(p, "file"))
	}
	if !hasText {
		return b, invalid(at(p, typ), "required")
	}
	b.Type, b.Text = "text", &text
	return b, nil
}

// parseDataURL splits "data:<media type>;base64,<data>".
func parseDataURL(u string) (media, data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	head, data, found := strings.Cut(rest, ",")
	media, isB64 := strings.CutSuffix(head, ";base64")
	return media, data, found && isB64 && media != ""
}

func imageBlock(b anBlock, v []byte, p string) (anBlock, error) {
	if v == nil {
		return b, invalid(p, "required")
	}
	var url string
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "url":
			url, err = getString(fv, at(p, k))
		case "detail":
			var d string
			d, err = getString(fv, at(p, k))
			// Anthropic always reads images at full resolution (up to its
			// size limit): auto and high mean that, low cannot be had.
			if err == nil && d == "low" {
				err = unsupported(at(p, k), "Anthropic has no low-detail image mode")
			}
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return b, err
	}
	b.Type = "image"
	switch {
	case strings.HasPrefix(url, "data:"):
		media, data, ok := parseDataURL(url)
		if !ok {
			return b, unsupported(at(p, "url"), "only base64 data URLs translate")
		}
		b.Source = &anSource{Type: "base64", MediaType: media, Data: data}
	case strings.HasPrefix(url, "https://"), strings.HasPrefix(url, "http://"):
		b.Source = &anSource{Type: "url", URL: url}
	default:
		return b, invalid(at(p, "url"), "must be an http(s) or data URL")
	}
	return b, nil
}

func fileBlock(b anBlock, v []byte, p string) (anBlock, error) {
	if v == nil {
		return b, invalid(p, "required")
	}
	var data string
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "file_data":
			data, err = getString(fv, at(p, k))
		case "filename":
			b.Title, err = getString(fv, at(p, k))
		case "file_id":
			err = unsupported(at(p, k), "uploaded files live at OpenAI")
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return b, err
	}
	media, payload, ok := parseDataURL(data)
	if !ok || media != "application/pdf" {
		return b, unsupported(at(p, "file_data"), "only base64 PDF data URLs translate")
	}
	b.Type = "document"
	b.Source = &anSource{Type: "base64", MediaType: media, Data: payload}
	return b, nil
}

// applyCache puts a message-level cache_control on the message's last block.
func applyCache(blocks []anBlock, cc json.RawMessage, p string) error {
	if cc == nil {
		return nil
	}
	if len(blocks) == 0 {
		return invalid(at(p, "cache_control"), "needs content to mark")
	}
	blocks[len(blocks)-1].CacheControl = cc
	return nil
}
