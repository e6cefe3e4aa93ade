package translate

import (
	"encoding/json"
	"testing"
)

// anthropicErrorTypes are Anthropic's error types with the status each comes with.
var anthropicErrorTypes = []struct {
	typ    string
	status int
}{
	{"invalid_request_error", 400},
	{"authentication_error", 401},
	{"permission_error", 403},
	{"not_found_error", 404},
	{"request_too_large", 413},
	{"rate_limit_error", 429},
	{"api_error", 500},
	{"overloaded_error", 529},
}

func TestAnthropicErrorToOpenAI(t *testing.T) {
	want := map[string][2]any{
		"invalid_request_error": {"invalid_request_error", nil},
		"authentication_error":  {"invalid_request_error", "invalid_api_key"},
		"permission_error":      {"invalid_request_error", "permission_denied"},
		"not_found_error":       {"invalid_request_error", "not_found"},
		"request_too_large":     {"invalid_request_error", "request_too_large"},
		"rate_limit_error":      {"requests", "rate_limit_exceeded"},
		"api_error":             {"server_error", nil},
		"overloaded_error":      {"server_error", "overloaded"},
	}
	for _, tc := range anthropicErrorTypes {
		t.Run(tc.typ, func(t *testing.T) {
			in := appendAnthropicError(nil, tc.typ, "boom \"x\"")
			out := AnthropicErrorToOpenAI(in, tc.status)
			var e struct {
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
					Param   any    `json:"param"`
					Code    any    `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(out, &e); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if e.Error.Message != "boom \"x\"" || e.Error.Type != want[tc.typ][0] || e.Error.Code != want[tc.typ][1] {
				t.Errorf("got %s, want type %v code %v", out, want[tc.typ][0], want[tc.typ][1])
			}
			// Round trip: the OpenAI body with the same status maps back.
			back := OpenAIErrorToAnthropic(out, tc.status)
			var b anErrorBody
			if err := json.Unmarshal(back, &b); err != nil || b.Type != "error" || b.Error == nil || b.Error.Type != tc.typ {
				t.Errorf("round trip %s -> %s", out, back)
			}
			// In a stream there is no status: the type alone must survive.
			if got := oaToAnthropicType(e.Error.Type, codeString(e.Error.Code), 0); got != tc.typ && tc.typ != "invalid_request_error" {
				t.Errorf("stream round trip of %s gives %s", tc.typ, got)
			}
		})
	}
}

func codeString(c any) string {
	s, _ := c.(string)
	return s
}

func TestOpenAIErrorToAnthropic(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"invalid key", `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, 401, "authentication_error"},
		{"quota", `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`, 429, "rate_limit_error"},
		{"model not found", `{"error":{"message":"The model does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`, 404, "not_found_error"},
		{"context length", `{"error":{"message":"too long","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`, 400, "invalid_request_error"},
		{"server error", `{"error":{"message":"oops","type":"server_error","param":null,"code":null}}`, 500, "api_error"},
		{"numeric code", `{"error":{"message":"oops","type":"server_error","code":500}}`, 502, "api_error"},
		{"forbidden by status", `{"error":{"message":"no","type":"invalid_request_error"}}`, 403, "permission_error"},
		{"unreadable", `<html>bad gateway</html>`, 502, "api_error"},
		{"unreadable overloaded", ``, 503, "overloaded_error"},
		{"unreadable 413", `{}`, 413, "request_too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := OpenAIErrorToAnthropic([]byte(tc.body), tc.status)
			var b anErrorBody
			if err := json.Unmarshal(out, &b); err != nil || b.Type != "error" || b.Error == nil {
				t.Fatalf("not an Anthropic error: %s", out)
			}
			if b.Error.Type != tc.want || b.Error.Message == "" {
				t.Errorf("got %s, want type %s", out, tc.want)
			}
		})
	}
}

func TestAnthropicErrorBody(t *testing.T) {
	for status, want := range map[int]string{400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
		403: "permission_error", 404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
		500: "api_error", 502: "api_error", 503: "overloaded_error", 504: "timeout_error"} {
		got := string(AnthropicErrorBody(status, `say "hi"`))
		if w := `{"type":"error","error":{"type":"` + want + `","message":"say \"hi\""}}`; got != w {
			t.Errorf("status %d: %s, want %s", status, got, w)
		}
	}
}
