package translate

import (
	"errors"
	"strings"
	"testing"
)

// unsupportedCase is a request the target protocol cannot express: the
// translator must refuse it naming field, never drop it.
type unsupportedCase struct {
	feature string
	route   string
	body    string
	field   string
}

// oaReq builds an OpenAI request with extra top-level members and messages.
func oaReq(extra, messages string) string {
	if messages == "" {
		messages = `[{"role":"user","content":"hi"}]`
	}
	if extra != "" {
		extra = "," + extra
	}
	return `{"model":"gpt-4o","max_tokens":2000,"messages":` + messages + extra + `}`
}

func anReq(extra, messages string) string {
	if messages == "" {
		messages = `[{"role":"user","content":"hi"}]`
	}
	if extra != "" {
		extra = "," + extra
	}
	return `{"model":"claude-sonnet-4-5","max_tokens":2000,"messages":` + messages + extra + `}`
}

const (
	oa = "openai_client"
	an = "anthropic_client"
)

var unsupportedCases = []unsupportedCase{
	{"n > 1", oa, oaReq(`"n":2`, ""), "n"},
	{"Log probabilities", oa, oaReq(`"logprobs":true`, ""), "logprobs"},
	{"Log probabilities", oa, oaReq(`"top_logprobs":3`, ""), "top_logprobs"},
	{"response_format json_object", oa, oaReq(`"response_format":{"type":"json_object"}`, ""), "response_format.type"},
	{"seed", oa, oaReq(`"seed":42`, ""), "seed"},
	{"Repetition penalties", oa, oaReq(`"frequency_penalty":0.5`, ""), "frequency_penalty"},
	{"Repetition penalties", oa, oaReq(`"presence_penalty":-1`, ""), "presence_penalty"},
	{"logit_bias", oa, oaReq(`"logit_bias":{"50256":-100}`, ""), "logit_bias.50256"},
	{"Audio output", oa, oaReq(`"audio":{"voice":"alloy","format":"wav"}`, ""), "audio"},
	{"Audio output", oa, oaReq(`"modalities":["text","audio"]`, ""), "modalities[1]"},
	{"Predicted outputs", oa, oaReq(`"prediction":{"type":"content","content":"x"}`, ""), "prediction"},
	{"web_search_options", oa, oaReq(`"web_search_options":{}`, ""), "web_search_options"},
	{"verbosity", oa, oaReq(`"verbosity":"low"`, ""), "verbosity"},
	{"Legacy functions", oa, oaReq(`"functions":[{"name":"f"}]`, ""), "functions"},
	{"Legacy functions", oa, oaReq(`"function_call":"auto"`, ""), "function_call"},
	{"Legacy functions", oa, oaReq("", `[{"role":"function","name":"f","content":"x"}]`), "messages[0].role"},
	{"Stored completions", oa, oaReq(`"store":true`, ""), "store"},
	{"Two different user ids", oa, oaReq(`"user":"a","safety_identifier":"b"`, ""), "user"},
	{"Stored completions", oa, oaReq(`"metadata":{"k":"v"}`, ""), "metadata.k"},
	{"Temperature above 1", oa, oaReq(`"temperature":1.5`, ""), "temperature"},
	{"Participant names", oa, oaReq("", `[{"role":"user","name":"ann","content":"hi"}]`), "messages[0].name"},
	{"Audio input", oa, oaReq("", `[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}]}]`), "messages[0].content[0].type"},
	{"Uploaded files (file_id)", oa, oaReq("", `[{"role":"user","content":[{"type":"file","file":{"file_id":"file-abc"}}]}]`), "messages[0].content[0].file.file_id"},
	{"Files other than PDF", oa, oaReq("", `[{"role":"user","content":[{"type":"file","file":{"file_data":"data:text/csv;base64,YSxi"}}]}]`), "messages[0].content[0].file.file_data"},
	{"Image detail low", oa, oaReq("", `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"low"}}]}]`), "messages[0].content[0].image_url.detail"},
	{"Non-base64 data URLs", oa, oaReq("", `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,%89PNG"}}]}]`), "messages[0].content[0].image_url.url"},
	{"Custom (free-form) tools", oa, oaReq(`"tools":[{"type":"custom","custom":{"name":"x"}}]`, ""), "tools[0].type"},
	{"tool_choice allowed_tools", oa, oaReq(`"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}`, ""), "tool_choice.type"},
	{"System message mid-conversation", oa, oaReq("", `[{"role":"user","content":"hi"},{"role":"system","content":"be brief"}]`), "messages[1].role"},
	{"Unsigned reasoning in history", oa, oaReq("", `[{"role":"user","content":"hi"},{"role":"assistant","content":"ok","reasoning_content":"hm"},{"role":"user","content":"go"}]`), "messages[1].reasoning_content"},
	{"Citations in history", oa, oaReq("", `[{"role":"user","content":"hi"},{"role":"assistant","content":"ok","annotations":[{"type":"url_citation"}]}]`), "messages[1].annotations[0]"},
	{"service_tier flex / priority / scale", oa, oaReq(`"service_tier":"flex"`, ""), "service_tier"},
	{"Reasoning with max_tokens ≤ 1024", oa, oaReq(`"max_completion_tokens":1000,"reasoning_effort":"low"`, ""), "reasoning_effort"},
	{"Unknown fields", oa, oaReq(`"frobnicate":true`, ""), "frobnicate"},
	{"Unknown fields", oa, oaReq("", `[{"role":"user","content":[{"type":"text","text":"x","image_url":{"url":"https://x.test/a.png"}}]}]`), "messages[0].content[0].image_url"},
	{"Unknown fields", oa, oaReq(`"stream_options":{"include_usage":true,"chunk_size":3}`, ""), "stream_options.chunk_size"},

	{"top_k", an, anReq(`"top_k":40`, ""), "top_k"},
	{"Server tools", an, anReq(`"tools":[{"name":"web_search","max_uses":5,"type":"web_search_20250305"}]`, ""), "tools[0].type"},
	{"Redacted thinking in history", an, anReq("", `[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"redacted_thinking","data":"EmwK"}]},{"role":"user","content":"go"}]`), "messages[1].content[0].type"},
	{"Images in tool results", an, anReq("", `[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}]}]}]`), "messages[0].content[0].content[0].type"},
	{"Citations", an, anReq("", `[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"},"citations":{"enabled":true}}]}]`), "messages[0].content[0].citations"},
	{"Anthropic-hosted features", an, anReq(`"container":"container_abc"`, ""), "container"},
	{"Anthropic-hosted features", an, anReq(`"mcp_servers":[{"type":"url","url":"https://mcp.test","name":"x"}]`, ""), "mcp_servers"},
	{"Documents by URL or file id", an, anReq("", `[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x.test/a.pdf"}}]}]`), "messages[0].content[0].source.url"},
	{"Images by file id", an, anReq("", `[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_abc"}}]}]`), "messages[0].content[0].source.file_id"},
	{"Other content blocks", an, anReq("", `[{"role":"user","content":[{"type":"search_result","source":"s","title":"t","content":[]}]}]`), "messages[0].content[0].type"},
	{"Titled text documents", an, anReq("", `[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"},"title":"T"}]}]`), "messages[0].content[0].title"},
	{"Unknown fields", an, anReq(`"frobnicate":true`, ""), "frobnicate"},
	{"Unknown fields", an, anReq(`"thinking":{"type":"enabled","budget_tokens":2048,"display":"omitted"}`, ""), "thinking.display"},
}

