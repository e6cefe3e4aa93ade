package translate

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
	"github.com/burncloud/burncloud/pkg/sse"
)

// Gemini streams (streamGenerateContent?alt=sse) are "data: <chunk>" events
// with no event names and no terminator; every chunk is a whole
// GenerateContentResponse. The converters below write one chunk per
// upstream content event and a last chunk with finishReason and the
// complete usageMetadata. A stream that fails ends with a chunk
// {"error":{"code","message","status"}}, the body Gemini answers errors
// with; clients that read it as a response see no finishReason.

// gmWriter writes Gemini chunks.
type gmWriter struct {
	model, id string
	buf       []byte
}

func (w *gmWriter) open() []byte {
	return append(w.buf[:0], `{"candidates":[{"content":{"role":"model","parts":[`...)
}

// close ends a chunk opened by open and appends it to dst as an event.
func (w *gmWriter) close(dst, b []byte, finish string, u *gmUsage) []byte {
	b = append(b, "]}"...)
	if finish != "" {
		b = jsonwrite.AppendString(append(b, `,"finishReason":`...), finish)
	}
	b = append(b, `,"index":0}]`...)
	if u != nil {
		b = appendGmUsage(append(b, `,"usageMetadata":`...), u)
	}
	b = jsonwrite.AppendString(append(b, `,"modelVersion":`...), w.model)
	b = jsonwrite.AppendString(append(b, `,"responseId":`...), w.id)
	w.buf = append(b, '}')
	dst, _ = sse.AppendEvent(dst, "", w.buf)
	return dst
}

// text appends a chunk with one text part.
func (w *gmWriter) text(dst []byte, text string, thought bool, sig string) []byte {
	return w.close(dst, appendGmText(w.open(), text, thought, sig), "", nil)
}

func appendGmText(b []byte, text string, thought bool, sig string) []byte {
	b = jsonwrite.AppendString(append(b, `{"text":`...), text)
	if thought {
		b = append(b, `,"thought":true`...)
	}
	if sig != "" {
		b = jsonwrite.AppendString(append(b, `,"thoughtSignature":`...), sig)
	}
	return append(b, '}')
}

func appendGmCall(b []byte, id, name string, args []byte, sig string) []byte {
	b = append(b, `{"functionCall":{`...)
	if id != "" {
		b = jsonwrite.AppendString(append(b, `"id":`...), id)
		b = append(b, ',')
	}
	b = jsonwrite.AppendString(append(b, `"name":`...), name)
	b = append(append(b, `,"args":`...), args...)
	b = append(b, '}')
	if sig != "" {
		b = jsonwrite.AppendString(append(b, `,"thoughtSignature":`...), sig)
	}
	return append(b, '}')
}

func appendGmUsage(b []byte, u *gmUsage) []byte {
	b = appendInt(append(b, `{"promptTokenCount":`...), u.PromptTokenCount)
	b = appendInt(append(b, `,"candidatesTokenCount":`...), u.CandidatesTokenCount)
	b = appendInt(append(b, `,"totalTokenCount":`...), u.TotalTokenCount)
	if u.CachedContentTokenCount > 0 {
		b = appendInt(append(b, `,"cachedContentTokenCount":`...), u.CachedContentTokenCount)
	}
	if u.ThoughtsTokenCount > 0 {
		b = appendInt(append(b, `,"thoughtsTokenCount":`...), u.ThoughtsTokenCount)
	}
	if u.ToolUsePromptTokenCount > 0 {
		b = appendInt(append(b, `,"toolUsePromptTokenCount":`...), u.ToolUsePromptTokenCount)
	}
	return append(b, '}')
}

// fail appends a Gemini error chunk.
func (w *gmWriter) fail(dst []byte, anType, message string) []byte {
	w.buf = geminiErrorFor(w.buf[:0], anType, 0, message)
	dst, _ = sse.AppendEvent(dst, "", w.buf)
	return dst
}

// streamCall is a function call being streamed, written once complete:
// Gemini sends calls whole.
type streamCall struct {
	index    int
	id, name string
	args     []byte
	sig      string
}

