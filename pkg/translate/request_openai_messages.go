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
	sig            string // Gemini's thought signature, from extra_content
}

// oaMsgRules words what a target cannot take of OpenAI messages.
type oaMsgRules struct {
	lateSystem string // why a system message after the conversation is refused
	citations  string // why annotations are refused
	names      string // why a participant name is refused
	signatures bool   // the target reads extra_content, so it belongs to assistant messages
}

// oaMsgSink is what a target makes of the messages of each role.
type oaMsgSink interface {
	systemMsg(m *oaMsg, p string) error
	userMsg(m *oaMsg, p string) error
	assistantMsg(m *oaMsg, p string) error
	toolMsg(m *oaMsg, p string) error
}

// readOAMessages reads messages and hands each to sink by its role, once
// its members are read and fit the role.
func readOAMessages(v []byte, rules oaMsgRules, sink oaMsgSink) error {
	afterSystem := false
	var m oaMsg // one for all messages: the sink's calls make it escape
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
		m = oaMsg{role: role}
		if err := members(mv, p, m.field(p, &rules)); err != nil {
			return err
		}
		if err := m.check(p, rules.signatures); err != nil {
			return err
		}
		switch m.role {
		case "system", "developer":
			if afterSystem {
				return unsupported(at(p, "role"), rules.lateSystem)
			}
			return sink.systemMsg(&m, p)
		}
		afterSystem = true
		switch m.role {
		case "user":
			return sink.userMsg(&m, p)
		case "assistant":
			return sink.assistantMsg(&m, p)
		}
		return sink.toolMsg(&m, p)
	})
}

