package translate

import (
	"encoding/json"
	"strings"
)

// GeminiToAnthropic translates a Gemini generateContent request body into an
// Anthropic Messages request body. opts.Model (required) and opts.Stream
// stand for the model and method in the URL; max_tokens is
// generationConfig.maxOutputTokens, else opts.DefaultMaxTokens. Every field
// is translated or refused with an *UnsupportedError naming it; a malformed
// request gives a *FieldError. See doc.go for the mapping.
func GeminiToAnthropic(body []byte, opts Options) ([]byte, error) {
	g, err := readGemini(body, opts)
	if err != nil {
		return nil, err
	}
	out := anRequest{Model: opts.Model, Stream: opts.Stream, Messages: []anMessage{}}
	switch {
	case g.gen.maxOutput > 0:
		out.MaxTokens = g.gen.maxOutput
	case opts.DefaultMaxTokens > 0:
		out.MaxTokens = opts.DefaultMaxTokens
	default:
		return nil, ErrNoMaxTokens
	}
	switch len(g.system) {
	case 0:
	case 1:
		out.System = g.system[0].text
	default:
		blocks := make([]anBlock, len(g.system))
		for i := range g.system {
			blocks[i] = anBlock{Type: "text", Text: &g.system[i].text}
		}
		out.System = blocks
	}
	for i := range g.contents {
		c := &g.contents[i]
		var blocks []anBlock
		var err error
		role := "user"
		if c.role == "model" {
			role = "assistant"
			blocks, err = modelToAnthropic(c)
		} else {
			blocks, err = userToAnthropic(c)
		}
		if err != nil {
			return nil, err
		}
		if len(blocks) > 0 {
			out.Messages = append(out.Messages, anMessage{Role: role, Content: blocks})
		}
	}
	if err := g.toolsToAnthropic(&out); err != nil {
		return nil, err
	}
	if err := g.genToAnthropic(&out, opts); err != nil {
		return nil, err
	}
	return marshal(&out)
}

// userToAnthropic puts tool results first, as Anthropic requires after a
// turn of tool calls.
func userToAnthropic(c *gmInContent) ([]anBlock, error) {
	var results, rest []anBlock
	for i := range c.parts {
		part := &c.parts[i]
		if part.thought {
			return nil, unsupported(at(part.path, "thought"), "thoughts belong to model turns")
		}
		switch part.kind {
		case 'r':
			text, isErr := responseText(part.args)
			b := anBlock{Type: "tool_result", ToolUseID: part.id, IsError: isErr}
			if text != "" {
				b.Content = text
			}
			results = append(results, b)
		case 't':
			if part.text != "" {
				rest = append(rest, anBlock{Type: "text", Text: &part.text})
			}
		default:
			b, err := mediaToAnthropic(part)
			if err != nil {
				return nil, err
			}
			rest = append(rest, b)
		}
	}
	return append(results, rest...), nil
}

func mediaToAnthropic(part *gmInPart) (anBlock, error) {
	m := part.mime
	if part.kind == 'f' {
		switch {
		case !fetchable(part.data):
			return anBlock{}, unsupported(at(part.path, part.key+".fileUri"), "Anthropic fetches only web addresses, not Google storage or Files API URIs")
		case strings.HasPrefix(m, "image/"):
			return anBlock{Type: "image", Source: &anSource{Type: "url", URL: part.data}}, nil
		case m == "application/pdf":
			return anBlock{Type: "document", Source: &anSource{Type: "url", URL: part.data}}, nil
		}
		return anBlock{}, unsupported(at(part.path, part.key+".mimeType"), "Anthropic fetches images and PDF, not "+m)
	}
	switch {
	case strings.HasPrefix(m, "image/"):
		return anBlock{Type: "image", Source: &anSource{Type: "base64", MediaType: m, Data: part.data}}, nil
	case m == "application/pdf":
		return anBlock{Type: "document", Source: &anSource{Type: "base64", MediaType: m, Data: part.data}}, nil
	case m == "text/plain":
		text, err := decodeText(part)
		return anBlock{Type: "document", Source: &anSource{Type: "text", MediaType: m, Data: text}}, err
	}
	return anBlock{}, unsupported(at(part.path, part.key+".mimeType"), "Anthropic takes images, PDF and plain text, not "+m)
}

