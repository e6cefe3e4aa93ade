package translate

import (
	"encoding/json"
	"strings"
)

type oaUsageIn struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens     int64 `json:"cached_tokens"`
		CacheWriteTokens int64 `json:"cache_write_tokens"`
	} `json:"prompt_tokens_details"`
}

type oaToolCallIn struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      *string `json:"name"`
		Arguments string  `json:"arguments"`
	} `json:"function"`
}

// oaMessageIn is a choice's message or a stream chunk's delta.
type oaMessageIn struct {
	Content          json.RawMessage `json:"content"`
	Refusal          *string         `json:"refusal"`
	ToolCalls        []oaToolCallIn  `json:"tool_calls"`
	ReasoningContent *string         `json:"reasoning_content"`
	Reasoning        json.RawMessage `json:"reasoning"`
	ThinkingBlocks   []thinkingBlock `json:"thinking_blocks"`
}

// reasoningText is reasoning_content, or "reasoning" as some
// OpenAI-compatible servers name it.
func (m *oaMessageIn) reasoningText() string {
	if m.ReasoningContent != nil {
		return *m.ReasoningContent
	}
	var s string
	if kind(m.Reasoning) == '"' && json.Unmarshal(m.Reasoning, &s) == nil {
		return s
	}
	return ""
}

// contentText reads content given as a string or as text parts.
func (m *oaMessageIn) contentText() (string, error) {
	switch kind(m.Content) {
	case 0, 'n':
		return "", nil
	case '"':
		var s string
		err := json.Unmarshal(m.Content, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", badResponse("content part %q has no Anthropic form", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

type oaResponseIn struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int         `json:"index"`
		Message      oaMessageIn `json:"message"`
		Delta        oaMessageIn `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
	} `json:"choices"`
	Usage *oaUsageIn      `json:"usage"`
	Error json.RawMessage `json:"error"`
}

type anRespOut struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Role         string    `json:"role"`
	Model        string    `json:"model"`
	Content      []anBlock `json:"content"`
	StopReason   *string   `json:"stop_reason"`
	StopSequence *string   `json:"stop_sequence"`
	Usage        anUsage   `json:"usage"`
}

// usageToAnthropic: Anthropic's input_tokens excludes cache reads and
// writes, which OpenAI's prompt_tokens includes.
func usageToAnthropic(u *oaUsageIn) anUsage {
	if u == nil {
		return anUsage{}
	}
	var read, write int64
	if d := u.PromptTokensDetails; d != nil {
		read, write = d.CachedTokens, d.CacheWriteTokens
	}
	return anUsage{
		InputTokens:              max(0, u.PromptTokens-read-write),
		CacheReadInputTokens:     read,
		CacheCreationInputTokens: write,
		OutputTokens:             u.CompletionTokens,
	}
}

// stopToAnthropic maps OpenAI's finish_reason to Anthropic's stop_reason.
// OpenAI does not say which stop sequence matched, so "stop" is end_turn.
func stopToAnthropic(s string) string {
	switch s {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

func messageID(id string) string {
	if strings.HasPrefix(id, "msg_") {
		return id
	}
	return "msg_" + id
}

// OpenAIResponseToAnthropic translates a non-streaming chat.completion into
// an Anthropic message. model is the client-facing model name (empty: the
// upstream's). reasoning_content (or reasoning) becomes a thinking block with
// an empty signature unless the answer carries thinking_blocks.
func OpenAIResponseToAnthropic(body []byte, model string) ([]byte, error) {
	var r oaResponseIn
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, badResponse("%v", err)
	}
	if len(r.Choices) == 0 {
		return nil, badResponse("no choices")
	}
	if model == "" {
		model = r.Model
	}
	ch := &r.Choices[0]
	out := anRespOut{ID: messageID(r.ID), Type: "message", Role: "assistant", Model: model, Content: []anBlock{}}
	blocks, err := thinkingOut(&ch.Message)
	if err != nil {
		return nil, err
	}
	out.Content = append(out.Content, blocks...)
	text, err := ch.Message.contentText()
	if err != nil {
		return nil, badResponse("content: %v", err)
	}
	if text != "" {
		out.Content = append(out.Content, anBlock{Type: "text", Text: &text})
	}
	refused := ch.Message.Refusal != nil && *ch.Message.Refusal != ""
	if refused {
		out.Content = append(out.Content, anBlock{Type: "text", Text: ch.Message.Refusal})
	}
	for i, tc := range ch.Message.ToolCalls {
		b, err := toolUseOut(tc.ID, tc.Function.Name, tc.Function.Arguments)
		if err != nil {
			return nil, badResponse("tool_calls[%d]: %v", i, err)
		}
		out.Content = append(out.Content, b)
	}
	switch {
	case refused:
		out.StopReason = ptr("refusal")
	case ch.FinishReason != nil:
		out.StopReason = ptr(stopToAnthropic(*ch.FinishReason))
	}
	out.Usage = usageToAnthropic(r.Usage)
	return marshal(&out)
}

func thinkingOut(m *oaMessageIn) ([]anBlock, error) {
	if len(m.ThinkingBlocks) == 0 {
		if t := m.reasoningText(); t != "" {
			return []anBlock{{Type: "thinking", Thinking: &t, Signature: ptr("")}}, nil
		}
		return nil, nil
	}
	out := make([]anBlock, 0, len(m.ThinkingBlocks))
	for i, tb := range m.ThinkingBlocks {
		switch tb.Type {
		case "thinking":
			b := anBlock{Type: "thinking", Thinking: tb.Thinking, Signature: tb.Signature}
			if b.Thinking == nil {
				b.Thinking = ptr("")
			}
			if b.Signature == nil {
				b.Signature = ptr("")
			}
			out = append(out, b)
		case "redacted_thinking":
			out = append(out, anBlock{Type: "redacted_thinking", Data: tb.Data})
		default:
			return nil, badResponse("thinking_blocks[%d]: type %q", i, tb.Type)
		}
	}
	return out, nil
}

func toolUseOut(id string, name *string, args string) (anBlock, error) {
	b := anBlock{Type: "tool_use", ID: id}
	if name != nil {
		b.Name = *name
	}
	args = strings.TrimSpace(args)
	switch {
	case args == "":
		b.Input = json.RawMessage(`{}`)
	case kind([]byte(args)) == '{' && json.Valid([]byte(args)):
		b.Input = json.RawMessage(args)
	default:
		return b, badResponse("arguments are not a JSON object")
	}
	return b, nil
}
