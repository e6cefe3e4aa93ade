package usage

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		got  Usage
		want Usage
	}{
		{"openai chat",
			OpenAIChat{PromptTokens: 2006, CompletionTokens: 300, CachedTokens: 1920, ReasoningTokens: 192}.Normalize(),
			Usage{InputUncached: 86, InputCacheRead: 1920, Output: 300, Reasoning: 192}},
		{"openai chat cached above prompt clamps",
			OpenAIChat{PromptTokens: 10, CompletionTokens: 5, CachedTokens: 50, ReasoningTokens: 9}.Normalize(),
			Usage{InputUncached: 0, InputCacheRead: 10, Output: 5, Reasoning: 5}},
		{"openai chat negatives read as zero",
			OpenAIChat{PromptTokens: -1, CompletionTokens: -5, CachedTokens: -3, ReasoningTokens: -2}.Normalize(),
			Usage{}},
		{"openai chat huge values clamp",
			OpenAIChat{PromptTokens: 1 << 62, CompletionTokens: 1 << 62}.Normalize(),
			Usage{InputUncached: MaxCount, Output: MaxCount}},
		{"openai responses",
			OpenAIResponses{InputTokens: 328, OutputTokens: 52, CachedTokens: 128, ReasoningTokens: 20}.Normalize(),
			Usage{InputUncached: 200, InputCacheRead: 128, Output: 52, Reasoning: 20}},
		{"openai embeddings",
			OpenAIEmbeddings{PromptTokens: 8, TotalTokens: 8}.Normalize(),
			Usage{InputUncached: 8}},
		{"openai embeddings total only",
			OpenAIEmbeddings{TotalTokens: 8}.Normalize(),
			Usage{InputUncached: 8}},
		{"anthropic",
			Anthropic{InputTokens: 2095, OutputTokens: 503, CacheReadInputTokens: 1024, CacheCreationInputTokens: 2051}.Normalize(),
			Usage{InputUncached: 2095, InputCacheRead: 1024, InputCacheWrite: 2051, Output: 503}},
		{"anthropic negatives",
			Anthropic{InputTokens: -1, OutputTokens: -1, CacheReadInputTokens: -1, CacheCreationInputTokens: -1}.Normalize(),
			Usage{}},
		{"gemini thoughts add to output",
			Gemini{PromptTokenCount: 4120, CachedContentTokenCount: 4000, CandidatesTokenCount: 350, ThoughtsTokenCount: 1200}.Normalize(),
			Usage{InputUncached: 120, InputCacheRead: 4000, Output: 1550, Reasoning: 1200}},
		{"gemini tool-use prompt is input",
			Gemini{PromptTokenCount: 100, CandidatesTokenCount: 10, ToolUsePromptTokenCount: 40}.Normalize(),
			Usage{InputUncached: 140, Output: 10}},
		{"gemini cached above prompt clamps",
			Gemini{PromptTokenCount: 10, CachedContentTokenCount: 30, CandidatesTokenCount: 1}.Normalize(),
			Usage{InputCacheRead: 10, Output: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %+v, want %+v", tt.got, tt.want)
			}
			checkUsage(t, tt.got)
		})
	}
}

func TestInputTotal(t *testing.T) {
	u := Usage{InputUncached: 1, InputCacheRead: 20, InputCacheWrite: 300, Output: 4000}
	if got := u.InputTotal(); got != 321 {
		t.Fatalf("InputTotal = %d, want 321", got)
	}
}

// checkUsage asserts the invariants every produced Usage keeps.
func checkUsage(t *testing.T, u Usage) {
	t.Helper()
	for _, n := range []int64{u.InputUncached, u.InputCacheRead, u.InputCacheWrite, u.Output, u.Reasoning} {
		if n < 0 || n > 2*MaxCount {
			t.Fatalf("count out of range in %+v", u)
		}
	}
	if u.Reasoning > u.Output {
		t.Fatalf("reasoning above output in %+v", u)
	}
}
