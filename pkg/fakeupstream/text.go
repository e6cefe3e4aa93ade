package fakeupstream

import (
	"bytes"
	"encoding/json"
	"unicode"
)

// vocab words are all four ASCII letters, so a token is 5 bytes with its
// leading space and never needs JSON escaping.
var vocab = [16]string{
	"able", "bold", "calm", "dawn", "echo", "fern", "glow", "hush",
	"iris", "jade", "kite", "lush", "mint", "nova", "opal", "pine",
}

// appendTokens appends content tokens [from, to). Every token but the first
// of the answer carries a leading space, so chunks concatenate to the answer.
func appendTokens(b []byte, from, to int) []byte {
	for i := from; i < to; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, vocab[i%len(vocab)]...)
	}
	return b
}

// countWords counts whitespace-separated words the way strings.Fields splits them.
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in, n = true, n+1
		}
	}
	return n
}

func trimJSON(raw []byte) []byte { return bytes.TrimLeft(raw, " \t\r\n") }

// wordsIn counts prompt words in a JSON value: strings count their words,
// arrays their elements' words, objects (content parts, input items) their
// "text" and "content", and numbers (token ids) one each.
func wordsIn(raw []byte) int {
	raw = trimJSON(raw)
	if len(raw) == 0 {
		return 0
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		return countWords(s)
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return 0
		}
		n := 0
		for _, it := range items {
			n += wordsIn(it)
		}
		return n
	case '{':
		var part struct {
			Text    string          `json:"text"`
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(raw, &part) != nil {
			return 0
		}
		return countWords(part.Text) + wordsIn(part.Content)
	case 'n', 't', 'f':
		return 0
	}
	return 1
}

// vectorCount is how many embeddings an input asks for: a string or one
// token-id array is one, an array of strings or of token arrays one each.
func vectorCount(raw []byte) int {
	raw = trimJSON(raw)
	if len(raw) == 0 {
		return 0
	}
	switch raw[0] {
	case '"':
		return 1
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
			return 0
		}
		if first := trimJSON(items[0]); len(first) > 0 && (first[0] == '"' || first[0] == '[') {
			return len(items)
		}
		return 1
	}
	return 0
}

type usageMode uint8

const (
	usageReported usageMode = iota
	usageNone
	usageZero
)

// usage holds counts the OpenAI way: prompt includes cached, completion
// includes reasoning.
type usage struct {
	prompt, cached, completion, reasoning int
}

func (u usage) total() int { return u.prompt + u.completion }

// plan is what an answer will contain.
type plan struct {
	tokens, chunks int
	capped         bool // cut short by the request's token limit
	u              usage
	mode           usageMode
}

// span is the token range of content chunk k.
func (p *plan) span(k int) (from, to int) {
	return k * p.tokens / p.chunks, (k + 1) * p.tokens / p.chunks
}

func (p *plan) finish(tool bool) string {
	switch {
	case p.capped:
		return "length"
	case tool:
		return "tool_calls"
	}
	return "stop"
}

// makePlan sizes an answer from the scenario and the request's prompt words
// and token limit (nil: none).
func makePlan(sc *Scenario, defaultTokens, promptWords int, limit *int) plan {
	p := plan{tokens: defaultTokens}
	switch {
	case sc.BodyBytes > 0:
		p.tokens = max(1, (sc.BodyBytes+1)/5)
	case sc.Chunks > 0:
		p.tokens = sc.Chunks
	}
	if limit != nil && *limit >= 0 && *limit < p.tokens {
		p.tokens, p.capped = *limit, true
	}
	p.chunks = p.tokens
	if sc.Chunks > 0 && sc.Chunks < p.chunks {
		p.chunks = sc.Chunks
	}
	prompt := promptWords
	if sc.PromptTokens > 0 {
		prompt = sc.PromptTokens
	}
	p.u = usage{
		prompt:     prompt,
		cached:     min(sc.CachedTokens, prompt),
		reasoning:  sc.ReasoningTokens,
		completion: p.tokens + sc.ReasoningTokens,
	}
	switch {
	case sc.NoUsage:
		p.mode = usageNone
	case sc.ZeroUsage:
		p.mode, p.u = usageZero, usage{}
	}
	return p
}