// appendCalls writes the calls as parts; arguments must be JSON objects.
func appendCalls(b []byte, calls []streamCall) ([]byte, error) {
	for i, c := range calls {
		if i > 0 {
			b = append(b, ',')
		}
		args := bytes.TrimSpace(c.args)
		switch {
		case len(args) == 0:
			args = []byte(`{}`)
		case kind(args) != '{' || !json.Valid(args):
			return b, badResponse("arguments of call %q are not a JSON object", c.name)
		}
		var buf bytes.Buffer
		_ = json.Compact(&buf, args)
		b = appendGmCall(b, c.id, c.name, buf.Bytes(), c.sig)
	}
	return b, nil
}

// OpenAIToGeminiStream turns OpenAI chat.completion.chunk events into a
// Gemini stream: reasoning_content as thought parts, content and refusal as
// text parts, Google's extra_content signatures as thoughtSignature. Tool
// calls arrive in pieces and Gemini sends them whole, so they go out with
// the last chunk, which also carries finishReason and usageMetadata (OpenAI
// reports usage after the finish reason). Feed it every upstream event in
// order, then call Finish once when the upstream ends.
type OpenAIToGeminiStream struct {
	w      gmWriter
	done   bool
	finish string
	calls  []streamCall
	usage  *oaUsageGm
}

// NewOpenAIToGeminiStream returns a converter answering as model (the
// client-facing name; empty: the upstream's).
func NewOpenAIToGeminiStream(model string) *OpenAIToGeminiStream {
	return &OpenAIToGeminiStream{w: gmWriter{model: model}}
}

// Done reports whether the downstream stream has ended (its last chunk or
// an error).
func (s *OpenAIToGeminiStream) Done() bool { return s.done }

// Feed converts one upstream event and appends the downstream events to dst.
// An error means the upstream event could not be converted; dst then
// already ends with an error chunk and the stream is over.
func (s *OpenAIToGeminiStream) Feed(eventName, data []byte, dst []byte) ([]byte, error) {
	if s.done {
		return dst, nil
	}
	if bytes.Equal(bytes.TrimSpace(data), doneData) {
		return s.end(dst)
	}
	var ch oaResponseGm
	if err := json.Unmarshal(data, &ch); err != nil {
		return s.fail(dst, "api_error", "upstream sent an unreadable chunk"), badResponse("event %q: %v", eventName, err)
	}
	if !isNull(ch.Error) {
		var e oaError
		_ = json.Unmarshal(ch.Error, &e)
		typ, message := oaErrorType(e, 0)
		return s.fail(dst, typ, message), nil
	}
	if s.w.id == "" {
		s.w.id = ch.ID
	}
	if s.w.model == "" {
		s.w.model = ch.Model
	}
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
			s.finish = oaFinishToGemini(*c.FinishReason)
		}
	}
	return dst, nil
}

func (s *OpenAIToGeminiStream) delta(dst []byte, d *oaMessageGm) ([]byte, error) {
	text, err := d.contentText()
	if err != nil {
		return dst, badResponse("content: %v", err)
	}
	if d.Refusal != nil {
		text += *d.Refusal
	}
	sig := d.ExtraContent.signature()
	if t := d.reasoningText(); t != "" {
		sigHere := ""
		if text == "" {
			sigHere, sig = sig, ""
		}
		dst = s.w.text(dst, t, true, sigHere)
	}
	if text != "" || sig != "" {
		dst = s.w.text(dst, text, false, sig)
	}
	for _, tc := range d.ToolCalls {
		name := ""
		if tc.Function.Name != nil {
			name = *tc.Function.Name
		}
		n := len(s.calls)
		open := n > 0 && s.calls[n-1].index == tc.Index
		// A call starts with its id; some servers give every call index 0
		// (a new id is a new call) or leave ids out (a name is a new call).
		if tc.ID != "" && (!open || tc.ID != s.calls[n-1].id) || tc.ID == "" && name != "" && !open {
			if n >= maxBlocks {
				return dst, badResponse("too many tool calls")
			}
			id := tc.ID
			if id == "" {
				id = "call_" + strconv.Itoa(n)
			}
			s.calls = append(s.calls, streamCall{index: tc.Index, id: id, name: name})
			n++
		}
		if n == 0 || s.calls[n-1].index != tc.Index {
			return dst, badResponse("arguments for tool call %d outside its call", tc.Index)
		}
		c := &s.calls[n-1]
		c.args = append(c.args, tc.Function.Arguments...)
		if sig := tc.ExtraContent.signature(); sig != "" {
			c.sig = sig
		}
	}
	return dst, nil
}

