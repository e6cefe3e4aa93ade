package usage

import (
	"encoding/json"
	"testing"
)

func TestScan(t *testing.T) {
	type scanFunc func([]byte) (Usage, bool)
	tests := []struct {
		name   string
		scan   scanFunc
		body   string
		want   Usage
		wantOK bool
	}{
		{name: "openai chat", scan: ScanOpenAI, body: string(openAIChatBody("Hello!")),
			want: Usage{InputUncached: 86, InputCacheRead: 1920, Output: 300, Reasoning: 192}, wantOK: true},
		{name: "openai chat with usage text in content", scan: ScanOpenAI, body: string(openAIChatBody(filler(3000))),
			want: Usage{InputUncached: 86, InputCacheRead: 1920, Output: 300, Reasoning: 192}, wantOK: true},
		{name: "openai chat without details", scan: ScanOpenAI,
			body: `{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}`,
			want: Usage{InputUncached: 9, Output: 12}, wantOK: true},
		{name: "openai explicit zero", scan: ScanOpenAI,
			body: `{"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`, want: Usage{}, wantOK: true},
		{name: "openai usage null", scan: ScanOpenAI, body: `{"choices":[],"usage":null}`},
		{name: "openai usage empty object", scan: ScanOpenAI, body: `{"usage":{}}`},
		{name: "openai no usage", scan: ScanOpenAI, body: `{"id":"x","choices":[{"message":{"content":"\"usage\":{\"prompt_tokens\":5}"}}]}`},
		{name: "openai error body", scan: ScanOpenAI,
			body: `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{name: "openai nested usage key is not top-level", scan: ScanOpenAI,
			body: `{"metadata":{"usage":{"prompt_tokens":5}},"choices":[]}`},
		{name: "openai escaped key is not matched", scan: ScanOpenAI, body: `{"us\u0061ge":{"prompt_tokens":5}}`},
		{name: "openai responses", scan: ScanOpenAI, body: string(openAIResponsesBody(filler(500))),
			want: Usage{InputUncached: 200, InputCacheRead: 128, Output: 52, Reasoning: 20}, wantOK: true},
		{name: "openai embeddings", scan: ScanOpenAI, body: openAIEmbeddingsBody,
			want: Usage{InputUncached: 8}, wantOK: true},
		{name: "openai total only", scan: ScanOpenAI, body: `{"usage":{"total_tokens":8}}`,
			want: Usage{InputUncached: 8}, wantOK: true},
		{name: "deepseek cache hit", scan: ScanOpenAI,
			body: `{"usage":{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":36}}`,
			want: Usage{InputUncached: 36, InputCacheRead: 64, Output: 10}, wantOK: true},
		{name: "inconsistent numbers clamp", scan: ScanOpenAI,
			body: `{"usage":{"prompt_tokens":10,"completion_tokens":-4,"prompt_tokens_details":{"cached_tokens":90},"completion_tokens_details":{"reasoning_tokens":7}}}`,
			want: Usage{InputCacheRead: 10}, wantOK: true},
		{name: "float and null counts", scan: ScanOpenAI,
			body: `{"usage":{"prompt_tokens":12.0,"completion_tokens":null,"total_tokens":"12","prompt_tokens_details":null}}`,
			want: Usage{InputUncached: 12}, wantOK: true},
		{name: "exponent is not a count", scan: ScanOpenAI, body: `{"usage":{"prompt_tokens":1e3}}`},
		{name: "huge count clamps", scan: ScanOpenAI, body: `{"usage":{"prompt_tokens":99999999999999999999999999}}`,
			want: Usage{InputUncached: MaxCount}, wantOK: true},
		{name: "truncated body", scan: ScanOpenAI, body: `{"choices":[],"usage":{"prompt_tokens":5,"completion_tok`},
		{name: "not json", scan: ScanOpenAI, body: `data: [DONE]`},

		{name: "anthropic", scan: ScanAnthropic, body: string(anthropicBody("Hi")),
			want: Usage{InputUncached: 2095, InputCacheRead: 1024, InputCacheWrite: 2051, Output: 503}, wantOK: true},
		{name: "anthropic with usage text in content", scan: ScanAnthropic, body: string(anthropicBody(filler(2000))),
			want: Usage{InputUncached: 2095, InputCacheRead: 1024, InputCacheWrite: 2051, Output: 503}, wantOK: true},
		{name: "anthropic minimal", scan: ScanAnthropic,
			body: `{"type":"message","content":[],"usage":{"input_tokens":25,"output_tokens":1}}`,
			want: Usage{InputUncached: 25, Output: 1}, wantOK: true},
		{name: "anthropic null cache fields", scan: ScanAnthropic,
			body: `{"usage":{"input_tokens":25,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":3}}`,
			want: Usage{InputUncached: 25, Output: 3}, wantOK: true},
		{name: "anthropic error", scan: ScanAnthropic,
			body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},

		{name: "gemini", scan: ScanGemini, body: string(geminiBody("Hi")),
			want: Usage{InputUncached: 120, InputCacheRead: 4000, Output: 1550, Reasoning: 1200}, wantOK: true},
		{name: "gemini with usage text in content", scan: ScanGemini, body: string(geminiBody(filler(4000))),
			want: Usage{InputUncached: 120, InputCacheRead: 4000, Output: 1550, Reasoning: 1200}, wantOK: true},
		{name: "gemini array of chunks, last wins", scan: ScanGemini,
			body: `[{"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7}},
			{"candidates":[{"content":{"parts":[{"text":"b"}]}}]},
			{"candidates":[{"content":{"parts":[{"text":"c"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3,"totalTokenCount":10}}]`,
			want: Usage{InputUncached: 7, Output: 3}, wantOK: true},
		{name: "gemini total alone is no report", scan: ScanGemini, body: `{"usageMetadata":{"totalTokenCount":7}}`},
		{name: "gemini error", scan: ScanGemini,
			body: `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`},
		{name: "gemini nested arrays", scan: ScanGemini, body: `[[{"usageMetadata":{"promptTokenCount":1}}]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.scan([]byte(tt.body))
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
			checkUsage(t, got)
		})
	}
}

// The scanners agree with a full encoding/json decode of realistic bodies.
func TestScanMatchesDecode(t *testing.T) {
	for _, n := range []int{0, 10, 1000, 10000} {
		content := filler(n)

		var oc struct {
			Usage struct {
				PromptTokens        int64 `json:"prompt_tokens"`
				CompletionTokens    int64 `json:"completion_tokens"`
				PromptTokensDetails struct {
					CachedTokens int64 `json:"cached_tokens"`
				} `json:"prompt_tokens_details"`
				CompletionTokensDetails struct {
					ReasoningTokens int64 `json:"reasoning_tokens"`
				} `json:"completion_tokens_details"`
			} `json:"usage"`
		}
		body := openAIChatBody(content)
		decode(t, body, &oc)
		want := OpenAIChat{oc.Usage.PromptTokens, oc.Usage.CompletionTokens,
			oc.Usage.PromptTokensDetails.CachedTokens, oc.Usage.CompletionTokensDetails.ReasoningTokens}.Normalize()
		if got, ok := ScanOpenAI(body); !ok || got != want {
			t.Errorf("openai chat n=%d: %+v, want %+v", n, got, want)
		}

		var or struct {
			Usage struct {
				InputTokens        int64 `json:"input_tokens"`
				OutputTokens       int64 `json:"output_tokens"`
				InputTokensDetails struct {
					CachedTokens int64 `json:"cached_tokens"`
				} `json:"input_tokens_details"`
				OutputTokensDetails struct {
					ReasoningTokens int64 `json:"reasoning_tokens"`
				} `json:"output_tokens_details"`
			} `json:"usage"`
		}
		body = openAIResponsesBody(content)
		decode(t, body, &or)
		want = OpenAIResponses{or.Usage.InputTokens, or.Usage.OutputTokens,
			or.Usage.InputTokensDetails.CachedTokens, or.Usage.OutputTokensDetails.ReasoningTokens}.Normalize()
		if got, ok := ScanOpenAI(body); !ok || got != want {
			t.Errorf("openai responses n=%d: %+v, want %+v", n, got, want)
		}

		var an struct {
			Usage struct {
				InputTokens              int64 `json:"input_tokens"`
				OutputTokens             int64 `json:"output_tokens"`
				CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
				CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
			} `json:"usage"`
		}
		body = anthropicBody(content)
		decode(t, body, &an)
		want = Anthropic(an.Usage).Normalize()
		if got, ok := ScanAnthropic(body); !ok || got != want {
			t.Errorf("anthropic n=%d: %+v, want %+v", n, got, want)
		}

		var ge struct {
			UsageMetadata struct {
				PromptTokenCount        int64 `json:"promptTokenCount"`
				CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
				CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
				ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
				ToolUsePromptTokenCount int64 `json:"toolUsePromptTokenCount"`
			} `json:"usageMetadata"`
		}
		body = geminiBody(content)
		decode(t, body, &ge)
		want = Gemini(ge.UsageMetadata).Normalize()
		if got, ok := ScanGemini(body); !ok || got != want {
			t.Errorf("gemini n=%d: %+v, want %+v", n, got, want)
		}
	}
}

func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("test body is not JSON: %v\n%s", err, body)
	}
}
