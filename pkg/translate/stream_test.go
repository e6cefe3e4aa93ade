package translate

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Edge cases of the stream converters that fixtures would not show well.

func feedEvents(c streamConverter, events ...string) ([]byte, error) {
	var out []byte
	var errs error
	for _, e := range events {
		name, data, _ := strings.Cut(e, "\n")
		var err error
		out, err = c.Feed([]byte(name), []byte(data), out)
		errs = errors.Join(errs, err)
	}
	return c.Finish(out), errs
}

func TestAnthropicStreamEdges(t *testing.T) {
	const start = "message_start\n" + `{"type":"message_start","message":{"id":"m1","model":"up","usage":{"input_tokens":3,"output_tokens":1}}}`
	tests := []struct {
		name    string
		events  []string
		wantErr bool
		want    []string // substrings of the output, in order
		notWant string
	}{
		{name: "unreadable event", events: []string{start, "content_block_delta\n{not json"}, wantErr: true,
			want: []string{`"role":"assistant"`, `{"error":{"message":"upstream sent an unreadable event","type":"server_error"`}, notWant: "[DONE]"},
		{name: "delta for unknown block", events: []string{start, "content_block_delta\n" + `{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"x"}}`}, wantErr: true,
			want: []string{`"type":"server_error"`}, notWant: "[DONE]"},
		{name: "huge block index", events: []string{start, "content_block_start\n" + `{"type":"content_block_start","index":100000,"content_block":{"type":"text","text":""}}`}, wantErr: true,
			want: []string{`"error"`}},
		{name: "events after the end are ignored", events: []string{start,
			"message_delta\n" + `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`,
			"message_stop\n" + `{"type":"message_stop"}`,
			"content_block_start\n" + `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"late"}}`},
			want: []string{`"finish_reason":"stop"`, "[DONE]"}, notWant: "late"},
		{name: "cut after message_delta still completes", events: []string{start,
			"message_delta\n" + `{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":2}}`},
			want: []string{`"finish_reason":"length"`, "[DONE]"}, notWant: "error"},
		{name: "unknown events and blocks pass quietly", events: []string{start,
			"content_block_start\n" + `{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"s","name":"web_search","input":{}}}`,
			"content_block_delta\n" + `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}`,
			"future_event\n" + `{"type":"future_event"}`,
			"message_delta\n" + `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`,
			"message_stop\n" + `{"type":"message_stop"}`},
			want: []string{"[DONE]"}, notWant: "web_search"},
		{name: "tool input given at start", events: []string{start,
			"content_block_start\n" + `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}}`},
			want: []string{`"arguments":"{\"a\":1}"`}},
		{name: "error event without body", events: []string{start, "error\n" + `{"type":"error"}`},
			want: []string{`{"error":{"message":"upstream error","type":"server_error"`}, notWant: "[DONE]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewAnthropicToOpenAIStream("", false)
			out, err := feedEvents(s, tt.events...)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrInvalidResponse)) {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if !s.Done() {
				t.Error("not done after Finish")
			}
			rest := out
			for _, w := range tt.want {
				i := bytes.Index(rest, []byte(w))
				if i < 0 {
					t.Fatalf("output lacks %s (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if tt.notWant != "" && bytes.Contains(out, []byte(tt.notWant)) {
				t.Errorf("output has %s:\n%s", tt.notWant, out)
			}
			if !bytes.Contains(out, []byte(`"model":"up"`)) {
				t.Errorf("model not taken from upstream:\n%s", out)
			}
			if again := s.Finish(nil); len(again) != 0 {
				t.Errorf("second Finish wrote %s", again)
			}
		})
	}
}

func TestOpenAIStreamEdges(t *testing.T) {
	chunk := func(delta string) string {
		return "\n" + `{"id":"c","model":"up","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}`
	}
	finish := "\n" + `{"id":"c","model":"up","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":4}}`
	tests := []struct {
		name    string
		events  []string
		wantErr bool
		want    []string
	}{
		{name: "calls that all say index 0", events: []string{
			chunk(`{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}`),
			chunk(`{"tool_calls":[{"index":0,"id":"b","type":"function","function":{"name":"g","arguments":"{\"x\":1}"}}]}`),
			finish, "\n[DONE]"},
			want: []string{`"id":"a","name":"f"`, `"partial_json":"{}"`, `"content_block_stop","index":0`, `"index":1,"content_block":{"type":"tool_use","id":"b","name":"g"`, `"stop_reason":"tool_use"`, `"input_tokens":9`, "message_stop"}},
		{name: "call without id", events: []string{
			chunk(`{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\"y\":"}}]}`),
			chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"2}"}}]}`),
			finish},
			want: []string{`"id":"call_0","name":"f"`, `"partial_json":"{\"y\":"`, `"partial_json":"2}"`, "message_stop"}},
		{name: "interleaved calls", events: []string{
			chunk(`{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":""}},{"index":1,"id":"b","function":{"name":"g","arguments":""}}]}`),
			chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}`)},
			wantErr: true, want: []string{"event: error", `"api_error"`}},
		{name: "unreadable chunk", events: []string{chunk(`{"content":"hi"}`), "\n{oops"},
			wantErr: true, want: []string{"text_delta", "event: error"}},
		{name: "string error", events: []string{"\n" + `{"error":"boom"}`},
			want: []string{"event: error", `"upstream error"`}},
		{name: "empty stream", events: []string{"\n[DONE]"},
			want: []string{"message_start", "message_delta", `"stop_reason":"end_turn"`, "message_stop"}},
		{name: "redacted thinking and signature", events: []string{
			chunk(`{"reasoning_content":"hmm"}`),
			chunk(`{"thinking_blocks":[{"type":"thinking","thinking":"hmm","signature":"sig"}]}`),
			chunk(`{"thinking_blocks":[{"type":"redacted_thinking","data":"enc"}]}`),
			chunk(`{"content":"ok"}`), finish, "\n[DONE]"},
			want: []string{`"thinking_delta","thinking":"hmm"`, `"signature_delta","signature":"sig"`, `"content_block_stop","index":0`,
				`"index":1,"content_block":{"type":"redacted_thinking","data":"enc"}`, `"content_block_stop","index":1`, `"index":2,"content_block":{"type":"text"`, "message_stop"}},
		{name: "refusal", events: []string{chunk(`{"refusal":"no"}`), "\n" + `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, "\n[DONE]"},
			want: []string{`"text":"no"`, `"stop_reason":"refusal"`}},
		{name: "other choices are ignored", events: []string{"\n" + `{"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}}]}`, "\n[DONE]"},
			want: []string{`"text":"mine"`, "message_stop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewOpenAIToAnthropicStream("client-model")
			out, err := feedEvents(s, tt.events...)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrInvalidResponse)) {
				t.Fatalf("err %v, want error %v\n%s", err, tt.wantErr, out)
			}
			rest := out
			for _, w := range tt.want {
				i := bytes.Index(rest, []byte(w))
				if i < 0 {
					t.Fatalf("output lacks %s (in order):\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			if bytes.Contains(out, []byte("other")) || !s.Done() {
				t.Errorf("done %v:\n%s", s.Done(), out)
			}
		})
	}
}
