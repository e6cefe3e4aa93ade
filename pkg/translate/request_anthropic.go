package translate

import (
	"encoding/json"
)

// AnthropicToOpenAIChat translates an Anthropic Messages request body into
// an OpenAI Chat Completions request body. Every field is either translated
// or refused with an *UnsupportedError naming it; a malformed request gives a
// *FieldError. See doc.go for the mapping.
func AnthropicToOpenAIChat(body []byte, opts Options) ([]byte, error) {
	if !json.Valid(body) {
		return nil, invalid("", "body is not valid JSON")
	}
	var c anToOa
	if err := members(body, "", c.field); err != nil {
		return nil, err
	}
	if err := c.finish(opts); err != nil {
		return nil, err
	}
	return marshal(&c.out)
}

type anToOa struct {
	out         oaRequest
	system      []oaMessage
	msgs        []oaMessage
	hasMessages bool
	maxTokens   int64
	budget      int64
	thinking    string
	effort      string
	toolChoice  []byte
}

func (c *anToOa) field(k string, v []byte) error {
	if isNull(v) && k != "messages" && k != "max_tokens" {
		return nil
	}
	var err error
	switch k {
	case "model":
		c.out.Model, err = getString(v, k)
	case "max_tokens":
		c.maxTokens, err = positive(v, k)
	case "messages":
		if c.hasMessages {
			return invalid(k, "given twice")
		}
		c.hasMessages = true
		err = elements(v, k, func(i int, mv []byte) error { return c.message(mv, idx(k, i)) })
	case "system":
		if c.system != nil {
			return invalid(k, "given twice")
		}
		err = c.systemPrompt(v)
	case "stop_sequences":
		c.out.Stop, err = stringOrList(v, k)
	case "stream":
		c.out.Stream, err = getBool(v, k)
	case "temperature":
		c.out.Temperature, _, err = rawNumber(v, k)
	case "top_p":
		c.out.TopP, _, err = rawNumber(v, k)
	case "top_k":
		err = unsupported(k, "OpenAI has no top-k sampling")
	case "tools":
		if c.out.Tools != nil {
			return invalid(k, "given twice")
		}
		err = elements(v, k, func(i int, tv []byte) error { return c.tool(tv, idx(k, i)) })
	case "tool_choice":
		c.toolChoice = v
	case "thinking":
		err = c.thinkingConfig(v)
	case "output_config":
		err = c.outputConfig(v)
	case "metadata":
		err = members(v, k, func(mk string, mv []byte) error {
			if mk != "user_id" {
				return unsupported(at(k, mk), "unknown field")
			}
			if isNull(mv) {
				return nil
			}
			var err error
			c.out.User, err = getString(mv, at(k, mk))
			return err
		})
	case "service_tier":
		var tier string
		tier, err = getString(v, k)
		switch {
		case err != nil:
		case tier == "auto":
			c.out.ServiceTier = "auto"
		case tier == "standard_only":
			c.out.ServiceTier = "default"
		default:
			err = invalid(k, "unknown tier "+tier)
		}
	case "container", "mcp_servers", "context_management":
		err = unsupported(k, "Anthropic-hosted feature")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

func (c *anToOa) systemPrompt(v []byte) error {
	if kind(v) == '"' {
		s, err := getString(v, "system")
		if s != "" {
			c.system = append(c.system, oaMessage{Role: "system", Content: s})
		}
		return err
	}
	var parts []oaPart
	err := elements(v, "system", func(i int, bv []byte) error {
		p := idx("system", i)
		part, err := anTextBlock(bv, p)
		parts = append(parts, part)
		return err
	})
	if err != nil || len(parts) == 0 {
		return err
	}
	c.system = append(c.system, oaMessage{Role: "system", Content: textContent(parts)})
	return nil
}

// textContent is a single text as a plain string, else the parts.
func textContent(parts []oaPart) any {
	if len(parts) == 1 && parts[0].Type == "text" {
		return *parts[0].Text
	}
	return parts
}

// anTextBlock reads a {"type":"text"} block. cache_control is accepted and
// not forwarded: OpenAI caches prompt prefixes on its own.
func anTextBlock(v []byte, p string) (oaPart, error) {
	var text string
	var hasText bool
	typ, err := blockType(v, p)
	if err == nil && typ != "text" {
		err = unsupported(at(p, "type"), "only text blocks translate here, not "+typ)
	}
	if err != nil {
		return oaPart{}, err
	}
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
		case "text":
			hasText = true
			text, err = getString(fv, at(p, k))
		case "cache_control":
			_, err = rawObject(fv, at(p, k))
		case "citations":
			if !isNull(fv) {
				err = elements(fv, at(p, k), func(i int, _ []byte) error {
					return unsupported(idx(at(p, k), i), "OpenAI takes no citations")
				})
			}
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err == nil && !hasText {
		err = invalid(at(p, "text"), "required")
	}
	return oaPart{Type: "text", Text: &text}, err
}

func (c *anToOa) tool(v []byte, p string) error {
	t := oaTool{Type: "function"}
	typ, err := blockType(v, p)
	if err == nil && typ != "" && typ != "custom" {
		err = unsupported(at(p, "type"), "Anthropic server tool "+typ)
	}
	if err != nil {
		return err
	}
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
		case "name":
			t.Function.Name, err = getString(fv, at(p, k))
		case "description":
			t.Function.Description, err = getString(fv, at(p, k))
		case "input_schema":
			t.Function.Parameters, err = rawObject(fv, at(p, k))
		case "strict":
			if !isNull(fv) {
				var b bool
				b, err = getBool(fv, at(p, k))
				t.Function.Strict = &b
			}
		case "cache_control":
			_, err = rawObject(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err != nil {
		return err
	}
	if t.Function.Name == "" || t.Function.Parameters == nil {
		return invalid(p, "name and input_schema are required")
	}
	c.out.Tools = append(c.out.Tools, t)
	return nil
}

func (c *anToOa) thinkingConfig(v []byte) error {
	const p = "thinking"
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
			c.thinking, err = getString(fv, at(p, k))
		case "budget_tokens":
			c.budget, err = positive(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return err
	}
	switch c.thinking {
	case "enabled":
		if c.budget == 0 {
			return invalid(at(p, "budget_tokens"), "required")
		}
	case "disabled", "adaptive":
	default:
		return invalid(at(p, "type"), "unknown type "+c.thinking)
	}
	return nil
}

func (c *anToOa) outputConfig(v []byte) error {
	const p = "output_config"
	return members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		switch k {
		case "effort":
			var err error
			c.effort, err = getString(fv, at(p, k))
			if _, ok := effortToOpenAI(c.effort); err == nil && !ok {
				err = invalid(at(p, k), "unknown effort "+c.effort)
			}
			return err
		case "format":
			f := &oaJSONSchema{Name: "output", Strict: ptr(true)}
			var typ string
			err := members(fv, at(p, k), func(fk string, sv []byte) error {
				var err error
				switch fk {
				case "type":
					typ, err = getString(sv, at(p, "format.type"))
				case "schema":
					f.Schema, err = rawObject(sv, at(p, "format.schema"))
				default:
					err = unsupported(at(p, "format."+fk), "")
				}
				return err
			})
			if err == nil && (typ != "json_schema" || f.Schema == nil) {
				err = invalid(at(p, k), "expected a json_schema format with a schema")
			}
			c.out.ResponseFormat = &oaResponseFmt{Type: "json_schema", JSONSchema: f}
			return err
		}
		return unsupported(at(p, k), "")
	})
}

func (c *anToOa) finish(opts Options) error {
	if !c.hasMessages {
		return invalid("messages", "required")
	}
	if c.maxTokens == 0 {
		return invalid("max_tokens", "required")
	}
	if opts.Model != "" {
		c.out.Model = opts.Model
	}
	if c.out.Model == "" {
		return invalid("model", "required")
	}
	if opts.LegacyMaxTokens {
		c.out.MaxTokens = c.maxTokens
	} else {
		c.out.MaxCompletionTokens = c.maxTokens
	}
	if c.out.Stream {
		c.out.StreamOptions = &oaStreamOptions{IncludeUsage: true}
	}
	c.out.Messages = append(append(make([]oaMessage, 0, len(c.system)+len(c.msgs)), c.system...), c.msgs...)
	switch {
	case c.effort != "":
		c.out.ReasoningEffort, _ = effortToOpenAI(c.effort)
	case c.thinking == "enabled":
		c.out.ReasoningEffort = budgetToEffort(c.budget)
	case c.thinking == "disabled":
		c.out.ReasoningEffort = "none"
	}
	return c.toolChoiceOut()
}

func (c *anToOa) toolChoiceOut() error {
	const p = "tool_choice"
	if c.toolChoice == nil {
		return nil
	}
	var typ, name string
	var noParallel bool
	err := members(c.toolChoice, p, func(k string, v []byte) error {
		var err error
		switch k {
		case "type":
			typ, err = getString(v, at(p, k))
		case "name":
			name, err = getString(v, at(p, k))
		case "disable_parallel_tool_use":
			if !isNull(v) {
				noParallel, err = getBool(v, at(p, k))
			}
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return err
	}
	switch typ {
	case "auto", "none":
		c.out.ToolChoice = typ
	case "any":
		c.out.ToolChoice = "required"
	case "tool":
		if name == "" {
			return invalid(at(p, "name"), "required")
		}
		nc := oaNamedChoice{Type: "function"}
		nc.Function.Name = name
		c.out.ToolChoice = nc
	default:
		return invalid(at(p, "type"), "unknown type "+typ)
	}
	if noParallel && typ != "none" {
		c.out.ParallelToolCalls = ptr(false)
	}
	return nil
}
