package usage

import (
	"bytes"

	"github.com/burncloud/burncloud/pkg/jsonscan"
)

// StreamScanner follows the usage of one streamed response. Feed it the data
// of every SSE event in order; it never retains data.
type StreamScanner interface {
	// Feed reads one event's data. Data that is not a JSON object ("[DONE]",
	// a cut chunk) is ignored.
	Feed(data []byte)
	// Usage returns the usage reported so far and whether the provider
	// reported any (an explicit zero counts; see the package doc for the
	// partial-stream rule).
	Usage() (Usage, bool)
	// OutputBytes is the size of the generated text and tool arguments seen
	// so far, as JSON-escaped string bytes: the input to EstimateTokens for a
	// stream cut before its usage arrived.
	OutputBytes() int
}

// OpenAIStream scans OpenAI chat/completions and completions chunks (usage
// arrives in the last chunk when stream_options.include_usage is on; earlier
// chunks carry "usage":null) and Responses API events (usage inside the
// "response" of response.completed, response.incomplete and
// response.failed). The zero value is ready to use.
type OpenAIStream struct {
	u   Usage
	ok  bool
	out int
}

// Feed reads one chunk or event.
func (s *OpenAIStream) Feed(data []byte) {
	o, isObj := jsonscan.OpenObject(data)
	if !isObj {
		return
	}
	var typ, delta []byte
	for k, v, more := o.Next(); more; k, v, more = o.Next() {
		switch string(k) {
		case "usage":
			s.take(v)
		case "response":
			if u, ok := jsonscan.Member(v, "usage"); ok {
				s.take(u)
			}
		case "choices":
			s.out += openAIChoicesBytes(v)
		case "type":
			typ = v
		case "delta":
			delta = v
		}
	}
	// Responses API deltas: text, refusal, reasoning and arguments are
	// generated text; audio deltas are base64 and would inflate the estimate.
	if delta != nil && !bytes.Contains(typ, []byte("audio")) {
		s.out += stringLen(delta)
	}
}

func (s *OpenAIStream) take(v []byte) {
	if u, ok := readOpenAIUsage(v); ok {
		s.u, s.ok = u, true
	}
}

// Usage returns the last usage reported.
func (s *OpenAIStream) Usage() (Usage, bool) { return s.u, s.ok }

// OutputBytes implements StreamScanner.
func (s *OpenAIStream) OutputBytes() int { return s.out }

// openAIChoicesBytes sums the generated text of a chunk's choices: delta
// content, refusal, reasoning and tool-call arguments, or a completions
// chunk's text.
func openAIChoicesBytes(v []byte) int {
	a, ok := jsonscan.OpenArray(v)
	if !ok {
		return 0
	}
	n := 0
	for choice, more := a.Next(); more; choice, more = a.Next() {
		o, ok := jsonscan.OpenObject(choice)
		if !ok {
			continue
		}
		for k, cv, more := o.Next(); more; k, cv, more = o.Next() {
			switch string(k) {
			case "text":
				n += stringLen(cv)
			case "delta":
				n += openAIDeltaBytes(cv)
			}
		}
	}
	return n
}

func openAIDeltaBytes(v []byte) int {
	o, ok := jsonscan.OpenObject(v)
	if !ok {
		return 0
	}
	n := 0
	for k, dv, more := o.Next(); more; k, dv, more = o.Next() {
		switch string(k) {
		case "content", "refusal", "reasoning_content", "reasoning":
			n += stringLen(dv)
		case "tool_calls":
			calls, ok := jsonscan.OpenArray(dv)
			if !ok {
				continue
			}
			for call, more := calls.Next(); more; call, more = calls.Next() {
				if fn, ok := jsonscan.Member(call, "function"); ok {
					if args, ok := jsonscan.Member(fn, "arguments"); ok {
						n += stringLen(args)
					}
				}
			}
		}
	}
	return n
}

