package translate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/burncloud/burncloud/pkg/sse"
)

// These tests follow a conversation across the translators: an upstream's
// answer goes to the client in its protocol, the client sends it back as
// history, and the next request must give the upstream what it said —
// thought signatures where it put them, call ids, thinking blocks.

// geminiAnswer is a Gemini 2.5 answer with thoughts, a signed text part and
// parallel calls, the first signed (as Gemini signs calls).
const geminiAnswer = `{"candidates":[{"content":{"role":"model","parts":[
	{"text":"**Plan**\n","thought":true},{"text":"Check both cities.","thought":true},
	{"text":"Checking.","thoughtSignature":"SIG_TEXT"},
	{"functionCall":{"name":"get_weather","args":{"location":"Paris"}},"thoughtSignature":"SIG_CALL"},
	{"functionCall":{"id":"fc_rome","name":"get_weather","args":{"location":"Rome"}}}]},
	"finishReason":"STOP","index":0}],
	"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":20,"totalTokenCount":130,"cachedContentTokenCount":40,"thoughtsTokenCount":10},
	"modelVersion":"gemini-2.5-pro","responseId":"resp1"}`

// wantModelTurn is the model turn the next Gemini request must carry. The
// two thought parts come back as one: the clients hold one reasoning text.
var wantModelTurn = []gmPart{
	{Text: ptr("**Plan**\nCheck both cities."), Thought: true},
	{Text: ptr("Checking."), ThoughtSignature: "SIG_TEXT"},
	{FunctionCall: &gmFunctionCall{ID: "call_resp1_0", Name: "get_weather", Args: json.RawMessage(`{"location":"Paris"}`)}, ThoughtSignature: "SIG_CALL"},
	{FunctionCall: &gmFunctionCall{ID: "fc_rome", Name: "get_weather", Args: json.RawMessage(`{"location":"Rome"}`)}},
}

func modelTurn(t *testing.T, gemini []byte, i int) []gmPart {
	t.Helper()
	var req gmRequest
	mustDecode(t, gemini, &req)
	if len(req.Contents) <= i || req.Contents[i].Role != "model" {
		t.Fatalf("no model turn %d in %s", i, gemini)
	}
	return req.Contents[i].Parts
}

// wantSignedTurn checks that the translated next request gives back the
// model turn Gemini answered, signatures in place.
func wantSignedTurn(t *testing.T, next []byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	sameParts(t, modelTurn(t, next, 1), wantModelTurn)
}

// geminiStream writes chunks as the events of a Gemini stream.
func geminiStream(chunks ...string) []byte {
	var stream []byte
	for _, chunk := range chunks {
		stream, _ = sse.AppendEvent(stream, "", []byte(chunk))
	}
	return stream
}

func sameParts(t *testing.T, got, want []gmPart) {
	t.Helper()
	g, _ := marshal(got)
	w, _ := marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("model turn:\ngot  %s\nwant %s", g, w)
	}
}

// anthropicHistory builds an Anthropic request whose assistant turn is the
// given content blocks, answered with tool results.
func anthropicHistory(t *testing.T, content json.RawMessage, results string) []byte {
	t.Helper()
	return []byte(`{"model":"claude","max_tokens":1000,"messages":[{"role":"user","content":"Weather in Paris and Rome?"},
		{"role":"assistant","content":` + string(content) + `},{"role":"user","content":[` + results + `]}]}`)
}

const anResults = `{"type":"tool_result","tool_use_id":"call_resp1_0","content":"sunny"},{"type":"tool_result","tool_use_id":"fc_rome","content":"rain"}`