func translateRequest(route, body string) ([]byte, error) {
	if pair, ok := geminiRoutes[route]; ok {
		b, _ := BridgeFor(pair[0], pair[1])
		return b.Request([]byte(body), Options{Model: "test-model", DefaultMaxTokens: 4096})
	}
	if route == oa {
		return OpenAIChatToAnthropic([]byte(body), Options{})
	}
	return AnthropicToOpenAIChat([]byte(body), Options{})
}

func TestUnsupported(t *testing.T) { testUnsupported(t, unsupportedCases) }

// testUnsupported checks that each case is refused naming its field.
func testUnsupported(t *testing.T, cases []unsupportedCase) {
	for _, tc := range cases {
		t.Run(tc.route+"/"+tc.field, func(t *testing.T) {
			out, err := translateRequest(tc.route, tc.body)
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("got %s, %v; want UnsupportedError for %s", out, err, tc.field)
			}
			if ue.Field != tc.field || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("field %q (%v), want %q", ue.Field, err, tc.field)
			}
			// The Anthropic block readers are shared with the OpenAI
			// translator; their reasons must not name OpenAI for Gemini.
			if tc.route == anGm && strings.Contains(ue.Reason, "OpenAI") {
				t.Errorf("reason %q names the wrong protocol", ue.Reason)
			}
		})
	}
}

