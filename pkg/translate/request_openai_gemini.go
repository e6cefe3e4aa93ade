package translate

import (
	"bytes"
	"encoding/json"
	"strings"
)

// OpenAIChatToGemini translates an OpenAI Chat Completions request body into
// a Gemini generateContent request body (without model and stream flag,
// which go in the URL). Every field is translated or refused with an
// *UnsupportedError naming it; a malformed request gives a *FieldError. See
// doc.go for the mapping.
func OpenAIChatToGemini(body []byte, opts Options) ([]byte, error) {
	if !json.Valid(body) {
		return nil, invalid("", "body is not valid JSON")
	}
	c := oaToGm{callNames: map[string]string{}}
	if err := members(body, "", c.field); err != nil {
		return nil, err
	}
	if err := c.finish(opts); err != nil {
		return nil, err
	}
	return marshal(&c.out)
}

type oaToGm struct {
	out           gmRequest
	gen           gmGenConfig
	hasMessages   bool
	maxTokens     int64
	maxCompletion int64
	effort        string
	parallel      bool
	toolChoice    []byte
	strict        bool
	afterSystem   bool
	callNames     map[string]string // tool call id -> function name
}

func (c *oaToGm) field(k string, v []byte) error {
	if isNull(v) && k != "messages" {
		return nil
	}
	var err error
	switch k {
	case "model":
		_, err = getString(v, k) // the model goes in the URL
	case "messages":
		if c.hasMessages {
			return invalid(k, "given twice")
		}
		c.hasMessages = true
		err = elements(v, k, func(i int, mv []byte) error { return c.message(mv, idx(k, i)) })
	case "max_tokens":
		c.maxTokens, err = positive(v, k)
	case "max_completion_tokens":
		c.maxCompletion, err = positive(v, k)
	case "temperature":
		c.gen.Temperature, _, err = rawNumber(v, k)
	case "top_p":
		c.gen.TopP, _, err = rawNumber(v, k)
	case "top_k": // not OpenAI's, but OpenAI-compatible servers accept it
		if _, err = getInt(v, k); err == nil {
			c.gen.TopK, _, err = rawNumber(v, k)
		}
	case "seed":
		if _, err = getInt(v, k); err == nil {
			c.gen.Seed, _, err = rawNumber(v, k)
		}
	case "frequency_penalty":
		c.gen.FrequencyPenalty, err = nonZero(v, k)
	case "presence_penalty":
		c.gen.PresencePenalty, err = nonZero(v, k)
	case "stop":
		c.gen.StopSequences, err = stringOrList(v, k)
	case "stream":
		_, err = getBool(v, k) // the method in the URL says it
	case "stream_options":
		err = members(v, k, func(sk string, sv []byte) error {
			switch sk {
			case "include_usage", "include_obfuscation":
				// Gemini streams always carry usage, and have no padding.
				_, err := getBool(sv, at(k, sk))
				return err
			}
			return unsupported(at(k, sk), "unknown field")
		})
	case "n":
		var n int64
		if n, err = getInt(v, k); err == nil && n != 1 {
			err = unsupported(k, "one candidate is translated")
		}
	case "logprobs":
		var b bool
		if b, err = getBool(v, k); err == nil && b {
			err = unsupported(k, "log probabilities are not translated")
		}
	case "top_logprobs":
		var n int64
		if n, err = getInt(v, k); err == nil && n != 0 {
			err = unsupported(k, "log probabilities are not translated")
		}
	case "response_format":
		err = c.responseFormat(v)
	case "tools":
		if c.out.Tools != nil {
			return invalid(k, "given twice")
		}
		err = c.tools(v)
	case "tool_choice":
		c.toolChoice = v
	case "parallel_tool_calls":
		var b bool
		if b, err = getBool(v, k); err == nil {
			c.parallel = !b
		}
	case "user", "safety_identifier", "prompt_cache_key":
		// Identifiers only: Gemini takes no end-user id, and caches
		// prompt prefixes by itself.
		_, err = getString(v, k)
	case "reasoning_effort":
		c.effort, err = getString(v, k)
		if _, ok := effortBudget(c.effort); err == nil && !ok && c.effort != "none" {
			err = invalid(k, "unknown effort "+c.effort)
		}
	case "service_tier":
		var tier string
		if tier, err = getString(v, k); err == nil && tier != "auto" && tier != "default" {
			err = unsupported(k, "Gemini serves the standard tier")
		}
	case "logit_bias", "metadata":
		err = emptyObject(v, k)
	case "store":
		var b bool
		if b, err = getBool(v, k); err == nil && b {
			err = unsupported(k, "Gemini does not store completions")
		}
	case "modalities":
		err = elements(v, k, func(i int, ev []byte) error {
			if m, err := getString(ev, idx(k, i)); err != nil || m != "text" {
				return unsupported(idx(k, i), "the translation answers in text only")
			}
			return nil
		})
	case "audio", "prediction", "web_search_options", "verbosity", "functions", "function_call":
		err = unsupported(k, "")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

func (c *oaToGm) responseFormat(v []byte) error {
	const p = "response_format"
	var typ string
	var schema []byte
	err := members(v, p, func(k string, sv []byte) error {
		var err error
		switch k {
		case "type":
			typ, err = getString(sv, at(p, k))
		case "json_schema":
			schema = sv
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err != nil {
		return err
	}
	switch typ {
	case "text":
		return nil
	case "json_object":
		c.gen.ResponseMimeType = "application/json"
		return nil
	case "json_schema":
	default:
		return invalid(at(p, "type"), "unknown type "+typ)
	}
	if schema == nil {
		return invalid(at(p, "json_schema"), "required")
	}
	err = members(schema, at(p, "json_schema"), func(k string, sv []byte) error {
		path := at(p, "json_schema."+k)
		var err error
		switch k {
		case "name": // an identifier only
			_, err = getString(sv, path)
		case "strict": // Gemini always decodes against a response schema
			if !isNull(sv) {
				_, err = getBool(sv, path)
			}
		case "schema":
			c.gen.ResponseJSONSchema, err = rawObject(sv, path)
		case "description":
			_, err = getString(sv, path)
			if err == nil {
				err = unsupported(path, "Gemini response schemas have no description")
			}
		default:
			err = unsupported(path, "")
		}
		return err
	})
	if err != nil {
		return err
	}
	if c.gen.ResponseJSONSchema == nil {
		return invalid(at(p, "json_schema.schema"), "required")
	}
	c.gen.ResponseMimeType = "application/json"
	return nil
}

func (c *oaToGm) tools(v []byte) error {
	decls := []gmFunctionDecl{}
	err := elements(v, "tools", func(i int, tv []byte) error {
		p := idx("tools", i)
		typ, err := blockType(tv, p)
		if err == nil && typ != "function" {
			err = unsupported(at(p, "type"), "only function tools translate")
		}
		if err != nil {
			return err
		}
		var d gmFunctionDecl
		var fn []byte
		err = members(tv, p, func(k string, fv []byte) error {
			switch k {
			case "type":
			case "function":
				fn = fv
			case "cache_control": // Gemini caches prompt prefixes by itself
				_, err := rawObject(fv, at(p, k))
				return err
			default:
				return unsupported(at(p, k), "unknown field")
			}
			return nil
		})
		if err != nil {
			return err
		}
		if fn == nil {
			return invalid(at(p, "function"), "required")
		}
		fp := at(p, "function")
		err = members(fn, fp, func(k string, fv []byte) error {
			if isNull(fv) {
				return nil
			}
			var err error
			switch k {
			case "name":
				d.Name, err = getString(fv, at(fp, k))
			case "description":
				d.Description, err = getString(fv, at(fp, k))
			case "parameters":
				d.ParametersJSONSchema, err = rawObject(fv, at(fp, k))
			case "strict":
				var b bool
				b, err = getBool(fv, at(fp, k))
				c.strict = c.strict || b
			default:
				err = unsupported(at(fp, k), "unknown field")
			}
			return err
		})
		if err == nil && d.Name == "" {
			err = invalid(at(fp, "name"), "required")
		}
		decls = append(decls, d)
		return err
	})
	if len(decls) > 0 {
		c.out.Tools = []gmTool{{FunctionDeclarations: decls}}
	} else {
		c.out.Tools = []gmTool{}
	}
	return err
}

// toolConfig maps tool_choice to functionCallingConfig. Strict functions
// ask for VALIDATED (calls decoded against their schema) where the model
// may choose; ANY already constrains calls.
func (c *oaToGm) toolConfig() error {
	const p = "tool_choice"
	cfg := gmCallingCfg{}
	switch v := c.toolChoice; {
	case v == nil:
	case kind(v) == '"':
		s, err := getString(v, p)
		if err != nil {
			return err
		}
		switch s {
		case "auto":
			cfg.Mode = "AUTO"
		case "none":
			cfg.Mode = "NONE"
		case "required":
			cfg.Mode = "ANY"
		default:
			return invalid(p, "unknown choice "+s)
		}
	default:
		typ, err := blockType(v, p)
		if err != nil {
			return err
		}
		switch typ {
		case "function":
			name, err := namedFunction(v, p)
			if err != nil {
				return err
			}
			cfg = gmCallingCfg{Mode: "ANY", AllowedFunctionNames: []string{name}}
		case "allowed_tools":
			if cfg, err = allowedTools(v, p); err != nil {
				return err
			}
		default:
			return unsupported(at(p, "type"), "only named functions and allowed_tools translate")
		}
	}
	if c.parallel && len(c.out.Tools) > 0 && cfg.Mode != "NONE" {
		return unsupported("parallel_tool_calls", "Gemini cannot turn parallel function calls off")
	}
	if c.strict && (cfg.Mode == "" || cfg.Mode == "AUTO") {
		cfg.Mode = "VALIDATED"
	}
	if cfg.Mode != "" {
		c.out.ToolConfig = &gmToolCfg{FunctionCallingConfig: cfg}
	}
	return nil
}

// namedFunction reads {"type":"function","function":{"name":...}}.
func namedFunction(v []byte, p string) (string, error) {
	var name string
	err := members(v, p, func(k string, fv []byte) error {
		switch k {
		case "type":
			return nil
		case "function":
			return members(fv, at(p, k), func(fk string, nv []byte) error {
				if fk != "name" {
					return unsupported(at(p, "function."+fk), "")
				}
				var err error
				name, err = getString(nv, at(p, "function.name"))
				return err
			})
		}
		return unsupported(at(p, k), "")
	})
	if err == nil && name == "" {
		err = invalid(at(p, "function.name"), "required")
	}
	return name, err
}

func allowedTools(v []byte, p string) (gmCallingCfg, error) {
	cfg := gmCallingCfg{Mode: "ANY"}
	var mode string
	err := members(v, p, func(k string, fv []byte) error {
		switch k {
		case "type":
			return nil
		case "allowed_tools":
			ap := at(p, k)
			return members(fv, ap, func(ak string, av []byte) error {
				var err error
				switch ak {
				case "mode":
					mode, err = getString(av, at(ap, ak))
				case "tools":
					err = elements(av, at(ap, ak), func(i int, tv []byte) error {
						tp := idx(at(ap, ak), i)
						typ, err := blockType(tv, tp)
						if err == nil && typ != "function" {
							err = unsupported(at(tp, "type"), "only functions translate")
						}
						if err != nil {
							return err
						}
						name, err := namedFunction(tv, tp)
						cfg.AllowedFunctionNames = append(cfg.AllowedFunctionNames, name)
						return err
					})
				default:
					err = unsupported(at(ap, ak), "")
				}
				return err
			})
		}
		return unsupported(at(p, k), "")
	})
	switch {
	case err != nil:
	case mode == "auto":
		err = unsupported(at(p, "allowed_tools.mode"), "Gemini restricts functions only when a call is required")
	case mode != "required":
		err = invalid(at(p, "allowed_tools.mode"), "must be auto or required")
	case len(cfg.AllowedFunctionNames) == 0:
		err = invalid(at(p, "allowed_tools.tools"), "required")
	}
	return cfg, err
}

func (c *oaToGm) finish(opts Options) error {
	if !c.hasMessages {
		return invalid("messages", "required")
	}
	if c.out.Contents == nil {
		c.out.Contents = []gmContent{} // only system messages: let Gemini say what it thinks
	}
	switch {
	case c.maxCompletion > 0:
		c.gen.MaxOutputTokens = c.maxCompletion
	case c.maxTokens > 0:
		c.gen.MaxOutputTokens = c.maxTokens
	}
	if err := c.toolConfig(); err != nil {
		return err
	}
	if len(c.out.Tools) == 0 {
		c.out.Tools = nil
	}
	c.gen.ThinkingConfig = geminiThinking(c.effort, opts.AdaptiveThinking)
	if !isZeroGen(&c.gen) {
		c.out.GenerationConfig = &c.gen
	}
	return nil
}

func isZeroGen(g *gmGenConfig) bool {
	b, _ := json.Marshal(g)
	return bytes.Equal(b, []byte("{}"))
}

// appendContent adds parts as a turn of role, joining a turn of the same
// role before it: OpenAI's tool messages and the user message after them
// are one Gemini user turn.
func appendContent(out []gmContent, role string, parts []gmPart) []gmContent {
	if len(parts) == 0 {
		return out
	}
	if n := len(out); n > 0 && out[n-1].Role == role {
		out[n-1].Parts = append(out[n-1].Parts, parts...)
		return out
	}
	return append(out, gmContent{Role: role, Parts: parts})
}

// oaGmMsg holds one OpenAI message's members before its role decides what
// they become.
type oaGmMsg struct {
	role           string
	content        []byte
	toolCalls      []byte
	toolCallID     string
	refusal        string
	reasoning      string
	thinkingBlocks []byte
	sig            string
}

func (c *oaToGm) message(v []byte, p string) error {
	role, err := memberString(v, p, "role")
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
	m := oaGmMsg{role: role}
	err = members(v, p, func(k string, fv []byte) error {
		if isNull(fv) {
			return nil
		}
		kp := at(p, k)
		var err error
		switch k {
		case "role":
		case "content":
			m.content = fv
		case "tool_calls":
			m.toolCalls = fv
		case "tool_call_id":
			m.toolCallID, err = getString(fv, kp)
		case "refusal":
			m.refusal, err = getString(fv, kp)
		case "reasoning_content", "reasoning":
			m.reasoning, err = getString(fv, kp)
		case "thinking_blocks":
			m.thinkingBlocks = fv
		case "extra_content":
			m.sig, err = signatureOf(fv, kp)
		case "cache_control": // Gemini caches prompt prefixes by itself
			_, err = rawObject(fv, kp)
		case "annotations":
			err = elements(fv, kp, func(i int, _ []byte) error {
				return unsupported(idx(kp, i), "Gemini takes no citations in history")
			})
		case "name":
			// A tool message's name repeats the called function's, which
			// the call already carries; other roles' names would be lost.
			if m.role == "tool" {
				_, err = getString(fv, kp)
			} else {
				err = unsupported(kp, "Gemini turns have no participant names")
			}
		case "audio", "function_call":
			err = unsupported(kp, "")
		default:
			err = unsupported(kp, "unknown field")
		}
		return err
	})
	if err != nil {
		return err
	}
	if m.role != "assistant" && (m.toolCalls != nil || m.refusal != "" || m.reasoning != "" || m.thinkingBlocks != nil || m.sig != "") {
		return invalid(p, "tool_calls, refusal, reasoning and extra_content belong to assistant messages")
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
			return unsupported(at(p, "role"), "Gemini takes system instructions only before the conversation")
		}
		parts, err := c.parts(m.content, at(p, "content"), textOnly)
		if err != nil {
			return err
		}
		if c.out.SystemInstruction == nil {
			c.out.SystemInstruction = &gmContent{}
		}
		c.out.SystemInstruction.Parts = append(c.out.SystemInstruction.Parts, parts...)
		return nil
	case "user":
		c.afterSystem = true
		parts, err := c.parts(m.content, at(p, "content"), userParts)
		c.out.Contents = appendContent(c.out.Contents, "user", parts)
		return err
	case "assistant":
		c.afterSystem = true
		return c.assistant(&m, p)
	}
	c.afterSystem = true
	return c.toolMessage(&m, p)
}

// signatureOf reads extra_content {"google":{"thought_signature":"..."}}.
func signatureOf(v []byte, p string) (string, error) {
	var sig string
	err := members(v, p, func(k string, gv []byte) error {
		if k != "google" {
			return unsupported(at(p, k), "only Google's extra_content translates")
		}
		return members(gv, at(p, k), func(sk string, sv []byte) error {
			if sk != "thought_signature" {
				return unsupported(at(p, k+"."+sk), "")
			}
			var err error
			sig, err = getString(sv, at(p, k+"."+sk))
			return err
		})
	})
	return sig, err
}

// parts turns a string or an array of content parts into Gemini parts.
func (c *oaToGm) parts(v []byte, p string, set partSet) ([]gmPart, error) {
	if v == nil {
		return nil, nil
	}
	if kind(v) == '"' {
		s, err := getString(v, p)
		if err != nil || s == "" {
			return nil, err
		}
		return []gmPart{{Text: &s}}, nil
	}
	var out []gmPart
	err := elements(v, p, func(i int, pv []byte) error {
		part, err := c.part(pv, idx(p, i), set)
		if err == nil && (part.Text == nil || *part.Text != "") {
			out = append(out, part)
		}
		return err
	})
	return out, err
}

func (c *oaToGm) part(v []byte, p string, set partSet) (gmPart, error) {
	var part gmPart
	typ, err := blockType(v, p)
	switch {
	case err != nil:
		return part, err
	case typ == "":
		return part, invalid(at(p, "type"), "required")
	case typ != "text" && !(typ == "refusal" && set == assistantParts) &&
		!((typ == "image_url" || typ == "file" || typ == "input_audio") && set == userParts):
		return part, unsupported(at(p, "type"), "content part "+typ)
	}
	var body []byte
	var hasText bool
	err = members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "type":
		case "text", "refusal", "image_url", "file", "input_audio":
			if k != typ {
				return unsupported(at(p, k), "not part of a "+typ+" part")
			}
			if k == "text" || k == "refusal" {
				var s string
				s, err = getString(fv, at(p, k))
				part.Text, hasText = &s, true
			}
			body = fv
		case "cache_control": // Gemini caches prompt prefixes by itself
			_, err = rawObject(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "unknown field")
		}
		return err
	})
	if err != nil {
		return part, err
	}
	switch typ {
	case "image_url":
		return gmImage(body, at(p, typ))
	case "file":
		return gmFile(body, at(p, typ))
	case "input_audio":
		return gmAudio(body, at(p, typ))
	}
	if !hasText {
		return part, invalid(at(p, typ), "required")
	}
	return part, nil
}

func gmImage(v []byte, p string) (gmPart, error) {
	if v == nil {
		return gmPart{}, invalid(p, "required")
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
			// Gemini reads images at full resolution by default: auto and
			// high mean that, low cannot be asked per image.
			if err == nil && d == "low" {
				err = unsupported(at(p, k), "Gemini has no low-detail image mode")
			}
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	switch {
	case err != nil:
		return gmPart{}, err
	case strings.HasPrefix(url, "data:"):
		media, data, ok := parseDataURL(url)
		if !ok {
			return gmPart{}, unsupported(at(p, "url"), "only base64 data URLs translate")
		}
		return gmPart{InlineData: &gmBlob{MimeType: media, Data: data}}, nil
	case strings.HasPrefix(url, "https://"), strings.HasPrefix(url, "http://"):
		return gmPart{}, unsupported(at(p, "url"), "Gemini takes images inline, not by web address")
	}
	return gmPart{}, invalid(at(p, "url"), "must be an http(s) or data URL")
}

func gmFile(v []byte, p string) (gmPart, error) {
	if v == nil {
		return gmPart{}, invalid(p, "required")
	}
	var data string
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "file_data":
			data, err = getString(fv, at(p, k))
		case "filename": // Gemini parts have no name; the model reads the content
			_, err = getString(fv, at(p, k))
		case "file_id":
			err = unsupported(at(p, k), "uploaded files live at OpenAI")
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	if err != nil {
		return gmPart{}, err
	}
	media, payload, ok := parseDataURL(data)
	if !ok {
		return gmPart{}, unsupported(at(p, "file_data"), "only base64 data URLs translate")
	}
	return gmPart{InlineData: &gmBlob{MimeType: media, Data: payload}}, nil
}

func gmAudio(v []byte, p string) (gmPart, error) {
	if v == nil {
		return gmPart{}, invalid(p, "required")
	}
	var data, format string
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "data":
			data, err = getString(fv, at(p, k))
		case "format":
			format, err = getString(fv, at(p, k))
		default:
			err = unsupported(at(p, k), "")
		}
		return err
	})
	switch {
	case err != nil:
	case data == "":
		err = invalid(at(p, "data"), "required")
	case format != "wav" && format != "mp3":
		err = invalid(at(p, "format"), "must be wav or mp3")
	}
	return gmPart{InlineData: &gmBlob{MimeType: "audio/" + format, Data: data}}, err
}

