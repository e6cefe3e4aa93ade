package translate

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Edge cases of the Gemini stream converters.

func gmChunk(parts, extra string) string {
	return "\n" + `{"candidates":[{"content":{"role":"model","parts":[` + parts + `]},"index":0` + extra + `}],"modelVersion":"up","responseId":"r1"}`
}

// inOrder checks that out holds each of want, in order.
func inOrder(t *testing.T, out []byte, want []string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := bytes.Index(rest, []byte(w))
		if i < 0 {
			t.Fatalf("output lacks %s (in order):\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}

type streamCase struct {
	name    string
	events  []string
	wantErr bool
	want    []string
	notWant string
}

func runStreamCases(t *testing.T, newConv func() streamConverter, tests []streamCase) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newConv()
			out, err := feedEvents(s, tt.events...)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrInvalidResponse)) {
				t.Fatalf("err %v, want error %v\n%s", err, tt.wantErr, out)
			}
			if d, ok := s.(interface{ Done() bool }); !ok || !d.Done() {
				t.Error("not done after Finish")
			}
			inOrder(t, out, tt.want)
			if tt.notWant != "" && bytes.Contains(out, []byte(tt.notWant)) {
				t.Errorf("output has %s:\n%s", tt.notWant, out)
			}
			if again := s.Finish(nil); len(again) != 0 {
				t.Errorf("second Finish wrote %s", again)
			}
		})
	}
}

func TestGeminiToOpenAIStreamEdges(t *testing.T) {
	runStreamCases(t, func() streamConverter { return NewGeminiToOpenAIStream("", true) }, []streamCase{
		{name: "unreadable chunk", events: []string{gmChunk(`{"text":"a"}`, ""), "\n{oops"}, wantErr: true,
			want: []string{`"model":"up"`, `"content":"a"`, `{"error":{"message":"upstream sent an unreadable chunk","type":"server_error"`}, notWant: "[DONE]"},
		{name: "usage after the finish counts, content does not", events: []string{
			gmChunk(`{"text":"a"}`, `,"finishReason":"STOP"`),
			gmChunk(`{"text":"late"}`, "") + "",
			"\n" + `{"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":2,"totalTokenCount":9},"responseId":"r1"}`},
			want: []string{`"finish_reason":"stop"`, `"prompt_tokens":7`, "[DONE]"}, notWant: "late"},
		{name: "blocked prompt", events: []string{"\n" + `{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4},"responseId":"r1","modelVersion":"up"}`},
			want: []string{`"role":"assistant"`, `"finish_reason":"content_filter"`, `"prompt_tokens":4`, "[DONE]"}},
		{name: "error with a status", events: []string{"\n" + `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`},
			want: []string{`{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}`}, notWant: "[DONE]"},
		{name: "arguments that are not an object", events: []string{gmChunk(`{"functionCall":{"name":"f","args":[1]}}`, "")}, wantErr: true,
			want: []string{`"type":"server_error"`}, notWant: "[DONE]"},
		{name: "parts without a client form pass quietly", events: []string{
			gmChunk(`{"executableCode":{"language":"PYTHON","code":"1"}},{"text":"ok"}`, `,"finishReason":"STOP"`)},
			want: []string{`"content":"ok"`, "[DONE]"}, notWant: "PYTHON"},
		{name: "other candidates are ignored", events: []string{
			"\n" + `{"candidates":[{"content":{"parts":[{"text":"other"}]},"index":1},{"content":{"parts":[{"text":"mine"}]},"finishReason":"STOP","index":0}],"responseId":"r1","modelVersion":"up"}`},
			want: []string{`"content":"mine"`, "[DONE]"}, notWant: "other"},
		{name: "empty stream", events: nil,
			want: []string{`{"error":{"message":"upstream stream ended before the message was complete"`}, notWant: "[DONE]"},
	})
}