func TestRoundTripGeminiSignaturesThroughAnthropic(t *testing.T) {
	// Whole answer.
	out, err := GeminiResponseToAnthropic([]byte(geminiAnswer), "claude")
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Content json.RawMessage `json:"content"`
	}
	mustDecode(t, out, &msg)
	next, err := AnthropicToGemini(anthropicHistory(t, msg.Content, anResults), Options{})
	wantSignedTurn(t, next, err)

	// The same answer streamed, chunk boundaries inside the thought run.
	stream := geminiStream(
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"**Plan**\n","thought":true}]},"index":0}],"responseId":"resp1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Check both cities.","thought":true},{"text":"Check"}]},"index":0}],"responseId":"resp1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"ing.","thoughtSignature":"SIG_TEXT"}]},"index":0}],"responseId":"resp1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"location":"Paris"}},"thoughtSignature":"SIG_CALL"},{"functionCall":{"id":"fc_rome","name":"get_weather","args":{"location":"Rome"}}}]},"finishReason":"STOP","index":0}],"responseId":"resp1"}`,
	)
	blocks := anthropicBlocks(t, convert(t, NewGeminiToAnthropicStream("claude"), stream))
	next, err = AnthropicToGemini(anthropicHistory(t, blocks, anResults), Options{})
	wantSignedTurn(t, next, err)
}

// anthropicBlocks folds an Anthropic event stream into the content blocks
// a client keeps, signatures included.
func anthropicBlocks(t *testing.T, out []byte) json.RawMessage {
	t.Helper()
	events := decodeStream(t, out)
	if events[len(events)-1].Event != "message_stop" {
		t.Fatalf("stream does not end with message_stop: %s", out)
	}
	var blocks []anBlock
	var args []string
	for _, ev := range events {
		var e anEvent
		mustDecode(t, ev.Data, &e)
		switch e.Type {
		case "content_block_start":
			cb := e.ContentBlock
			b := anBlock{Type: cb.Type, ID: cb.ID, Name: cb.Name}
			switch cb.Type {
			case "text":
				b.Text = ptr(cb.Text)
			case "thinking":
				b.Thinking, b.Signature = ptr(cb.Thinking), ptr(cb.Signature)
			case "redacted_thinking":
				b.Data = cb.Data
			}
			blocks = append(blocks, b)
			args = append(args, "")
		case "content_block_delta":
			b := &blocks[e.Index]
			switch e.Delta.Type {
			case "text_delta":
				*b.Text += e.Delta.Text
			case "thinking_delta":
				*b.Thinking += e.Delta.Thinking
			case "signature_delta":
				*b.Signature += e.Delta.Signature
			case "input_json_delta":
				args[e.Index] += e.Delta.PartialJSON
			}
		}
	}
	for i := range blocks {
		if blocks[i].Type == "tool_use" {
			blocks[i].Input = json.RawMessage(args[i])
			if args[i] == "" {
				blocks[i].Input = json.RawMessage(`{}`)
			}
		}
	}
	b, _ := marshal(blocks)
	return b
}

func TestRoundTripGeminiSignaturesThroughOpenAI(t *testing.T) {
	// Whole answer.
	out, err := GeminiResponseToOpenAI([]byte(geminiAnswer), "gpt")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Choices []struct {
			Message json.RawMessage `json:"message"`
		} `json:"choices"`
	}
	mustDecode(t, out, &resp)
	next, err := OpenAIChatToGemini(openAIHistory(resp.Choices[0].Message), Options{})
	wantSignedTurn(t, next, err)

	// Streamed: the client folds the deltas, extra_content included.
	stream := geminiStream(
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"**Plan**\n","thought":true}]},"index":0}],"responseId":"resp1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Check both cities.","thought":true},{"text":"Checking."}]},"index":0}],"responseId":"resp1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"","thoughtSignature":"SIG_TEXT"}]},"index":0}],"responseId":"resp1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"location":"Paris"}},"thoughtSignature":"SIG_CALL"},{"functionCall":{"id":"fc_rome","name":"get_weather","args":{"location":"Rome"}}}]},"finishReason":"STOP","index":0}],"responseId":"resp1"}`,
	)
	msg := openAIMessage(t, convert(t, NewGeminiToOpenAIStream("gpt", true), stream))
	next, err = OpenAIChatToGemini(openAIHistory(msg), Options{})
	wantSignedTurn(t, next, err)
}

func openAIHistory(assistant json.RawMessage) []byte {
	return []byte(`{"model":"gpt","messages":[{"role":"user","content":"Weather in Paris and Rome?"},` + string(assistant) + `,
		{"role":"tool","tool_call_id":"call_resp1_0","content":"sunny"},{"role":"tool","tool_call_id":"fc_rome","content":"rain"}]}`)
}

