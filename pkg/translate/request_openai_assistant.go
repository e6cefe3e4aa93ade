package translate

import (
	"bytes"
	"encoding/json"
)

func (c *oaToAn) assistantMsg(m *oaMsg, p string) error {
	c.lastToolMsg = -1
	var blocks []anBlock
	switch {
	case m.thinkingBlocks != nil:
		// The signed blocks carry the same text as reasoning_content.
		tb, err := thinkingBlocks(m.thinkingBlocks, at(p, "thinking_blocks"))
		if err != nil {
			return err
		}
		blocks = tb
	case m.reasoning != "":
		return unsupported(at(p, m.reasoningKey), "Anthropic takes back only the signed thinking_blocks returned with the answer")
	}
	text, err := contentBlocks(m.content, at(p, "content"), assistantParts)
	if err != nil {
		return err
	}
	blocks = append(blocks, text...)
	if m.refusal != "" {
		blocks = append(blocks, anBlock{Type: "text", Text: ptr(m.refusal)})
	}
	if m.toolCalls != nil {
		err := elements(m.toolCalls, at(p, "tool_calls"), func(i int, v []byte) error {
			b, err := toolUse(v, idx(at(p, "tool_calls"), i))
			blocks = append(blocks, b)
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := applyCache(blocks, m.cacheControl, p); err != nil {
		return err
	}
	if len(blocks) == 0 {
		return nil // an empty assistant turn says nothing; Anthropic refuses empty content
	}
	c.out.Messages = append(c.out.Messages, anMessage{Role: "assistant", Content: blocks})
	return nil
}

func thinkingBlocks(v []byte, p string) ([]anBlock, error) {
	var out []anBlock
	err := elements(v, p, func(i int, bv []byte) error {
		bp := idx(p, i)
		var b anBlock
		err := members(bv, bp, func(k string, fv []byte) error {
			var err error
			var s string
			switch k {
			case "type":
				b.Type, err = getString(fv, at(bp, k))
			case "thinking":
				s, err = getString(fv, at(bp, k))
				b.Thinking = &s
			case "signature":
				s, err = getString(fv, at(bp, k))
				b.Signature = &s
			case "data":
				b.Data, err = getString(fv, at(bp, k))
			default:
				err = unsupported(at(bp, k), "")
			}
			return err
		})
		if err != nil {
			return err
		}
		switch {
		case b.Type == "thinking" && b.Thinking != nil && b.Signature != nil && b.Data == "":
		case b.Type == "redacted_thinking" && b.Data != "" && b.Thinking == nil && b.Signature == nil:
		default:
			return invalid(bp, "must be a thinking block with signature or a redacted_thinking block with data")
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

func toolUse(v []byte, p string) (anBlock, error) {
	// extra_content carries Gemini's thought signature; only Gemini can
	// check it.
	call, err := readOAToolCall(v, p)
	return anBlock{Type: "tool_use", ID: call.id, Name: call.name, Input: call.args}, err
}

// oaCallIn is a function call of an assistant message.
type oaCallIn struct {
	id, name string
	args     json.RawMessage // a JSON object
	sig      string          // Gemini's thought signature, from extra_content
}

func readOAToolCall(v []byte, p string) (oaCallIn, error) {
	var call oaCallIn
	var typ string
	var args []byte
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "id":
			call.id, err = getString(fv, at(p, k))
		case "type":
			typ, err = getString(fv, at(p, k))
		case "index": // present when a client echoes streamed calls
			_, err = getInt(fv, at(p, k))
		case "extra_content":
			call.sig, err = signatureOf(fv, at(p, k))
		case "function":
			err = members(fv, at(p, k), func(fk string, av []byte) error {
				fp := at(p, "function."+fk)
				var err error
				switch fk {
				case "name":
					call.name, err = getString(av, fp)
				case "arguments":
					var s string
					s, err = getString(av, fp)
					args = []byte(s)
				default:
					err = unsupported(fp, "")
				}
				return err
			})
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err != nil {
		return call, err
	}
	if typ != "" && typ != "function" {
		return call, unsupported(at(p, "type"), "only function calls translate")
	}
	if call.id == "" || call.name == "" {
		return call, invalid(p, "id and function.name are required")
	}
	args = bytes.TrimSpace(args)
	switch {
	case len(args) == 0:
		call.args = json.RawMessage(`{}`)
	case kind(args) == '{' && json.Valid(args):
		call.args = args
	default:
		return call, invalid(at(p, "function.arguments"), "must be a JSON object")
	}
	return call, nil
}

// toolMsg turns a tool message into a tool_result block; consecutive tool
// messages share one user turn, as Anthropic expects.
func (c *oaToAn) toolMsg(m *oaMsg, p string) error {
	b := anBlock{Type: "tool_result", ToolUseID: m.toolCallID}
	if kind(m.content) == '"' {
		s, err := getString(m.content, at(p, "content"))
		if err != nil {
			return err
		}
		if s != "" {
			b.Content = s
		}
	} else if m.content != nil {
		parts, err := contentBlocks(m.content, at(p, "content"), textOnly)
		if err != nil {
			return err
		}
		if len(parts) > 0 {
			b.Content = parts
		}
	}
	b.CacheControl = m.cacheControl
	if c.lastToolMsg >= 0 {
		msg := &c.out.Messages[c.lastToolMsg]
		msg.Content = append(msg.Content.([]anBlock), b)
		return nil
	}
	c.lastToolMsg = len(c.out.Messages)
	c.out.Messages = append(c.out.Messages, anMessage{Role: "user", Content: []anBlock{b}})
	return nil
}
