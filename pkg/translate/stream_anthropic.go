package translate

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
	"github.com/burncloud/burncloud/pkg/sse"
)

// maxBlocks bounds the content blocks one stream may open, so a hostile
// upstream cannot make the converter's state grow without end.
const maxBlocks = 4096

var (
	roleDelta  = []byte(`{"role":"assistant","content":""}`)
	emptyDelta = []byte(`{}`)
	doneData   = []byte("[DONE]")
)

type blockKind uint8

const (
	blockNone blockKind = iota
	blockText
	blockTool
	blockThinking
	blockOther
)

// anEvent is the union of Anthropic stream events.
type anEvent struct {
	Type         string       `json:"type"`
	Message      *anResponse  `json:"message"`
	Index        int          `json:"index"`
	ContentBlock *anRespBlock `json:"content_block"`
	Delta        *struct {
		Type        string  `json:"type"`
		Text        string  `json:"text"`
		PartialJSON string  `json:"partial_json"`
		Thinking    string  `json:"thinking"`
		Signature   string  `json:"signature"`
		StopReason  *string `json:"stop_reason"`
	} `json:"delta"`
	Usage *struct {
		InputTokens              *int64 `json:"input_tokens"`
		CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
		OutputTokens             *int64 `json:"output_tokens"`
	} `json:"usage"`
	Error *anError `json:"error"`
}

// AnthropicToOpenAIStream turns an Anthropic Messages event stream into
// OpenAI chat.completion.chunk events. Feed it every upstream event in
// order, then call Finish once when the upstream ends.
//
// Thinking arrives as delta.reasoning_content; when a thinking block's
// signature arrives, one delta.thinking_blocks entry carries the whole signed
// block. An upstream error event becomes a chunk {"error":{...}} and the
// stream ends there without [DONE], so clients treat it as failed.
type AnthropicToOpenAIStream struct {
	model        string
	includeUsage bool
	id           string
	created      int64
	usage        anUsage
	blocks       []blockKind
	toolIndex    []int // OpenAI tool_calls index per block, -1 if none
	tools        int
	thinking     []byte // text of the open thinking block
	finish       string
	done         bool
	delta        []byte // scratch for a chunk's delta object
	buf          []byte // scratch for a chunk
}

// NewAnthropicToOpenAIStream returns a converter answering as model (the
// client-facing name; empty: the upstream's). includeUsage is the client's
// stream_options.include_usage: it adds "usage":null to every chunk and a
// final usage-only chunk, as OpenAI does.
func NewAnthropicToOpenAIStream(model string, includeUsage bool) *AnthropicToOpenAIStream {
	return &AnthropicToOpenAIStream{model: model, includeUsage: includeUsage, created: time.Now().Unix()}
}

// Done reports whether the downstream stream has ended ([DONE] or an error).
func (s *AnthropicToOpenAIStream) Done() bool { return s.done }

// Feed converts one upstream event and appends the downstream events to dst.
// An error means the upstream event could not be read; dst then already
// ends with an error chunk and the stream is over.
func (s *AnthropicToOpenAIStream) Feed(eventName, data []byte, dst []byte) ([]byte, error) {
	if s.done {
		return dst, nil
	}
	ev, err := readAnEvent(eventName, data)
	if err != nil {
		return s.fail(dst, "api_error", "upstream sent an unreadable event"), err
	}
	switch ev.Type {
	case "message_start":
		ev.start(&s.id, &s.model, &s.usage)
		return s.chunk(dst, roleDelta, "")
	case "content_block_start":
		return s.blockStart(dst, &ev)
	case "content_block_delta":
		return s.blockDelta(dst, &ev)
	case "message_delta":
		ev.updateUsage(&s.usage)
		if ev.Delta != nil && ev.Delta.StopReason != nil {
			s.finish = stopToOpenAI(*ev.Delta.StopReason)
			return s.chunk(dst, emptyDelta, s.finish)
		}
		return dst, nil
	case "message_stop":
		return s.end(dst), nil
	case "error":
		e := ev.streamError()
		return s.fail(dst, e.Type, e.Message), nil
	}
	// ping, content_block_stop, and event types added later need nothing.
	return dst, nil
}

