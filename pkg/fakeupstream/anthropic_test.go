package fakeupstream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const anBody = `{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"be brief","messages":[{"role":"user","content":"hello there  world"}]}`

const anTools = `"tools":[{"name":"get_weather","input_schema":{"type":"object"}},{"name":"now","input_schema":{"type":"object"}}]`

// anCall sends an Anthropic request with x-api-key and anthropic-version
// unless the headers say otherwise ("" removes one).
func anCall(t testing.TB, client *http.Client, url, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", testKey)
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("content-type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func anPost(t testing.TB, ts *httptest.Server, path, body string) (int, http.Header, []byte) {
	t.Helper()
	resp := anCall(t, ts.Client(), ts.URL+path, body, nil)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

type anUsageOut struct {
	InputTokens              *int `json:"input_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
}

type anBlockOut struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	Thinking  string          `json:"thinking"`
	Signature string          `json:"signature"`
}

type anMessageOut struct {
	ID           string       `json:"id"`
	Type         string       `json:"type"`
	Role         string       `json:"role"`
	Model        string       `json:"model"`
	Content      []anBlockOut `json:"content"`
	StopReason   *string      `json:"stop_reason"`
	StopSequence *string      `json:"stop_sequence"`
	Usage        *anUsageOut  `json:"usage"`
}

func checkAnUsage(t *testing.T, u *anUsageOut, input, cached, output int) {
	t.Helper()
	if u == nil || u.InputTokens == nil || u.CacheReadInputTokens == nil || u.CacheCreationInputTokens == nil || u.OutputTokens == nil {
		t.Fatalf("usage %+v: every field is required", u)
	}
	if *u.InputTokens != input || *u.CacheReadInputTokens != cached || *u.CacheCreationInputTokens != 0 || *u.OutputTokens != output {
		t.Errorf("usage in %d cached %d out %d, want %d %d %d", *u.InputTokens, *u.CacheReadInputTokens, *u.OutputTokens, input, cached, output)
	}
}

func TestMessagesJSON(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, body string
		tokens, input        int
		cached, reasoning    int
		stop, tool           string
		noUsage              bool
	}{
		{name: "default", body: anBody, tokens: 16, input: 5, stop: "end_turn"},
		{name: "blocks and cache", scenario: "chunks=4,cached=2", body: `{"model":"m","max_tokens":50,"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":[{"type":"text","text":"one two three"}]}]}`, tokens: 4, input: 3, cached: 2, stop: "end_turn"},
		{name: "reasoning", scenario: "chunks=3,reasoning=5", body: anBody, tokens: 3, input: 5, reasoning: 5, stop: "end_turn"},
		{name: "max_tokens caps", body: strings.Replace(anBody, "1024", "3", 1), tokens: 3, input: 5, stop: "max_tokens"},
		{name: "prompt-tokens", scenario: "prompt-tokens=100,cached=40", body: anBody, tokens: 16, input: 60, cached: 40, stop: "end_turn"},
		{name: "tools scenario", scenario: "tools,chunks=2", body: withFields(anBody, anTools), tokens: 2, input: 5, stop: "tool_use", tool: "get_weather"},
		{name: "tool_choice any", body: withFields(anBody, anTools+`,"tool_choice":{"type":"any"}`), tokens: 16, input: 5, stop: "tool_use", tool: "get_weather"},
		{name: "tool_choice tool", body: withFields(anBody, anTools+`,"tool_choice":{"type":"tool","name":"now"}`), tokens: 16, input: 5, stop: "tool_use", tool: "now"},
		{name: "tool_choice none", scenario: "tools", body: withFields(anBody, anTools+`,"tool_choice":{"type":"none"}`), tokens: 16, input: 5, stop: "end_turn"},
		{name: "tools without tools", scenario: "tools", body: anBody, tokens: 16, input: 5, stop: "end_turn"},
		{name: "zero usage", scenario: "zero-usage", body: anBody, tokens: 16, stop: "end_turn"},
		{name: "no usage", scenario: "no-usage", body: anBody, tokens: 16, stop: "end_turn", noUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/messages"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			status, hdr, body := anPost(t, ts, path, tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if hdr.Get("Content-Type") != "application/json" || hdr.Get("Request-Id") == "" {
				t.Errorf("headers %v", hdr)
			}
			var m anMessageOut
			mustJSON(t, body, &m)
			var req struct{ Model string }
			mustJSON(t, []byte(tt.body), &req)
			if !strings.HasPrefix(m.ID, "msg_") || m.Type != "message" || m.Role != "assistant" || m.Model != req.Model {
				t.Errorf("envelope %s", body)
			}
			if m.StopReason == nil || *m.StopReason != tt.stop || !strings.Contains(string(body), `"stop_sequence":null`) {
				t.Errorf("stop_reason in %s, want %s", body, tt.stop)
			}
			blocks := m.Content
			if tt.reasoning > 0 {
				if len(blocks) == 0 || blocks[0].Type != "thinking" || blocks[0].Signature == "" {
					t.Fatalf("no thinking block first: %s", body)
				}
				checkContent(t, blocks[0].Thinking, tt.reasoning)
				blocks = blocks[1:]
			}
			if len(blocks) != 1 {
				t.Fatalf("content %s", body)
			}
			if tt.tool == "" {
				if blocks[0].Type != "text" {
					t.Fatalf("want a text block: %s", body)
				}
				checkContent(t, blocks[0].Text, tt.tokens)
			} else {
				var in struct{ Input string }
				if blocks[0].Type != "tool_use" || blocks[0].Name != tt.tool || !strings.HasPrefix(blocks[0].ID, "toolu_") || json.Unmarshal(blocks[0].Input, &in) != nil {
					t.Fatalf("want a tool_use of %s: %s", tt.tool, body)
				}
				checkContent(t, in.Input, tt.tokens)
			}
			if tt.noUsage {
				if m.Usage != nil {
					t.Errorf("usage present: %s", body)
				}
				return
			}
			output := tt.tokens + tt.reasoning
			if tt.scenario == "zero-usage" {
				output = 0
			}
			checkAnUsage(t, m.Usage, tt.input, tt.cached, output)
		})
	}
}

func TestAnthropicRequestErrors(t *testing.T) {
	s, ts := newFake(t, Options{Keys: []string{testKey}})
	_ = s
	tests := []struct {
		name, path, body string
		hdr              map[string]string
		status           int
		errType          string
		retryAfter       string
	}{
		{"no key", "/v1/messages", anBody, map[string]string{"x-api-key": ""}, 401, "authentication_error", ""},
		{"bearer is not the key header", "/v1/messages", anBody, map[string]string{"x-api-key": "", "Authorization": "Bearer " + testKey}, 401, "authentication_error", ""},
		{"unknown key", "/v1/messages", anBody, map[string]string{"x-api-key": "sk-other"}, 401, "authentication_error", ""},
		{"no version", "/v1/messages", anBody, map[string]string{"anthropic-version": ""}, 400, "invalid_request_error", ""},
		{"no version count", "/v1/messages/count_tokens", anBody, map[string]string{"anthropic-version": ""}, 400, "invalid_request_error", ""},
		{"bad json", "/v1/messages", `{"model":`, nil, 400, "invalid_request_error", ""},
		{"no model", "/v1/messages", `{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}`, nil, 400, "invalid_request_error", ""},
		{"no max_tokens", "/v1/messages", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, nil, 400, "invalid_request_error", ""},
		{"zero max_tokens", "/v1/messages", `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, nil, 400, "invalid_request_error", ""},
		{"no messages", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[]}`, nil, 400, "invalid_request_error", ""},
		{"injected 429", "/s/status=429,retry-after=3/v1/messages", anBody, nil, 429, "rate_limit_error", "3"},
		{"injected 529", "/s/status=529/v1/messages", withFields(anBody, `"stream":true`), nil, 529, "overloaded_error", ""},
		{"injected 500", "/s/status=500/v1/messages/count_tokens", anBody, nil, 500, "api_error", ""},
		{"injected 403", "/s/status=403/v1/messages", anBody, nil, 403, "permission_error", ""},
		{"injected 404", "/s/status=404/v1/messages", anBody, nil, 404, "not_found_error", ""},
		{"injected 413", "/s/status=413/v1/messages", anBody, nil, 413, "request_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := anCall(t, ts.Client(), ts.URL+tt.path, tt.body, tt.hdr)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d headers %v: %s", resp.StatusCode, resp.Header, body)
			}
			var e struct {
				Type  string `json:"type"`
				Error struct {
					Type    string  `json:"type"`
					Message *string `json:"message"`
				} `json:"error"`
			}
			mustJSON(t, body, &e)
			if e.Type != "error" || e.Error.Type != tt.errType || e.Error.Message == nil || *e.Error.Message == "" {
				t.Errorf("error body %s, want type %s", body, tt.errType)
			}
			if strings.Contains(string(body), "sk-other") {
				t.Errorf("key echoed: %s", body)
			}
		})
	}
}

func TestCountTokens(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		scenario, body string
		want           int
	}{
		{"", anBody, 5},
		{"", `{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"a b c"}]}],"tools":[{"name":"x"}]}`, 3},
		{"prompt-tokens=77", anBody, 77},
		{"zero-usage", anBody, 0},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			path := "/v1/messages/count_tokens"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			status, _, body := anPost(t, ts, path, tt.body)
			var got struct {
				InputTokens *int `json:"input_tokens"`
			}
			mustJSON(t, body, &got)
			if status != 200 || got.InputTokens == nil || *got.InputTokens != tt.want {
				t.Errorf("status %d %s, want %d tokens", status, body, tt.want)
			}
		})
	}
}

func TestAnthropicBaseURL(t *testing.T) {
	tests := []struct{ root, scenario, want string }{
		{"http://127.0.0.1:1", "", "http://127.0.0.1:1"},
		{"http://127.0.0.1:1/", "chunks=2,tools", "http://127.0.0.1:1/s/chunks=2,tools"},
	}
	for _, tt := range tests {
		if got := AnthropicBaseURL(tt.root, tt.scenario); got != tt.want {
			t.Errorf("AnthropicBaseURL(%q, %q) = %q, want %q", tt.root, tt.scenario, got, tt.want)
		}
	}
}