// openAIMessage folds chat.completion.chunk deltas into the assistant
// message a client sends back, as the SDKs' stream helpers do (extra
// fields kept).
func openAIMessage(t *testing.T, out []byte) json.RawMessage {
	t.Helper()
	events := decodeStream(t, out)
	if string(events[len(events)-1].Data) != `"[DONE]"` {
		t.Fatalf("stream does not end with [DONE]: %s", out)
	}
	msg := map[string]any{"role": "assistant"}
	var content, reasoning strings.Builder
	var calls []map[string]any
	for _, ev := range events[:len(events)-1] {
		var c struct {
			Choices []struct {
				Delta struct {
					Content          string           `json:"content"`
					ReasoningContent string           `json:"reasoning_content"`
					ExtraContent     any              `json:"extra_content"`
					ToolCalls        []map[string]any `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
		}
		mustDecode(t, ev.Data, &c)
		for _, ch := range c.Choices {
			content.WriteString(ch.Delta.Content)
			reasoning.WriteString(ch.Delta.ReasoningContent)
			if ch.Delta.ExtraContent != nil {
				msg["extra_content"] = ch.Delta.ExtraContent
			}
			for _, tc := range ch.Delta.ToolCalls {
				delete(tc, "index")
				calls = append(calls, tc) // Gemini's calls arrive whole
			}
		}
	}
	msg["content"], msg["reasoning_content"], msg["tool_calls"] = content.String(), reasoning.String(), calls
	b, _ := json.Marshal(msg)
	return b
}

// anthropicAnswer has what Anthropic signs: thinking, redacted thinking,
// thinking shown as a signature only, interleaved with calls.
const anthropicAnswer = `{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[
	{"type":"thinking","thinking":"Two cities.","signature":"ANSIG1"},
	{"type":"redacted_thinking","data":"REDACTED"},
	{"type":"text","text":"Checking."},
	{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"location":"Paris"}},
	{"type":"thinking","thinking":"","signature":"ANSIG2"},
	{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"location":"Rome"}}],
	"stop_reason":"tool_use","stop_sequence":null,
	"usage":{"input_tokens":60,"cache_creation_input_tokens":10,"cache_read_input_tokens":30,"output_tokens":25}}`

const gmResults = `{"role":"user","parts":[{"functionResponse":{"id":"toolu_1","name":"get_weather","response":{"output":"sunny"}}},{"functionResponse":{"id":"toolu_2","name":"get_weather","response":{"output":"rain"}}}]}`

func TestRoundTripAnthropicThinkingThroughGemini(t *testing.T) {
	var want struct {
		Content []anBlock `json:"content"`
	}
	mustDecode(t, []byte(anthropicAnswer), &want)
	check := func(t *testing.T, model json.RawMessage) {
		t.Helper()
		body := `{"contents":[{"role":"user","parts":[{"text":"Weather in Paris and Rome?"}]},{"role":"model","parts":` + string(model) + `},` + gmResults + `]}`
		next, err := GeminiToAnthropic([]byte(body), Options{Model: "claude", DefaultMaxTokens: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var req anRequest
		mustDecode(t, next, &req)
		got, _ := marshal(req.Messages[1].Content)
		w, _ := marshal(want.Content)
		if !jsonEqual(got, w) {
			t.Errorf("assistant turn:\ngot  %s\nwant %s", got, w)
		}
	}
	t.Run("answer", func(t *testing.T) {
		out, err := AnthropicResponseToGemini([]byte(anthropicAnswer), "gemini")
		if err != nil {
			t.Fatal(err)
		}
		var r gmResponseOut
		mustDecode(t, out, &r)
		parts, _ := marshal(r.Candidates[0].Content.Parts)
		check(t, parts)
	})
	t.Run("stream", func(t *testing.T) {
		var stream []byte
		ev := func(name, data string) { stream, _ = sse.AppendEvent(stream, name, []byte(data)) }
		ev("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":60,"output_tokens":1}}}`)
		ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Two "}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"cities."}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"ANSIG1"}}`)
		ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
		ev("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"REDACTED"}}`)
		ev("content_block_stop", `{"type":"content_block_stop","index":1}`)
		ev("content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Checking."}}`)
		ev("content_block_stop", `{"type":"content_block_stop","index":2}`)
		ev("content_block_start", `{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}`)
		ev("content_block_stop", `{"type":"content_block_stop","index":3}`)
		ev("content_block_start", `{"type":"content_block_start","index":4,"content_block":{"type":"thinking","thinking":"","signature":""}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":4,"delta":{"type":"signature_delta","signature":"ANSIG2"}}`)
		ev("content_block_stop", `{"type":"content_block_stop","index":4}`)
		ev("content_block_start", `{"type":"content_block_start","index":5,"content_block":{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}}}`)
		ev("content_block_delta", `{"type":"content_block_delta","index":5,"delta":{"type":"input_json_delta","partial_json":"{\"location\":\"Rome\"}"}}`)
		ev("content_block_stop", `{"type":"content_block_stop","index":5}`)
		ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":25}}`)
		ev("message_stop", `{"type":"message_stop"}`)
		// The client keeps every streamed part, as the Gemini SDKs do.
		var parts []json.RawMessage
		for _, e := range decodeStream(t, convert(t, NewAnthropicToGeminiStream("gemini"), stream)) {
			var c struct {
				Candidates []struct {
					Content struct {
						Parts []json.RawMessage `json:"parts"`
					} `json:"content"`
					FinishReason string `json:"finishReason"`
				} `json:"candidates"`
			}
			mustDecode(t, e.Data, &c)
			if c.Candidates[0].FinishReason != "" {
				continue // the last chunk's empty text
			}
			parts = append(parts, c.Candidates[0].Content.Parts...)
		}
		model, _ := json.Marshal(parts)
		check(t, model)
	})
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestRoundTripOpenAIAnswerThroughGemini(t *testing.T) {
	// A Gemini client on Google's OpenAI-compatible endpoint (an OpenAI
	// channel): extra_content signatures must come back to it.
	answer := `{"id":"c1","object":"chat.completion","created":1,"model":"gemini-2.5-pro","choices":[{"index":0,"finish_reason":"tool_calls",
		"message":{"role":"assistant","content":"Checking.","reasoning_content":"Two cities.","extra_content":{"google":{"thought_signature":"SIG_TEXT"}},
		"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"SIG_CALL"}}}]}}],
		"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`
	out, err := OpenAIResponseToGemini([]byte(answer), "gemini")
	if err != nil {
		t.Fatal(err)
	}
	var r gmResponseOut
	mustDecode(t, out, &r)
	parts, _ := marshal(r.Candidates[0].Content.Parts)
	body := `{"contents":[{"role":"user","parts":[{"text":"Weather?"}]},{"role":"model","parts":` + string(parts) + `},
		{"role":"user","parts":[{"functionResponse":{"id":"call_a","name":"get_weather","response":{"output":"sunny"}}}]}]}`
	next, err := GeminiToOpenAIChat([]byte(body), Options{Model: "gemini-2.5-pro"})
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		Messages []json.RawMessage `json:"messages"`
	}
	mustDecode(t, next, &req)
	want := `{"role":"assistant","content":"Checking.","reasoning_content":"Two cities.","extra_content":{"google":{"thought_signature":"SIG_TEXT"}},
		"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"SIG_CALL"}}}]}`
	if !jsonEqual(req.Messages[1], []byte(want)) {
		t.Errorf("assistant message:\ngot  %s\nwant %s", req.Messages[1], want)
	}
}