// IsOpenAIUsageOnlyChunk reports whether an OpenAI stream chunk is the one
// include_usage adds: "choices" is an empty array and "usage" an object.
// The router holds it back from clients that did not ask for it.
func IsOpenAIUsageOnlyChunk(data []byte) bool {
	o, ok := jsonscan.OpenObject(data)
	if !ok {
		return false
	}
	var emptyChoices, hasUsage bool
	for k, v, more := o.Next(); more; k, v, more = o.Next() {
		switch string(k) {
		case "choices":
			emptyChoices = isEmptyArray(v)
		case "usage":
			hasUsage = len(v) > 0 && v[0] == '{'
		}
	}
	return emptyChoices && hasUsage
}

// AnthropicStream scans Anthropic Messages events: message_start carries
// the input usage in message.usage, message_delta carries cumulative counts
// (output_tokens always, others when they changed) in a top-level usage.
// The zero value is ready to use.
type AnthropicStream struct {
	c   anthropicCounts
	ok  bool
	out int
}

// Feed reads one event's data.
func (s *AnthropicStream) Feed(data []byte) {
	o, isObj := jsonscan.OpenObject(data)
	if !isObj {
		return
	}
	for k, v, more := o.Next(); more; k, v, more = o.Next() {
		switch string(k) {
		case "message":
			if u, ok := jsonscan.Member(v, "usage"); ok {
				if c, ok := readAnthropicUsage(u); ok {
					s.c, s.ok = c, true
				}
			}
		case "usage":
			if c, ok := readAnthropicUsage(v); ok {
				s.c.merge(c)
				s.ok = true
			}
		case "delta":
			s.out += anthropicDeltaBytes(v)
		}
	}
}

func anthropicDeltaBytes(v []byte) int {
	o, ok := jsonscan.OpenObject(v)
	if !ok {
		return 0
	}
	n := 0
	for k, dv, more := o.Next(); more; k, dv, more = o.Next() {
		switch string(k) {
		case "text", "thinking", "partial_json":
			n += stringLen(dv)
		}
	}
	return n
}

// Usage returns the usage accumulated so far.
func (s *AnthropicStream) Usage() (Usage, bool) { return s.c.n.Normalize(), s.ok }

// OutputBytes implements StreamScanner.
func (s *AnthropicStream) OutputBytes() int { return s.out }

// GeminiStream scans streamGenerateContent chunks: each may carry a
// usageMetadata with counts so far, and the last one wins. The zero value is
// ready to use.
type GeminiStream struct {
	u   Usage
	ok  bool
	out int
}

// Feed reads one chunk.
func (s *GeminiStream) Feed(data []byte) {
	o, isObj := jsonscan.OpenObject(data)
	if !isObj {
		return
	}
	for k, v, more := o.Next(); more; k, v, more = o.Next() {
		switch string(k) {
		case "usageMetadata":
			if u, ok := readGeminiUsage(v); ok {
				s.u, s.ok = u, true
			}
		case "candidates":
			s.out += geminiCandidatesBytes(v)
		}
	}
}

// geminiCandidatesBytes sums the text parts (thoughts included) and the raw
// size of function-call arguments.
func geminiCandidatesBytes(v []byte) int {
	a, ok := jsonscan.OpenArray(v)
	if !ok {
		return 0
	}
	n := 0
	for cand, more := a.Next(); more; cand, more = a.Next() {
		content, ok := jsonscan.Member(cand, "content")
		if !ok {
			continue
		}
		parts, ok := jsonscan.Member(content, "parts")
		if !ok {
			continue
		}
		pa, ok := jsonscan.OpenArray(parts)
		if !ok {
			continue
		}
		for part, more := pa.Next(); more; part, more = pa.Next() {
			po, ok := jsonscan.OpenObject(part)
			if !ok {
				continue
			}
			for k, pv, more := po.Next(); more; k, pv, more = po.Next() {
				switch string(k) {
				case "text":
					n += stringLen(pv)
				case "functionCall":
					if args, ok := jsonscan.Member(pv, "args"); ok {
						n += len(args)
					}
				}
			}
		}
	}
	return n
}

// Usage returns the last usage reported.
func (s *GeminiStream) Usage() (Usage, bool) { return s.u, s.ok }

// OutputBytes implements StreamScanner.
func (s *GeminiStream) OutputBytes() int { return s.out }
