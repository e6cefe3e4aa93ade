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
	anReasoning
	out         oaRequest
	system      []oaMessage
	msgs        []oaMessage
	hasMessages bool
	maxTokens   int64
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
		err = c.readThinking(v)
	case "output_config":
		err = c.readOutputConfig(v, effortToOpenAI, func() *json.RawMessage {
			f := &oaJSONSchema{Name: "output", Strict: ptr(true)}
			c.out.ResponseFormat = &oaResponseFmt{Type: "json_schema", JSONSchema: f}
			return &f.Schema
		})
	case "metadata":
		err = readAnMetadata(v, &c.out.User)
	case "service_tier":
		var tier string
		if tier, err = readAnServiceTier(v); tier == "standard_only" {
			tier = "default" // OpenAI's name for the standard tier
		}
		c.out.ServiceTier = tier
	case "container", "mcp_servers", "context_management":
		err = unsupported(k, "Anthropic-hosted feature")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

func (c *anToOa) systemPrompt(v []byte) error {
	parts, err := anSystemParts(v)
	if err != nil || len(parts) == 0 {
		return err
	}
	c.system = append(c.system, oaMessage{Role: "system", Content: textContent(parts)})
	return nil
}

// anSystemParts reads system, a string or text blocks, as text parts; an
// empty string gives none.
func anSystemParts(v []byte) ([]oaPart, error) {
	if kind(v) == '"' {
		s, err := getString(v, "system")
		if err != nil || s == "" {
			return nil, err
		}
		return []oaPart{{Type: "text", Text: &s}}, nil
	}
	var parts []oaPart
	err := elements(v, "system", func(i int, bv []byte) error {
		part, err := anTextBlock(bv, idx("system", i))
		parts = append(parts, part)
		return err
	})
	return parts, err
}

// readAnMetadata reads metadata, whose only member user_id goes to *user.
func readAnMetadata(v []byte, user *string) error {
	const p = "metadata"
	return members(v, p, func(k string, mv []byte) error {
		if k != "user_id" {
			return unsupported(at(p, k), "unknown field")
		}
		if isNull(mv) {
			return nil
		}
		var err error
		*user, err = getString(mv, at(p, k))
		return err
	})
}

// readAnServiceTier reads service_tier: auto or standard_only ("" with an
// error).
func readAnServiceTier(v []byte) (string, error) {
	const p = "service_tier"
	tier, err := getString(v, p)
	switch {
	case err != nil:
		return "", err
	case tier != "auto" && tier != "standard_only":
		return "", invalid(p, "unknown tier "+tier)
	}
	return tier, nil
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
	d, err := readAnTool(v, p)
	if err != nil {
		return err
	}
	t := oaTool{Type: "function"}
	t.Function.Name, t.Function.Description, t.Function.Parameters, t.Function.Strict = d.name, d.description, d.schema, d.strict
	c.out.Tools = append(c.out.Tools, t)
	return nil
}

// anToolDecl is a custom tool of an Anthropic request.
type anToolDecl struct {
	name, description string
	schema            json.RawMessage
	strict            *bool // the last strict given
	anyStrict         bool  // some strict member was true
}

// readAnTool reads a custom tool; server tools are refused. cache_control
// is accepted and not forwarded: the other providers cache prompt prefixes
// by themselves.
func readAnTool(v []byte, p string) (anToolDecl, error) {
	var d anToolDecl
	typ, err := blockType(v, p)
	if err == nil && typ != "" && typ != "custom" {
		err = unsupported(at(p, "type"), "Anthropic server tool "+typ)
	}
	if err != nil {
		return d, err
	}
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
		case "name":
			d.name, err = getString(fv, at(p, k))
		case "description":
			d.description, err = getString(fv, at(p, k))
		case "input_schema":
			d.schema, err = rawObject(fv, at(p, k))
		case "strict":
			if !isNull(fv) {
				var b bool
				b, err = getBool(fv, at(p, k))
				d.strict, d.anyStrict = &b, d.anyStrict || b
			}
		case "cache_control":
			_, err = rawObject(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err == nil && (d.name == "" || d.schema == nil) {
		err = invalid(p, "name and input_schema are required")
	}
	return d, err
}

// anReasoning is what an Anthropic request says about thinking
// (thinking.type and budget_tokens, output_config.effort); each target
// settles it in finish.
type anReasoning struct {
	thinking string
	budget   int64
	effort   string
}

func (r *anReasoning) readThinking(v []byte) error {
	const p = "thinking"
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
			r.thinking, err = getString(fv, at(p, k))
		case "budget_tokens":
			r.budget, err = positive(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return err
	}
	switch r.thinking {
	case "enabled":
		if r.budget == 0 {
			return invalid(at(p, "budget_tokens"), "required")
		}
	case "disabled", "adaptive":
	default:
		return invalid(at(p, "type"), "unknown type "+r.thinking)
	}
	return nil
}

// readOutputConfig reads output_config. The target knows which efforts it
// maps; format is called for a format member and says where its JSON
// schema goes.
func (r *anReasoning) readOutputConfig(v []byte, known func(string) (string, bool), format func() *json.RawMessage) error {
	const p = "output_config"
	return members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		switch k {
		case "effort":
			var err error
			r.effort, err = getString(fv, at(p, k))
			if _, ok := known(r.effort); err == nil && !ok {
				err = invalid(at(p, k), "unknown effort "+r.effort)
			}
			return err
		case "format":
			schema := format()
			var typ string
			err := members(fv, at(p, k), func(fk string, sv []byte) error {
				var err error
				switch fk {
				case "type":
					typ, err = getString(sv, at(p, "format.type"))
				case "schema":
					*schema, err = rawObject(sv, at(p, "format.schema"))
				default:
					err = unsupported(at(p, "format."+fk), "")
				}
				return err
			})
			if err == nil && (typ != "json_schema" || *schema == nil) {
				err = invalid(at(p, k), "expected a json_schema format with a schema")
			}
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
	if c.toolChoice == nil {
		return nil
	}
	typ, name, noParallel, err := readAnToolChoice(c.toolChoice)
	if err != nil {
		return err
	}
	switch typ {
	case "auto", "none":
		c.out.ToolChoice = typ
	case "any":
		c.out.ToolChoice = "required"
	case "tool":
		nc := oaNamedChoice{Type: "function"}
		nc.Function.Name = name
		c.out.ToolChoice = nc
	}
	if noParallel && typ != "none" {
		c.out.ParallelToolCalls = ptr(false)
	}
	return nil
}

// readAnToolChoice reads tool_choice: typ is auto, none, any or tool (with
// the tool's name).
func readAnToolChoice(v []byte) (typ, name string, noParallel bool, err error) {
	const p = "tool_choice"
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
			typ, err = getString(fv, at(p, k))
		case "name":
			name, err = getString(fv, at(p, k))
		case "disable_parallel_tool_use":
			if !isNull(fv) {
				noParallel, err = getBool(fv, at(p, k))
			}
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	switch {
	case err != nil:
	case typ == "tool" && name == "":
		err = invalid(at(p, "name"), "required")
	case typ != "auto" && typ != "none" && typ != "any" && typ != "tool":
		err = invalid(at(p, "type"), "unknown type "+typ)
	}
	return typ, name, noParallel, err
}
