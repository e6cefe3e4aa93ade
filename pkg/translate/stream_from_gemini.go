package translate

import (
	"encoding/json"
	"time"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
	"github.com/burncloud/burncloud/pkg/sse"
)

// readGeminiChunk decodes one Gemini stream event. failed is set when the
// stream ends there: with the error the client gets (by Anthropic type)
// and, for a chunk that cannot be read, err.
func readGeminiChunk(eventName, data []byte) (r gmResponseIn, failed *anError, err error) {
	if err = json.Unmarshal(data, &r); err != nil {
		return r, &anError{Type: "api_error", Message: "upstream sent an unreadable chunk"}, badResponse("event %q: %v", eventName, err)
	}
	if !isNull(r.Error) {
		e := &gmError{}
		if json.Unmarshal(r.Error, e) != nil || e.Message == "" {
			e.Message = "upstream error"
		}
		return r, &anError{Type: gmToAnthropicType(e, 0), Message: e.Message}, nil
	}
	return r, nil, nil
}

// GeminiToOpenAIStream turns a Gemini stream (streamGenerateContent with
// alt=sse) into OpenAI chat.completion.chunk events: thoughts as
// delta.reasoning_content, text as delta.content, each function call as a
// whole tool_calls entry, thought signatures as Google's extra_content. The
// chunk with finishReason gives finish_reason; Gemini sends no terminator,
// so the usage chunk (when asked for) and [DONE] follow at Finish, with the
// last usageMetadata seen. An upstream error chunk becomes an OpenAI error
// chunk and the stream ends there without [DONE].
type GeminiToOpenAIStream struct {
	out     AnthropicToOpenAIStream // the OpenAI chunk writer
	started bool
	calls   int
	usage   *gmUsage
}

// NewGeminiToOpenAIStream returns a converter answering as model (the
// client-facing name; empty: the upstream's). includeUsage is the client's
// stream_options.include_usage: it adds "usage":null to every chunk and a
// final usage-only chunk, as OpenAI does.
func NewGeminiToOpenAIStream(model string, includeUsage bool) *GeminiToOpenAIStream {
	return &GeminiToOpenAIStream{out: AnthropicToOpenAIStream{model: model, includeUsage: includeUsage, created: time.Now().Unix()}}
}

// Done reports whether the downstream stream has ended ([DONE] or an error).
func (s *GeminiToOpenAIStream) Done() bool { return s.out.done }

// Feed converts one upstream event and appends the downstream events to dst.
// An error means the upstream event could not be read; dst then already
// ends with an error chunk and the stream is over.
func (s *GeminiToOpenAIStream) Feed(eventName, data []byte, dst []byte) ([]byte, error) {
	o := &s.out
	if o.done {
		return dst, nil
	}
	r, failed, err := readGeminiChunk(eventName, data)
	if failed != nil {
		return o.fail(dst, failed.Type, failed.Message), err
	}
	if r.UsageMetadata != nil {
		s.usage = r.UsageMetadata
	}
	if !s.started {
		s.started = true
		o.id = r.ResponseID
		if o.model == "" {
			o.model = r.ModelVersion
		}
		if dst, err = o.chunk(dst, roleDelta, ""); err != nil {
			return dst, err
		}
	}
	if o.finish != "" {
		return dst, nil // after the finish only usage counts
	}
	cand := r.first()
	if cand == nil {
		if blocked(&r) {
			o.finish = "content_filter"
			return o.chunk(dst, emptyDelta, o.finish)
		}
		return dst, nil
	}
	if cand.Content != nil {
		for i := range cand.Content.Parts {
			if dst, err = s.part(dst, &cand.Content.Parts[i]); err != nil {
				return dst, err
			}
		}
	}
	if cand.FinishReason != "" {
		o.finish = gmFinishToOpenAI(cand.FinishReason, s.calls > 0)
		return o.chunk(dst, emptyDelta, o.finish)
	}
	return dst, nil
}

