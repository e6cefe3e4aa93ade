package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
	"github.com/burncloud/burncloud/pkg/sse"
)

// These tests put the translators in front of the fake upstream, so the
// translated requests must be accepted by something that speaks the
// target's wire format, and its answers must come back well-formed.

func newFakeServer(t *testing.T) string {
	t.Helper()
	s := fakeupstream.New(fakeupstream.Options{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)
	return ts.URL
}

func send(t *testing.T, url string, body []byte, anthropic bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if anthropic {
		req.Header.Set("x-api-key", "sk-test")
		req.Header.Set("anthropic-version", "2023-06-01")
	} else {
		req.Header.Set("Authorization", "Bearer sk-test")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// convert runs an upstream SSE body through a converter.
func convert(t *testing.T, c streamConverter, upstream []byte) []byte {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(upstream), 0)
	var out []byte
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		out, _ = c.Feed(ev.Name, ev.Data, out)
	}
	return c.Finish(out)
}

func TestRoundTripOpenAIClient(t *testing.T) {
	root := newFakeServer(t)
	const req = `{"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"what is the weather"}],
		"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]`
	tests := []struct {
		name, scenario, extra string
		status                int
		content, finish       string
		tool, reasoning       bool
	}{
		{name: "text", scenario: "chunks=3", finish: "stop", content: "able bold calm"},
		{name: "tools", scenario: "chunks=2,tools", finish: "tool_calls", tool: true},
		{name: "thinking", scenario: "chunks=2,reasoning=4", extra: `,"reasoning_effort":"low","max_completion_tokens":5000`, finish: "stop", content: "able bold", reasoning: true},
		{name: "capped", scenario: "chunks=9", extra: `,"max_tokens":2`, finish: "length", content: "able bold"},
		{name: "rate limited", scenario: "status=429", status: 429},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				body := req + tt.extra
				if stream {
					body += `,"stream":true,"stream_options":{"include_usage":true}`
				}
				up, err := OpenAIChatToAnthropic([]byte(body+"}"), Options{Model: "claude-up", DefaultMaxTokens: 64})
				if err != nil {
					t.Fatal(err)
				}
				status, answer := send(t, root+"/s/"+tt.scenario+"/v1/messages", up, true)
				if tt.status != 0 {
					var e oaErrorBody
					if status != tt.status || json.Unmarshal(AnthropicErrorToOpenAI(answer, status), &e) != nil || e.Error.Type != "requests" {
						t.Fatalf("status %d: %s", status, answer)
					}
					return
				}
				if status != 200 {
					t.Fatalf("status %d: %s", status, answer)
				}
				var got oaResponseIn
				if stream {
					got = accumulateOpenAI(t, convert(t, NewAnthropicToOpenAIStream("gpt-4o", true), answer))
				} else {
					out, err := AnthropicResponseToOpenAI(answer, "gpt-4o")
					if err != nil {
						t.Fatal(err)
					}
					mustDecode(t, out, &got)
				}
				ch := got.Choices[0]
				text, _ := ch.Message.contentText()
				if text != tt.content || ch.FinishReason == nil || *ch.FinishReason != tt.finish || got.Model != "gpt-4o" {
					t.Errorf("content %q finish %v model %s", text, ch.FinishReason, got.Model)
				}
				if tt.tool != (len(ch.Message.ToolCalls) == 1) || tt.tool && !json.Valid([]byte(ch.Message.ToolCalls[0].Function.Arguments)) {
					t.Errorf("tool calls %+v", ch.Message.ToolCalls)
				}
				if tt.reasoning != (ch.Message.reasoningText() == "able bold calm dawn") || tt.reasoning != (len(ch.Message.ThinkingBlocks) == 1) {
					t.Errorf("reasoning %q blocks %+v", ch.Message.reasoningText(), ch.Message.ThinkingBlocks)
				}
				if got.Usage == nil || got.Usage.PromptTokens != 6 {
					t.Errorf("usage %+v, want 6 prompt tokens", got.Usage)
				}
			})
		}
	}
}

