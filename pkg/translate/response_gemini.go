package translate

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Finish reasons. Gemini says STOP for a turn that ends in function calls
// too; the calls decide tool_calls / tool_use.

func gmFinishToOpenAI(reason string, calls bool) string {
	switch reason {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return "content_filter"
	}
	if calls {
		return "tool_calls"
	}
	return "stop" // STOP, OTHER, MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, ...
}

func gmFinishToAnthropic(reason string, calls bool) string {
	switch gmFinishToOpenAI(reason, calls) {
	case "length":
		return "max_tokens"
	case "content_filter":
		return "refusal"
	case "tool_calls":
		return "tool_use"
	}
	return "end_turn"
}

func oaFinishToGemini(reason string) string {
	switch reason {
	case "length":
		return "MAX_TOKENS"
	case "content_filter":
		return "SAFETY"
	}
	return "STOP" // stop, tool_calls, function_call
}

func anStopToGemini(reason string) string {
	switch reason {
	case "max_tokens", "model_context_window_exceeded":
		return "MAX_TOKENS"
	case "refusal":
		return "SAFETY"
	}
	return "STOP" // end_turn, stop_sequence, tool_use, pause_turn
}

// Usage. Gemini's prompt count includes cached tokens, its candidates count
// excludes thoughts; tool-use prompt tokens are input too.

func gmUsageToOpenAI(u *gmUsage) *oaUsage {
	if u == nil {
		u = &gmUsage{}
	}
	prompt := u.PromptTokenCount + u.ToolUsePromptTokenCount
	completion := u.CandidatesTokenCount + u.ThoughtsTokenCount
	return &oaUsage{
		PromptTokens:        prompt,
		CompletionTokens:    completion,
		TotalTokens:         prompt + completion,
		PromptTokensDetails: &oaPromptDetails{CachedTokens: u.CachedContentTokenCount},
		CompletionDetails:   &oaCompletionInfo{ReasoningTokens: u.ThoughtsTokenCount},
	}
}

func gmUsageToAnthropic(u *gmUsage) anUsage {
	if u == nil {
		return anUsage{}
	}
	return anUsage{
		InputTokens:          max(0, u.PromptTokenCount+u.ToolUsePromptTokenCount-u.CachedContentTokenCount),
		CacheReadInputTokens: u.CachedContentTokenCount,
		OutputTokens:         u.CandidatesTokenCount + u.ThoughtsTokenCount,
	}
}

// oaUsageGm is OpenAI usage as read for Gemini, which wants the reasoning
// tokens apart.
type oaUsageGm struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

func oaUsageToGemini(u *oaUsageGm) *gmUsage {
	if u == nil {
		return &gmUsage{}
	}
	out := &gmUsage{PromptTokenCount: u.PromptTokens, TotalTokenCount: u.PromptTokens + u.CompletionTokens}
	if d := u.PromptTokensDetails; d != nil {
		out.CachedContentTokenCount = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.ThoughtsTokenCount = min(d.ReasoningTokens, u.CompletionTokens)
	}
	out.CandidatesTokenCount = u.CompletionTokens - out.ThoughtsTokenCount
	return out
}

// anUsageToGemini: Anthropic's input excludes cache reads and writes, and
// its output includes thinking, which it does not count apart.
func anUsageToGemini(u anUsage) *gmUsage {
	prompt := u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
	return &gmUsage{
		PromptTokenCount:        prompt,
		CandidatesTokenCount:    u.OutputTokens,
		TotalTokenCount:         prompt + u.OutputTokens,
		CachedContentTokenCount: u.CacheReadInputTokens,
	}
}

// answerCallID names a function call Gemini gave no id: the answer's id
// keeps names unique across the turns of a conversation.
func answerCallID(responseID string, i int) string {
	var b strings.Builder
	b.WriteString("call_")
	for _, r := range responseID {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() > len("call_") {
		b.WriteByte('_')
	}
	b.WriteString(strconv.Itoa(i))
	return b.String()
}

// readGeminiAnswer reads a non-streaming generateContent answer and the
// model to answer as: model, else the answer's modelVersion.
func readGeminiAnswer(body []byte, model string) (*gmResponseIn, string, error) {
	var r gmResponseIn
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, "", badResponse("%v", err)
	}
	if !isNull(r.Error) {
		return nil, "", badResponse("the answer is an error")
	}
	if model == "" {
		model = r.ModelVersion
	}
	return &r, model, nil
}

