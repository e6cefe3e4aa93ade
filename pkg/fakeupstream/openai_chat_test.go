package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

type chatToolCall struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatMessage struct {
	Role      string         `json:"role"`
	Content   *string        `json:"content"`
	ToolCalls []chatToolCall `json:"tool_calls"`
}

type chatCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int         `json:"index"`
		Message      chatMessage `json:"message"`
		Delta        chatMessage `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
	} `json:"choices"`
	Usage *chatUsage `json:"usage"`
}

const chatBody = `{"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there  world"}]}`

func withFields(body, extra string) string {
	return strings.TrimSuffix(body, "}") + "," + extra + "}"
}

func TestChatCompletionJSON(t *testing.T) {
	_, ts := newFake(t, Options{})
	partsBody := `{"model":"m-1","messages":[{"role":"user","content":[{"type":"text","text":"one two"},{"type":"image_url","image_url":{"url":"x"}}]}]}`
	tests := []struct {
		name, scenario, body   string
		tokens, prompt, cached int
		reasoning              int
		finish                 string
		noUsage                bool
	}{
		{name: "default", body: chatBody, tokens: 16, prompt: 5, finish: "stop"},
		{name: "content parts", body: partsBody, tokens: 16, prompt: 2, finish: "stop"},
		{name: "cached and reasoning", scenario: "chunks=4,cached=2,reasoning=3", body: chatBody, tokens: 4, prompt: 5, cached: 2, reasoning: 3, finish: "stop"},
		{name: "max_tokens caps", body: withFields(chatBody, `"max_tokens":5`), tokens: 5, prompt: 5, finish: "length"},
		{name: "max_completion_tokens wins", body: withFields(chatBody, `"max_tokens":9,"max_completion_tokens":2`), tokens: 2, prompt: 5, finish: "length"},
		{name: "fixed prompt clamps cached", scenario: "prompt-tokens=100,cached=200", body: chatBody, tokens: 16, prompt: 100, cached: 100, finish: "stop"},
		{name: "body size", scenario: "body=1kb", body: chatBody, tokens: 205, prompt: 5, finish: "stop"},
		{name: "zero usage", scenario: "zero-usage", body: chatBody, tokens: 16, finish: "stop"},
		{name: "no usage", scenario: "no-usage", body: chatBody, tokens: 16, finish: "stop", noUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/chat/completions"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			status, hdr, body := post(t, ts, path, tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if hdr.Get("Content-Type") != "application/json" || hdr.Get("X-Request-Id") == "" {
				t.Errorf("headers %v", hdr)
			}
			var c chatCompletion
			mustJSON(t, body, &c)
			var req struct{ Model string }
			mustJSON(t, []byte(tt.body), &req)
			if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Created == 0 || c.Model != req.Model {
				t.Errorf("envelope %+v", c)
			}
			if len(c.Choices) != 1 || c.Choices[0].Message.Role != "assistant" || c.Choices[0].Message.Content == nil {
				t.Fatalf("choices %s", body)
			}
			checkContent(t, *c.Choices[0].Message.Content, tt.tokens)
			if got := *c.Choices[0].FinishReason; got != tt.finish {
				t.Errorf("finish_reason %q, want %q", got, tt.finish)
			}
			if tt.noUsage {
				if strings.Contains(string(body), `"usage"`) {
					t.Errorf("usage present: %s", body)
				}
				return
			}
			u := c.Usage
			if u == nil {
				t.Fatalf("no usage: %s", body)
			}
			completion := tt.tokens + tt.reasoning
			if tt.scenario == "zero-usage" {
				completion = 0
			}
			if u.PromptTokens != tt.prompt || u.CompletionTokens != completion || u.TotalTokens != tt.prompt+completion ||
				u.PromptTokensDetails.CachedTokens != tt.cached || u.CompletionTokensDetails.ReasoningTokens != tt.reasoning {
				t.Errorf("usage %+v, want prompt %d completion %d cached %d reasoning %d", *u, tt.prompt, completion, tt.cached, tt.reasoning)
			}
		})
	}
}

// chatStreamResult is what a chat stream carried, checked for shape on the way.
type chatStreamResult struct {
	content, toolName, toolID, toolArgs, finish string
	contentChunks                               int
	usage                                       *chatUsage
}

// checkChatStream verifies every chunk of a chat or completions stream and
// collects the answer. object is the chunk object name.
func checkChatStream(t *testing.T, events []sseEvent, object, model string, includeUsage bool) chatStreamResult {
	t.Helper()
	var res chatStreamResult
	if len(events) < 2 || events[len(events)-1].Data != "[DONE]" {
		t.Fatalf("stream does not end in [DONE]: %q", events)
	}
	var id string
	var created int64
	for i, ev := range events[:len(events)-1] {
		if ev.Event != "" {
			t.Errorf("chunk %d has event %q", i, ev.Event)
		}
		var raw map[string]json.RawMessage
		mustJSON(t, []byte(ev.Data), &raw)
		usageRaw, hasUsage := raw["usage"]
		var c struct {
			chatCompletion
			Choices []struct {
				Text         *string     `json:"text"`
				Delta        chatMessage `json:"delta"`
				FinishReason *string     `json:"finish_reason"`
			} `json:"choices"`
		}
		mustJSON(t, []byte(ev.Data), &c)
		if i == 0 {
			id, created = c.ID, c.Created
		}
		if c.ID != id || c.ID == "" || c.Created != created || c.Object != object || c.Model != model {
			t.Errorf("chunk %d envelope: %s", i, ev.Data)
		}
		if len(c.Choices) == 0 {
			if string(raw["choices"]) != "[]" || !hasUsage || i != len(events)-2 {
				t.Errorf("chunk %d without choices is not the final usage chunk: %s", i, ev.Data)
			}
			mustJSON(t, usageRaw, &res.usage)
			continue
		}
		if includeUsage != hasUsage || hasUsage && string(usageRaw) != "null" {
			t.Errorf("chunk %d usage field (include_usage=%v): %s", i, includeUsage, ev.Data)
		}
		ch := c.Choices[0]
		if ch.FinishReason != nil {
			if res.finish != "" {
				t.Errorf("second finish_reason in chunk %d", i)
			}
			res.finish = *ch.FinishReason
			continue
		}
		if res.finish != "" {
			t.Errorf("chunk %d after the finish chunk: %s", i, ev.Data)
		}
		if i == 0 && object == "chat.completion.chunk" {
			if ch.Delta.Role != "assistant" {
				t.Errorf("first chunk has no role: %s", ev.Data)
			}
			if len(ch.Delta.ToolCalls) == 1 {
				tc := ch.Delta.ToolCalls[0]
				res.toolName, res.toolID, res.toolArgs = tc.Function.Name, tc.ID, tc.Function.Arguments
			}
			continue
		}
		res.contentChunks++
		switch {
		case ch.Text != nil:
			res.content += *ch.Text
		case ch.Delta.Content != nil:
			res.content += *ch.Delta.Content
		case len(ch.Delta.ToolCalls) == 1:
			res.toolArgs += ch.Delta.ToolCalls[0].Function.Arguments
		default:
			t.Errorf("chunk %d carries nothing: %s", i, ev.Data)
		}
	}
	if includeUsage && res.usage == nil {
		t.Errorf("no usage chunk")
	}
	return res
}

func TestChatCompletionStream(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, extra string
		includeUsage          bool
		tokens, chunks        int
		finish                string
	}{
		{name: "with usage", extra: `"stream":true,"stream_options":{"include_usage":true}`, includeUsage: true, tokens: 16, chunks: 16, finish: "stop"},
		{name: "without usage", extra: `"stream":true`, tokens: 16, chunks: 16, finish: "stop"},
		{name: "usage not asked", extra: `"stream":true,"stream_options":{"include_usage":false}`, tokens: 16, chunks: 16, finish: "stop"},
		{name: "50 chunks", scenario: "chunks=50", extra: `"stream":true,"stream_options":{"include_usage":true}`, includeUsage: true, tokens: 50, chunks: 50, finish: "stop"},
		{name: "body over chunks", scenario: "body=10kb,chunks=7", extra: `"stream":true,"stream_options":{"include_usage":true}`, includeUsage: true, tokens: 2048, chunks: 7, finish: "stop"},
		{name: "capped", scenario: "chunks=10", extra: `"stream":true,"max_tokens":4,"stream_options":{"include_usage":true}`, includeUsage: true, tokens: 4, chunks: 4, finish: "length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/chat/completions"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			events, err := postStream(t, ts, path, withFields(chatBody, tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			res := checkChatStream(t, events, "chat.completion.chunk", "gpt-4o", tt.includeUsage)
			checkContent(t, res.content, tt.tokens)
			if res.contentChunks != tt.chunks || res.finish != tt.finish {
				t.Errorf("%d content chunks finish %q, want %d %q", res.contentChunks, res.finish, tt.chunks, tt.finish)
			}
			if tt.includeUsage && (res.usage.PromptTokens != 5 || res.usage.CompletionTokens != tt.tokens || res.usage.TotalTokens != 5+tt.tokens) {
				t.Errorf("usage %+v", *res.usage)
			}
		})
	}
}

const toolsField = `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},{"type":"function","function":{"name":"get_time"}}]`

func TestChatToolCalls(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, extra, wantTool string
	}{
		{name: "scenario", scenario: "tools", extra: toolsField, wantTool: "get_weather"},
		{name: "required", extra: toolsField + `,"tool_choice":"required"`, wantTool: "get_weather"},
		{name: "named", extra: toolsField + `,"tool_choice":{"type":"function","function":{"name":"get_time"}}`, wantTool: "get_time"},
		{name: "none wins over scenario", scenario: "tools", extra: toolsField + `,"tool_choice":"none"`},
		{name: "no tools declared", scenario: "tools", extra: `"temperature":0`},
		{name: "tools but not asked", extra: toolsField},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name + map[bool]string{false: "/json", true: "/stream"}[stream]
			t.Run(name, func(t *testing.T) {
				path := "/v1/chat/completions"
				if tt.scenario != "" {
					path = "/s/" + tt.scenario + ",chunks=3" + path
				}
				body := withFields(chatBody, tt.extra)
				var res chatStreamResult
				if stream {
					events, err := postStream(t, ts, path, withFields(body, `"stream":true`))
					if err != nil {
						t.Fatal(err)
					}
					res = checkChatStream(t, events, "chat.completion.chunk", "gpt-4o", false)
				} else {
					status, _, raw := post(t, ts, path, body)
					if status != http.StatusOK {
						t.Fatalf("status %d: %s", status, raw)
					}
					var c chatCompletion
					mustJSON(t, raw, &c)
					m := c.Choices[0].Message
					res.finish = *c.Choices[0].FinishReason
					if m.Content != nil {
						res.content = *m.Content
					}
					if len(m.ToolCalls) == 1 {
						tc := m.ToolCalls[0]
						res.toolName, res.toolID, res.toolArgs = tc.Function.Name, tc.ID, tc.Function.Arguments
						if tc.Type != "function" || m.Content != nil {
							t.Errorf("tool call message %s", raw)
						}
					}
				}
				if tt.wantTool == "" {
					if res.toolName != "" || res.finish != "stop" || res.content == "" {
						t.Errorf("want a text answer, got %+v", res)
					}
					return
				}
				if res.toolName != tt.wantTool || !strings.HasPrefix(res.toolID, "call_") || res.finish != "tool_calls" || res.content != "" {
					t.Errorf("tool call %+v, want %s", res, tt.wantTool)
				}
				var args struct{ Input string }
				mustJSON(t, []byte(res.toolArgs), &args)
				wantTokens := 16
				if tt.scenario != "" {
					wantTokens = 3
				}
				checkContent(t, args.Input, wantTokens)
			})
		}
	}
}
