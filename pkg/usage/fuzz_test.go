package usage

import (
	"bytes"
	"encoding/json"
	"testing"
)

func addBodySeeds(f *testing.F) {
	for _, b := range [][]byte{
		openAIChatBody("hi"), openAIResponsesBody("hi"), []byte(openAIEmbeddingsBody),
		anthropicBody("hi"), geminiBody("hi"),
		[]byte(`{"usage":{"prompt_tokens":-5,"prompt_tokens_details":{"cached_tokens":99999999999999999999}}}`),
		[]byte(`{"usage":{"prompt_tokens":1.5,"completion_tokens":"1"}}`),
		[]byte(`[{"usageMetadata":{"promptTokenCount":1}},{"usageMetadata":{"candidatesTokenCount":2}}]`),
		[]byte(`{"a":"\\\"usage\\\":{","usage":{"input_tokens":3}}`),
		[]byte(`{"usage":{`), []byte(`"`), []byte(`{"\`), []byte(`[[[[`), []byte(`{"choices":[],"usage":{}}`),
	} {
		f.Add(b)
	}
}

// checkScan asserts what every scan result must satisfy.
func checkScan(t *testing.T, u Usage, ok bool) {
	t.Helper()
	checkUsage(t, u)
	if !ok && u != (Usage{}) {
		t.Fatalf("usage %+v without a report", u)
	}
}

func FuzzScanOpenAI(f *testing.F) {
	addBodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		u, ok := ScanOpenAI(body)
		checkScan(t, u, ok)
		IsOpenAIUsageOnlyChunk(body)
	})
}

func FuzzScanAnthropic(f *testing.F) {
	addBodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		u, ok := ScanAnthropic(body)
		checkScan(t, u, ok)
	})
}

func FuzzScanGemini(f *testing.F) {
	addBodySeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		u, ok := ScanGemini(body)
		checkScan(t, u, ok)
	})
}

// fuzzStream feeds each line of in as one event's data.
func fuzzStream(t *testing.T, s StreamScanner, in []byte) {
	for line := range bytes.SplitSeq(in, []byte("\n")) {
		s.Feed(line)
		if s.OutputBytes() < 0 {
			t.Fatalf("negative OutputBytes %d", s.OutputBytes())
		}
	}
	u, ok := s.Usage()
	checkScan(t, u, ok)
	if s.OutputBytes() > len(in) {
		t.Fatalf("OutputBytes %d above input size %d", s.OutputBytes(), len(in))
	}
}

func addStreamSeeds(f *testing.F) {
	for _, s := range []string{openAIChatStream, openAIResponsesStream, anthropicStream, geminiStream} {
		var b []byte
		for line := range bytes.SplitSeq([]byte(s), []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				b = append(append(b, d...), '\n')
			}
		}
		f.Add(b)
	}
	addBodySeeds(f)
}

func FuzzOpenAIStream(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) { fuzzStream(t, &OpenAIStream{}, in) })
}

func FuzzAnthropicStream(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) { fuzzStream(t, &AnthropicStream{}, in) })
}

func FuzzGeminiStream(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) { fuzzStream(t, &GeminiStream{}, in) })
}

// Arbitrary counts and arbitrary model text, encoded by encoding/json, scan
// to exactly what the normalizers make of the counts.
func FuzzScanMatchesNormalize(f *testing.F) {
	f.Add(int64(2006), int64(300), int64(1920), int64(192), int64(0), `Hello "usage": {"prompt_tokens": 1}`)
	f.Add(int64(-1), int64(1<<62), int64(5), int64(-9), int64(7), "\\\"\n\u2028")
	f.Fuzz(func(t *testing.T, a, b, c, d, e int64, content string) {
		type details struct {
			Cached    int64 `json:"cached_tokens"`
			Reasoning int64 `json:"reasoning_tokens"`
		}
		oc, _ := json.Marshal(map[string]any{
			"choices": []any{map[string]any{"message": map[string]any{"content": content}}},
			"usage": map[string]any{"prompt_tokens": a, "completion_tokens": b,
				"prompt_tokens_details": details{Cached: c}, "completion_tokens_details": details{Reasoning: d}},
			"z": content,
		})
		if got, ok := ScanOpenAI(oc); !ok || got != (OpenAIChat{a, b, c, d}).Normalize() {
			t.Fatalf("openai %s: %+v", oc, got)
		}
		an, _ := json.Marshal(map[string]any{
			"content": []any{map[string]any{"type": "text", "text": content}},
			"usage": map[string]any{"input_tokens": a, "output_tokens": b,
				"cache_read_input_tokens": c, "cache_creation_input_tokens": d},
		})
		if got, ok := ScanAnthropic(an); !ok || got != (Anthropic{a, b, c, d}).Normalize() {
			t.Fatalf("anthropic %s: %+v", an, got)
		}
		ge, _ := json.Marshal(map[string]any{
			"candidates": []any{map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": content}}}}},
			"usageMetadata": map[string]any{"promptTokenCount": a, "candidatesTokenCount": b,
				"cachedContentTokenCount": c, "thoughtsTokenCount": d, "toolUsePromptTokenCount": e},
		})
		if got, ok := ScanGemini(ge); !ok || got != (Gemini{a, c, b, d, e}).Normalize() {
			t.Fatalf("gemini %s: %+v", ge, got)
		}
	})
}
