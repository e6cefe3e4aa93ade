package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// OpenAI wire format: routes, errors, request parsing and chat completions.
// Legacy completions and embeddings are in openai_text.go, the Responses API
// in openai_responses.go.

var defaultModels = []string{"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o4-mini", "text-embedding-3-small"}

func (s *Server) addOpenAI() {
	d := &dialect{
		credential:  func(r *http.Request) string { return bearerKey(r.Header.Get("Authorization")) },
		appendError: appendOpenAIError,
	}
	s.routes["/v1/chat/completions"] = route{http.MethodPost, d, (*exchange).chatCompletions}
	s.routes["/v1/completions"] = route{http.MethodPost, d, (*exchange).completions}
	s.routes["/v1/embeddings"] = route{http.MethodPost, d, (*exchange).embeddings}
	s.routes["/v1/responses"] = route{http.MethodPost, d, (*exchange).responses}
	s.routes["/v1/models"] = route{http.MethodGet, d, (*exchange).listModels}
	s.fallback = d

	models := s.opts.Models
	if len(models) == 0 {
		models = defaultModels
	}
	created := strconv.FormatInt(time.Now().Unix(), 10)
	b := []byte(`{"object":"list","data":[`)
	for i, m := range models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = jsonwrite.AppendString(b, m)
		b = append(b, `,"object":"model","created":`...)
		b = append(b, created...)
		b = append(b, `,"owned_by":"burncloud-fake"}`...)
	}
	s.models = append(b, "]}"...)
}

// appendOpenAIError renders {"error":{"message","type","param","code"}}.
func appendOpenAIError(b []byte, status int, message string) []byte {
	typ, code := "invalid_request_error", "null"
	switch {
	case status == http.StatusUnauthorized:
		code = `"invalid_api_key"`
	case status == http.StatusTooManyRequests:
		typ, code = "requests", `"rate_limit_exceeded"`
	case status >= 500:
		typ = "server_error"
	}
	b = append(b, `{"error":{"message":`...)
	b = jsonwrite.AppendString(b, message)
	b = append(b, `,"type":"`...)
	b = append(b, typ...)
	b = append(b, `","param":null,"code":`...)
	b = append(b, code...)
	return append(b, "}}"...)
}

// oaRequest is the union of the request fields the OpenAI endpoints read.
type oaRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Prompt              json.RawMessage `json:"prompt"`
	Input               json.RawMessage `json:"input"`
	Instructions        string          `json:"instructions"`
	Tools               []oaTool        `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	MaxOutputTokens     *int            `json:"max_output_tokens"`
	EncodingFormat      string          `json:"encoding_format"`
	Dimensions          int             `json:"dimensions"`
	ServiceTier         string          `json:"service_tier"`
}

// oaTool covers chat tools ({"function":{"name"}}) and Responses tools ({"name"}).
type oaTool struct {
	Type     string `json:"type"`
	Name     string `json:"name"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

func (rq *oaRequest) includeUsage() bool {
	return rq.StreamOptions != nil && rq.StreamOptions.IncludeUsage
}

// parse decodes the body; a bad body or missing model is answered with 400.
func (ex *exchange) parse(rq *oaRequest) bool {
	if err := json.Unmarshal(ex.body, rq); err != nil {
		ex.fail(http.StatusBadRequest, "We could not parse the JSON body of your request.")
		return false
	}
	if rq.Model == "" {
		ex.fail(http.StatusBadRequest, "you must provide a model parameter")
		return false
	}
	return true
}

// pickTool names the function the answer calls, "" for a text answer: the
// one tool_choice names, else the first tool when tool_choice is "required"
// or the scenario asks for tool calls.
func (ex *exchange) pickTool(rq *oaRequest) string {
	if len(rq.Tools) == 0 {
		return ""
	}
	first := rq.Tools[0].Function.Name
	if first == "" {
		first = rq.Tools[0].Name
	}
	choice := trimJSON(rq.ToolChoice)
	if len(choice) > 0 && choice[0] == '{' {
		var named oaTool
		if json.Unmarshal(choice, &named) == nil {
			if named.Function.Name != "" {
				return named.Function.Name
			}
			if named.Name != "" {
				return named.Name
			}
		}
	}
	switch string(choice) {
	case `"none"`:
		return ""
	case `"required"`:
		return first
	}
	if ex.sc.Tools {
		return first
	}
	return ""
}

func (ex *exchange) listModels() {
	if ex.admit("") {
		ex.reply(ex.s.models)
	}
}

func appendChatUsage(b []byte, u usage) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.completion), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.total()), 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, int64(u.cached), 10)
	b = append(b, `,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, int64(u.reasoning), 10)
	return append(b, `,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}

// appendChunkHead opens a completion object up to and including `"choices":[`.
// With stamp (a whole answer under the timing option) the fingerprint gets
// a placeholder that reply fills with the fake's own time.
func (ex *exchange) appendChunkHead(b []byte, idPrefix, object, model string, created int64, stamp bool) []byte {
	b = append(b, `{"id":"`...)
	b = ex.appendID(b, idPrefix)
	b = append(b, `","object":"`...)
	b = append(b, object...)
	b = append(b, `","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"model":`...)
	b = jsonwrite.AppendString(b, model)
	b = append(b, `,"system_fingerprint":"fp_fake`...)
	if stamp && ex.sc.Timing {
		b = append(b, stampPrefix...)
		ex.stampAt = len(b)
		b = append(b, stampZeros...)
	}
	return append(b, `","choices":[`...)
}

