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
		err = readOAMessages(v, oaMsgRules{
			lateSystem: "Gemini takes system instructions only before the conversation",
			citations:  "Gemini takes no citations in history",
			names:      "Gemini turns have no participant names",
			signatures: true,
		}, c)
	case "max_tokens":
		c.maxTokens, err = positive(v, k)
	case "max_completion_tokens":
		c.maxCompletion, err = positive(v, k)
	case "temperature":
		c.gen.Temperature, _, err = rawNumber(v, k)
	case "top_p":
		c.gen.TopP, _, err = rawNumber(v, k)
	case "top_k": // not OpenAI's, but OpenAI-compatible servers accept it
		c.gen.TopK, err = rawInt(v, k)
	case "seed":
		c.gen.Seed, err = rawInt(v, k)
	case "frequency_penalty":
		c.gen.FrequencyPenalty, err = nonZero(v, k)
	case "presence_penalty":
		c.gen.PresencePenalty, err = nonZero(v, k)
	case "stop":
		c.gen.StopSequences, err = stringOrList(v, k)
	case "stream":
		_, err = getBool(v, k) // the method in the URL says it
	case "stream_options":
		err = streamOptions(v)
	case "n":
		err = onlyInt(v, k, 1, "one candidate is translated")
	case "logprobs":
		err = notTrue(v, k, "log probabilities are not translated")
	case "top_logprobs":
		err = onlyInt(v, k, 0, "log probabilities are not translated")
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
		c.effort, err = oaEffort(v)
	case "service_tier":
		var tier string
		if tier, err = getString(v, k); err == nil && tier != "auto" && tier != "default" {
			err = unsupported(k, "Gemini serves the standard tier")
		}
	case "logit_bias", "metadata":
		err = emptyObject(v, k)
	case "store":
		err = notTrue(v, k, "Gemini does not store completions")
	case "modalities":
		err = textModalities(v, k, false, "the translation answers in text only")
	case "audio", "prediction", "web_search_options", "verbosity", "functions", "function_call":
		err = unsupported(k, "")
	default:
		err = unsupported(k, "unknown field")
	}
	return err
}

func (c *oaToGm) responseFormat(v []byte) error {
	typ, err := readOAResponseFormat(v, "Gemini response schemas have no description", func() *json.RawMessage {
		return &c.gen.ResponseJSONSchema
	})
	if err == nil && typ != "text" {
		c.gen.ResponseMimeType = "application/json"
	}
	return err
}

func (c *oaToGm) tools(v []byte) error {
	decls := []gmFunctionDecl{}
	// cache_control is dropped: Gemini caches prompt prefixes by itself.
	err := readOATools(v, true, func(d *oaFuncDecl) {
		c.strict = c.strict || d.anyStrict
		decls = append(decls, gmFunctionDecl{Name: d.name, Description: d.description, ParametersJSONSchema: d.params})
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
		s, err := oaChoiceMode(v, p)
		if err != nil {
			return err
		}
		switch s {
		case "auto":
			cfg.Mode = "AUTO"
		case "none":
			cfg.Mode = "NONE"
		default: // required
			cfg.Mode = "ANY"
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
						name, err := functionOnly(tv, idx(at(ap, ak), i), "only functions translate")
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

func (c *oaToGm) systemMsg(m *oaMsg, p string) error {
	parts, err := c.parts(m.content, at(p, "content"), textOnly)
	if err != nil {
		return err
	}
	if c.out.SystemInstruction == nil {
		c.out.SystemInstruction = &gmContent{}
	}
	c.out.SystemInstruction.Parts = append(c.out.SystemInstruction.Parts, parts...)
	return nil
}

func (c *oaToGm) userMsg(m *oaMsg, p string) error {
	parts, err := c.parts(m.content, at(p, "content"), userParts)
	c.out.Contents = appendContent(c.out.Contents, "user", parts)
	return err
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
	var out []gmPart
	err := readOAContent(v, p, set, true, func(in *oaPartIn, pp string) error {
		part, err := gmContentPart(in, pp)
		if err == nil && (part.Text == nil || *part.Text != "") {
			out = append(out, part)
		}
		return err
	})
	return out, err
}

func gmContentPart(in *oaPartIn, p string) (gmPart, error) {
	switch in.typ {
	case "image_url":
		return gmImage(in.body, at(p, in.typ))
	case "file":
		return gmFile(in.body, at(p, in.typ))
	case "input_audio":
		return gmAudio(in.body, at(p, in.typ))
	}
	return gmPart{Text: &in.text}, nil
}

func gmImage(v []byte, p string) (gmPart, error) {
	url, err := readImageURL(v, p, "Gemini")
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

// gmFile takes the file inline; Gemini parts have no name, the model reads
// the content.
func gmFile(v []byte, p string) (gmPart, error) {
	data, _, err := readFilePart(v, p)
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

// assistantMsg writes a model turn (see assistantGmParts).
func (c *oaToGm) assistantMsg(m *oaMsg, p string) error {
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
	call, err := readOAToolCall(v, p)
	if err != nil {
		return gmPart{}, err
	}
	c.callNames[call.id] = call.name
	return gmPart{FunctionCall: &gmFunctionCall{ID: call.id, Name: call.name, Args: call.args}, ThoughtSignature: call.sig}, nil
}

// toolMsg becomes a functionResponse in a user turn. Gemini names the
// function, so the call must come before it.
func (c *oaToGm) toolMsg(m *oaMsg, p string) error {
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