func blocked(r *gmResponseIn) bool {
	return r.PromptFeedback != nil && r.PromptFeedback.BlockReason != ""
}

// GeminiResponseToOpenAI translates a non-streaming generateContent answer
// into an OpenAI chat.completion. model is the client-facing model name
// (empty: the upstream's modelVersion). Thoughts become reasoning_content;
// thought signatures travel as Google's OpenAI-compatible endpoint carries
// them (extra_content.google.thought_signature on the call, or on the
// message for text and thoughts), so the client can send them back.
func GeminiResponseToOpenAI(body []byte, model string) ([]byte, error) {
	r, model, err := readGeminiAnswer(body, model)
	if err != nil {
		return nil, err
	}
	msg := oaRespMessage{Role: "assistant"}
	choice := oaChoice{Logprobs: jsonNull}
	cand := r.first()
	switch {
	case cand == nil && blocked(r):
		choice.FinishReason = ptr("content_filter")
	case cand == nil:
		return nil, badResponse("no candidates")
	default:
		var text, thought strings.Builder
		var hasText bool
		var sig string
		if cand.Content != nil {
			for i := range cand.Content.Parts {
				p := &cand.Content.Parts[i]
				switch p.kind() {
				case 't':
					if p.Thought {
						thought.WriteString(p.text())
					} else {
						hasText = hasText || p.text() != ""
						text.WriteString(p.text())
					}
					if p.ThoughtSignature != "" {
						sig = p.ThoughtSignature
					}
				case 'c':
					args, err := compactObject(p.FunctionCall.Args)
					if err != nil {
						return nil, badResponse("parts[%d].functionCall.args: %v", i, err)
					}
					id := p.FunctionCall.ID
					if id == "" {
						id = answerCallID(r.ResponseID, len(msg.ToolCalls))
					}
					msg.ToolCalls = append(msg.ToolCalls, oaToolCall{ID: id, Type: "function",
						Function: oaFunctionCall{Name: p.FunctionCall.Name, Arguments: args}, ExtraContent: newExtraContent(p.ThoughtSignature)})
				default:
					return nil, badResponse("parts[%d] has no OpenAI form", i)
				}
			}
		}
		if hasText {
			msg.Content = ptr(text.String())
		}
		msg.ReasoningContent = thought.String()
		msg.ExtraContent = newExtraContent(sig)
		if cand.FinishReason != "" {
			choice.FinishReason = ptr(gmFinishToOpenAI(cand.FinishReason, len(msg.ToolCalls) > 0))
		}
	}
	choice.Message = msg
	out := oaResponse{ID: r.ResponseID, Object: "chat.completion", Created: time.Now().Unix(), Model: model,
		Choices: []oaChoice{choice}, Usage: gmUsageToOpenAI(r.UsageMetadata)}
	return marshal(&out)
}

// gmToAnBlocks turns an answer's parts into Anthropic blocks: a run of
// thought parts is one thinking block (signed by the part that ends it);
// consecutive text parts are one text block; a signature on text or a call
// follows it as a thinking block with no text, which AnthropicToGemini puts
// back on the part before it.
type gmToAnBlocks struct {
	blocks     []anBlock
	thinking   *strings.Builder
	text       *strings.Builder
	responseID string
	calls      int
}

func (b *gmToAnBlocks) flushThinking(sig string) {
	if b.thinking == nil {
		return
	}
	b.blocks = append(b.blocks, anBlock{Type: "thinking", Thinking: ptr(b.thinking.String()), Signature: ptr(sig)})
	b.thinking = nil
}

func (b *gmToAnBlocks) flushText() {
	if b.text == nil {
		return
	}
	if b.text.Len() > 0 {
		b.blocks = append(b.blocks, anBlock{Type: "text", Text: ptr(b.text.String())})
	}
	b.text = nil
}

func (b *gmToAnBlocks) signature(sig string) {
	if sig != "" {
		b.blocks = append(b.blocks, anBlock{Type: "thinking", Thinking: ptr(""), Signature: ptr(sig)})
	}
}

