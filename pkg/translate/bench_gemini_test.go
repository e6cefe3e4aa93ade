package translate

import "testing"

func benchRequest(b *testing.B, tr func([]byte, Options) ([]byte, error), body []byte, opts Options) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := tr(body, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenAIChatToGemini(b *testing.B) {
	benchRequest(b, OpenAIChatToGemini, fixtureInput(b, oaGm, "req_07_tool_history"), Options{})
}

func BenchmarkGeminiToOpenAIChat(b *testing.B) {
	benchRequest(b, GeminiToOpenAIChat, fixtureInput(b, gmOa, "req_07_tool_history"), Options{Model: "m"})
}

func BenchmarkAnthropicToGemini(b *testing.B) {
	benchRequest(b, AnthropicToGemini, fixtureInput(b, anGm, "req_07_tool_history"), Options{})
}

func BenchmarkGeminiToAnthropic(b *testing.B) {
	benchRequest(b, GeminiToAnthropic, fixtureInput(b, gmAn, "req_07_tool_history"), Options{Model: "m", DefaultMaxTokens: 1000})
}

func BenchmarkGeminiResponseToOpenAI(b *testing.B) {
	body := fixtureInput(b, oaGm, "resp_02_tools")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := GeminiResponseToOpenAI(body, "m"); err != nil {
			b.Fatal(err)
		}
	}
}

// The stream benchmarks measure one content event, the steady state of a stream.

func benchStream(b *testing.B, s streamConverter, name string, setup []string, ev string) {
	var dst []byte
	for _, e := range setup {
		dst, _ = s.Feed([]byte(name), []byte(e), dst)
	}
	event, n := []byte(ev), []byte(name)
	b.ReportAllocs()
	b.SetBytes(int64(len(ev)))
	for b.Loop() {
		var err error
		if dst, err = s.Feed(n, event, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

const gmDelta = `{"candidates":[{"content":{"parts":[{"text":" the quick brown fox"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.5-flash","responseId":"r1"}`

func BenchmarkGeminiToOpenAIStreamDelta(b *testing.B) {
	benchStream(b, NewGeminiToOpenAIStream("gpt-4o", true), "", []string{gmDelta}, gmDelta)
}

func BenchmarkGeminiToAnthropicStreamDelta(b *testing.B) {
	benchStream(b, NewGeminiToAnthropicStream("claude-sonnet"), "", []string{gmDelta}, gmDelta)
}

func BenchmarkOpenAIToGeminiStreamDelta(b *testing.B) {
	benchStream(b, NewOpenAIToGeminiStream("gemini-2.5-flash"), "",
		[]string{`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"g","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}`},
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"g","choices":[{"index":0,"delta":{"content":" the quick brown fox"},"logprobs":null,"finish_reason":null}]}`)
}

func BenchmarkAnthropicToGeminiStreamDelta(b *testing.B) {
	benchStream(b, NewAnthropicToGeminiStream("gemini-2.5-flash"), "content_block_delta",
		[]string{`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"c","usage":{"input_tokens":5,"output_tokens":1}}}`,
			`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`},
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the quick brown fox"}}`)
}
