package translate

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
	"github.com/burncloud/burncloud/pkg/sse"
)

// OpenAIToAnthropicStream turns OpenAI chat.completion.chunk events into an
// Anthropic Messages event stream: message_start, ping, content blocks
// (thinking from reasoning_content, text, tool_use with input_json_delta),
// message_delta with the stop reason and usage, message_stop. Feed it every
// upstream event in order, then call Finish once when the upstream ends.
//
// OpenAI reports usage only at the end, after the finish reason: message_start
// carries zeros and message_delta, sent at [DONE] (or Finish), the real
// counts. An upstream error chunk {"error":{...}} becomes an Anthropic error
// event and ends the stream.
type OpenAIToAnthropicStream struct {
	model   string
	started bool
	done    bool
	open    blockKind
	next    int    // index of the next content block
	tool    int    // OpenAI index of the open tool call
	toolID  string // its id
	finish  string
	refused bool
	usage   *oaUsageIn
	buf     []byte
}

// NewOpenAIToAnthropicStream returns a converter answering as model (the
// client-facing name; empty: the upstream's).
func NewOpenAIToAnthropicStream(model string) *OpenAIToAnthropicStream {
	return &OpenAIToAnthropicStream{model: model}
}

// Done reports whether the downstream stream has ended (message_stop or an error).
func (s *OpenAIToAnthropicStream) Done() bool { return s.done }

// Feed converts one upstream event and appends the downstream events to dst.
// An error means the upstream event could not be converted; dst then
// already ends with an error event and the stream is over.
func (s *OpenAIToAnthropicStream) Feed(eventName, data []byte, dst []byte) ([]byte, error) {
	if s.done {
		return dst, nil
	}
	if bytes.Equal(bytes.TrimSpace(data), doneData) {
		return s.end(dst), nil
	}
	var ch oaResponseIn
	if err := json.Unmarshal(data, &ch); err != nil {
		return s.fail(dst, "api_error", "upstream sent an unreadable chunk"), badResponse("event %q: %v", eventName, err)
	}
	if !isNull(ch.Error) {
		var e oaError
		_ = json.Unmarshal(ch.Error, &e)
		typ, message := oaErrorType(e, 0)
		return s.fail(dst, typ, message), nil
	}
	dst = s.start(dst, ch.ID, ch.Model)
	if ch.Usage != nil {
		s.usage = ch.Usage
	}
	for i := range ch.Choices {
		c := &ch.Choices[i]
		if c.Index != 0 {
			continue // only one choice is ever asked for
		}
		var err error
		if dst, err = s.delta(dst, &c.Delta); err != nil {
			return s.fail(dst, "api_error", "upstream sent a chunk that cannot be converted"), err
		}
		if c.FinishReason != nil && *c.FinishReason != "" {
			s.finish = *c.FinishReason
			dst = s.closeBlock(dst)
		}
	}
	return dst, nil
}

// Finish ends the downstream stream when the upstream ended. Without [DONE]
// a stream that gave a finish reason is complete; one that did not was cut,
// and the client gets an error event.
func (s *OpenAIToAnthropicStream) Finish(dst []byte) []byte {
	switch {
	case s.done:
		return dst
	case s.finish != "":
		return s.end(dst)
	}
	return s.fail(dst, "api_error", "upstream stream ended before the message was complete")
}

func (s *OpenAIToAnthropicStream) event(dst []byte, name string, data []byte) []byte {
	dst, _ = sse.AppendEvent(dst, name, data)
	return dst
}