// modelToAnthropic writes a model turn. A run of thought parts becomes one
// thinking block carrying the run's signature; Anthropic checks signatures,
// so an unsigned run is refused, and a signature tagged redactedPrefix
// gives back the redacted_thinking block it came from. Signatures on text
// and calls came from Gemini itself and only Gemini can check them: they
// are not forwarded.
func modelToAnthropic(c *gmInContent) ([]anBlock, error) {
	var blocks []anBlock
	var run *gmInPart // first part of an open thought run
	var runText strings.Builder
	for i := range c.parts {
		part := &c.parts[i]
		if part.kind == 't' && part.thought {
			if run == nil {
				run = part
				runText.Reset()
			}
			runText.WriteString(part.text)
			switch {
			case part.sig == "":
				continue
			case strings.HasPrefix(part.sig, redactedPrefix):
				if runText.Len() > 0 {
					return nil, unsupported(at(run.path, "thought"), "Anthropic takes back only signed thinking")
				}
				blocks = append(blocks, anBlock{Type: "redacted_thinking", Data: strings.TrimPrefix(part.sig, redactedPrefix)})
			default:
				blocks = append(blocks, anBlock{Type: "thinking", Thinking: ptr(runText.String()), Signature: ptr(part.sig)})
			}
			run = nil
			continue
		}
		if run != nil {
			return nil, unsupported(at(run.path, "thought"), "Anthropic takes back only signed thinking")
		}
		switch part.kind {
		case 't':
			if part.text != "" {
				blocks = append(blocks, anBlock{Type: "text", Text: &part.text})
			}
		case 'c':
			blocks = append(blocks, anBlock{Type: "tool_use", ID: part.id, Name: part.name, Input: part.args})
		default:
			return nil, unsupported(at(part.path, part.key), "Anthropic assistant turns carry text and tool calls only")
		}
	}
	if run != nil {
		return nil, unsupported(at(run.path, "thought"), "Anthropic takes back only signed thinking")
	}
	return blocks, nil
}

func (g *gmIn) toolsToAnthropic(out *anRequest) error {
	strict := g.mode == "VALIDATED"
	for _, t := range g.tools {
		tool := anTool{Name: t.name, Description: t.description, InputSchema: t.params}
		if tool.InputSchema == nil {
			tool.InputSchema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		if strict {
			tool.Strict = ptr(true)
		}
		out.Tools = append(out.Tools, tool)
	}
	if len(g.allowed) > 0 && g.mode != "ANY" {
		return unsupported(g.allowedPath, "allowedFunctionNames translates only with mode ANY")
	}
	var tc *anToolChoice
	switch g.mode {
	case "AUTO", "VALIDATED":
		tc = &anToolChoice{Type: "auto"}
	case "NONE":
		tc = &anToolChoice{Type: "none"}
	case "ANY":
		switch len(g.allowed) {
		case 0:
			tc = &anToolChoice{Type: "any"}
		case 1:
			tc = &anToolChoice{Type: "tool", Name: g.allowed[0]}
		default:
			return unsupported(g.allowedPath, "Anthropic forces one named tool or any tool, not a subset")
		}
	}
	if tc != nil && len(out.Tools) == 0 {
		if g.mode == "ANY" {
			return invalid(g.modePath, "mode ANY needs function declarations")
		}
		tc = nil
	}
	out.ToolChoice = tc
	return nil
}

func (g *gmIn) genToAnthropic(out *anRequest, opts Options) error {
	gen := &g.gen
	switch {
	case gen.tempValue > 1:
		return unsupported(gen.path("temperature"), "Anthropic accepts 0 to 1")
	case gen.seed != nil:
		return unsupported(gen.path("seed"), "Anthropic has no seed")
	case gen.presence != nil:
		return unsupported(gen.path("presencePenalty"), "Anthropic has no repetition penalties")
	case gen.frequency != nil:
		return unsupported(gen.path("frequencyPenalty"), "Anthropic has no repetition penalties")
	}
	out.Temperature, out.TopP, out.TopK = gen.temperature, gen.topP, gen.topK
	out.StopSequences = gen.stop
	switch {
	case gen.schema != nil && gen.mime != "application/json":
		return invalid(gen.path("responseMimeType"), "a response schema needs application/json")
	case gen.schema != nil:
		out.OutputConfig = &anOutputConfig{Format: &anFormat{Type: "json_schema", Schema: gen.schema}}
	case gen.mime == "application/json":
		return unsupported(gen.path("responseMimeType"), "Anthropic needs a schema; set responseJsonSchema")
	}
	return g.thinkingToAnthropic(out, opts)
}

// thinkingToAnthropic: includeThoughts needs nothing (Anthropic returns the
// thinking it does). See doc.go for the budget and level mapping.
func (g *gmIn) thinkingToAnthropic(out *anRequest, opts Options) error {
	gen := &g.gen
	var budget int64
	var path string
	switch b := gen.budget; {
	case gen.level != "" && opts.AdaptiveThinking:
		e, _ := effortToAnthropic(gen.level)
		out.Thinking = &anThinking{Type: "adaptive"}
		if out.OutputConfig == nil {
			out.OutputConfig = &anOutputConfig{}
		}
		out.OutputConfig.Effort = e
		return nil
	case gen.level != "":
		budget, _ = effortBudget(gen.level)
		path = gen.path("thinkingLevel")
	case b == nil:
		return nil
	case *b == 0:
		out.Thinking = &anThinking{Type: "disabled"}
		return nil
	case *b == -1 && opts.AdaptiveThinking:
		out.Thinking = &anThinking{Type: "adaptive"}
		return nil
	case *b == -1:
		return unsupported(gen.path("thinkingBudget"), "dynamic thinking needs a model with adaptive thinking")
	default:
		budget = *b
		path = gen.path("thinkingBudget")
	}
	budget = min(budget, out.MaxTokens-1)
	if budget < minThinkingBudget {
		return unsupported(path, "Anthropic thinking needs a budget of at least 1024 below max tokens")
	}
	out.Thinking = &anThinking{Type: "enabled", BudgetTokens: budget}
	return nil
}
