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
	anReasoning
	out         gmRequest
	gen         gmGenConfig
	hasMessages bool
	hasSystem   bool
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
		c.gen.TopK, err = rawInt(v, k)
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
		err = c.readThinking(v)
	case "output_config":
		err = c.readOutputConfig(v, effortToGeminiLevel, func() *json.RawMessage {
			c.gen.ResponseMimeType = "application/json"
			return &c.gen.ResponseJSONSchema
		})
	case "metadata":
		var user string // an identifier only; Gemini takes no end-user id
		err = readAnMetadata(v, &user)
	case "service_tier":
		_, err = readAnServiceTier(v)
	case "container", "mcp_servers", "context_management":
		err = unsupported(k, "Anthropic-hosted feature")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

func (c *anToGm) system(v []byte) error {
	texts, err := anSystemParts(v)
	if err != nil {
		return err
	}
	var parts []gmPart
	for _, t := range texts {
		if *t.Text != "" {
			parts = append(parts, gmPart{Text: t.Text})
		}
	}
	if len(parts) > 0 {
		c.out.SystemInstruction = &gmContent{Parts: parts}
	}
	return nil
}

func (c *anToGm) tool(v []byte, p string) (gmFunctionDecl, error) {
	d, err := readAnTool(v, p)
	c.strict = c.strict || d.anyStrict
	return gmFunctionDecl{Name: d.name, Description: d.description, ParametersJSONSchema: d.schema}, err
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
	typ, name, noParallel, err := readAnToolChoice(c.toolChoice)
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
		cfg = gmCallingCfg{Mode: "ANY", AllowedFunctionNames: []string{name}}
	}
	if noParallel && typ != "none" {
		return unsupported(at(p, "disable_parallel_tool_use"), "Gemini cannot turn parallel function calls off")
	}
	c.out.ToolConfig = &gmToolCfg{FunctionCallingConfig: cfg}
	return nil
}

func (c *anToGm) message(v []byte, p string) error {
	role, content, err := readAnMessage(v, p)
	if err != nil {
		return err
	}
	var parts []gmPart
	gmRole := "user"
	if role == "user" {
		parts, err = c.user(content, at(p, "content"))
	} else {
		gmRole = "model"
		parts, err = c.assistant(content, at(p, "content"))
	}
	c.out.Contents = appendContent(c.out.Contents, gmRole, parts)
	return err
}

func (c *anToGm) user(v []byte, p string) ([]gmPart, error) {
	if kind(v) == '"' {
		return gmStringParts(v, p)
	}
	var parts []gmPart
	err := anBlocks(v, p, func(typ string, bv []byte, bp string) error {
		var err error
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

// gmStringParts is content given as a string: one text part, none when
// the string is empty.
func gmStringParts(v []byte, p string) ([]gmPart, error) {
	s, err := getString(v, p)
	if err != nil || s == "" {
		return nil, err
	}
	return []gmPart{{Text: &s}}, nil
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
	sp := at(p, "source")
	s, err := readAnSource(src, sp, map[string]string{
		"url":     "Gemini takes images inline, not by web address",
		"file_id": "uploaded files live at Anthropic",
	})
	switch {
	case err != nil:
		return gmPart{}, err
	case s.typ != "base64":
		return gmPart{}, unsupported(at(sp, "type"), "source "+s.typ)
	case s.media == "" || s.data == "":
		return gmPart{}, invalid(sp, "media_type and data are required")
	}
	return gmPart{InlineData: &gmBlob{MimeType: s.media, Data: s.data}}, nil
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
		return gmStringParts(v, p)
	}
	var a anToGmParts
	err := anBlocks(v, p, func(typ string, bv []byte, bp string) error {
		var err error
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
