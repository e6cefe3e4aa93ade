package translate

import (
	"encoding/json"
	"strings"
)

// AnthropicToGemini translates an Anthropic Messages request body into a
// Gemini generateContent request body (without model and stream flag, which
// go in the URL). Every field is translated or refused with an
// *UnsupportedError naming it; a malformed request gives a *FieldError. See
// doc.go for the mapping.
func AnthropicToGemini(body []byte, opts Options) ([]byte, error) {
	if !json.Valid(body) {
		return nil, invalid("", "body is not valid JSON")
	}
	c := anToGm{callNames: map[string]string{}}
	if err := members(body, "", c.field); err != nil {
		return nil, retarget(err)
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return marshal(&c.out)
}

type anToGm struct {
	out         gmRequest
	gen         gmGenConfig
	hasMessages bool
	hasSystem   bool
	thinking    string
	budget      int64
	effort      string
	toolChoice  []byte
	strict      bool
	callNames   map[string]string // tool_use id -> name
}

func (c *anToGm) field(k string, v []byte) error {
	if isNull(v) && k != "messages" && k != "max_tokens" {
		return nil
	}
	var err error
	switch k {
	case "model":
		_, err = getString(v, k) // the model goes in the URL
	case "max_tokens":
		c.gen.MaxOutputTokens, err = positive(v, k)
	case "messages":
		if c.hasMessages {
			return invalid(k, "given twice")
		}
		c.hasMessages = true
		err = elements(v, k, func(i int, mv []byte) error { return c.message(mv, idx(k, i)) })
	case "system":
		if c.hasSystem {
			return invalid(k, "given twice")
		}
		c.hasSystem = true
		err = c.system(v)
	case "stop_sequences":
		c.gen.StopSequences, err = stringOrList(v, k)
	case "stream":
		_, err = getBool(v, k) // the method in the URL says it
	case "temperature":
		c.gen.Temperature, _, err = rawNumber(v, k)
	case "top_p":
		c.gen.TopP, _, err = rawNumber(v, k)
	case "top_k":
		if _, err = getInt(v, k); err == nil {
			c.gen.TopK, _, err = rawNumber(v, k)
		}
	case "tools":
		if c.out.Tools != nil {
			return invalid(k, "given twice")
		}
		var decls []gmFunctionDecl
		err = elements(v, k, func(i int, tv []byte) error {
			d, err := c.tool(tv, idx(k, i))
			decls = append(decls, d)
			return err
		})
		c.out.Tools = []gmTool{}
		if len(decls) > 0 {
			c.out.Tools = []gmTool{{FunctionDeclarations: decls}}
		}
	case "tool_choice":
		c.toolChoice = v
	case "thinking":
		err = c.thinkingConfig(v)
	case "output_config":
		err = c.outputConfig(v)
	case "metadata":
		// user_id is an identifier only; Gemini takes no end-user id.
		err = members(v, k, func(mk string, mv []byte) error {
			if mk != "user_id" {
				return unsupported(at(k, mk), "unknown field")
			}
			if isNull(mv) {
				return nil
			}
			_, err := getString(mv, at(k, mk))
			return err
		})
	case "service_tier":
		var tier string
		if tier, err = getString(v, k); err == nil && tier != "auto" && tier != "standard_only" {
			err = invalid(k, "unknown tier "+tier)
		}
	case "container", "mcp_servers", "context_management":
		err = unsupported(k, "Anthropic-hosted feature")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

func (c *anToGm) system(v []byte) error {
	var parts []gmPart
	if kind(v) == '"' {
		s, err := getString(v, "system")
		if err != nil {
			return err
		}
		if s != "" {
			parts = append(parts, gmPart{Text: &s})
		}
	} else {
		err := elements(v, "system", func(i int, bv []byte) error {
			part, err := anTextBlock(bv, idx("system", i))
			if err == nil && *part.Text != "" {
				parts = append(parts, gmPart{Text: part.Text})
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if len(parts) > 0 {
		c.out.SystemInstruction = &gmContent{Parts: parts}
	}
	return nil
}

func (c *anToGm) tool(v []byte, p string) (gmFunctionDecl, error) {
	var d gmFunctionDecl
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
			d.Name, err = getString(fv, at(p, k))
		case "description":
			d.Description, err = getString(fv, at(p, k))
		case "input_schema":
			d.ParametersJSONSchema, err = rawObject(fv, at(p, k))
		case "strict":
			if !isNull(fv) {
				var b bool
				b, err = getBool(fv, at(p, k))
				c.strict = c.strict || b
			}
		case "cache_control": // Gemini caches prompt prefixes by itself
			_, err = rawObject(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err == nil && (d.Name == "" || d.ParametersJSONSchema == nil) {
		err = invalid(p, "name and input_schema are required")
	}
	return d, err
}

func (c *anToGm) thinkingConfig(v []byte) error {
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

func (c *anToGm) outputConfig(v []byte) error {
	const p = "output_config"
	return members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		switch k {
		case "effort":
			var err error
			c.effort, err = getString(fv, at(p, k))
			if _, ok := effortToGeminiLevel(c.effort); err == nil && !ok {
				err = invalid(at(p, k), "unknown effort "+c.effort)
			}
			return err
		case "format":
			var typ string
			err := members(fv, at(p, k), func(fk string, sv []byte) error {
				var err error
				switch fk {
				case "type":
					typ, err = getString(sv, at(p, "format.type"))
				case "schema":
					c.gen.ResponseJSONSchema, err = rawObject(sv, at(p, "format.schema"))
				default:
					err = unsupported(at(p, "format."+fk), "")
				}
				return err
			})
			if err == nil && (typ != "json_schema" || c.gen.ResponseJSONSchema == nil) {
				err = invalid(at(p, k), "expected a json_schema format with a schema")
			}
			c.gen.ResponseMimeType = "application/json"
			return err
		}
		return unsupported(at(p, k), "")
	})
}

func (c *anToGm) finish() error {
	if !c.hasMessages {
		return invalid("messages", "required")
	}
	if c.gen.MaxOutputTokens == 0 {
		return invalid("max_tokens", "required")
	}
	if c.out.Contents == nil {
		c.out.Contents = []gmContent{}
	}
	if err := c.toolConfig(); err != nil {
		return err
	}
	if len(c.out.Tools) == 0 {
		c.out.Tools = nil
	}
	// Thinking: a budget stays a budget, adaptive is Gemini's dynamic
	// thinking, an effort is a thinkingLevel; shown thinking is asked for
	// (includeThoughts) because Anthropic returns the thinking it does.
	tc := &gmThinkingConfig{}
	switch {
	case c.effort != "" && c.thinking == "enabled":
		return unsupported("output_config.effort", "Gemini takes a thinking budget or a level, not both")
	case c.effort != "":
		tc.ThinkingLevel, _ = effortToGeminiLevel(c.effort)
		tc.IncludeThoughts = c.thinking == "adaptive"
	case c.thinking == "enabled":
		tc.ThinkingBudget, tc.IncludeThoughts = ptr(c.budget), true
	case c.thinking == "adaptive":
		tc.ThinkingBudget, tc.IncludeThoughts = ptr(int64(-1)), true
	case c.thinking == "disabled":
		tc.ThinkingBudget = ptr(int64(0))
	default:
		tc = nil
	}
	if c.effort != "" && c.thinking == "disabled" {
		return unsupported("output_config.effort", "Gemini cannot set a thinking level with thinking off")
	}
	c.gen.ThinkingConfig = tc
	c.out.GenerationConfig = &c.gen
	return nil
}

func (c *anToGm) toolConfig() error {
	const p = "tool_choice"
	if c.toolChoice == nil {
		if c.strict {
			c.out.ToolConfig = &gmToolCfg{FunctionCallingConfig: gmCallingCfg{Mode: "VALIDATED"}}
		}
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
	cfg := gmCallingCfg{}
	switch typ {
	case "auto":
		cfg.Mode = "AUTO"
		if c.strict {
			cfg.Mode = "VALIDATED"
		}
	case "none":
		cfg.Mode = "NONE"
	case "any":
		cfg.Mode = "ANY"
	case "tool":
		if name == "" {
			return invalid(at(p, "name"), "required")
		}
		cfg = gmCallingCfg{Mode: "ANY", AllowedFunctionNames: []string{name}}
	default:
		return invalid(at(p, "type"), "unknown type "+typ)
	}
	if noParallel && typ != "none" {
		return unsupported(at(p, "disable_parallel_tool_use"), "Gemini cannot turn parallel function calls off")
	}
	c.out.ToolConfig = &gmToolCfg{FunctionCallingConfig: cfg}
	return nil
}

func (c *anToGm) message(v []byte, p string) error {
	var role string
	var content []byte
	err := members(v, p, func(k string, fv []byte) error {
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
	if err != nil {
		return err
	}
	if content == nil {
		return invalid(at(p, "content"), "required")
	}
	var parts []gmPart
	gmRole := "user"
	switch role {
	case "user":
		parts, err = c.user(content, at(p, "content"))
	case "assistant":
		gmRole = "model"
		parts, err = c.assistant(content, at(p, "content"))
	default:
		return invalid(at(p, "role"), "must be user or assistant")
	}
	c.out.Contents = appendContent(c.out.Contents, gmRole, parts)
	return err
}

func (c *anToGm) user(v []byte, p string) ([]gmPart, error) {
	if kind(v) == '"' {
		s, err := getString(v, p)
		if err != nil || s == "" {
			return nil, err
		}
		return []gmPart{{Text: &s}}, nil
	}
	var parts []gmPart
	err := elements(v, p, func(i int, bv []byte) error {
		bp := idx(p, i)
		typ, err := blockType(bv, bp)
		if err != nil {
			return err
		}
		var part oaPart
		switch typ {
		case "text":
			part, err = anTextBlock(bv, bp)
			if err == nil && *part.Text != "" {
				parts = append(parts, gmPart{Text: part.Text})
			}
			return err
		case "image":
			var gp gmPart
			gp, err = anImageToGemini(bv, bp)
			parts = append(parts, gp)
			return err
		case "document":
			// Anthropic shows a document's title to the model; Gemini
			// parts have none.
			if title, err := memberString(bv, bp, "title"); err != nil || title != "" {
				return unsupported(at(bp, "title"), "Gemini parts have no title")
			}
			// The document reader is OpenAI's; its parts say what Gemini gets.
			part, err = anDocument(bv, bp)
			if err != nil {
				return err
			}
			if part.Type == "text" {
				parts = append(parts, gmPart{Text: part.Text})
				return nil
			}
			media, data, _ := parseDataURL(part.File.FileData)
			parts = append(parts, gmPart{InlineData: &gmBlob{MimeType: media, Data: data}})
			return nil
		case "tool_result":
			var gp gmPart
			gp, err = c.toolResult(bv, bp)
			parts = append(parts, gp)
			return err
		}
		return unsupported(at(bp, "type"), "content block "+typ)
	})
	return parts, err
}

// retarget rewords refusals of the Anthropic block readers shared with
// AnthropicToOpenAIChat, which name OpenAI, for a Gemini upstream.
func retarget(err error) error {
	if ue, ok := err.(*UnsupportedError); ok {
		return &UnsupportedError{Field: ue.Field, Reason: strings.ReplaceAll(ue.Reason, "OpenAI", "Gemini")}
	}
	return err
}

func anImageToGemini(v []byte, p string) (gmPart, error) {
	var src []byte
	err := members(v, p, func(k string, fv []byte) error {
		switch k {
		case "type", "cache_control":
		case "source":
			src = fv
		default:
			return unsupported(at(p, k), "")
		}
		return nil
	})
	if err != nil {
		return gmPart{}, err
	}
	if src == nil {
		return gmPart{}, invalid(at(p, "source"), "required")
	}
	sp := at(p, "source")
	var typ, media, data string
	err = members(src, sp, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
			typ, err = getString(fv, at(sp, k))
		case "media_type":
			media, err = getString(fv, at(sp, k))
		case "data":
			data, err = getString(fv, at(sp, k))
		case "url":
			err = unsupported(at(sp, k), "Gemini takes images inline, not by web address")
		case "file_id":
			err = unsupported(at(sp, k), "uploaded files live at Anthropic")
		default:
			err = unsupported(at(sp, k), "")
		}
		return err
	})
	switch {
	case err != nil:
		return gmPart{}, err
	case typ != "base64":
		return gmPart{}, unsupported(at(sp, "type"), "source "+typ)
	case media == "" || data == "":
		return gmPart{}, invalid(sp, "media_type and data are required")
	}
	return gmPart{InlineData: &gmBlob{MimeType: media, Data: data}}, nil
}

// toolResult becomes a functionResponse: Gemini names the function, so the
// tool_use must come before it. Text that is a JSON object is the tool's
// structured output; is_error puts the text under "error".
func (c *anToGm) toolResult(v []byte, p string) (gmPart, error) {
	m, err := anToolResult(v, p)
	if err != nil {
		return gmPart{}, err
	}
	var isError bool
	_ = members(v, p, func(k string, fv []byte) error {
		if k == "is_error" && !isNull(fv) {
			isError, _ = getBool(fv, at(p, k))
		}
		return nil
	})
	name, ok := c.callNames[m.ToolCallID]
	if !ok {
		return gmPart{}, invalid(at(p, "tool_use_id"), "no tool_use with this id before it")
	}
	var text string
	switch content := m.Content.(type) {
	case string:
		text = content
	case []oaPart:
		for _, part := range content {
			text += *part.Text
		}
	}
	if isError {
		// anToolResult marks errors with a prefix for OpenAI; Gemini has a key.
		text = strings.TrimPrefix(strings.TrimPrefix(text, "Error:"), " ")
	}
	return gmPart{FunctionResponse: &gmFunctionResp{ID: m.ToolCallID, Name: name, Response: responseObject(text, isError)}}, nil
}

// assistant writes a model turn. Thinking blocks carry Gemini thought
// signatures the way GeminiResponseToAnthropic wrote them: a block with
// text is a thought part with its signature; a block with only a signature
// gives it to the part before it (Gemini signs text and calls too).
func (c *anToGm) assistant(v []byte, p string) ([]gmPart, error) {
	if kind(v) == '"' {
		s, err := getString(v, p)
		if err != nil || s == "" {
			return nil, err
		}
		return []gmPart{{Text: &s}}, nil
	}
	var a anToGmParts
	err := elements(v, p, func(i int, bv []byte) error {
		bp := idx(p, i)
		typ, err := blockType(bv, bp)
		if err != nil {
			return err
		}
		switch typ {
		case "text":
			var part oaPart
			if part, err = anTextBlock(bv, bp); err != nil {
				return err
			}
			if *part.Text != "" {
				a.parts = append(a.parts, gmPart{Text: part.Text})
			}
		case "tool_use":
			var tc oaToolCall
			if tc, err = anToolUse(bv, bp); err != nil {
				return err
			}
			c.callNames[tc.ID] = tc.Function.Name
			a.parts = append(a.parts, gmPart{FunctionCall: &gmFunctionCall{ID: tc.ID, Name: tc.Function.Name, Args: json.RawMessage(tc.Function.Arguments)}})
		case "thinking":
			text, sig, err := anThinkingBlock(bv, bp)
			if err != nil {
				return err
			}
			a.thinking(text, sig)
		case "redacted_thinking":
			return unsupported(at(bp, "type"), "encrypted thinking is readable only by Anthropic")
		default:
			return unsupported(at(bp, "type"), "content block "+typ)
		}
		return nil
	})
	return a.parts, err
}

func anThinkingBlock(v []byte, p string) (text, sig string, err error) {
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
		case "thinking":
			text, err = getString(fv, at(p, k))
		case "signature":
			sig, err = getString(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	return text, sig, err
}