// readAnEvent decodes an Anthropic stream event; the SSE event name stands
// in for a type the data leaves out.
func readAnEvent(eventName, data []byte) (anEvent, error) {
	var ev anEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, badResponse("event %q: %v", eventName, err)
	}
	if ev.Type == "" {
		ev.Type = string(eventName)
	}
	return ev, nil
}

// start reads a message_start event: the message id, the model unless one
// is set, and the usage so far.
func (ev *anEvent) start(id, model *string, usage *anUsage) {
	m := ev.Message
	if m == nil {
		return
	}
	*id = m.ID
	if *model == "" {
		*model = m.Model
	}
	if m.Usage != nil {
		*usage = *m.Usage
	}
}

// updateUsage takes the counts a message_delta event gives.
func (ev *anEvent) updateUsage(usage *anUsage) {
	if u := ev.Usage; u != nil {
		setIf(&usage.InputTokens, u.InputTokens)
		setIf(&usage.CacheCreationInputTokens, u.CacheCreationInputTokens)
		setIf(&usage.CacheReadInputTokens, u.CacheReadInputTokens)
		setIf(&usage.OutputTokens, u.OutputTokens)
	}
}

// streamError is the error an error event carries.
func (ev *anEvent) streamError() anError {
	if ev.Error != nil {
		return *ev.Error
	}
	return anError{Type: "api_error", Message: "upstream error"}
}

func setIf(dst *int64, v *int64) {
	if v != nil {
		*dst = *v
	}
}

// Finish ends the downstream stream when the upstream ended. A stream that
// stopped before message_delta said why it stopped was cut: the client gets
// an error chunk instead of a [DONE] that would claim a complete answer.
func (s *AnthropicToOpenAIStream) Finish(dst []byte) []byte {
	switch {
	case s.done:
		return dst
	case s.finish != "":
		return s.end(dst)
	}
	return s.fail(dst, "api_error", "upstream stream ended before the message was complete")
}

func (s *AnthropicToOpenAIStream) blockStart(dst []byte, ev *anEvent) ([]byte, error) {
	i, cb := ev.Index, ev.ContentBlock
	if i < 0 || i >= maxBlocks || cb == nil {
		return s.fail(dst, "api_error", "upstream sent a bad content block"), badResponse("content_block_start index %d", i)
	}
	for len(s.blocks) <= i {
		s.blocks = append(s.blocks, blockNone)
		s.toolIndex = append(s.toolIndex, -1)
	}
	b := s.delta[:0]
	switch cb.Type {
	case "text":
		s.blocks[i] = blockText
		if cb.Text == "" {
			return dst, nil
		}
		b = jsonwrite.AppendString(append(b, `{"content":`...), cb.Text)
	case "tool_use":
		s.blocks[i], s.toolIndex[i] = blockTool, s.tools
		s.tools++
		b = append(b, `{"tool_calls":[{"index":`...)
		b = appendInt(b, int64(s.toolIndex[i]))
		b = jsonwrite.AppendString(append(b, `,"id":`...), cb.ID)
		b = jsonwrite.AppendString(append(b, `,"type":"function","function":{"name":`...), cb.Name)
		args := ""
		if in := bytes.TrimSpace(cb.Input); len(in) > 0 && kind(in) == '{' && !isEmptyObject(in) {
			args, _ = compactObject(in)
		}
		b = jsonwrite.AppendString(append(b, `,"arguments":`...), args)
		b = append(b, `}}]`...)
	case "thinking":
		s.blocks[i], s.thinking = blockThinking, append(s.thinking[:0], cb.Thinking...)
		if cb.Thinking == "" {
			return dst, nil
		}
		b = jsonwrite.AppendString(append(b, `{"reasoning_content":`...), cb.Thinking)
	case "redacted_thinking":
		s.blocks[i] = blockOther
		b = jsonwrite.AppendString(append(b, `{"thinking_blocks":[{"type":"redacted_thinking","data":`...), cb.Data)
		b = append(b, `]`...)
	default:
		s.blocks[i] = blockOther
		return dst, nil
	}
	s.delta = append(b, '}')
	return s.chunk(dst, s.delta, "")
}

