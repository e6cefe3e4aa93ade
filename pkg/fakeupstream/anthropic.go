package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// Anthropic wire format (Messages API):
//
//	POST /v1/messages               a message object, or its event stream with "stream": true
//	POST /v1/messages/count_tokens  {"input_tokens": N}
//
// The key comes in "x-api-key" and the "anthropic-version" header is
// required (400 without it). Errors have Anthropic's shape
// {"type":"error","error":{"type","message"}}, the type chosen by status.
// A channel's base URL is the server root (the SDKs add /v1), or
// root/s/<scenario> for a scenario: see AnthropicBaseURL.
//
// Scenarios work as for OpenAI, with these Anthropic specifics:
//   - usage: input_tokens excludes the cached tokens, which are reported as
//     cache_read_input_tokens (cache_creation_input_tokens is always 0);
//     output_tokens is content plus reasoning tokens. message_start reports
//     output_tokens 1 (0 with zero-usage), message_delta the final counts.
//   - reasoning=N adds a thinking block (min(N, 256) words of thinking and a
//     signature) before the answer; in a stream it is one thinking_delta and
//     one signature_delta, opening events that cut-after=0 comes after.
//   - tools answers with one tool_use block calling the first tool (or the
//     one tool_choice names; "any" and "tool" do so without the scenario,
//     "none" never), its input {"input":"<answer>"}; stop_reason "tool_use".
//   - no-usage leaves out every usage object.

const maxThinkingWords = 256

// AnthropicBaseURL joins a server root and a scenario into an Anthropic
// channel base URL: root, or root/s/<scenario>.
func AnthropicBaseURL(root, scenario string) string {
	root = strings.TrimSuffix(root, "/")
	if scenario == "" {
		return root
	}
	return root + "/s/" + scenario
}

// AnthropicBaseURL is the Anthropic-style base URL under which scenario applies.
func (r *Running) AnthropicBaseURL(scenario string) string { return AnthropicBaseURL(r.URL, scenario) }

func (s *Server) addAnthropic() {
	d := &dialect{
		credential:  func(r *http.Request) string { return strings.TrimSpace(r.Header.Get("X-Api-Key")) },
		appendError: appendAnthropicError,
	}
	s.routes["/v1/messages"] = route{http.MethodPost, d, (*exchange).messages}
	s.routes["/v1/messages/count_tokens"] = route{http.MethodPost, d, (*exchange).countTokens}
}

func anthropicErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == 529:
		return "overloaded_error"
	case status >= 500:
		return "api_error"
	}
	return "invalid_request_error"
}

// appendAnthropicError renders {"type":"error","error":{"type","message"}}.
func appendAnthropicError(b []byte, status int, message string) []byte {
	b = append(b, `{"type":"error","error":{"type":"`...)
	b = append(b, anthropicErrorType(status)...)
	b = append(b, `","message":`...)
	b = jsonwrite.AppendString(b, message)
	return append(b, "}}"...)
}