func (b *gmToAnBlocks) part(i int, p *gmPartIn) error {
	switch {
	case p.kind() == 't' && p.Thought:
		b.flushText()
		if b.thinking == nil {
			b.thinking = &strings.Builder{}
		}
		b.thinking.WriteString(p.text())
		if p.ThoughtSignature != "" {
			b.flushThinking(p.ThoughtSignature)
		}
	case p.kind() == 't':
		b.flushThinking("")
		if b.text == nil {
			b.text = &strings.Builder{}
		}
		b.text.WriteString(p.text())
		if p.ThoughtSignature != "" {
			b.flushText()
			b.signature(p.ThoughtSignature)
		}
	case p.kind() == 'c':
		b.flushThinking("")
		b.flushText()
		if kind(p.FunctionCall.Args) != '{' && !isNull(p.FunctionCall.Args) {
			return badResponse("parts[%d].functionCall.args is not an object", i)
		}
		input := json.RawMessage(`{}`)
		if !isNull(p.FunctionCall.Args) {
			input = p.FunctionCall.Args
		}
		id := p.FunctionCall.ID
		if id == "" {
			id = answerCallID(b.responseID, b.calls)
		}
		b.calls++
		b.blocks = append(b.blocks, anBlock{Type: "tool_use", ID: id, Name: p.FunctionCall.Name, Input: input})
		b.signature(p.ThoughtSignature)
	default:
		return badResponse("parts[%d] has no Anthropic form", i)
	}
	return nil
}

func (b *gmToAnBlocks) done() []anBlock {
	b.flushThinking("")
	b.flushText()
	return b.blocks
}

// GeminiResponseToAnthropic translates a non-streaming generateContent
// answer into an Anthropic message. model is the client-facing model name
// (empty: the upstream's modelVersion). Thoughts become thinking blocks;
// see gmToAnBlocks for how signatures travel.
func GeminiResponseToAnthropic(body []byte, model string) ([]byte, error) {
	r, model, err := readGeminiAnswer(body, model)
	if err != nil {
		return nil, err
	}
	out := anRespOut{ID: messageID(r.ResponseID), Type: "message", Role: "assistant", Model: model, Content: []anBlock{}}
	cand := r.first()
	switch {
	case cand == nil && blocked(r):
		out.StopReason = ptr("refusal")
	case cand == nil:
		return nil, badResponse("no candidates")
	default:
		b := gmToAnBlocks{responseID: r.ResponseID, blocks: out.Content}
		if cand.Content != nil {
			for i := range cand.Content.Parts {
				if err := b.part(i, &cand.Content.Parts[i]); err != nil {
					return nil, err
				}
			}
		}
		out.Content = b.done()
		if cand.FinishReason != "" {
			out.StopReason = ptr(gmFinishToAnthropic(cand.FinishReason, b.calls > 0))
		}
	}
	out.Usage = gmUsageToAnthropic(r.UsageMetadata)
	return marshal(&out)
}

// assistantGmParts orders a turn for Gemini: thought, text, calls. A
// message-level signature goes on the last text part, else on the thought,
// else on an empty text part.
func assistantGmParts(thought string, texts []string, sig string, calls []gmPart) []gmPart {
	var parts []gmPart
	if thought != "" {
		parts = append(parts, gmPart{Text: ptr(thought), Thought: true})
	}
	for _, t := range texts {
		if t != "" {
			parts = append(parts, gmPart{Text: ptr(t)})
		}
	}
	switch n := len(parts); {
	case sig == "":
	case n > 0:
		parts[n-1].ThoughtSignature = sig
	default:
		parts = append(parts, gmPart{Text: ptr(""), ThoughtSignature: sig})
	}
	return append(parts, calls...)
}

