package translate

import (
	"encoding/json"
	"testing"
)

// geminiStatuses are the google.rpc.Code names Gemini answers with, and
// their HTTP status.
var geminiStatuses = []struct {
	status string
	code   int
}{
	{"INVALID_ARGUMENT", 400},
	{"FAILED_PRECONDITION", 400},
	{"UNAUTHENTICATED", 401},
	{"PERMISSION_DENIED", 403},
	{"NOT_FOUND", 404},
	{"RESOURCE_EXHAUSTED", 429},
	{"CANCELLED", 499},
	{"INTERNAL", 500},
	{"UNAVAILABLE", 503},
	{"DEADLINE_EXCEEDED", 504},
}

func TestGeminiErrorsToClients(t *testing.T) {
	want := map[string][3]any{ // OpenAI type, code, Anthropic type
		"INVALID_ARGUMENT":    {"invalid_request_error", nil, "invalid_request_error"},
		"FAILED_PRECONDITION": {"invalid_request_error", nil, "invalid_request_error"},
		"UNAUTHENTICATED":     {"invalid_request_error", "invalid_api_key", "authentication_error"},
		"PERMISSION_DENIED":   {"invalid_request_error", "permission_denied", "permission_error"},
		"NOT_FOUND":           {"invalid_request_error", "not_found", "not_found_error"},
		"RESOURCE_EXHAUSTED":  {"requests", "rate_limit_exceeded", "rate_limit_error"},
		"CANCELLED":           {"server_error", nil, "api_error"},
		"INTERNAL":            {"server_error", nil, "api_error"},
		"UNAVAILABLE":         {"server_error", "overloaded", "overloaded_error"},
		"DEADLINE_EXCEEDED":   {"server_error", nil, "api_error"},
	}
	for _, tc := range geminiStatuses {
		for _, status := range []int{tc.code, 0} { // 0: inside a stream
			in := appendGeminiError(nil, tc.code, `quota "x"`, tc.status)
			var oa struct {
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
					Code    any    `json:"code"`
				} `json:"error"`
			}
			mustDecode(t, GeminiErrorToOpenAI(in, status), &oa)
			var an anErrorBody
			mustDecode(t, GeminiErrorToAnthropic(in, status), &an)
			w := want[tc.status]
			if oa.Error.Message != `quota "x"` || oa.Error.Type != w[0] || oa.Error.Code != w[1] || an.Type != "error" || an.Error.Type != w[2] {
				t.Errorf("%s (%d): OpenAI %+v, Anthropic %+v; want %v", tc.status, status, oa.Error, an.Error, w)
			}
			// Back to Gemini, the status survives the Anthropic types it
			// can be told apart by.
			var back gmErrorBody
			mustDecode(t, AnthropicErrorToGemini(GeminiErrorToAnthropic(in, tc.code), tc.code), &back)
			if back.Error.Code != tc.code || back.Error.Status != tc.status && tc.status != "FAILED_PRECONDITION" {
				t.Errorf("%s round trip gives %+v", tc.status, back.Error)
			}
		}
	}
}

func TestClientErrorsToGemini(t *testing.T) {
	tests := []struct {
		name   string
		conv   func([]byte, int) []byte
		body   string
		status int
		code   int
		want   string
	}{
		{"openai invalid key", OpenAIErrorToGemini, `{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}`, 401, 401, "UNAUTHENTICATED"},
		{"openai quota", OpenAIErrorToGemini, `{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}`, 429, 429, "RESOURCE_EXHAUSTED"},
		{"openai context length", OpenAIErrorToGemini, `{"error":{"message":"too long","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`, 400, 400, "INVALID_ARGUMENT"},
		{"openai bad gateway", OpenAIErrorToGemini, `<html>bad gateway</html>`, 502, 502, "UNAVAILABLE"},
		{"openai timeout", OpenAIErrorToGemini, `{"error":{"message":"slow","type":"server_error"}}`, 504, 504, "DEADLINE_EXCEEDED"},
		{"openai in a stream", OpenAIErrorToGemini, `{"error":{"message":"busy","type":"server_error","code":"overloaded"}}`, 0, 503, "UNAVAILABLE"},
		{"anthropic not found", AnthropicErrorToGemini, `{"type":"error","error":{"type":"not_found_error","message":"no model"}}`, 404, 404, "NOT_FOUND"},
		{"anthropic overloaded", AnthropicErrorToGemini, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 529, 529, "UNAVAILABLE"},
		{"anthropic too large", AnthropicErrorToGemini, `{"type":"error","error":{"type":"request_too_large","message":"big"}}`, 413, 413, "INVALID_ARGUMENT"},
		{"anthropic timeout in a stream", AnthropicErrorToGemini, `{"type":"error","error":{"type":"timeout_error","message":"slow"}}`, 0, 504, "DEADLINE_EXCEEDED"},
		{"anthropic unreadable", AnthropicErrorToGemini, ``, 403, 403, "PERMISSION_DENIED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.conv([]byte(tc.body), tc.status)
			var e gmErrorBody
			if err := json.Unmarshal(out, &e); err != nil || e.Error == nil {
				t.Fatalf("not a Gemini error: %s", out)
			}
			if e.Error.Code != tc.code || e.Error.Status != tc.want || e.Error.Message == "" {
				t.Errorf("got %s, want code %d status %s", out, tc.code, tc.want)
			}
		})
	}
}

func TestGeminiErrorBody(t *testing.T) {
	for status, want := range map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 402: "RESOURCE_EXHAUSTED",
		403: "PERMISSION_DENIED", 404: "NOT_FOUND", 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
		502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"} {
		var e gmErrorBody
		mustDecode(t, GeminiErrorBody(status, "no \"channel\""), &e)
		if e.Error.Code != status || e.Error.Status != want || e.Error.Message != `no "channel"` {
			t.Errorf("%d: got %+v, want %s", status, e.Error, want)
		}
	}
}

func TestGeminiAPIKeyError(t *testing.T) {
	body := `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`
	var an anErrorBody
	mustDecode(t, GeminiErrorToAnthropic([]byte(body), 400), &an)
	if an.Error.Type != "authentication_error" {
		t.Errorf("got %s", an.Error.Type)
	}
}