func (s *GeminiToOpenAIStream) part(dst []byte, p *gmPartIn) ([]byte, error) {
	o := &s.out
	b := o.delta[:0]
	switch p.kind() {
	case 't':
		if p.text() == "" && p.ThoughtSignature == "" {
			return dst, nil
		}
		key := `{"content":`
		if p.Thought {
			key = `{"reasoning_content":`
		}
		b = jsonwrite.AppendString(append(b, key...), p.text())
		b = appendExtraContent(b, p.ThoughtSignature)
	case 'c':
		if s.calls >= maxBlocks {
			return o.fail(dst, "api_error", "upstream sent too many function calls"), badResponse("too many function calls")
		}
		args, err := compactObject(p.FunctionCall.Args)
		if err != nil || kind([]byte(args)) != '{' {
			return o.fail(dst, "api_error", "upstream sent function arguments that are not an object"), badResponse("functionCall.args: %v", err)
		}
		id := p.FunctionCall.ID
		if id == "" {
			id = answerCallID(o.id, s.calls)
		}
		b = appendInt(append(b, `{"tool_calls":[{"index":`...), int64(s.calls))
		b = jsonwrite.AppendString(append(b, `,"id":`...), id)
		b = jsonwrite.AppendString(append(b, `,"type":"function","function":{"name":`...), p.FunctionCall.Name)
		b = jsonwrite.AppendString(append(b, `,"arguments":`...), args)
		b = append(b, '}')
		b = appendExtraContent(b, p.ThoughtSignature)
		b = append(b, `}]`...)
		s.calls++
	default:
		return dst, nil // parts the client has no form for (code execution, media)
	}
	o.delta = append(b, '}')
	return o.chunk(dst, o.delta, "")
}

// appendExtraContent adds ,"extra_content":{"google":{"thought_signature":...}}.
func appendExtraContent(b []byte, sig string) []byte {
	if sig == "" {
		return b
	}
	b = jsonwrite.AppendString(append(b, `,"extra_content":{"google":{"thought_signature":`...), sig)
	return append(b, "}}"...)
}

// Finish ends the downstream stream when the upstream ended. A Gemini
// stream is complete once a chunk gave finishReason; one that ended before
// was cut, and the client gets an error chunk instead of [DONE].
func (s *GeminiToOpenAIStream) Finish(dst []byte) []byte {
	o := &s.out
	switch {
	case o.done:
		return dst
	case o.finish == "":
		return o.fail(dst, "api_error", "upstream stream ended before the message was complete")
	}
	o.done = true
	if o.includeUsage {
		u, _ := marshal(gmUsageToOpenAI(s.usage))
		b := o.head(o.buf[:0])
		b = append(append(b, `[],"usage":`...), u...)
		o.buf = append(b, '}')
		dst, _ = sse.AppendEvent(dst, "", o.buf)
	}
	dst, _ = sse.AppendEvent(dst, "", doneData)
	return dst
}

// GeminiToAnthropicStream turns a Gemini stream into an Anthropic Messages
// event stream: message_start, ping, content blocks (thinking from thought
// parts, text, tool_use with the whole input as one input_json_delta),
// message_delta with the stop reason and usage, message_stop. Thought
// signatures travel as GeminiResponseToAnthropic writes them: a signed
// thought closes its thinking block with a signature_delta; a signed text
// or call is followed by a thinking block with no text and that signature.
// Gemini sends no terminator: message_delta and message_stop follow at
// Finish, with the last usageMetadata seen.
type GeminiToAnthropicStream struct {
	out   OpenAIToAnthropicStream // the Anthropic event writer
	stop  string
	calls int
	usage *gmUsage
	id    string
}

// NewGeminiToAnthropicStream returns a converter answering as model (the
// client-facing name; empty: the upstream's).
func NewGeminiToAnthropicStream(model string) *GeminiToAnthropicStream {
	return &GeminiToAnthropicStream{out: OpenAIToAnthropicStream{model: model}}
}

// Done reports whether the downstream stream has ended (message_stop or an error).
func (s *GeminiToAnthropicStream) Done() bool { return s.out.done }

// Feed converts one upstream event and appends the downstream events to dst.
// An error means the upstream event could not be read; dst then already
// ends with an error event and the stream is over.
func (s *GeminiToAnthropicStream) Feed(eventName, data []byte, dst []byte) ([]byte, error) {
	o := &s.out
	if o.done {
		return dst, nil
	}
	r, failed, err := readGeminiChunk(eventName, data)
	if failed != nil {
		return o.fail(dst, failed.Type, failed.Message), err
	}
	if !o.started {
		s.id = r.ResponseID
	}
	dst = o.start(dst, r.ResponseID, r.ModelVersion)
	if r.UsageMetadata != nil {
		s.usage = r.UsageMetadata
	}
	if s.stop != "" {
		return dst, nil // after the finish only usage counts
	}
	cand := r.first()
	if cand == nil {
		if blocked(&r) {
			s.stop = "refusal"
		}
		return dst, nil
	}
	if cand.Content != nil {
		for i := range cand.Content.Parts {
			if dst, err = s.part(dst, &cand.Content.Parts[i]); err != nil {
				return dst, err
			}
		}
	}
	if cand.FinishReason != "" {
		s.stop = gmFinishToAnthropic(cand.FinishReason, s.calls > 0)
		dst = o.closeBlock(dst)
	}
	return dst, nil
}