// assistant writes a model turn (see assistantGmParts).
func (c *oaToGm) assistant(m *oaGmMsg, p string) error {
	thought := m.reasoning
	if m.thinkingBlocks != nil {
		// Anthropic's signed blocks: Gemini reads the text; only Anthropic
		// can check the signatures. reasoning_content repeats the text.
		var err error
		if thought, err = thinkingText(m.thinkingBlocks, at(p, "thinking_blocks")); err != nil {
			return err
		}
	}
	content, err := c.parts(m.content, at(p, "content"), assistantParts)
	if err != nil {
		return err
	}
	texts := make([]string, 0, len(content)+1)
	for _, part := range content {
		texts = append(texts, *part.Text)
	}
	texts = append(texts, m.refusal)
	var calls []gmPart
	if m.toolCalls != nil {
		err := elements(m.toolCalls, at(p, "tool_calls"), func(i int, v []byte) error {
			part, err := c.toolCall(v, idx(at(p, "tool_calls"), i))
			calls = append(calls, part)
			return err
		})
		if err != nil {
			return err
		}
	}
	c.out.Contents = appendContent(c.out.Contents, "model", assistantGmParts(thought, texts, m.sig, calls))
	return nil
}

// thinkingText joins the text of Anthropic thinking blocks (see
// thinkingBlocks for their shape).
func thinkingText(v []byte, p string) (string, error) {
	blocks, err := thinkingBlocks(v, p)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, tb := range blocks {
		if tb.Type == "redacted_thinking" {
			return "", unsupported(idx(p, i), "encrypted thinking is readable only by Anthropic")
		}
		b.WriteString(*tb.Thinking)
	}
	return b.String(), nil
}

