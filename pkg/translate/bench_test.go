package translate

import "testing"

func fixtureInput(b *testing.B, route, name string) []byte {
	b.Helper()
	return loadFixtures(b, route)[name].Input
}

func BenchmarkOpenAIChatToAnthropic(b *testing.B) {
	body := fixtureInput(b, oa, "req_13_tool_history")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := OpenAIChatToAnthropic(body, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnthropicToOpenAIChat(b *testing.B) {
	body := fixtureInput(b, an, "req_12_tool_history")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := AnthropicToOpenAIChat(body, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenAIChatToAnthropicImage measures a request dominated by a
// 1 MB base64 image, the case where walking the JSON several times would show.
func BenchmarkOpenAIChatToAnthropicImage(b *testing.B) {
	img := make([]byte, 1<<20)
	for i := range img {
		img[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"[i%32]
	}
	body := []byte(`{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"data:image/png;base64,` + string(img) + `"}}]}]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := OpenAIChatToAnthropic(body, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnthropicResponseToOpenAI(b *testing.B) {
	body := fixtureInput(b, oa, "resp_02_tools")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AnthropicResponseToOpenAI(body, "m"); err != nil {
			b.Fatal(err)
		}
	}
}

// The stream benchmarks measure one content event, the steady state of a stream.

func BenchmarkAnthropicToOpenAIStreamDelta(b *testing.B) {
	s := NewAnthropicToOpenAIStream("claude-sonnet", true)
	dst, _ := s.Feed(nil, []byte(`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"c","usage":{"input_tokens":5,"output_tokens":1}}}`), nil)
	dst, _ = s.Feed(nil, []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`), dst)
	name := []byte("content_block_delta")
	ev := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the quick brown fox"}}`)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = s.Feed(name, ev, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenAIToAnthropicStreamDelta(b *testing.B) {
	s := NewOpenAIToAnthropicStream("gpt-4o")
	dst, _ := s.Feed(nil, []byte(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"g","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}`), nil)
	ev := []byte(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"g","choices":[{"index":0,"delta":{"content":" the quick brown fox"},"logprobs":null,"finish_reason":null}]}`)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = s.Feed(nil, ev, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