// toolArgsOpen and toolArgsClose wrap the content tokens into the tool
// call's arguments {"input":"..."}, as they appear inside a JSON string.
const (
	toolArgsOpen  = `{\"input\":\"`
	toolArgsClose = `\"}`
)

func (ex *exchange) chatCompletions() {
	var rq oaRequest
	if !ex.parse(&rq) {
		return
	}
	if len(rq.Messages) == 0 {
		ex.fail(http.StatusBadRequest, "'messages' is a required property")
		return
	}
	if !ex.admit(rq.Model) {
		return
	}
	words := 0
	for _, m := range rq.Messages {
		words += wordsIn(m.Content)
	}
	limit := rq.MaxCompletionTokens
	if limit == nil {
		limit = rq.MaxTokens
	}
	p := makePlan(&ex.sc, ex.s.opts.DefaultTokens, words, limit)
	tool := ex.pickTool(&rq)
	created := time.Now().Unix()
	if rq.Stream {
		ex.chatStream(&rq, &p, tool, created)
		return
	}
	b := ex.appendChunkHead(ex.buf[:0], "chatcmpl-", "chat.completion", rq.Model, created, true)
	b = append(b, `{"index":0,"message":{"role":"assistant",`...)
	if tool == "" {
		b = append(b, `"content":"`...)
		b = appendTokens(b, 0, p.tokens)
		b = append(b, '"')
	} else {
		b = append(b, `"content":null,"tool_calls":[{"id":"`...)
		b = ex.appendID(b, "call_")
		b = append(b, `","type":"function","function":{"name":`...)
		b = jsonwrite.AppendString(b, tool)
		b = append(b, `,"arguments":"`+toolArgsOpen...)
		b = appendTokens(b, 0, p.tokens)
		b = append(b, toolArgsClose+`"}}]`...)
	}
	b = append(b, `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"`...)
	b = append(b, p.finish(tool != "")...)
	b = append(b, `"}]`...)
	if p.mode != usageNone {
		b = append(b, `,"usage":`...)
		b = appendChatUsage(b, p.u)
	}
	b = append(b, `,"service_tier":`...)
	tier := rq.ServiceTier
	if tier == "" || tier == "auto" {
		tier = "default"
	}
	b = jsonwrite.AppendString(b, tier)
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}

var malformedChatChunk = []byte("data: {\"id\":\"chatcmpl-broken\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\n\n")

// chatStream sends the chunks: a role chunk, the content chunks, a finish
// chunk, the usage-only chunk when asked, then [DONE].
func (ex *exchange) chatStream(rq *oaRequest, p *plan, tool string, created int64) {
	includeUsage := rq.includeUsage()
	st := ex.openStream(malformedChatChunk)
	b := append(ex.buf[:0], "data: "...)
	b = ex.appendChunkHead(b, "chatcmpl-", "chat.completion.chunk", rq.Model, created, false)
	head := len(b)
	// OpenAI sends "usage":null on every chunk when usage was asked for.
	end := func(b []byte) []byte {
		b = append(b, ']')
		if includeUsage {
			b = append(b, `,"usage":null`...)
		}
		return append(b, "}\n\n"...)
	}
	defer func() { ex.buf = b }()
	if tool == "" {
		b = append(b, `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`...)
	} else {
		b = append(b, `{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"`...)
		b = ex.appendID(b, "call_")
		b = append(b, `","type":"function","function":{"name":`...)
		b = jsonwrite.AppendString(b, tool)
		if p.chunks == 0 {
			b = append(b, `,"arguments":"`+toolArgsOpen+toolArgsClose+`"}}],"refusal":null},"logprobs":null,"finish_reason":null}`...)
		} else {
			b = append(b, `,"arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}`...)
		}
	}
	if b = end(b); !st.event(b) || !st.begin() {
		return
	}
	for k := range p.chunks {
		from, to := p.span(k)
		b = b[:head]
		if tool == "" {
			b = append(b, `{"index":0,"delta":{"content":"`...)
			b = appendTokens(b, from, to)
			b = append(b, `"},"logprobs":null,"finish_reason":null}`...)
		} else {
			b = append(b, `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"`...)
			if k == 0 {
				b = append(b, toolArgsOpen...)
			}
			b = appendTokens(b, from, to)
			if k == p.chunks-1 {
				b = append(b, toolArgsClose...)
			}
			b = append(b, `"}}]},"logprobs":null,"finish_reason":null}`...)
		}
		if b = end(b); !st.content(b) {
			return
		}
	}
	b = append(b[:head], `{"index":0,"delta":{},"logprobs":null,"finish_reason":"`...)
	b = append(b, p.finish(tool != "")...)
	b = append(b, `"}`...)
	if b = end(b); !st.event(b) {
		return
	}
	if includeUsage && p.mode != usageNone {
		b = append(b[:head], `],"usage":`...)
		b = appendChatUsage(b, p.u)
		b = append(b, "}\n\n"...)
		if !st.event(b) {
			return
		}
	}
	st.event(append(b[:0], "data: [DONE]\n\n"...))
}
