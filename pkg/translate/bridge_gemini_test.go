package translate

import (
	"bytes"
	"testing"
)

// TestBridgesResolve: every pair of different protocols has a complete
// bridge that works end to end on a minimal exchange; a protocol paired
// with itself passes through and has none.
func TestBridgesResolve(t *testing.T) {
	requests := map[Protocol]string{
		OpenAI:    `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
		Anthropic: `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
		Gemini:    `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
	}
	answers := map[Protocol]string{
		OpenAI:    `{"id":"c","object":"chat.completion","created":1,"model":"u","choices":[{"index":0,"message":{"role":"assistant","content":"yo"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
		Anthropic: `{"id":"msg_1","type":"message","role":"assistant","model":"u","content":[{"type":"text","text":"yo"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`,
		Gemini:    `{"candidates":[{"content":{"role":"model","parts":[{"text":"yo"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2},"modelVersion":"u","responseId":"r"}`,
	}
	errorBodies := map[Protocol]string{
		OpenAI:    `{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`,
		Anthropic: `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
		Gemini:    `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`,
	}
	protocols := []Protocol{OpenAI, Anthropic, Gemini}
	for _, client := range protocols {
		for _, up := range protocols {
			b, ok := BridgeFor(client, up)
			if client == up {
				if ok {
					t.Errorf("%v→%v: same protocol has a bridge", client, up)
				}
				continue
			}
			t.Run(client.String()+"_to_"+up.String(), func(t *testing.T) {
				if !ok || b.Request == nil || b.Response == nil || b.Stream == nil || b.Error == nil {
					t.Fatalf("incomplete bridge %+v", b)
				}
				if _, err := b.Request([]byte(requests[client]), Options{Model: "m", DefaultMaxTokens: 10}); err != nil {
					t.Errorf("request: %v", err)
				}
				out, err := b.Response([]byte(answers[up]), "client-model")
				if err != nil || !bytes.Contains(out, []byte("yo")) || !bytes.Contains(out, []byte("client-model")) {
					t.Errorf("response: %s %v", out, err)
				}
				if e := b.Error([]byte(errorBodies[up]), 429); !bytes.Contains(e, []byte("slow down")) {
					t.Errorf("error body: %s", e)
				}
				s := b.Stream("client-model", true)
				if end := s.Finish(nil); !s.Done() || !bytes.Contains(end, []byte("error")) {
					t.Errorf("an empty stream must end with an error: %s", end)
				}
			})
		}
	}
	if _, ok := BridgeFor(Protocol(0), Gemini); ok {
		t.Error("unknown protocol has a bridge")
	}
}