// accumulateOpenAI folds converted chunks into one answer; the stream must
// end with a usage chunk and [DONE].
func accumulateOpenAI(t *testing.T, out []byte) oaResponseIn {
	t.Helper()
	var acc oaResponseIn
	acc.Choices = make([]struct {
		Index        int         `json:"index"`
		Message      oaMessageIn `json:"message"`
		Delta        oaMessageIn `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
	}, 1)
	var text, reasoning strings.Builder
	events := decodeStream(t, out)
	if len(events) < 2 || string(events[len(events)-1].Data) != `"[DONE]"` {
		t.Fatalf("stream does not end with [DONE]: %s", out)
	}
	for _, ev := range events[:len(events)-1] {
		var c oaResponseIn
		mustDecode(t, ev.Data, &c)
		acc.Model = c.Model
		if c.Usage != nil {
			acc.Usage = c.Usage
		}
		for _, ch := range c.Choices {
			s, _ := ch.Delta.contentText()
			text.WriteString(s)
			reasoning.WriteString(ch.Delta.reasoningText())
			m := &acc.Choices[0].Message
			m.ThinkingBlocks = append(m.ThinkingBlocks, ch.Delta.ThinkingBlocks...)
			for _, tc := range ch.Delta.ToolCalls {
				if tc.ID != "" {
					m.ToolCalls = append(m.ToolCalls, tc)
				} else {
					m.ToolCalls[tc.Index].Function.Arguments += tc.Function.Arguments
				}
			}
			if ch.FinishReason != nil {
				acc.Choices[0].FinishReason = ch.FinishReason
			}
		}
	}
	acc.Choices[0].Message.Content, _ = json.Marshal(text.String())
	rc := reasoning.String()
	acc.Choices[0].Message.ReasoningContent = &rc
	return acc
}

func mustDecode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}

func TestRoundTripAnthropicClient(t *testing.T) {
	root := newFakeServer(t)
	const req = `{"model":"claude-sonnet-4-5","max_tokens":64,"system":"be brief","messages":[{"role":"user","content":"what is the weather"}],
		"tools":[{"name":"get_weather","input_schema":{"type":"object"}}]`
	tests := []struct {
		name, scenario, extra string
		status                int
		text, stop            string
		tool                  bool
		input, cached         int64
	}{
		{name: "text", scenario: "chunks=3,cached=2", stop: "end_turn", text: "able bold calm", input: 4, cached: 2},
		{name: "tools", scenario: "chunks=2", extra: `,"tool_choice":{"type":"any"}`, stop: "tool_use", tool: true, input: 6},
		{name: "capped", scenario: "chunks=9", extra: `,"max_tokens":2`, stop: "max_tokens", text: "able bold", input: 6},
		{name: "overloaded", scenario: "status=503", status: 503},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				body := strings.Replace(req, `"max_tokens":64`, `"max_tokens":64`+tt.extra, 1)
				if tt.extra == `,"max_tokens":2` {
					body = strings.Replace(req, `"max_tokens":64`, `"max_tokens":2`, 1)
				}
				if stream {
					body += `,"stream":true`
				}
				up, err := AnthropicToOpenAIChat([]byte(body+"}"), Options{Model: "gpt-up"})
				if err != nil {
					t.Fatal(err)
				}
				status, answer := send(t, root+"/s/"+tt.scenario+"/v1/chat/completions", up, false)
				if tt.status != 0 {
					var e anErrorBody
					if status != tt.status || json.Unmarshal(OpenAIErrorToAnthropic(answer, status), &e) != nil || e.Error.Type != "overloaded_error" {
						t.Fatalf("status %d: %s", status, answer)
					}
					return
				}
				if status != 200 {
					t.Fatalf("status %d: %s", status, answer)
				}
				var got anRespOut
				if stream {
					got = accumulateAnthropic(t, convert(t, NewOpenAIToAnthropicStream("claude-sonnet-4-5"), answer))
				} else {
					out, err := OpenAIResponseToAnthropic(answer, "claude-sonnet-4-5")
					if err != nil {
						t.Fatal(err)
					}
					mustDecode(t, out, &got)
				}
				var text string
				var tools int
				for _, b := range got.Content {
					switch b.Type {
					case "text":
						text += *b.Text
					case "tool_use":
						tools++
						if !json.Valid(b.Input) || b.Name != "get_weather" {
							t.Errorf("tool_use %+v", b)
						}
					}
				}
				if text != tt.text || got.StopReason == nil || *got.StopReason != tt.stop || tt.tool != (tools == 1) || got.Model != "claude-sonnet-4-5" {
					t.Errorf("text %q tools %d stop %v model %s", text, tools, got.StopReason, got.Model)
				}
				if got.Usage.InputTokens != tt.input || got.Usage.CacheReadInputTokens != tt.cached {
					t.Errorf("usage %+v, want input %d cached %d", got.Usage, tt.input, tt.cached)
				}
			})
		}
	}
}

// accumulateAnthropic folds converted events into a message the way the
// Anthropic SDKs do.
func accumulateAnthropic(t *testing.T, out []byte) anRespOut {
	t.Helper()
	var msg anRespOut
	events := decodeStream(t, out)
	if len(events) < 3 || events[len(events)-1].Event != "message_stop" {
		t.Fatalf("stream does not end with message_stop: %s", out)
	}
	var args []string
	for _, ev := range events {
		var e anEvent
		mustDecode(t, ev.Data, &e)
		switch e.Type {
		case "message_start":
			msg.Model = e.Message.Model
		case "content_block_start":
			b := anBlock{Type: e.ContentBlock.Type, Name: e.ContentBlock.Name, Text: ptr(e.ContentBlock.Text)}
			msg.Content = append(msg.Content, b)
			args = append(args, "")
		case "content_block_delta":
			b := &msg.Content[e.Index]
			*b.Text += e.Delta.Text
			args[e.Index] += e.Delta.PartialJSON
			b.Input = json.RawMessage(args[e.Index])
		case "message_delta":
			msg.StopReason = e.Delta.StopReason
			msg.Usage.InputTokens = *e.Usage.InputTokens
			msg.Usage.CacheReadInputTokens = *e.Usage.CacheReadInputTokens
			msg.Usage.OutputTokens = *e.Usage.OutputTokens
		}
	}
	return msg
}