func (s *OpenAIToAnthropicStream) start(dst []byte, id, model string) []byte {
	if s.started {
		return dst
	}
	s.started = true
	if s.model == "" {
		s.model = model
	}
	b := jsonwrite.AppendString(append(s.buf[:0], `{"type":"message_start","message":{"id":`...), messageID(id))
	b = jsonwrite.AppendString(append(b, `,"type":"message","role":"assistant","model":`...), s.model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}`...)
	s.buf = b
	dst = s.event(dst, "message_start", b)
	return s.event(dst, "ping", []byte(`{"type":"ping"}`))
}

func (s *OpenAIToAnthropicStream) delta(dst []byte, d *oaMessageIn) ([]byte, error) {
	if t := d.reasoningText(); t != "" {
		dst = s.openBlock(dst, blockThinking, `{"type":"thinking","thinking":"","signature":""}`)
		dst = s.blockDelta(dst, `{"type":"thinking_delta","thinking":`, t)
	}
	for _, tb := range d.ThinkingBlocks {
		switch {
		case tb.Type == "thinking" && tb.Signature != nil:
			dst = s.openBlock(dst, blockThinking, `{"type":"thinking","thinking":"","signature":""}`)
			dst = s.blockDelta(dst, `{"type":"signature_delta","signature":`, *tb.Signature)
		case tb.Type == "redacted_thinking":
			dst = s.closeBlock(dst)
			b := jsonwrite.AppendString(append(s.buf[:0], `{"type":"redacted_thinking","data":`...), tb.Data)
			s.buf = b
			dst = s.openBlock(dst, blockOther, string(append(b, '}')))
			dst = s.closeBlock(dst)
		}
	}
	text, err := d.contentText()
	if err != nil {
		return dst, badResponse("content: %v", err)
	}
	if d.Refusal != nil && *d.Refusal != "" {
		s.refused = true
		text += *d.Refusal
	}
	if text != "" {
		dst = s.openBlock(dst, blockText, `{"type":"text","text":""}`)
		dst = s.blockDelta(dst, `{"type":"text_delta","text":`, text)
	}
	for _, tc := range d.ToolCalls {
		inOpen := s.open == blockTool && s.tool == tc.Index
		name := ""
		if tc.Function.Name != nil {
			name = *tc.Function.Name
		}
		// A call starts with its id. Some servers give every call index 0
		// (a new id means a new call) or leave the id out (a name outside
		// the open call means a new call, and it gets an id).
		if tc.ID != "" && (!inOpen || tc.ID != s.toolID) || tc.ID == "" && name != "" && !inOpen {
			id := tc.ID
			if id == "" {
				id = "call_" + strconv.Itoa(s.next)
			}
			dst = s.closeBlock(dst)
			b := jsonwrite.AppendString(append(s.buf[:0], `{"type":"tool_use","id":`...), id)
			b = jsonwrite.AppendString(append(b, `,"name":`...), name)
			s.buf = append(b, `,"input":{}}`...)
			dst = s.openBlock(dst, blockTool, string(s.buf))
			s.tool, s.toolID = tc.Index, id
		}
		if tc.Function.Arguments == "" {
			continue
		}
		if s.open != blockTool || s.tool != tc.Index {
			// Anthropic blocks cannot interleave; OpenAI streams calls one
			// after another, so this is a stream we cannot express.
			return dst, badResponse("arguments for tool call %d outside its block", tc.Index)
		}
		dst = s.blockDelta(dst, `{"type":"input_json_delta","partial_json":`, tc.Function.Arguments)
	}
	return dst, nil
}

// openBlock starts a block of kind k unless one is open already.
func (s *OpenAIToAnthropicStream) openBlock(dst []byte, k blockKind, block string) []byte {
	if s.open == k && k != blockTool && k != blockOther {
		return dst
	}
	dst = s.closeBlock(dst)
	s.open = k
	b := append(s.buf[:0], `{"type":"content_block_start","index":`...)
	b = appendInt(b, int64(s.next))
	b = append(b, `,"content_block":`...)
	b = append(b, block...)
	s.buf = append(b, '}')
	return s.event(dst, "content_block_start", s.buf)
}

func (s *OpenAIToAnthropicStream) blockDelta(dst []byte, head, value string) []byte {
	b := append(s.buf[:0], `{"type":"content_block_delta","index":`...)
	b = appendInt(b, int64(s.next))
	b = append(b, `,"delta":`...)
	b = append(b, head...)
	b = jsonwrite.AppendString(b, value)
	s.buf = append(b, "}}"...)
	return s.event(dst, "content_block_delta", s.buf)
}

func (s *OpenAIToAnthropicStream) closeBlock(dst []byte) []byte {
	if s.open == blockNone {
		return dst
	}
	b := append(s.buf[:0], `{"type":"content_block_stop","index":`...)
	b = appendInt(b, int64(s.next))
	s.buf = append(b, '}')
	s.open = blockNone
	s.next++
	return s.event(dst, "content_block_stop", s.buf)
}

func (s *OpenAIToAnthropicStream) end(dst []byte) []byte {
	dst = s.start(dst, "", "")
	dst = s.closeBlock(dst)
	s.done = true
	stop := stopToAnthropic(s.finish)
	if s.refused {
		stop = "refusal"
	}
	u := usageToAnthropic(s.usage)
	b := jsonwrite.AppendString(append(s.buf[:0], `{"type":"message_delta","delta":{"stop_reason":`...), stop)
	b = appendInt(append(b, `,"stop_sequence":null},"usage":{"input_tokens":`...), u.InputTokens)
	b = appendInt(append(b, `,"cache_creation_input_tokens":`...), u.CacheCreationInputTokens)
	b = appendInt(append(b, `,"cache_read_input_tokens":`...), u.CacheReadInputTokens)
	b = appendInt(append(b, `,"output_tokens":`...), u.OutputTokens)
	s.buf = append(b, "}}"...)
	dst = s.event(dst, "message_delta", s.buf)
	return s.event(dst, "message_stop", []byte(`{"type":"message_stop"}`))
}

// fail appends an Anthropic error event and ends the stream.
func (s *OpenAIToAnthropicStream) fail(dst []byte, typ, message string) []byte {
	s.done = true
	s.buf = appendAnthropicError(s.buf[:0], typ, message)
	return s.event(dst, "error", s.buf)
}
