package translate

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// Upstream answers are decoded into structs: they are the provider's output,
// so unknown fields are new provider features the client did not ask for.

type anUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
}

type anResponse struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Role         string          `json:"role"`
	Model        string          `json:"model"`
	Content      []anRespBlock   `json:"content"`
	StopReason   *string         `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        *anUsage        `json:"usage,omitempty"`
	Error        json.RawMessage `json:"error,omitempty"`
}

type anRespBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	Thinking  string          `json:"thinking"`
	Signature string          `json:"signature"`
	Data      string          `json:"data"`
}

// thinkingBlock is how OpenAI-side answers carry Anthropic's thinking
// blocks losslessly (thinking_blocks), so a client can send them back.
type thinkingBlock struct {
	Type      string  `json:"type"`
	Thinking  *string `json:"thinking,omitempty"`
	Signature *string `json:"signature,omitempty"`
	Data      string  `json:"data,omitempty"`
}

type oaUsage struct {
	PromptTokens        int64             `json:"prompt_tokens"`
	CompletionTokens    int64             `json:"completion_tokens"`
	TotalTokens         int64             `json:"total_tokens"`
	PromptTokensDetails *oaPromptDetails  `json:"prompt_tokens_details,omitempty"`
	CompletionDetails   *oaCompletionInfo `json:"completion_tokens_details,omitempty"`
}

type oaPromptDetails struct {
	CachedTokens     int64 `json:"cached_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"`
}

type oaCompletionInfo struct {
	ReasoningTokens int64 `json:"reasoning_tokens"`
}

type oaResponse struct {
	ID      string     `json:"id"`
	Object  string     `json:"object"`
	Created int64      `json:"created"`
	Model   string     `json:"model"`
	Choices []oaChoice `json:"choices"`
	Usage   *oaUsage   `json:"usage,omitempty"`
}

type oaChoice struct {
	Index        int             `json:"index"`
	Message      oaRespMessage   `json:"message"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type oaRespMessage struct {
	Role             string          `json:"role"`
	Content          *string         `json:"content"`
	Refusal          *string         `json:"refusal"`
	ToolCalls        []oaToolCall    `json:"tool_calls,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	ThinkingBlocks   []thinkingBlock `json:"thinking_blocks,omitempty"`
	ExtraContent     *extraContent   `json:"extra_content,omitempty"`
}

var jsonNull = json.RawMessage("null")

// usageToOpenAI: OpenAI's prompt_tokens includes cached tokens, Anthropic's
// input_tokens excludes both cache reads and cache writes. Cache writes are
// reported as prompt_tokens_details.cache_write_tokens (OpenAI has no field).
func usageToOpenAI(u anUsage) *oaUsage {
	prompt := u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
	return &oaUsage{
		PromptTokens:     prompt,
		CompletionTokens: u.OutputTokens,
		TotalTokens:      prompt + u.OutputTokens,
		PromptTokensDetails: &oaPromptDetails{
			CachedTokens:     u.CacheReadInputTokens,
			CacheWriteTokens: u.CacheCreationInputTokens,
		},
	}
}

// stopToOpenAI maps Anthropic's stop_reason to OpenAI's finish_reason.
func stopToOpenAI(s string) string {
	switch s {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return "stop" // end_turn, stop_sequence, pause_turn
}

// readAnthropicResponse reads a non-streaming Anthropic message and the
// model to answer as: model, else the message's.
func readAnthropicResponse(body []byte, model string) (*anResponse, string, error) {
	var r anResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, "", badResponse("%v", err)
	}
	if r.Type != "message" {
		return nil, "", badResponse("type %q is not a message", r.Type)
	}
	if model == "" {
		model = r.Model
	}
	return &r, model, nil
}

// AnthropicResponseToOpenAI translates a non-streaming Anthropic message into
// an OpenAI chat.completion. model is the client-facing model name (empty:
// the upstream's). Thinking becomes message.reasoning_content (the text, as
// DeepSeek and vLLM return it) plus message.thinking_blocks (the signed
// blocks, to be sent back on the next turn).
func AnthropicResponseToOpenAI(body []byte, model string) ([]byte, error) {
	r, model, err := readAnthropicResponse(body, model)
	if err != nil {
		return nil, err
	}
	msg := oaRespMessage{Role: "assistant"}
	var text, thinking []string
	for i, b := range r.Content {
		switch b.Type {
		case "text":
			text = append(text, b.Text)
		case "tool_use":
			args, err := compactObject(b.Input)
			if err != nil {
				return nil, badResponse("content[%d].input: %v", i, err)
			}
			msg.ToolCalls = append(msg.ToolCalls, oaToolCall{ID: b.ID, Type: "function",
				Function: oaFunctionCall{Name: b.Name, Arguments: args}})
		case "thinking":
			thinking = append(thinking, b.Thinking)
			msg.ThinkingBlocks = append(msg.ThinkingBlocks, thinkingBlock{Type: "thinking", Thinking: ptr(b.Thinking), Signature: ptr(b.Signature)})
		case "redacted_thinking":
			msg.ThinkingBlocks = append(msg.ThinkingBlocks, thinkingBlock{Type: "redacted_thinking", Data: b.Data})
		default:
			return nil, badResponse("content[%d]: block type %q has no OpenAI form", i, b.Type)
		}
	}
	if len(text) > 0 {
		msg.Content = ptr(strings.Join(text, ""))
	}
	msg.ReasoningContent = strings.Join(thinking, "\n\n")
	choice := oaChoice{Message: msg, Logprobs: jsonNull}
	if r.StopReason != nil {
		choice.FinishReason = ptr(stopToOpenAI(*r.StopReason))
	}
	out := oaResponse{ID: r.ID, Object: "chat.completion", Created: time.Now().Unix(), Model: model, Choices: []oaChoice{choice}}
	if r.Usage != nil {
		out.Usage = usageToOpenAI(*r.Usage)
	}
	return marshal(&out)
}

// compactObject renders a tool input as an arguments string.
func compactObject(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || isNull(raw) {
		return "{}", nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}
