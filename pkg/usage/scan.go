package usage

import "github.com/burncloud/burncloud/pkg/jsonscan"

// The Scan functions read the usage of a whole (non-streaming) response body
// without decoding it: they walk the top-level object, skipping every other
// member, and read the integers of its usage object. The bool result reports
// whether the provider reported usage: a usage object with at least one
// count, even zero. A null or missing usage object, or one without any
// count, is no report.

// ScanOpenAI reads the top-level "usage" of an OpenAI chat/completions,
// completions, embeddings or Responses API body. Both key sets
// (prompt_tokens/completion_tokens and input_tokens/output_tokens) are
// understood, as is DeepSeek's prompt_cache_hit_tokens.
func ScanOpenAI(body []byte) (Usage, bool) {
	v, ok := jsonscan.Member(body, "usage")
	if !ok {
		return Usage{}, false
	}
	return readOpenAIUsage(v)
}

// ScanAnthropic reads the top-level "usage" of an Anthropic Messages body.
func ScanAnthropic(body []byte) (Usage, bool) {
	v, ok := jsonscan.Member(body, "usage")
	if !ok {
		return Usage{}, false
	}
	c, ok := readAnthropicUsage(v)
	if !ok {
		return Usage{}, false // a malformed object reports nothing
	}
	return c.n.Normalize(), true
}

// ScanGemini reads the "usageMetadata" of a Gemini generateContent body. A
// JSON array of responses (streamGenerateContent without alt=sse) is read
// too; the last element carrying usage wins, as counts there are cumulative.
func ScanGemini(body []byte) (Usage, bool) {
	if a, isArray := jsonscan.OpenArray(body); isArray {
		var u Usage
		var found bool
		for el, more := a.Next(); more; el, more = a.Next() {
			if got, ok := scanGeminiObject(el); ok {
				u, found = got, true
			}
		}
		return u, found
	}
	return scanGeminiObject(body)
}

func scanGeminiObject(body []byte) (Usage, bool) {
	v, ok := jsonscan.Member(body, "usageMetadata")
	if !ok {
		return Usage{}, false
	}
	return readGeminiUsage(v)
}

// setCount stores the count in v into *dst and reports whether v was one.
func setCount(dst *int64, v []byte) bool {
	n, ok := parseCount(v)
	if ok {
		*dst = n
	}
	return ok
}

func readOpenAIUsage(v []byte) (Usage, bool) {
	o, ok := jsonscan.OpenObject(v)
	if !ok {
		return Usage{}, false
	}
	var c OpenAIChat
	var total, hit int64
	var seen, havePrompt, haveTotal, haveCached, haveHit bool
	for k, val, more := o.Next(); more; k, val, more = o.Next() {
		switch string(k) {
		case "prompt_tokens", "input_tokens":
			havePrompt = setCount(&c.PromptTokens, val)
			seen = seen || havePrompt
		case "completion_tokens", "output_tokens":
			seen = setCount(&c.CompletionTokens, val) || seen
		case "total_tokens":
			haveTotal = setCount(&total, val)
			seen = seen || haveTotal
		case "prompt_tokens_details", "input_tokens_details":
			if d, ok := jsonscan.Member(val, "cached_tokens"); ok {
				haveCached = setCount(&c.CachedTokens, d)
			}
		case "completion_tokens_details", "output_tokens_details":
			if d, ok := jsonscan.Member(val, "reasoning_tokens"); ok {
				setCount(&c.ReasoningTokens, d)
			}
		case "prompt_cache_hit_tokens":
			haveHit = setCount(&hit, val)
		}
	}
	if !havePrompt && haveTotal {
		c.PromptTokens = max(total-c.CompletionTokens, 0)
	}
	if !haveCached && haveHit {
		c.CachedTokens = hit
	}
	return c.Normalize(), seen
}

// anthropicCounts remembers which fields a usage object carried: stream
// deltas replace only those.
type anthropicCounts struct {
	n                                   Anthropic
	hasIn, hasOut, hasRead, hasCreation bool
}

func readAnthropicUsage(v []byte) (anthropicCounts, bool) {
	var c anthropicCounts
	o, ok := jsonscan.OpenObject(v)
	if !ok {
		return c, false
	}
	for k, val, more := o.Next(); more; k, val, more = o.Next() {
		switch string(k) {
		case "input_tokens":
			c.hasIn = setCount(&c.n.InputTokens, val)
		case "output_tokens":
			c.hasOut = setCount(&c.n.OutputTokens, val)
		case "cache_read_input_tokens":
			c.hasRead = setCount(&c.n.CacheReadInputTokens, val)
		case "cache_creation_input_tokens":
			c.hasCreation = setCount(&c.n.CacheCreationInputTokens, val)
		}
	}
	return c, c.hasIn || c.hasOut || c.hasRead || c.hasCreation
}

// merge overwrites the fields d carries; Anthropic's counts are cumulative.
func (c *anthropicCounts) merge(d anthropicCounts) {
	if d.hasIn {
		c.n.InputTokens, c.hasIn = d.n.InputTokens, true
	}
	if d.hasOut {
		c.n.OutputTokens, c.hasOut = d.n.OutputTokens, true
	}
	if d.hasRead {
		c.n.CacheReadInputTokens, c.hasRead = d.n.CacheReadInputTokens, true
	}
	if d.hasCreation {
		c.n.CacheCreationInputTokens, c.hasCreation = d.n.CacheCreationInputTokens, true
	}
}

func readGeminiUsage(v []byte) (Usage, bool) {
	o, ok := jsonscan.OpenObject(v)
	if !ok {
		return Usage{}, false
	}
	var g Gemini
	seen := false
	for k, val, more := o.Next(); more; k, val, more = o.Next() {
		switch string(k) {
		case "promptTokenCount":
			seen = setCount(&g.PromptTokenCount, val) || seen
		case "cachedContentTokenCount":
			seen = setCount(&g.CachedContentTokenCount, val) || seen
		case "candidatesTokenCount":
			seen = setCount(&g.CandidatesTokenCount, val) || seen
		case "thoughtsTokenCount":
			seen = setCount(&g.ThoughtsTokenCount, val) || seen
		case "toolUsePromptTokenCount":
			seen = setCount(&g.ToolUsePromptTokenCount, val) || seen
		}
	}
	return g.Normalize(), seen
}