// Finish ends the downstream stream when the upstream ended. Without [DONE]
// a stream that gave a finish reason is complete; one that did not was cut,
// and the client gets an error chunk.
func (s *OpenAIToGeminiStream) Finish(dst []byte) []byte {
	switch {
	case s.done:
		return dst
	case s.finish != "":
		dst, _ = s.end(dst)
		return dst
	}
	return s.fail(dst, "api_error", "upstream stream ended before the message was complete")
}

func (s *OpenAIToGeminiStream) end(dst []byte) ([]byte, error) {
	if s.finish == "" {
		s.finish = "STOP" // [DONE] without a finish reason
	}
	b := s.w.open()
	b, err := appendCalls(b, s.calls)
	if err != nil {
		return s.fail(dst, "api_error", "upstream sent tool arguments that are not JSON"), err
	}
	if len(s.calls) == 0 {
		b = appendGmText(b, "", false, "")
	}
	s.done = true
	return s.w.close(dst, b, s.finish, oaUsageToGemini(s.usage)), nil
}

func (s *OpenAIToGeminiStream) fail(dst []byte, anType, message string) []byte {
	s.done = true
	return s.w.fail(dst, anType, message)
}

// AnthropicToGeminiStream turns an Anthropic Messages event stream into a
// Gemini stream: text and thinking deltas as text and thought parts, a
// thinking block's signature as a thought part with empty text carrying
// thoughtSignature (a redacted_thinking block as one with a tagged
// signature, see redactedPrefix), each tool_use as a functionCall part once
// its input is complete, and a last chunk with finishReason and
// usageMetadata at message_stop. Feed it every upstream event in order,
// then call Finish once when the upstream ends.
type AnthropicToGeminiStream struct {
	w      gmWriter
	done   bool
	stop   string
	usage  anUsage
	blocks []anStreamBlock
}

type anStreamBlock struct {
	kind blockKind
	call streamCall
}

// NewAnthropicToGeminiStream returns a converter answering as model (the
// client-facing name; empty: the upstream's).
func NewAnthropicToGeminiStream(model string) *AnthropicToGeminiStream {
	return &AnthropicToGeminiStream{w: gmWriter{model: model}}
}

// Done reports whether the downstream stream has ended (its last chunk or
// an error).
func (s *AnthropicToGeminiStream) Done() bool { return s.done }

// Feed converts one upstream event and appends the downstream events to dst.
// An error means the upstream event could not be read; dst then already
// ends with an error chunk and the stream is over.
func (s *AnthropicToGeminiStream) Feed(eventName, data []byte, dst []byte) ([]byte, error) {
	if s.done {
		return dst, nil
	}
	ev, err := readAnEvent(eventName, data)
	if err != nil {
		return s.fail(dst, "api_error", "upstream sent an unreadable event"), err
	}
	switch ev.Type {
	case "message_start":
		ev.start(&s.w.id, &s.w.model, &s.usage)
	case "content_block_start":
		return s.blockStart(dst, &ev)
	case "content_block_delta":
		return s.blockDelta(dst, &ev)
	case "content_block_stop":
		if ev.Index < 0 || ev.Index >= len(s.blocks) || s.blocks[ev.Index].kind != blockTool {
			return dst, nil
		}
		b := s.w.open()
		b, err := appendCalls(b, []streamCall{s.blocks[ev.Index].call})
		if err != nil {
			return s.fail(dst, "api_error", "upstream sent tool input that is not JSON"), err
		}
		s.blocks[ev.Index].kind = blockNone
		return s.w.close(dst, b, "", nil), nil
	case "message_delta":
		ev.updateUsage(&s.usage)
		if ev.Delta != nil && ev.Delta.StopReason != nil {
			s.stop = anStopToGemini(*ev.Delta.StopReason)
		}
	case "message_stop":
		return s.end(dst), nil
	case "error":
		e := ev.streamError()
		return s.fail(dst, e.Type, e.Message), nil
	}
	// ping, and event types added later, need nothing.
	return dst, nil
}