// anRequest is what the Anthropic endpoints read of a request.
type anRequest struct {
	Model     string          `json:"model"`
	MaxTokens *int            `json:"max_tokens"`
	Stream    bool            `json:"stream"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
}

// parseAnthropic checks the version header and the body; failures are
// answered with 400.
func (ex *exchange) parseAnthropic(rq *anRequest, needMaxTokens bool) bool {
	ex.w.Header()["Request-Id"] = ex.w.Header()["X-Request-Id"]
	if ex.r.Header.Get("Anthropic-Version") == "" {
		ex.fail(http.StatusBadRequest, "anthropic-version: header is required")
		return false
	}
	if err := json.Unmarshal(ex.body, rq); err != nil {
		ex.fail(http.StatusBadRequest, "There was an error parsing the body of your request.")
		return false
	}
	switch {
	case rq.Model == "":
		ex.fail(http.StatusBadRequest, "model: Field required")
	case len(rq.Messages) == 0:
		ex.fail(http.StatusBadRequest, "messages: Field required")
	case needMaxTokens && rq.MaxTokens == nil:
		ex.fail(http.StatusBadRequest, "max_tokens: Field required")
	case needMaxTokens && *rq.MaxTokens < 1:
		ex.fail(http.StatusBadRequest, "max_tokens: Input should be greater than or equal to 1")
	default:
		return true
	}
	return false
}

func (rq *anRequest) promptWords() int {
	n := wordsIn(rq.System)
	for _, m := range rq.Messages {
		n += wordsIn(m.Content)
	}
	return n
}

// pickTool names the tool the answer calls, "" for a text answer.
func (rq *anRequest) pickTool(sc *Scenario) string {
	if len(rq.Tools) == 0 {
		return ""
	}
	if tc := rq.ToolChoice; tc != nil {
		switch tc.Type {
		case "none":
			return ""
		case "any":
			return rq.Tools[0].Name
		case "tool":
			return tc.Name
		}
	}
	if sc.Tools {
		return rq.Tools[0].Name
	}
	return ""
}

func (ex *exchange) countTokens() {
	var rq anRequest
	if !ex.parseAnthropic(&rq, false) || !ex.admit(rq.Model) {
		return
	}
	p := makePlan(&ex.sc, ex.s.opts.DefaultTokens, rq.promptWords(), nil)
	b := append(ex.buf[:0], `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(p.u.prompt), 10)
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}

func (p *plan) stopReason(tool bool) string {
	switch {
	case p.capped:
		return "max_tokens"
	case tool:
		return "tool_use"
	}
	return "end_turn"
}

// appendAnthropicUsage appends the usage object; output is the output
// tokens to report.
func appendAnthropicUsage(b []byte, u usage, output int) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt-u.cached), 10)
	b = append(b, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, int64(u.cached), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(output), 10)
	return append(b, '}')
}

func (ex *exchange) messages() {
	var rq anRequest
	if !ex.parseAnthropic(&rq, true) || !ex.admit(rq.Model) {
		return
	}
	p := makePlan(&ex.sc, ex.s.opts.DefaultTokens, rq.promptWords(), rq.MaxTokens)
	tool := rq.pickTool(&ex.sc)
	if rq.Stream {
		ex.messageStream(&rq, &p, tool)
		return
	}
	b := append(ex.buf[:0], `{"id":"`...)
	b = ex.appendID(b, "msg_")
	b = append(b, `","type":"message","role":"assistant","model":`...)
	b = jsonwrite.AppendString(b, rq.Model)
	b = append(b, `,"content":[`...)
	if ex.sc.ReasoningTokens > 0 {
		b = append(b, `{"type":"thinking","thinking":"`...)
		b = appendTokens(b, 0, min(ex.sc.ReasoningTokens, maxThinkingWords))
		b = append(b, `","signature":"`...)
		b = ex.appendID(b, "sig_")
		b = append(b, `"},`...)
	}
	if tool == "" {
		b = append(b, `{"type":"text","text":"`...)
		b = appendTokens(b, 0, p.tokens)
		b = append(b, `"}`...)
	} else {
		b = ex.appendToolUse(b, tool)
		b = append(b[:len(b)-len(`{}}`)], `{"input":"`...)
		b = appendTokens(b, 0, p.tokens)
		b = append(b, `"}}`...)
	}
	b = append(b, `],"stop_reason":"`...)
	b = append(b, p.stopReason(tool != "")...)
	b = append(b, `","stop_sequence":null`...)
	if p.mode != usageNone {
		b = append(b, `,"usage":`...)
		b = appendAnthropicUsage(b, p.u, p.u.completion)
	}
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}

// appendToolUse appends a tool_use block whose input is {}.
func (ex *exchange) appendToolUse(b []byte, tool string) []byte {
	b = append(b, `{"type":"tool_use","id":"`...)
	b = ex.appendID(b, "toolu_")
	b = append(b, `","name":`...)
	b = jsonwrite.AppendString(b, tool)
	return append(b, `,"input":{}}`...)
}
