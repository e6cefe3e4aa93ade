package usage

// MaxCount bounds every token count read or computed here. Larger reported
// values are clamped, so a sum of a handful of counts cannot overflow int64
// and pricing has a fixed input bound to prove its arithmetic against.
const MaxCount int64 = 1_000_000_000_000

// clampCount maps a count into [0, MaxCount].
func clampCount(n int64) int64 {
	return min(max(n, 0), MaxCount)
}

// OpenAIChat is the usage object of OpenAI chat/completions and completions.
// prompt_tokens includes prompt_tokens_details.cached_tokens;
// completion_tokens includes completion_tokens_details.reasoning_tokens.
type OpenAIChat struct {
	PromptTokens     int64
	CompletionTokens int64
	CachedTokens     int64
	ReasoningTokens  int64
}

// Normalize maps the numbers to Usage; parts larger than their whole are
// clamped to it, so no count goes negative.
func (c OpenAIChat) Normalize() Usage {
	prompt := clampCount(c.PromptTokens)
	cached := min(clampCount(c.CachedTokens), prompt)
	out := clampCount(c.CompletionTokens)
	return Usage{
		InputUncached:  prompt - cached,
		InputCacheRead: cached,
		Output:         out,
		Reasoning:      min(clampCount(c.ReasoningTokens), out),
	}
}

// OpenAIResponses is the usage object of the OpenAI Responses API.
// input_tokens includes input_tokens_details.cached_tokens; output_tokens
// includes output_tokens_details.reasoning_tokens.
type OpenAIResponses struct {
	InputTokens     int64
	OutputTokens    int64
	CachedTokens    int64
	ReasoningTokens int64
}

// Normalize maps the numbers to Usage (same rules as chat completions).
func (r OpenAIResponses) Normalize() Usage {
	return OpenAIChat{
		PromptTokens:     r.InputTokens,
		CompletionTokens: r.OutputTokens,
		CachedTokens:     r.CachedTokens,
		ReasoningTokens:  r.ReasoningTokens,
	}.Normalize()
}

// OpenAIEmbeddings is the usage object of OpenAI embeddings, where every
// token is input.
type OpenAIEmbeddings struct {
	PromptTokens int64
	TotalTokens  int64
}

// Normalize maps the numbers to Usage; total_tokens stands in when
// prompt_tokens is missing.
func (e OpenAIEmbeddings) Normalize() Usage {
	in := clampCount(e.PromptTokens)
	if in == 0 {
		in = clampCount(e.TotalTokens)
	}
	return Usage{InputUncached: in}
}

// Anthropic is the usage object of the Anthropic Messages API. input_tokens
// excludes cache_read_input_tokens and cache_creation_input_tokens. Thinking
// is part of output_tokens and not reported apart, so Reasoning stays 0.
type Anthropic struct {
	InputTokens              int64
	OutputTokens             int64
	CacheReadInputTokens     int64
	CacheCreationInputTokens int64
}

// Normalize maps the numbers to Usage.
func (a Anthropic) Normalize() Usage {
	return Usage{
		InputUncached:   clampCount(a.InputTokens),
		InputCacheRead:  clampCount(a.CacheReadInputTokens),
		InputCacheWrite: clampCount(a.CacheCreationInputTokens),
		Output:          clampCount(a.OutputTokens),
	}
}

// Gemini is the usageMetadata object of the Gemini API (and Vertex AI).
// promptTokenCount includes cachedContentTokenCount; candidatesTokenCount
// excludes thoughtsTokenCount; toolUsePromptTokenCount is input counted
// apart from the prompt.
type Gemini struct {
	PromptTokenCount        int64
	CachedContentTokenCount int64
	CandidatesTokenCount    int64
	ThoughtsTokenCount      int64
	ToolUsePromptTokenCount int64
}

// Normalize maps the numbers to Usage: output is candidates plus thoughts,
// reasoning is thoughts, tool-use prompt tokens are uncached input.
func (g Gemini) Normalize() Usage {
	prompt := clampCount(g.PromptTokenCount)
	cached := min(clampCount(g.CachedContentTokenCount), prompt)
	thoughts := clampCount(g.ThoughtsTokenCount)
	return Usage{
		InputUncached:  prompt - cached + clampCount(g.ToolUsePromptTokenCount),
		InputCacheRead: cached,
		Output:         clampCount(g.CandidatesTokenCount) + thoughts,
		Reasoning:      thoughts,
	}
}