func TestGeminiToAnthropicStreamEdges(t *testing.T) {
	runStreamCases(t, func() streamConverter { return NewGeminiToAnthropicStream("") }, []streamCase{
		{name: "unreadable chunk", events: []string{gmChunk(`{"text":"a"}`, ""), "\n{oops"}, wantErr: true,
			want: []string{`"model":"up"`, `"text":"a"`, "event: error", `"api_error"`}, notWant: "message_stop"},
		{name: "a signed thought closes its block", events: []string{
			gmChunk(`{"text":"one","thought":true,"thoughtSignature":"S1"},{"text":"two","thought":true}`, ""),
			gmChunk(`{"text":"answer"}`, `,"finishReason":"STOP"`)},
			want: []string{`"index":0,"content_block":{"type":"thinking"`, `"thinking":"one"`, `"signature":"S1"`, `"content_block_stop","index":0`,
				`"index":1,"content_block":{"type":"thinking"`, `"thinking":"two"`, `"content_block_stop","index":1`,
				`"index":2,"content_block":{"type":"text"`, `"stop_reason":"end_turn"`, "message_stop"}},
		{name: "max tokens with calls", events: []string{gmChunk(`{"functionCall":{"name":"f"}}`, `,"finishReason":"MAX_TOKENS"`)},
			want: []string{`"id":"call_r1_0","name":"f"`, `"stop_reason":"max_tokens"`}},
		{name: "blocked prompt", events: []string{"\n" + `{"promptFeedback":{"blockReason":"OTHER"},"responseId":"r1","modelVersion":"up"}`},
			want: []string{"message_start", `"stop_reason":"refusal"`, "message_stop"}},
		{name: "error with a status", events: []string{"\n" + `{"error":{"code":503,"message":"busy","status":"UNAVAILABLE"}}`},
			want: []string{"event: error", `{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`}, notWant: "message_stop"},
		{name: "cut", events: []string{gmChunk(`{"text":"a"}`, "")},
			want: []string{`"text":"a"`, "event: error"}, notWant: "message_stop"},
	})
}

func TestOpenAIToGeminiStreamEdges(t *testing.T) {
	chunk := func(delta string) string {
		return "\n" + `{"id":"c","model":"up","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}`
	}
	finish := "\n" + `{"id":"c","model":"up","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`
	runStreamCases(t, func() streamConverter { return NewOpenAIToGeminiStream("") }, []streamCase{
		{name: "calls that all say index 0", events: []string{
			chunk(`{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}`),
			chunk(`{"tool_calls":[{"index":0,"id":"b","type":"function","function":{"name":"g","arguments":"{\"x\":1}"}}]}`),
			finish, "\n[DONE]"},
			want: []string{`{"functionCall":{"id":"a","name":"f","args":{}}}`, `{"functionCall":{"id":"b","name":"g","args":{"x":1}}}`, `"finishReason":"STOP"`}},
		{name: "call without id", events: []string{
			chunk(`{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"y\":"}}]}`),
			chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"2}"}}]}`), finish},
			want: []string{`{"functionCall":{"id":"call_0","name":"f","args":{"y":2}}}`, `"finishReason":"STOP"`}},
		{name: "arguments that are not JSON", events: []string{chunk(`{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{oops"}}]}`), finish, "\n[DONE]"},
			wantErr: true, want: []string{`{"error":{"code":500`}, notWant: "finishReason"},
		{name: "arguments for no call", events: []string{chunk(`{"tool_calls":[{"index":3,"function":{"arguments":"{}"}}]}`)},
			wantErr: true, want: []string{`"status":"INTERNAL"`}},
		{name: "[DONE] without a finish reason", events: []string{chunk(`{"content":"hi"}`), "\n[DONE]"},
			want: []string{`{"text":"hi"}`, `"finishReason":"STOP"`, `"usageMetadata":{"promptTokenCount":0`}},
		{name: "rate limited mid-stream", events: []string{chunk(`{"content":"hi"}`), "\n" + `{"error":{"message":"slow","type":"requests","code":"rate_limit_exceeded"}}`},
			want: []string{`{"text":"hi"}`, `{"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}}`}, notWant: "finishReason"},
		{name: "signature without text", events: []string{chunk(`{"extra_content":{"google":{"thought_signature":"S"}}}`), finish},
			want: []string{`{"text":"","thoughtSignature":"S"}`, `"finishReason":"STOP"`}},
		{name: "cut", events: []string{chunk(`{"content":"hi"}`)},
			want: []string{`{"text":"hi"}`, `"error"`}, notWant: "finishReason"},
	})
}