// wantRequestError checks that a translation failed with want and, for an
// invalid request, names field.
func wantRequestError(t *testing.T, out []byte, err, want error, field string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %s, %v; want %v", out, err, want)
	}
	var fe *FieldError
	if want == ErrInvalidRequest && (!errors.As(err, &fe) || fe.Field != field) {
		t.Errorf("error %v, want field %q", err, field)
	}
}

func TestInvalidRequests(t *testing.T) {
	tests := []struct {
		route, body, field string
		want               error
	}{
		{oa, `{"model":"m","messages":`, "", ErrInvalidRequest},
		{oa, `[]`, "", ErrInvalidRequest},
		{oa, `{"model":"m","max_tokens":5}`, "messages", ErrInvalidRequest},
		{oa, `{"messages":[{"role":"user","content":"x"}],"max_tokens":5}`, "model", ErrInvalidRequest},
		{oa, `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "", ErrNoMaxTokens},
		{oa, `{"model":"m","max_tokens":0,"messages":[]}`, "max_tokens", ErrInvalidRequest},
		{oa, `{"model":"m","max_tokens":1.5,"messages":[]}`, "max_tokens", ErrInvalidRequest},
		{oa, `{"model":7,"max_tokens":5,"messages":[]}`, "model", ErrInvalidRequest},
		{oa, oaReq(`"reasoning_effort":"extreme"`, ""), "reasoning_effort", ErrInvalidRequest},
		{oa, oaReq("", `[{"role":"tool","content":"x"}]`), "messages[0].tool_call_id", ErrInvalidRequest},
		{oa, oaReq("", `[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]`), "messages[0].tool_calls[0].function.arguments", ErrInvalidRequest},
		{oa, oaReq("", `[{"role":"user","content":"x","tool_calls":[]}]`), "messages[0]", ErrInvalidRequest},
		{oa, oaReq("", `[{"content":"x"}]`), "messages[0].role", ErrInvalidRequest},
		{oa, oaReq("", `[{"role":"user"}]`), "messages[0].content", ErrInvalidRequest},
		{oa, oaReq("", `[{"role":"user","content":[{"type":"text"}]}]`), "messages[0].content[0].text", ErrInvalidRequest},
		{oa, oaReq("", `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]`), "messages[0].content[0].image_url.url", ErrInvalidRequest},
		{oa, oaReq("", `[{"role":"assistant","content":"","thinking_blocks":[{"type":"thinking","thinking":"x"}]}]`), "messages[0].thinking_blocks[0]", ErrInvalidRequest},
		{an, `{"model":"m","messages":[{"role":"user","content":"x"}]}`, "max_tokens", ErrInvalidRequest},
		{an, anReq("", `[{"role":"system","content":"x"}]`), "messages[0].role", ErrInvalidRequest},
		{an, anReq(`"thinking":{"type":"enabled"}`, ""), "thinking.budget_tokens", ErrInvalidRequest},
		{an, anReq(`"tool_choice":{"type":"tool"}`, ""), "tool_choice.name", ErrInvalidRequest},
		{an, anReq(`"tools":[{"name":"f"}]`, ""), "tools[0]", ErrInvalidRequest},
		{an, anReq("", `[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]`), "messages[0].content[0].tool_use_id", ErrInvalidRequest},
		{an, anReq("", `[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":[1]}]}]`), "messages[0].content[0].input", ErrInvalidRequest},
		{an, anReq(`"output_config":{"effort":"extreme"}`, ""), "output_config.effort", ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.route+"/"+tc.field, func(t *testing.T) {
			out, err := translateRequest(tc.route, tc.body)
			wantRequestError(t, out, err, tc.want, tc.field)
		})
	}
}