func (s *AnthropicToGeminiStream) blockStart(dst []byte, ev *anEvent) ([]byte, error) {
	i, cb := ev.Index, ev.ContentBlock
	if i < 0 || i >= maxBlocks || cb == nil {
		return s.fail(dst, "api_error", "upstream sent a bad content block"), badResponse("content_block_start index %d", i)
	}
	for len(s.blocks) <= i {
		s.blocks = append(s.blocks, anStreamBlock{})
	}
	b := &s.blocks[i]
	*b = anStreamBlock{kind: blockOther}
	switch cb.Type {
	case "text":
		b.kind = blockText
		if cb.Text != "" {
			return s.w.text(dst, cb.Text, false, ""), nil
		}
	case "thinking":
		b.kind = blockThinking
		if cb.Thinking != "" {
			return s.w.text(dst, cb.Thinking, true, ""), nil
		}
	case "redacted_thinking":
		return s.w.text(dst, "", true, redactedPrefix+cb.Data), nil
	case "tool_use":
		b.kind = blockTool
		b.call = streamCall{id: cb.ID, name: cb.Name}
		if in := bytes.TrimSpace(cb.Input); len(in) > 0 && kind(in) == '{' && !isEmptyObject(in) {
			b.call.args = append(b.call.args, in...)
		}
	}
	return dst, nil
}

func (s *AnthropicToGeminiStream) blockDelta(dst []byte, ev *anEvent) ([]byte, error) {
	i, d := ev.Index, ev.Delta
	if i < 0 || i >= len(s.blocks) || d == nil {
		return s.fail(dst, "api_error", "upstream sent a delta for an unknown block"), badResponse("content_block_delta index %d", i)
	}
	b := &s.blocks[i]
	switch {
	case d.Type == "text_delta" && b.kind == blockText && d.Text != "":
		return s.w.text(dst, d.Text, false, ""), nil
	case d.Type == "thinking_delta" && b.kind == blockThinking && d.Thinking != "":
		return s.w.text(dst, d.Thinking, true, ""), nil
	case d.Type == "signature_delta" && b.kind == blockThinking && d.Signature != "":
		// The signature closes the thought: GeminiToAnthropic joins the
		// thought parts before it into the signed thinking block.
		return s.w.text(dst, "", true, d.Signature), nil
	case d.Type == "input_json_delta" && b.kind == blockTool:
		if len(b.call.args)+len(d.PartialJSON) > 64<<20 {
			return s.fail(dst, "api_error", "upstream tool input too large"), badResponse("tool input over 64 MiB")
		}
		b.call.args = append(b.call.args, d.PartialJSON...)
	}
	return dst, nil // citations and deltas of blocks Gemini has no part for
}

// Finish ends the downstream stream when the upstream ended. A stream that
// stopped before message_delta said why it stopped was cut: the client gets
// an error chunk instead of a last chunk that would claim a complete answer.
func (s *AnthropicToGeminiStream) Finish(dst []byte) []byte {
	switch {
	case s.done:
		return dst
	case s.stop != "":
		return s.end(dst)
	}
	return s.fail(dst, "api_error", "upstream stream ended before the message was complete")
}

func (s *AnthropicToGeminiStream) end(dst []byte) []byte {
	if s.stop == "" {
		return s.fail(dst, "api_error", "upstream stream ended before the message was complete")
	}
	s.done = true
	b := appendGmText(s.w.open(), "", false, "")
	return s.w.close(dst, b, s.stop, anUsageToGemini(s.usage))
}

func (s *AnthropicToGeminiStream) fail(dst []byte, anType, message string) []byte {
	s.done = true
	return s.w.fail(dst, anType, message)
}