func TestAnthropicToGeminiStreamEdges(t *testing.T) {
	const start = "message_start\n" + `{"type":"message_start","message":{"id":"m1","model":"up","usage":{"input_tokens":3,"output_tokens":1}}}`
	runStreamCases(t, func() streamConverter { return NewAnthropicToGeminiStream("") }, []streamCase{
		{name: "message_stop without a stop reason", events: []string{start, "message_stop\n" + `{"type":"message_stop"}`},
			want: []string{`"error"`}, notWant: "finishReason"},
		{name: "tool input that is not JSON", events: []string{start,
			"content_block_start\n" + `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`,
			"content_block_delta\n" + `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{oops"}}`,
			"content_block_stop\n" + `{"type":"content_block_stop","index":0}`}, wantErr: true,
			want: []string{`"status":"INTERNAL"`}, notWant: "functionCall"},
		{name: "tool input given at start", events: []string{start,
			"content_block_start\n" + `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{"a":1}}}`,
			"content_block_stop\n" + `{"type":"content_block_stop","index":0}`,
			"message_delta\n" + `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":2}}`},
			want: []string{`{"functionCall":{"id":"t","name":"f","args":{"a":1}}}`, `"finishReason":"STOP"`, `"candidatesTokenCount":2`}},
		{name: "huge block index", events: []string{start, "content_block_start\n" + `{"type":"content_block_start","index":100000,"content_block":{"type":"text","text":""}}`},
			wantErr: true, want: []string{`"error"`}},
		{name: "unknown blocks pass quietly", events: []string{start,
			"content_block_start\n" + `{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"s","name":"web_search","input":{}}}`,
			"content_block_delta\n" + `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}`,
			"content_block_stop\n" + `{"type":"content_block_stop","index":0}`,
			"message_delta\n" + `{"type":"message_delta","delta":{"stop_reason":"refusal"},"usage":{"output_tokens":2}}`,
			"message_stop\n" + `{"type":"message_stop"}`},
			want: []string{`"finishReason":"SAFETY"`}, notWant: "web_search"},
		{name: "error event without body", events: []string{start, "error\n" + `{"type":"error"}`},
			want: []string{`{"error":{"code":500,"message":"upstream error","status":"INTERNAL"}}`}},
	})
}

// TestGeminiStreamFraming: Gemini events are bare data lines ending in a
// blank line, no event names, and the model given wins over the upstream's.
func TestGeminiStreamFraming(t *testing.T) {
	s := NewAnthropicToGeminiStream("client-model")
	out, err := feedEvents(s,
		"message_start\n"+`{"type":"message_start","message":{"id":"m1","model":"up","usage":{"input_tokens":3}}}`,
		"content_block_start\n"+`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}}`,
		"message_delta\n"+`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}`,
		"message_stop\n"+`{"type":"message_stop"}`)
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Split(strings.TrimSuffix(string(out), "\n\n"), "\n\n")
	if len(events) != 2 {
		t.Fatalf("%d events:\n%s", len(events), out)
	}
	for _, e := range events {
		if !strings.HasPrefix(e, "data: {") || strings.Contains(e, "\n") || !strings.Contains(e, `"modelVersion":"client-model","responseId":"m1"`) {
			t.Errorf("event %q", e)
		}
	}
}
