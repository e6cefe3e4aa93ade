package translate

import "testing"

func fixtureInput(b *testing.B, route, name string) []byte {
	b.Helper()
	return loadFixtures(b, route)[name].Input
}

func benchRequest(b *testing.B, tr func([]byte, Options) ([]byte, error), body []byte, opts Options) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := tr(body, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func benchResponse(b *testing.B, tr func([]byte, string) ([]byte, error), body []byte) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr(body, "m"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenAIChatToAnthropic(b *testing.B) {
	benchRequest(b, OpenAIChatToAnthropic, fixtureInput(b, oa, "req_13_tool_history"), Options{})
}

func BenchmarkAnthropicToOpenAIChat(b *testing.B) {
	benchRequest(b, AnthropicToOpenAIChat, fixtureInput(b, an, "req_12_tool_history"), Options{})
}

// BenchmarkOpenAIChatToAnthropicImage measures a request dominated by a
// 1 MB base64 image, the case where walking the JSON several times would show.
func BenchmarkOpenAIChatToAnthropicImage(b *testing.B) {
	img := make([]byte, 1<<20)
	for i := range img {
		img[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"[i%32]
	}
	body := []byte(`{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,` + string(img) + `"}}]}]}`)
	benchRequest(b, OpenAIChatToAnthropic, body, Options{})
}

func BenchmarkAnthropicResponseToOpenAI(b *testing.B) {
	benchResponse(b, AnthropicResponseToOpenAI, fixtureInput(b, oa, "resp_02_tools"))
}

// The stream benchmarks measure one content event, the steady state of a
// stream: setup events first, then ev (named name) again and again.

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

// Anthropic and OpenAI upstream events, shared by the benchmarks of their
// converters.
const (
	anStart      = `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"c","usage":{"input_tokens":5,"output_tokens":1}}}`
	anTextStart  = `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`
	anTextDelta  = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the quick brown fox"}}`
	oaFirstChunk = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"g","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}`
	oaDeltaChunk = `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"g","choices":[{"index":0,"delta":{"content":" the quick brown fox"},"logprobs":null,"finish_reason":null}]}`
)

func BenchmarkAnthropicToOpenAIStreamDelta(b *testing.B) {
	benchStream(b, NewAnthropicToOpenAIStream("claude-sonnet", true), "content_block_delta", []string{anStart, anTextStart}, anTextDelta)
}

func BenchmarkOpenAIToAnthropicStreamDelta(b *testing.B) {
	benchStream(b, NewOpenAIToAnthropicStream("gpt-4o"), "", []string{oaFirstChunk}, oaDeltaChunk)
}