// oaResponseGm is an OpenAI answer or chunk as read for Gemini: with
// Google's extra_content and the reasoning token count.
type oaResponseGm struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int         `json:"index"`
		Message      oaMessageGm `json:"message"`
		Delta        oaMessageGm `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
	} `json:"choices"`
	Usage *oaUsageGm      `json:"usage"`
	Error json.RawMessage `json:"error"`
}

type oaMessageGm struct {
	oaMessageIn
	ToolCalls    []oaToolCallGm `json:"tool_calls"`
	ExtraContent *extraContent  `json:"extra_content"`
}

type oaToolCallGm struct {
	oaToolCallIn
	ExtraContent *extraContent `json:"extra_content"`
}

// OpenAIResponseToGemini translates a non-streaming chat.completion into a
// generateContent answer. model is the client-facing model name (empty:
// the upstream's). reasoning_content becomes a thought part; Google's
// extra_content signatures become thoughtSignature.
func OpenAIResponseToGemini(body []byte, model string) ([]byte, error) {
	var r oaResponseGm
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, badResponse("%v", err)
	}
	if len(r.Choices) == 0 {
		return nil, badResponse("no choices")
	}
	if model == "" {
		model = r.Model
	}
	ch := &r.Choices[0]
	m := &ch.Message
	text, err := m.contentText()
	if err != nil {
		return nil, badResponse("content: %v", err)
	}
	texts := []string{text}
	if m.Refusal != nil {
		texts = append(texts, *m.Refusal)
	}
	var calls []gmPart
	for i, tc := range m.ToolCalls {
		args := strings.TrimSpace(tc.Function.Arguments)
		switch {
		case args == "":
			args = "{}"
		case kind([]byte(args)) != '{' || !json.Valid([]byte(args)):
			return nil, badResponse("tool_calls[%d]: arguments are not a JSON object", i)
		}
		name := ""
		if tc.Function.Name != nil {
			name = *tc.Function.Name
		}
		calls = append(calls, gmPart{FunctionCall: &gmFunctionCall{ID: tc.ID, Name: name, Args: json.RawMessage(args)},
			ThoughtSignature: tc.ExtraContent.signature()})
	}
	cand := gmCandidateOut{Content: gmContent{Role: "model", Parts: assistantGmParts(m.reasoningText(), texts, m.ExtraContent.signature(), calls)}}
	if cand.Content.Parts == nil {
		cand.Content.Parts = []gmPart{}
	}
	if ch.FinishReason != nil {
		cand.FinishReason = oaFinishToGemini(*ch.FinishReason)
	}
	out := gmResponseOut{Candidates: []gmCandidateOut{cand}, UsageMetadata: oaUsageToGemini(r.Usage), ModelVersion: model, ResponseID: r.ID}
	return marshal(&out)
}

// anToGmParts collects the parts of a model turn written back to Gemini by
// AnthropicToGemini, the inverse of gmToAnBlocks: a thinking block is a
// thought part, unless it has no text and follows an unsigned text or call,
// whose signature it then is.
type anToGmParts struct {
	parts []gmPart
}

func (a *anToGmParts) thinking(text, sig string) {
	if n := len(a.parts); text == "" && sig != "" && n > 0 && !a.parts[n-1].Thought && a.parts[n-1].ThoughtSignature == "" {
		a.parts[n-1].ThoughtSignature = sig
		return
	}
	a.parts = append(a.parts, gmPart{Text: ptr(text), Thought: true, ThoughtSignature: sig})
}

// AnthropicResponseToGemini translates a non-streaming Anthropic message
// into a generateContent answer. model is the client-facing model name
// (empty: the upstream's). A thinking block becomes a thought part with its
// signature as thoughtSignature; a redacted_thinking block a thought part
// with a tagged signature (see redactedPrefix). GeminiToAnthropic reads
// both back into the blocks they came from.
func AnthropicResponseToGemini(body []byte, model string) ([]byte, error) {
	r, model, err := readAnthropicResponse(body, model)
	if err != nil {
		return nil, err
	}
	var parts []gmPart
	for i, b := range r.Content {
		switch b.Type {
		case "text":
			if b.Text != "" {
				parts = append(parts, gmPart{Text: ptr(b.Text)})
			}
		case "tool_use":
			input := b.Input
			if len(input) == 0 || isNull(input) {
				input = json.RawMessage(`{}`)
			} else if kind(input) != '{' {
				return nil, badResponse("content[%d].input is not an object", i)
			}
			parts = append(parts, gmPart{FunctionCall: &gmFunctionCall{ID: b.ID, Name: b.Name, Args: input}})
		case "thinking":
			parts = append(parts, gmPart{Text: ptr(b.Thinking), Thought: true, ThoughtSignature: b.Signature})
		case "redacted_thinking":
			parts = append(parts, gmPart{Text: ptr(""), Thought: true, ThoughtSignature: redactedPrefix + b.Data})
		default:
			return nil, badResponse("content[%d]: block type %q has no Gemini form", i, b.Type)
		}
	}
	cand := gmCandidateOut{Content: gmContent{Role: "model", Parts: parts}}
	if cand.Content.Parts == nil {
		cand.Content.Parts = []gmPart{}
	}
	if r.StopReason != nil {
		cand.FinishReason = anStopToGemini(*r.StopReason)
	}
	var u anUsage
	if r.Usage != nil {
		u = *r.Usage
	}
	out := gmResponseOut{Candidates: []gmCandidateOut{cand}, UsageMetadata: anUsageToGemini(u), ModelVersion: model, ResponseID: r.ID}
	return marshal(&out)
}
