package usage

import "testing"

// sized builds a body of about size bytes around filler content.
func sized(body func(string) []byte, size int) []byte {
	return body(filler(max(size-len(body("")), 0)))
}

func benchScan(b *testing.B, scan func([]byte) (Usage, bool), body []byte) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := scan(body); !ok {
			b.Fatal("no usage")
		}
	}
}

func BenchmarkScanOpenAI1KB(b *testing.B)  { benchScan(b, ScanOpenAI, sized(openAIChatBody, 1<<10)) }
func BenchmarkScanOpenAI10KB(b *testing.B) { benchScan(b, ScanOpenAI, sized(openAIChatBody, 10<<10)) }
func BenchmarkScanOpenAIResponses10KB(b *testing.B) {
	benchScan(b, ScanOpenAI, sized(openAIResponsesBody, 10<<10))
}
func BenchmarkScanAnthropic1KB(b *testing.B) {
	benchScan(b, ScanAnthropic, sized(anthropicBody, 1<<10))
}
func BenchmarkScanAnthropic10KB(b *testing.B) {
	benchScan(b, ScanAnthropic, sized(anthropicBody, 10<<10))
}
func BenchmarkScanGemini1KB(b *testing.B)  { benchScan(b, ScanGemini, sized(geminiBody, 1<<10)) }
func BenchmarkScanGemini10KB(b *testing.B) { benchScan(b, ScanGemini, sized(geminiBody, 10<<10)) }

// benchStream feeds one representative event per iteration.
func benchStream(b *testing.B, s StreamScanner, data string) {
	d := []byte(data)
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		s.Feed(d)
	}
	if s.OutputBytes() == 0 {
		if _, ok := s.Usage(); !ok {
			b.Fatal("event had no effect")
		}
	}
}

const (
	openAIContentChunk = `{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}],"usage":null}`
	openAIUsageChunk   = `{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":90,"total_tokens":1290,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":64,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`
	anthropicDelta     = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" token"}}`
	anthropicStart     = `{"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":2}}}`
	geminiChunk        = `{"candidates": [{"content": {"parts": [{"text": " token"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 5,"totalTokenCount": 54,"thoughtsTokenCount": 40},"modelVersion": "gemini-2.5-flash","responseId": "abc"}`
)

func BenchmarkOpenAIStreamContent(b *testing.B) { benchStream(b, &OpenAIStream{}, openAIContentChunk) }
func BenchmarkOpenAIStreamUsage(b *testing.B)   { benchStream(b, &OpenAIStream{}, openAIUsageChunk) }
func BenchmarkAnthropicStreamDelta(b *testing.B) {
	benchStream(b, &AnthropicStream{}, anthropicDelta)
}
func BenchmarkAnthropicStreamStart(b *testing.B) {
	benchStream(b, &AnthropicStream{}, anthropicStart)
}
func BenchmarkGeminiStreamChunk(b *testing.B) { benchStream(b, &GeminiStream{}, geminiChunk) }

func BenchmarkIsOpenAIUsageOnlyChunk(b *testing.B) {
	d := []byte(openAIContentChunk)
	b.ReportAllocs()
	for b.Loop() {
		if IsOpenAIUsageOnlyChunk(d) {
			b.Fatal("content chunk taken for usage-only")
		}
	}
}