func (c *oaToGm) toolCall(v []byte, p string) (gmPart, error) {
	call := &gmFunctionCall{}
	part := gmPart{FunctionCall: call}
	var typ string
	var args []byte
	err := members(v, p, func(k string, fv []byte) error {
		var err error
		switch k {
		case "id":
			call.ID, err = getString(fv, at(p, k))
		case "type":
			typ, err = getString(fv, at(p, k))
		case "index": // present when a client echoes streamed calls
			_, err = getInt(fv, at(p, k))
		case "extra_content":
			part.ThoughtSignature, err = signatureOf(fv, at(p, k))
		case "function":
			err = members(fv, at(p, k), func(fk string, av []byte) error {
				fp := at(p, "function."+fk)
				var err error
				switch fk {
				case "name":
					call.Name, err = getString(av, fp)
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
		return part, err
	}
	if typ != "" && typ != "function" {
		return part, unsupported(at(p, "type"), "only function calls translate")
	}
	if call.ID == "" || call.Name == "" {
		return part, invalid(p, "id and function.name are required")
	}
	args = bytes.TrimSpace(args)
	switch {
	case len(args) == 0:
		call.Args = json.RawMessage(`{}`)
	case kind(args) == '{' && json.Valid(args):
		call.Args = args
	default:
		return part, invalid(at(p, "function.arguments"), "must be a JSON object")
	}
	c.callNames[call.ID] = call.Name
	return part, nil
}

// toolMessage becomes a functionResponse in a user turn. Gemini names the
// function, so the call must come before it.
func (c *oaToGm) toolMessage(m *oaGmMsg, p string) error {
	if m.toolCallID == "" {
		return invalid(at(p, "tool_call_id"), "required")
	}
	name, ok := c.callNames[m.toolCallID]
	if !ok {
		return invalid(at(p, "tool_call_id"), "no assistant tool call with this id before it")
	}
	var text string
	if kind(m.content) == '"' {
		var err error
		if text, err = getString(m.content, at(p, "content")); err != nil {
			return err
		}
	} else {
		parts, err := c.parts(m.content, at(p, "content"), textOnly)
		if err != nil {
			return err
		}
		for _, part := range parts {
			text += *part.Text
		}
	}
	resp := &gmFunctionResp{ID: m.toolCallID, Name: name, Response: responseObject(text, false)}
	c.out.Contents = appendContent(c.out.Contents, "user", []gmPart{{FunctionResponse: resp}})
	return nil
}

// responseObject makes a functionResponse.response from a tool's text: a
// JSON object is the tool's structured output as it is; other text goes
// under "output" ("error" for a failed call), as Gemini documents.
func responseObject(text string, isError bool) json.RawMessage {
	t := bytes.TrimSpace([]byte(text))
	if !isError && kind(t) == '{' && json.Valid(t) {
		return t
	}
	key := "output"
	if isError {
		key = "error"
	}
	b, _ := marshal(map[string]string{key: text})
	return b
}