const (
	thinkingStart = `{"type":"thinking","thinking":"","signature":""}`
	textStart     = `{"type":"text","text":""}`
)

func (s *GeminiToAnthropicStream) part(dst []byte, p *gmPartIn) ([]byte, error) {
	o := &s.out
	if o.next >= maxBlocks {
		return o.fail(dst, "api_error", "upstream sent too many parts"), badResponse("too many content blocks")
	}
	switch p.kind() {
	case 't':
		if p.Thought {
			if p.text() == "" && p.ThoughtSignature == "" {
				return dst, nil
			}
			dst = o.openBlock(dst, blockThinking, thinkingStart)
			if t := p.text(); t != "" {
				dst = o.blockDelta(dst, `{"type":"thinking_delta","thinking":`, t)
			}
			if p.ThoughtSignature != "" {
				dst = o.blockDelta(dst, `{"type":"signature_delta","signature":`, p.ThoughtSignature)
				dst = o.closeBlock(dst)
			}
			return dst, nil
		}
		if t := p.text(); t != "" {
			dst = o.openBlock(dst, blockText, textStart)
			dst = o.blockDelta(dst, `{"type":"text_delta","text":`, t)
		}
		return s.signature(dst, p.ThoughtSignature), nil
	case 'c':
		args, err := compactObject(p.FunctionCall.Args)
		if err != nil || kind([]byte(args)) != '{' {
			return o.fail(dst, "api_error", "upstream sent function arguments that are not an object"), badResponse("functionCall.args: %v", err)
		}
		id := p.FunctionCall.ID
		if id == "" {
			id = answerCallID(s.id, s.calls)
		}
		s.calls++
		dst = o.closeBlock(dst)
		b := jsonwrite.AppendString(append(o.buf[:0], `{"type":"tool_use","id":`...), id)
		b = jsonwrite.AppendString(append(b, `,"name":`...), p.FunctionCall.Name)
		o.buf = append(b, `,"input":{}}`...)
		dst = o.openBlock(dst, blockTool, string(o.buf))
		if args != "{}" {
			dst = o.blockDelta(dst, `{"type":"input_json_delta","partial_json":`, args)
		}
		dst = o.closeBlock(dst)
		return s.signature(dst, p.ThoughtSignature), nil
	}
	return dst, nil // parts the client has no form for (code execution, media)
}

// signature writes the thinking block with no text that carries the
// signature of the part before it.
func (s *GeminiToAnthropicStream) signature(dst []byte, sig string) []byte {
	if sig == "" {
		return dst
	}
	o := &s.out
	dst = o.closeBlock(dst)
	dst = o.openBlock(dst, blockThinking, thinkingStart)
	dst = o.blockDelta(dst, `{"type":"signature_delta","signature":`, sig)
	return o.closeBlock(dst)
}

// Finish ends the downstream stream when the upstream ended. A Gemini
// stream is complete once a chunk gave finishReason; one that ended before
// was cut, and the client gets an error event instead of message_stop.
func (s *GeminiToAnthropicStream) Finish(dst []byte) []byte {
	o := &s.out
	switch {
	case o.done:
		return dst
	case s.stop == "":
		return o.fail(dst, "api_error", "upstream stream ended before the message was complete")
	}
	dst = o.start(dst, "", "")
	dst = o.closeBlock(dst)
	o.done = true
	u := gmUsageToAnthropic(s.usage)
	b := jsonwrite.AppendString(append(o.buf[:0], `{"type":"message_delta","delta":{"stop_reason":`...), s.stop)
	b = appendInt(append(b, `,"stop_sequence":null},"usage":{"input_tokens":`...), u.InputTokens)
	b = appendInt(append(b, `,"cache_creation_input_tokens":`...), u.CacheCreationInputTokens)
	b = appendInt(append(b, `,"cache_read_input_tokens":`...), u.CacheReadInputTokens)
	b = appendInt(append(b, `,"output_tokens":`...), u.OutputTokens)
	o.buf = append(b, "}}"...)
	dst = o.event(dst, "message_delta", o.buf)
	return o.event(dst, "message_stop", []byte(`{"type":"message_stop"}`))
}