// TestRoundTripRequests: on what both sides express, the request
// translators to and from Gemini are inverses.
func TestRoundTripRequests(t *testing.T) {
	tests := []struct {
		name  string
		there func([]byte, Options) ([]byte, error)
		back  func([]byte, Options) ([]byte, error)
		opts  Options
		body  string
	}{
		{"openai", OpenAIChatToGemini, GeminiToOpenAIChat, Options{Model: "gpt-4o"}, `{"model":"gpt-4o","messages":[
			{"role":"system","content":"Be brief."},
			{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0K"}}]},
			{"role":"assistant","content":"A cat.","reasoning_content":"Looks feline.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"cat\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"{\"breed\":\"tabby\"}"},
			{"role":"tool","tool_call_id":"call_1","content":"plain text"},
			{"role":"user","content":"Thanks"}],
			"max_completion_tokens":500,"temperature":0.5,"top_p":0.9,"stop":["END"],"seed":3,"presence_penalty":0.1,"frequency_penalty":0.2,
			"tools":[{"type":"function","function":{"name":"lookup","description":"Search","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],
			"tool_choice":"required","reasoning_effort":"low",
			"response_format":{"type":"json_schema","json_schema":{"name":"output","schema":{"type":"object"},"strict":true}}}`},
		{"anthropic", AnthropicToGemini, GeminiToAnthropic, Options{Model: "claude"}, `{"model":"claude","max_tokens":2000,"system":"Be brief.","messages":[
			{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0K"}}]},
			{"role":"assistant","content":[{"type":"thinking","thinking":"Looks feline.","signature":"SIG"},{"type":"text","text":"A cat."},{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"q":"cat"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"tabby"},{"type":"tool_result","tool_use_id":"toolu_1","content":"down","is_error":true},{"type":"text","text":"Thanks"}]}],
			"temperature":0.5,"top_p":0.9,"top_k":20,"stop_sequences":["END"],
			"tools":[{"name":"lookup","description":"Search","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],
			"tool_choice":{"type":"tool","name":"lookup"},"thinking":{"type":"enabled","budget_tokens":1500},
			"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gm, err := tt.there([]byte(tt.body), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			back, err := tt.back(gm, tt.opts)
			if err != nil {
				t.Fatalf("%v\n%s", err, gm)
			}
			if !jsonEqual(back, []byte(tt.body)) {
				t.Errorf("round trip:\nvia  %s\ngot  %s\nwant %s", gm, back, tt.body)
			}
		})
	}
}

// TestGeminiUsageNormalization checks the usage arithmetic of DESIGN §3.3
// both ways: Gemini's prompt count includes cached tokens, its candidates
// count excludes thoughts.
func TestGeminiUsageNormalization(t *testing.T) {
	gm := &gmUsage{PromptTokenCount: 100, CachedContentTokenCount: 40, CandidatesTokenCount: 20, ThoughtsTokenCount: 10, ToolUsePromptTokenCount: 5, TotalTokenCount: 135}
	oa := gmUsageToOpenAI(gm)
	if oa.PromptTokens != 105 || oa.PromptTokensDetails.CachedTokens != 40 || oa.CompletionTokens != 30 ||
		oa.CompletionDetails.ReasoningTokens != 10 || oa.TotalTokens != 135 {
		t.Errorf("to OpenAI: %+v %+v %+v", oa, oa.PromptTokensDetails, oa.CompletionDetails)
	}
	an := gmUsageToAnthropic(gm)
	if an != (anUsage{InputTokens: 65, CacheReadInputTokens: 40, OutputTokens: 30}) {
		t.Errorf("to Anthropic: %+v", an)
	}
	back := oaUsageToGemini(&oaUsageGm{PromptTokens: 105, CompletionTokens: 30,
		PromptTokensDetails: &struct {
			CachedTokens int64 `json:"cached_tokens"`
		}{40},
		CompletionTokensDetails: &struct {
			ReasoningTokens int64 `json:"reasoning_tokens"`
		}{10}})
	if *back != (gmUsage{PromptTokenCount: 105, CachedContentTokenCount: 40, CandidatesTokenCount: 20, ThoughtsTokenCount: 10, TotalTokenCount: 135}) {
		t.Errorf("from OpenAI: %+v", back)
	}
	// Anthropic counts cache writes apart and thinking inside output.
	fromAn := anUsageToGemini(anUsage{InputTokens: 60, CacheCreationInputTokens: 10, CacheReadInputTokens: 30, OutputTokens: 25})
	if *fromAn != (gmUsage{PromptTokenCount: 100, CachedContentTokenCount: 30, CandidatesTokenCount: 25, TotalTokenCount: 125}) {
		t.Errorf("from Anthropic: %+v", fromAn)
	}
}