// field reads one member of the message at p; null means "not set".
func (m *oaMsg) field(p string, rules *oaMsgRules) func(k string, v []byte) error {
	return func(k string, v []byte) error {
		if isNull(v) {
			return nil
		}
		var err error
		switch k {
		case "role": // read first: the members are judged by the role the message has
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
			m.sig, err = signatureOf(v, at(p, k))
		case "annotations":
			err = elements(v, at(p, k), func(i int, _ []byte) error {
				return unsupported(idx(at(p, k), i), rules.citations)
			})
		case "name":
			// A tool message's name repeats the called function's, which the
			// call already carries; other roles' names would be lost.
			if m.role == "tool" {
				_, err = getString(v, at(p, k))
			} else {
				err = unsupported(at(p, k), rules.names)
			}
		case "audio", "function_call":
			err = unsupported(at(p, k), "")
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	}
}

// check refuses members that do not belong to the message's role.
func (m *oaMsg) check(p string, signatures bool) error {
	assistantOnly := m.toolCalls != nil || m.refusal != "" || m.reasoning != "" || m.thinkingBlocks != nil
	what := "tool_calls, refusal and reasoning"
	if signatures {
		assistantOnly = assistantOnly || m.sig != ""
		what = "tool_calls, refusal, reasoning and extra_content"
	}
	switch {
	case m.role != "assistant" && assistantOnly:
		return invalid(p, what+" belong to assistant messages")
	case m.role != "tool" && m.toolCallID != "":
		return invalid(at(p, "tool_call_id"), "belongs to tool messages")
	case m.role != "assistant" && m.content == nil:
		return invalid(at(p, "content"), "required")
	case m.role == "tool" && m.toolCallID == "":
		return invalid(at(p, "tool_call_id"), "required")
	}
	return nil
}

func (c *oaToAn) messages(v []byte) error {
	c.lastToolMsg = -1
	return readOAMessages(v, oaMsgRules{
		lateSystem: "Anthropic takes system prompts only before the conversation",
		citations:  "Anthropic takes no citations in history",
		names:      "Anthropic messages have no participant names",
		// extra_content carries Gemini's thought signature (from a Gemini
		// channel's answer): only Gemini can check it.
	}, c)
}

func (c *oaToAn) systemMsg(m *oaMsg, p string) error {
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
}

func (c *oaToAn) userMsg(m *oaMsg, p string) error {
	c.lastToolMsg = -1
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
}

type partSet uint8

const (
	textOnly  partSet = iota // system and tool messages
	userParts                // text, images, files
	assistantParts
)

// contentBlocks turns a string or an array of content parts into blocks.
func contentBlocks(v []byte, p string, set partSet) ([]anBlock, error) {
	var out []anBlock
	err := readOAContent(v, p, set, false, func(in *oaPartIn, pp string) error {
		b, err := contentPart(in, pp)
		if err == nil && (b.Type != "text" || *b.Text != "" || b.CacheControl != nil) {
			out = append(out, b)
		}
		return err
	})
	return out, err
}

func contentPart(in *oaPartIn, p string) (anBlock, error) {
	b := anBlock{CacheControl: in.cache}
	switch in.typ {
	case "image_url":
		return imageBlock(b, in.body, at(p, in.typ))
	case "file":
		return fileBlock(b, in.body, at(p, in.typ))
	}
	b.Type, b.Text = "text", &in.text
	return b, nil
}

// readOAContent reads content, a string or an array of content parts of
// the types set allows, and hands each part to add in order. A string is
// one text part, none when empty.
func readOAContent(v []byte, p string, set partSet, audio bool, add func(in *oaPartIn, p string) error) error {
	if v == nil {
		return nil
	}
	if kind(v) == '"' {
		s, err := getString(v, p)
		if err != nil || s == "" {
			return err
		}
		return add(&oaPartIn{typ: "text", text: s}, p)
	}
	return elements(v, p, func(i int, pv []byte) error {
		in, err := readOAPart(pv, idx(p, i), set, audio)
		if err != nil {
			return err
		}
		return add(&in, idx(p, i))
	})
}

// oaPartIn is a content part of an OpenAI message.
type oaPartIn struct {
	typ   string
	text  string          // a text or refusal part's
	body  []byte          // the image_url, file or input_audio object
	cache json.RawMessage // cache_control
}

// readOAPart reads a content part of a type set allows; audio says whether
// the target takes input_audio parts in user content.
func readOAPart(v []byte, p string, set partSet, audio bool) (oaPartIn, error) {
	var part oaPartIn
	var hasText bool
	typ, err := blockType(v, p)
	part.typ = typ
	media := typ == "image_url" || typ == "file" || audio && typ == "input_audio"
	switch {
	case err != nil:
		return part, err
	case typ == "":
		return part, invalid(at(p, "type"), "required")
	case typ != "text" && !(typ == "refusal" && set == assistantParts) && !(media && set == userParts):
		return part, unsupported(at(p, "type"), "content part "+typ)
	}
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
		case "text", "refusal", "image_url", "file", "input_audio":
			if k == "input_audio" && !audio {
				return unsupported(at(p, k), "unknown field")
			}
			if k != typ {
				return unsupported(at(p, k), "not part of a "+typ+" part")
			}
			if k == "text" || k == "refusal" {
				hasText = true
				part.text, err = getString(fv, at(p, k))
			} else {
				part.body = fv
			}
		case "cache_control":
			part.cache, err = rawObject(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err == nil && (typ == "text" || typ == "refusal") && !hasText {
		err = invalid(at(p, typ), "required")
	}
	return part, err
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
	url, err := readImageURL(v, p, "Anthropic")
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

// readImageURL reads an image_url part's object. Anthropic and Gemini read
// images at full resolution (up to their size limits): auto and high mean
// that, low cannot be had from target.
func readImageURL(v []byte, p, target string) (string, error) {
	if v == nil {
		return "", invalid(p, "required")
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
			if err == nil && d == "low" {
				err = unsupported(at(p, k), target+" has no low-detail image mode")
			}
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	return url, err
}

func fileBlock(b anBlock, v []byte, p string) (anBlock, error) {
	data, name, err := readFilePart(v, p)
	b.Title = name
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

// readFilePart reads a file part's object: the file inline, as a data URL.
func readFilePart(v []byte, p string) (data, filename string, err error) {
	if v == nil {
		return "", "", invalid(p, "required")
	}
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "file_data":
			data, err = getString(fv, at(p, k))
		case "filename":
			filename, err = getString(fv, at(p, k))
		case "file_id":
			err = unsupported(at(p, k), "uploaded files live at OpenAI")
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	return data, filename, err
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
