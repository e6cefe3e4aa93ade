package translate

import "testing"

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
	benchResponse(b, GeminiResponseToOpenAI, fixtureInput(b, oaGm, "resp_02_tools"))
}

const gmDelta = `{"candidates":[{"content":{"parts":[{"text":" the quick brown fox"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.5-flash","responseId":"r1"}`

func BenchmarkGeminiToOpenAIStreamDelta(b *testing.B) {
	benchStream(b, NewGeminiToOpenAIStream("gpt-4o", true), "", []string{gmDelta}, gmDelta)
}

func BenchmarkGeminiToAnthropicStreamDelta(b *testing.B) {
	benchStream(b, NewGeminiToAnthropicStream("claude-sonnet"), "", []string{gmDelta}, gmDelta)
}

func BenchmarkOpenAIToGeminiStreamDelta(b *testing.B) {
	benchStream(b, NewOpenAIToGeminiStream("gemini-2.5-flash"), "", []string{oaFirstChunk}, oaDeltaChunk)
}

func BenchmarkAnthropicToGeminiStreamDelta(b *testing.B) {
	benchStream(b, NewAnthropicToGeminiStream("gemini-2.5-flash"), "content_block_delta", []string{anStart, anTextStart}, anTextDelta)
}