func isEmptyObject(b []byte) bool {
	return len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

func (s *AnthropicToOpenAIStream) blockDelta(dst []byte, ev *anEvent) ([]byte, error) {
	i, d := ev.Index, ev.Delta
	if i < 0 || i >= len(s.blocks) || d == nil {
		return s.fail(dst, "api_error", "upstream sent a delta for an unknown block"), badResponse("content_block_delta index %d", i)
	}
	b := s.delta[:0]
	switch {
	case d.Type == "text_delta" && s.blocks[i] == blockText:
		if d.Text == "" {
			return dst, nil
		}
		b = jsonwrite.AppendString(append(b, `{"content":`...), d.Text)
	case d.Type == "input_json_delta" && s.blocks[i] == blockTool:
		if d.PartialJSON == "" {
			return dst, nil
		}
		b = append(b, `{"tool_calls":[{"index":`...)
		b = appendInt(b, int64(s.toolIndex[i]))
		b = jsonwrite.AppendString(append(b, `,"function":{"arguments":`...), d.PartialJSON)
		b = append(b, `}}]`...)
	case d.Type == "thinking_delta" && s.blocks[i] == blockThinking:
		if d.Thinking == "" {
			return dst, nil
		}
		s.thinking = append(s.thinking, d.Thinking...)
		b = jsonwrite.AppendString(append(b, `{"reasoning_content":`...), d.Thinking)
	case d.Type == "signature_delta" && s.blocks[i] == blockThinking:
		b = jsonwrite.AppendString(append(b, `{"thinking_blocks":[{"type":"thinking","thinking":`...), s.thinking)
		b = jsonwrite.AppendString(append(b, `,"signature":`...), d.Signature)
		b = append(b, `}]`...)
	default:
		return dst, nil // citations and deltas of blocks the client cannot see
	}
	s.delta = append(b, '}')
	return s.chunk(dst, s.delta, "")
}

// chunk appends one chat.completion.chunk with the given delta object.
func (s *AnthropicToOpenAIStream) chunk(dst, delta []byte, finish string) ([]byte, error) {
	b := s.head(s.buf[:0])
	b = append(b, `[{"index":0,"delta":`...)
	b = append(b, delta...)
	b = append(b, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = jsonwrite.AppendString(b, finish)
	}
	b = append(b, "}]"...)
	if s.includeUsage {
		b = append(b, `,"usage":null`...)
	}
	s.buf = append(b, '}')
	return sse.AppendEvent(dst, "", s.buf)
}

// head opens a chunk up to `"choices":`.
func (s *AnthropicToOpenAIStream) head(b []byte) []byte {
	b = jsonwrite.AppendString(append(b, `{"id":`...), s.id)
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = appendInt(b, s.created)
	b = jsonwrite.AppendString(append(b, `,"model":`...), s.model)
	return append(b, `,"choices":`...)
}

func (s *AnthropicToOpenAIStream) end(dst []byte) []byte {
	s.done = true
	if s.includeUsage {
		u := usageToOpenAI(s.usage)
		b := s.head(s.buf[:0])
		b = append(b, `[],"usage":`...)
		b = appendUsage(b, u)
		s.buf = append(b, '}')
		dst, _ = sse.AppendEvent(dst, "", s.buf)
	}
	dst, _ = sse.AppendEvent(dst, "", doneData)
	return dst
}

func appendUsage(b []byte, u *oaUsage) []byte {
	b = appendInt(append(b, `{"prompt_tokens":`...), u.PromptTokens)
	b = appendInt(append(b, `,"completion_tokens":`...), u.CompletionTokens)
	b = appendInt(append(b, `,"total_tokens":`...), u.TotalTokens)
	b = appendInt(append(b, `,"prompt_tokens_details":{"cached_tokens":`...), u.PromptTokensDetails.CachedTokens)
	b = appendInt(append(b, `,"cache_write_tokens":`...), u.PromptTokensDetails.CacheWriteTokens)
	return append(b, "}}"...)
}

// fail appends an OpenAI error chunk and ends the stream.
func (s *AnthropicToOpenAIStream) fail(dst []byte, anType, message string) []byte {
	s.done = true
	typ, code := anTypeToOpenAI(anType, 0)
	s.buf = appendOpenAIError(s.buf[:0], message, typ, code)
	dst, _ = sse.AppendEvent(dst, "", s.buf)
	return dst
}
