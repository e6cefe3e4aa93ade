package translate

import (
	"strings"
)

// GeminiToOpenAIChat translates a Gemini generateContent request body into
// an OpenAI Chat Completions request body. Gemini bodies name no model and
// no stream flag: opts.Model (required) and opts.Stream give them; a
// streamed request also asks for usage (stream_options.include_usage).
// Every field is translated or refused with an *UnsupportedError naming
// it; a malformed request gives a *FieldError. See doc.go for the mapping.
func GeminiToOpenAIChat(body []byte, opts Options) ([]byte, error) {
	g, err := readGemini(body, opts)
	if err != nil {
		return nil, err
	}
	out := oaRequest{Model: opts.Model, Stream: opts.Stream, Messages: []oaMessage{}}
	if opts.Stream {
		out.StreamOptions = &oaStreamOptions{IncludeUsage: true}
	}
	if len(g.system) > 0 {
		parts := make([]oaPart, len(g.system))
		for i := range g.system {
			parts[i] = oaPart{Type: "text", Text: &g.system[i].text}
		}
		out.Messages = append(out.Messages, oaMessage{Role: "system", Content: textContent(parts)})
	}
	for i := range g.contents {
		c := &g.contents[i]
		var err error
		if c.role == "model" {
			err = g.modelToOpenAI(&out, c)
		} else {
			err = g.userToOpenAI(&out, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := g.toolsToOpenAI(&out); err != nil {
		return nil, err
	}
	if err := g.genToOpenAI(&out, opts); err != nil {
		return nil, err
	}
	return marshal(&out)
}

// userToOpenAI writes function responses as tool messages first (OpenAI
// wants them right after the assistant's calls), then the rest of the turn
// as one user message.
func (g *gmIn) userToOpenAI(out *oaRequest, c *gmInContent) error {
	var parts []oaPart
	for i := range c.parts {
		part := &c.parts[i]
		if part.thought {
			return unsupported(at(part.path, "thought"), "thoughts belong to model turns")
		}
		switch part.kind {
		case 'r':
			text, isErr := responseText(part.args)
			if isErr {
				text, _ = compactObject(part.args) // OpenAI has no error flag: keep {"error":...}
			}
			out.Messages = append(out.Messages, oaMessage{Role: "tool", ToolCallID: part.id, Content: text})
			continue
		case 't':
			if part.text == "" {
				continue
			}
			parts = append(parts, oaPart{Type: "text", Text: &part.text})
			continue
		}
		op, err := mediaToOpenAI(part)
		if err != nil {
			return err
		}
		parts = append(parts, op)
	}
	if len(parts) > 0 {
		out.Messages = append(out.Messages, oaMessage{Role: "user", Content: textContent(parts)})
	}
	return nil
}

// mediaToOpenAI turns inlineData and fileData into a content part.
func mediaToOpenAI(part *gmInPart) (oaPart, error) {
	if part.kind == 'f' {
		if fetchable(part.data) && strings.HasPrefix(part.mime, "image/") {
			return oaPart{Type: "image_url", ImageURL: &oaImageURL{URL: part.data}}, nil
		}
		return oaPart{}, unsupported(at(part.path, part.key+".fileUri"), "OpenAI fetches only images from web addresses")
	}
	switch m := part.mime; {
	case strings.HasPrefix(m, "image/"):
		return oaPart{Type: "image_url", ImageURL: &oaImageURL{URL: "data:" + m + ";base64," + part.data}}, nil
	case m == "application/pdf":
		return oaPart{Type: "file", File: &oaFile{Filename: "document.pdf", FileData: "data:application/pdf;base64," + part.data}}, nil
	case m == "audio/wav" || m == "audio/x-wav":
		return oaPart{Type: "input_audio", InputAudio: &oaInputAudio{Data: part.data, Format: "wav"}}, nil
	case m == "audio/mp3" || m == "audio/mpeg":
		return oaPart{Type: "input_audio", InputAudio: &oaInputAudio{Data: part.data, Format: "mp3"}}, nil
	case m == "text/plain":
		text, err := decodeText(part)
		return oaPart{Type: "text", Text: &text}, err
	}
	return oaPart{}, unsupported(at(part.path, part.key+".mimeType"), "OpenAI takes images, PDF, WAV and MP3 audio and plain text, not "+part.mime)
}

// modelToOpenAI writes a model turn as an assistant message: thoughts as
// reasoning_content, text as content, calls as tool_calls. Signatures go
// where Google's OpenAI-compatible endpoint puts them: extra_content on the
// call, or on the message for text and thoughts (the last one).
func (g *gmIn) modelToOpenAI(out *oaRequest, c *gmInContent) error {
	m := oaMessage{Role: "assistant"}
	var text, thought strings.Builder
	var hasText bool
	var sig string
	for i := range c.parts {
		part := &c.parts[i]
		switch part.kind {
		case 't':
			if part.thought {
				thought.WriteString(part.text)
			} else {
				hasText = hasText || part.text != ""
				text.WriteString(part.text)
			}
			if part.sig != "" {
				sig = part.sig
			}
		case 'c':
			args, _ := compactObject(part.args)
			m.ToolCalls = append(m.ToolCalls, oaToolCall{ID: part.id, Type: "function",
				Function: oaFunctionCall{Name: part.name, Arguments: args}, ExtraContent: newExtraContent(part.sig)})
		default:
			return unsupported(at(part.path, part.key), "OpenAI assistant messages carry text and tool calls only")
		}
	}
	if hasText {
		m.Content = text.String()
	}
	m.ReasoningContent = thought.String()
	m.ExtraContent = newExtraContent(sig)
	if !hasText && m.ReasoningContent == "" && m.ToolCalls == nil && sig == "" {
		return nil // nothing said
	}
	out.Messages = append(out.Messages, m)
	return nil
}

func (g *gmIn) toolsToOpenAI(out *oaRequest) error {
	strict := g.mode == "VALIDATED"
	for _, t := range g.tools {
		f := oaFunction{Name: t.name, Description: t.description, Parameters: t.params}
		if strict {
			f.Strict = ptr(true)
		}
		out.Tools = append(out.Tools, oaTool{Type: "function", Function: f})
	}
	if len(g.allowed) > 0 && g.mode != "ANY" {
		return unsupported(g.allowedPath, "allowedFunctionNames translates only with mode ANY")
	}
	switch g.mode {
	case "", "MODE_UNSPECIFIED":
	case "AUTO", "VALIDATED":
		out.ToolChoice = "auto"
	case "NONE":
		out.ToolChoice = "none"
	case "ANY":
		switch len(g.allowed) {
		case 0:
			out.ToolChoice = "required"
		case 1:
			nc := oaNamedChoice{Type: "function"}
			nc.Function.Name = g.allowed[0]
			out.ToolChoice = nc
		default:
			ac := oaAllowedTools{Type: "allowed_tools"}
			ac.AllowedTools.Mode = "required"
			for _, name := range g.allowed {
				nc := oaNamedChoice{Type: "function"}
				nc.Function.Name = name
				ac.AllowedTools.Tools = append(ac.AllowedTools.Tools, nc)
			}
			out.ToolChoice = ac
		}
	}
	if out.ToolChoice != nil && len(out.Tools) == 0 {
		if g.mode == "ANY" {
			return invalid(g.modePath, "mode ANY needs function declarations")
		}
		out.ToolChoice = nil // nothing to choose from
	}
	return nil
}

// oaAllowedTools is OpenAI's tool_choice restricting the callable tools.
type oaAllowedTools struct {
	Type         string `json:"type"`
	AllowedTools struct {
		Mode  string          `json:"mode"`
		Tools []oaNamedChoice `json:"tools"`
	} `json:"allowed_tools"`
}

func (g *gmIn) genToOpenAI(out *oaRequest, opts Options) error {
	gen := &g.gen
	if gen.topK != nil {
		return unsupported(gen.path("topK"), "OpenAI has no top-k sampling")
	}
	out.Temperature, out.TopP = gen.temperature, gen.topP
	out.Seed, out.PresencePenalty, out.FrequencyPenalty = gen.seed, gen.presence, gen.frequency
	out.Stop = gen.stop
	if opts.LegacyMaxTokens {
		out.MaxTokens = gen.maxOutput
	} else {
		out.MaxCompletionTokens = gen.maxOutput
	}
	switch {
	case gen.schema != nil && gen.mime != "application/json":
		return invalid(gen.path("responseMimeType"), "a response schema needs application/json")
	case gen.schema != nil:
		out.ResponseFormat = &oaResponseFmt{Type: "json_schema", JSONSchema: &oaJSONSchema{Name: "output", Schema: gen.schema, Strict: ptr(true)}}
	case gen.mime == "application/json":
		out.ResponseFormat = &oaResponseFmt{Type: "json_object"}
	}
	// includeThoughts needs nothing: OpenAI-compatible servers that reason
	// aloud return reasoning_content, and it comes back as thought parts.
	switch b := gen.budget; {
	case gen.level != "":
		out.ReasoningEffort = gen.level
	case b == nil || *b == -1:
		// dynamic thinking: the model decides, as without reasoning_effort
	case *b == 0:
		out.ReasoningEffort = "none"
	default:
		out.ReasoningEffort = budgetToEffort(*b)
	}
	return nil
}
