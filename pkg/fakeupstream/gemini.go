package fakeupstream

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/burncloud/burncloud/pkg/jsonwrite"
)

// Gemini wire format (Generative Language API v1beta):
//
//	POST /v1beta/models/{model}:generateContent        a GenerateContentResponse
//	POST /v1beta/models/{model}:streamGenerateContent  with ?alt=sse: "data: {...}\r\n\r\n" events;
//	                                                   without: one JSON array, streamed element by element
//	POST /v1beta/models/{model}:countTokens            {"totalTokens": N}
//	POST /v1beta/models/{model}:embedContent           {"embedding": {"values": [...]}}
//	POST /v1beta/models/{model}:batchEmbedContents     {"embeddings": [{"values": [...]}, ...]}
//	GET  /v1beta/models                                {"models": [...], "nextPageToken"} (pageSize, pageToken)
//	GET  /v1beta/models/{model}                        one model, 404 unless listed
//
// The key comes in "x-goog-api-key" or, failing that, the "key" query
// parameter ([Request.GoogleAPIKey] tells which). As Google does, a missing
// key is 403 PERMISSION_DENIED and a key outside [Options.Keys] is 400
// INVALID_ARGUMENT with an ErrorInfo detail of reason API_KEY_INVALID.
// Every error has Google's shape {"error":{"code","message","status"}}
// (plus "details" where Google sends them); a 429 from status=429 with
// retry-after=N carries both the Retry-After header and a RetryInfo detail
// {"retryDelay":"Ns"}.
//
// Vertex AI layout, same request and response bodies (v1beta1 is accepted
// for v1):
//
//	POST /v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent
//	POST /v1/projects/{project}/locations/{location}/publishers/google/models/{model}:streamGenerateContent
//
// These need "Authorization: Bearer <token>" with a token the fake OAuth2
// endpoint issued (google_oauth.go), unexpired and granted the
// cloud-platform scope: 401 UNAUTHENTICATED otherwise (403 for a missing
// scope). Options.Keys does not apply to them.
//
// A base URL is the server root, or root/s/<scenario> for a scenario
// (GeminiBaseURL, VertexBaseURL): the SDKs add /v1beta or /v1 themselves.
// GET /v1beta/models lists Options.Models when set, else a few Gemini names.
//
// Content and usage follow the package rules, mapped to Gemini's fields:
//   - prompt words: the text parts of contents and systemInstruction, and the
//     "text"/"content" words of functionResponse.response; inlineData and
//     fileData parts (images, audio, files) count nothing, as image parts do
//     for OpenAI and Anthropic. generationConfig.maxOutputTokens caps the
//     answer (finishReason "MAX_TOKENS", else "STOP").
//   - usageMetadata: promptTokenCount (includes cachedContentTokenCount,
//     which appears only when cached=N > 0), candidatesTokenCount (the answer,
//     without thoughts), thoughtsTokenCount (reasoning=N, only when > 0) and
//     totalTokenCount = prompt + candidates + thoughts. zero-usage reports
//     promptTokenCount, candidatesTokenCount and totalTokenCount as 0;
//     no-usage leaves out usageMetadata everywhere.
//   - reasoning=N adds a thought part {"text": min(N, 256) words, "thought": true}
//     before the answer (whether or not the request asked for thoughts).
//   - tools answers with functionCall parts {"name", "args": {"input": answer}}
//     instead of text: the first declared function; functionCallingConfig mode
//     ANY does so without the scenario, and with allowedFunctionNames it calls
//     each allowed name in order (parallel calls); mode NONE never calls.
//
// Streams: every chunk is a complete GenerateContentResponse with one
// candidate. A thought part comes first in its own chunk (an opening chunk,
// before which cut-after=0 does not cut); then one content chunk per text
// span, or one content chunk holding every functionCall part; then a final
// chunk with an empty text part, finishReason and the complete
// usageMetadata. Like Gemini, the chunks before the last carry a partial
// usageMetadata (promptTokenCount, cachedContentTokenCount, totalTokenCount
// equal to the prompt), so only the last one is the bill.

const (
	geminiPrefix       = "/v1beta/"
	cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"
	maxGeminiBatch     = 100
	defaultGeminiPage  = 50
	maxGeminiPage      = 1000
)

var defaultGeminiModels = []string{"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite", "gemini-embedding-001"}

// googleState is what the Gemini and Vertex dialects share: dialects,
// the model list, and the OAuth2 endpoint's accounts and tokens.
type googleState struct {
	gemini, vertex, oauth *dialect
	models                []string
	auth                  oauthState
}

// GeminiBaseURL joins a server root and a scenario into a Gemini channel
// base URL: root, or root/s/<scenario>.
func GeminiBaseURL(root, scenario string) string { return AnthropicBaseURL(root, scenario) }

// VertexBaseURL joins a server root and a scenario into a Vertex channel
// base URL: root, or root/s/<scenario>.
func VertexBaseURL(root, scenario string) string { return AnthropicBaseURL(root, scenario) }

// GeminiBaseURL is the Gemini-style base URL under which scenario applies.
func (r *Running) GeminiBaseURL(scenario string) string { return GeminiBaseURL(r.URL, scenario) }

// VertexBaseURL is the Vertex-style base URL under which scenario applies.
func (r *Running) VertexBaseURL(scenario string) string { return VertexBaseURL(r.URL, scenario) }

// GoogleAPIKey is the Gemini API key of the request and where it was:
// via is "header" (x-goog-api-key), "query" (?key=) or "" when absent.
func (r Request) GoogleAPIKey() (key, via string) {
	if k := strings.TrimSpace(r.Header.Get("X-Goog-Api-Key")); k != "" {
		return k, "header"
	}
	if k := queryKey(r.RawQuery); k != "" {
		return k, "query"
	}
	return "", ""
}

func queryKey(rawQuery string) string {
	if !strings.Contains(rawQuery, "key=") {
		return ""
	}
	for part := range strings.SplitSeq(rawQuery, "&") {
		if v, ok := strings.CutPrefix(part, "key="); ok {
			if k, err := url.QueryUnescape(v); err == nil {
				return strings.TrimSpace(k)
			}
		}
	}
	return ""
}

func googleKey(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-Goog-Api-Key")); k != "" {
		return k
	}
	return queryKey(r.URL.RawQuery)
}

func (s *Server) addGemini() {
	g := &googleState{models: s.opts.Models}
	if len(g.models) == 0 {
		g.models = defaultGeminiModels
	}
	g.auth.init()
	g.gemini = &dialect{
		credential:  googleKey,
		appendError: appendGoogleError,
		authorize:   (*exchange).authorizeGemini,
		errorFor:    (*exchange).appendGoogleFault,
	}
	g.vertex = &dialect{
		credential:  func(r *http.Request) string { return bearerKey(r.Header.Get("Authorization")) },
		appendError: appendGoogleError,
		authorize:   (*exchange).authorizeVertex,
		errorFor:    (*exchange).appendGoogleFault,
	}
	g.oauth = &dialect{
		credential:  func(*http.Request) string { return "" },
		appendError: appendOAuthError,
		authorize:   func(*exchange) bool { return true },
	}
	s.google = g
	s.routes[geminiPrefix+"models"] = route{http.MethodGet, g.gemini, (*exchange).geminiListModels}
	s.routes[TokenPath] = route{http.MethodPost, g.oauth, (*exchange).oauthToken}
}

// googleRoute resolves the paths that embed a model name. For an unknown
// path under a Google prefix it returns the Google dialect and false, so
// the 404 has Google's shape.
func (s *Server) googleRoute(path string) (route, bool) {
	g := s.google
	if rest, ok := strings.CutPrefix(path, geminiPrefix+"models/"); ok {
		model, method, hasMethod := strings.Cut(rest, ":")
		if model == "" || strings.Contains(model, "/") {
			return route{d: g.gemini}, false
		}
		if !hasMethod {
			return route{http.MethodGet, g.gemini, func(ex *exchange) { ex.geminiGetModel(model) }}, true
		}
		var h func(*exchange, string)
		switch method {
		case "generateContent":
			h = (*exchange).generateContent
		case "streamGenerateContent":
			h = (*exchange).streamGenerateContent
		case "countTokens":
			h = (*exchange).geminiCountTokens
		case "embedContent":
			h = (*exchange).embedContent
		case "batchEmbedContents":
			h = (*exchange).batchEmbedContents
		default:
			return route{d: g.gemini}, false
		}
		return route{http.MethodPost, g.gemini, func(ex *exchange) { h(ex, model) }}, true
	}
	if strings.HasPrefix(path, geminiPrefix) {
		return route{d: g.gemini}, false
	}
	if model, method, ok := vertexPath(path); ok {
		switch method {
		case "generateContent":
			return route{http.MethodPost, g.vertex, func(ex *exchange) { ex.generateContent(model) }}, true
		case "streamGenerateContent":
			return route{http.MethodPost, g.vertex, func(ex *exchange) { ex.streamGenerateContent(model) }}, true
		}
		return route{d: g.vertex}, false
	}
	if strings.HasPrefix(path, "/v1/projects/") || strings.HasPrefix(path, "/v1beta1/") {
		return route{d: g.vertex}, false
	}
	return route{}, false
}

// vertexPath splits
// /{v1|v1beta1}/projects/{p}/locations/{l}/publishers/google/models/{model}:{method}.
func vertexPath(path string) (model, method string, ok bool) {
	rest, found := strings.CutPrefix(path, "/v1/projects/")
	if !found {
		if rest, found = strings.CutPrefix(path, "/v1beta1/projects/"); !found {
			return "", "", false
		}
	}
	project, rest, _ := strings.Cut(rest, "/")
	rest, found = strings.CutPrefix(rest, "locations/")
	if project == "" || !found {
		return "", "", false
	}
	location, rest, _ := strings.Cut(rest, "/")
	rest, found = strings.CutPrefix(rest, "publishers/google/models/")
	if location == "" || !found {
		return "", "", false
	}
	model, method, found = strings.Cut(rest, ":")
	if model == "" || !found || strings.Contains(model, "/") {
		return "", "", false
	}
	return model, method, true
}

// googleStatus is the canonical status name Google pairs with an HTTP code.
func googleStatus(code int) string {
	switch code {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 500 {
		return "INTERNAL"
	}
	if code == http.StatusPreconditionFailed {
		return "FAILED_PRECONDITION"
	}
	return "INVALID_ARGUMENT"
}

// appendGoogleErrorOpen appends {"error":{"code","message","status" and
// leaves the error object open for details.
func appendGoogleErrorOpen(b []byte, status int, message string) []byte {
	b = append(b, `{"error":{"code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"message":`...)
	b = jsonwrite.AppendString(b, message)
	b = append(b, `,"status":"`...)
	b = append(b, googleStatus(status)...)
	return append(b, '"')
}

// appendGoogleError renders {"error":{"code","message","status"}}.
func appendGoogleError(b []byte, status int, message string) []byte {
	return append(appendGoogleErrorOpen(b, status, message), "}}"...)
}

// appendErrorInfo appends a details list holding one google.rpc.ErrorInfo.
func appendErrorInfo(b []byte, reason, service string) []byte {
	b = append(b, `,"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"`...)
	b = append(b, reason...)
	b = append(b, `","domain":"googleapis.com","metadata":{"service":"`...)
	b = append(b, service...)
	return append(b, `"}}]`...)
}

// appendGoogleFault renders an error, with a RetryInfo detail when the
// scenario gives a retry delay.
func (ex *exchange) appendGoogleFault(b []byte, status int, message string) []byte {
	b = appendGoogleErrorOpen(b, status, message)
	if ex.sc.RetryAfter > 0 && status == ex.sc.Status {
		b = append(b, `,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"`...)
		b = strconv.AppendInt(b, int64(ex.sc.RetryAfter), 10)
		b = append(b, `s"}]`...)
	}
	return append(b, "}}"...)
}

// googleFail answers with a Google error carrying an ErrorInfo reason.
func (ex *exchange) googleFail(status int, message, reason string) {
	b := appendGoogleErrorOpen(ex.buf[:0], status, message)
	if reason != "" {
		service := "generativelanguage.googleapis.com"
		if ex.d == ex.s.google.vertex {
			service = "aiplatform.googleapis.com"
		}
		b = appendErrorInfo(b, reason, service)
	}
	ex.buf = append(b, "}}"...)
	h := ex.w.Header()
	h["Content-Type"] = []string{"application/json; charset=UTF-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(ex.buf))}
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(ex.buf)
}

func (ex *exchange) authorizeGemini() bool {
	if ex.key == "" {
		ex.googleFail(http.StatusForbidden, "Method doesn't allow unregistered callers. Please use an API key.", "")
		return false
	}
	if !ex.s.keyAccepted(ex.key) {
		ex.googleFail(http.StatusBadRequest, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID")
		return false
	}
	return true
}

func (ex *exchange) authorizeVertex() bool {
	const invalid = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."
	if ex.key == "" {
		ex.googleFail(http.StatusUnauthorized, invalid, "CREDENTIALS_MISSING")
		return false
	}
	switch ex.s.google.auth.check(ex.key, cloudPlatformScope) {
	case tokenUnknown:
		ex.googleFail(http.StatusUnauthorized, invalid, "")
		return false
	case tokenExpired:
		ex.googleFail(http.StatusUnauthorized, invalid, "ACCESS_TOKEN_EXPIRED")
		return false
	case tokenNoScope:
		ex.googleFail(http.StatusForbidden, "Request had insufficient authentication scopes.", "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
		return false
	}
	return true
}

// gemPart is what the fake reads of a request part. Google accepts both
// lowerCamel and snake_case field names; the snake twins cover that.
type gemPart struct {
	Text                  string          `json:"text"`
	FunctionResponse      *gemFuncResult  `json:"functionResponse"`
	FunctionResponseSnake *gemFuncResult  `json:"function_response"`
	InlineData            json.RawMessage `json:"inlineData"`
}

type gemFuncResult struct {
	Response json.RawMessage `json:"response"`
}

type gemContent struct {
	Role  string    `json:"role"`
	Parts []gemPart `json:"parts"`
}

func (c *gemContent) words() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.Parts {
		p := &c.Parts[i]
		n += countWords(p.Text)
		if fr := either(p.FunctionResponse, p.FunctionResponseSnake); fr != nil {
			n += wordsIn(fr.Response)
		}
	}
	return n
}

type gemCallingConfig struct {
	Mode                      string   `json:"mode"`
	AllowedFunctionNames      []string `json:"allowedFunctionNames"`
	AllowedFunctionNamesSnake []string `json:"allowed_function_names"`
}

type gemToolConfig struct {
	FunctionCallingConfig      *gemCallingConfig `json:"functionCallingConfig"`
	FunctionCallingConfigSnake *gemCallingConfig `json:"function_calling_config"`
}

type gemFunctionDecl struct {
	Name string `json:"name"`
}

type gemTool struct {
	FunctionDeclarations      []gemFunctionDecl `json:"functionDeclarations"`
	FunctionDeclarationsSnake []gemFunctionDecl `json:"function_declarations"`
}

type gemGenerationConfig struct {
	MaxOutputTokens      *int `json:"maxOutputTokens"`
	MaxOutputTokensSnake *int `json:"max_output_tokens"`
}

// gemRequest is the union of what the Gemini endpoints read: a
// GenerateContentRequest, countTokens' wrapper and the embedding requests.
type gemRequest struct {
	Model                       string               `json:"model"`
	Contents                    []gemContent         `json:"contents"`
	SystemInstruction           *gemContent          `json:"systemInstruction"`
	SystemInstructionSnake      *gemContent          `json:"system_instruction"`
	Tools                       []gemTool            `json:"tools"`
	ToolConfig                  *gemToolConfig       `json:"toolConfig"`
	ToolConfigSnake             *gemToolConfig       `json:"tool_config"`
	GenerationConfig            *gemGenerationConfig `json:"generationConfig"`
	GenerationConfigSnake       *gemGenerationConfig `json:"generation_config"`
	GenerateContentRequest      *gemRequest          `json:"generateContentRequest"`
	GenerateContentRequestSnake *gemRequest          `json:"generate_content_request"`
	Content                     *gemContent          `json:"content"`
	OutputDimensionality        int                  `json:"outputDimensionality"`
	OutputDimensionalitySnake   int                  `json:"output_dimensionality"`
	Requests                    []gemRequest         `json:"requests"`
}

// either returns a when it is set, else b.
func either[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

func (rq *gemRequest) promptWords() int {
	n := either(rq.SystemInstruction, rq.SystemInstructionSnake).words()
	for i := range rq.Contents {
		n += rq.Contents[i].words()
	}
	return n
}

func (rq *gemRequest) maxOutputTokens() *int {
	gc := either(rq.GenerationConfig, rq.GenerationConfigSnake)
	if gc == nil {
		return nil
	}
	return either(gc.MaxOutputTokens, gc.MaxOutputTokensSnake)
}

func (rq *gemRequest) dimensions() int {
	if rq.OutputDimensionality != 0 {
		return rq.OutputDimensionality
	}
	return rq.OutputDimensionalitySnake
}

// pickFunctions names the functions the answer calls; none for a text answer.
func (rq *gemRequest) pickFunctions(sc *Scenario) []string {
	var first string
	for i := range rq.Tools {
		t := &rq.Tools[i]
		decls := t.FunctionDeclarations
		if len(decls) == 0 {
			decls = t.FunctionDeclarationsSnake
		}
		if len(decls) > 0 {
			first = decls[0].Name
			break
		}
	}
	if first == "" {
		return nil
	}
	var fcc *gemCallingConfig
	if tc := either(rq.ToolConfig, rq.ToolConfigSnake); tc != nil {
		fcc = either(tc.FunctionCallingConfig, tc.FunctionCallingConfigSnake)
	}
	mode := ""
	var allowed []string
	if fcc != nil {
		mode = strings.ToUpper(fcc.Mode)
		allowed = fcc.AllowedFunctionNames
		if len(allowed) == 0 {
			allowed = fcc.AllowedFunctionNamesSnake
		}
	}
	switch mode {
	case "NONE":
		return nil
	case "ANY":
		if len(allowed) > 0 {
			return allowed
		}
		return []string{first}
	}
	if sc.Tools {
		return []string{first}
	}
	return nil
}

// parseGemini decodes the body; a bad body is answered with 400.
func (ex *exchange) parseGemini(rq *gemRequest) bool {
	if err := json.Unmarshal(ex.body, rq); err != nil {
		ex.fail(http.StatusBadRequest, "Invalid JSON payload received. Unable to parse the request body.")
		return false
	}
	return true
}

// generateRequest parses a GenerateContentRequest and admits it.
func (ex *exchange) generateRequest(rq *gemRequest, model string) bool {
	if !ex.parseGemini(rq) {
		return false
	}
	if len(rq.Contents) == 0 {
		ex.fail(http.StatusBadRequest, "* GenerateContentRequest.contents: contents is not specified")
		return false
	}
	return ex.admit(model)
}

func (ex *exchange) generateContent(model string) {
	var rq gemRequest
	if !ex.generateRequest(&rq, model) {
		return
	}
	p := makePlan(&ex.sc, ex.s.opts.DefaultTokens, rq.promptWords(), rq.maxOutputTokens())
	calls := rq.pickFunctions(&ex.sc)
	b := append(ex.buf[:0], `{"candidates":[{"content":{"parts":[`...)
	if ex.sc.ReasoningTokens > 0 {
		b = appendThoughtPart(b, ex.sc.ReasoningTokens)
		b = append(b, ',')
	}
	if len(calls) == 0 {
		b = append(b, `{"text":"`...)
		b = appendTokens(b, 0, p.tokens)
		b = append(b, `"}`...)
	} else {
		b = appendFunctionCalls(b, calls, &p)
	}
	b = append(b, `],"role":"model"},"finishReason":"`...)
	b = append(b, p.geminiFinish()...)
	b = append(b, `","index":0}]`...)
	if p.mode != usageNone {
		b = append(b, `,"usageMetadata":`...)
		b = appendGeminiUsage(b, p.u)
	}
	b = ex.appendGeminiTail(b, model)
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}

// appendGeminiTail appends modelVersion and responseId.
func (ex *exchange) appendGeminiTail(b []byte, model string) []byte {
	b = append(b, `,"modelVersion":`...)
	b = jsonwrite.AppendString(b, model)
	b = append(b, `,"responseId":"`...)
	b = ex.appendID(b, "")
	return append(b, '"')
}

func (p *plan) geminiFinish() string {
	if p.capped {
		return "MAX_TOKENS"
	}
	return "STOP"
}

func appendThoughtPart(b []byte, reasoning int) []byte {
	b = append(b, `{"text":"`...)
	b = appendTokens(b, 0, min(reasoning, maxThinkingWords))
	return append(b, `","thought":true}`...)
}

// appendFunctionCalls appends one functionCall part per name, each with
// the answer as its args {"input": ...}.
func appendFunctionCalls(b []byte, calls []string, p *plan) []byte {
	for i, name := range calls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"functionCall":{"name":`...)
		b = jsonwrite.AppendString(b, name)
		b = append(b, `,"args":{"input":"`...)
		b = appendTokens(b, 0, p.tokens)
		b = append(b, `"}}}`...)
	}
	return b
}

// appendGeminiUsage appends the complete usageMetadata.
func appendGeminiUsage(b []byte, u usage) []byte {
	candidates := u.completion - u.reasoning
	b = append(b, `{"promptTokenCount":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	if u.cached > 0 {
		b = append(b, `,"cachedContentTokenCount":`...)
		b = strconv.AppendInt(b, int64(u.cached), 10)
	}
	b = append(b, `,"candidatesTokenCount":`...)
	b = strconv.AppendInt(b, int64(candidates), 10)
	if u.reasoning > 0 {
		b = append(b, `,"thoughtsTokenCount":`...)
		b = strconv.AppendInt(b, int64(u.reasoning), 10)
	}
	b = append(b, `,"totalTokenCount":`...)
	b = strconv.AppendInt(b, int64(u.prompt+candidates+u.reasoning), 10)
	return append(b, '}')
}

// appendGeminiPartialUsage appends the usageMetadata of a chunk before the
// last: the prompt side only.
func appendGeminiPartialUsage(b []byte, u usage) []byte {
	b = append(b, `{"promptTokenCount":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	if u.cached > 0 {
		b = append(b, `,"cachedContentTokenCount":`...)
		b = strconv.AppendInt(b, int64(u.cached), 10)
	}
	b = append(b, `,"totalTokenCount":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	return append(b, '}')
}

func (ex *exchange) geminiCountTokens(model string) {
	var rq gemRequest
	if !ex.parseGemini(&rq) {
		return
	}
	inner := either(rq.GenerateContentRequest, rq.GenerateContentRequestSnake)
	if inner == nil {
		inner = &rq
	}
	if len(rq.Contents) > 0 && inner != &rq {
		ex.fail(http.StatusBadRequest, "contents and generateContentRequest are mutually exclusive")
		return
	}
	if !ex.admit(model) {
		return
	}
	p := makePlan(&ex.sc, 0, inner.promptWords(), nil)
	b := append(ex.buf[:0], `{"totalTokens":`...)
	b = strconv.AppendInt(b, int64(p.u.prompt), 10)
	if p.u.cached > 0 {
		b = append(b, `,"cachedContentTokenCount":`...)
		b = strconv.AppendInt(b, int64(p.u.cached), 10)
	}
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}

// listed reports whether model is in the model list.
func (g *googleState) listed(model string) bool {
	for _, m := range g.models {
		if m == model {
			return true
		}
	}
	return false
}

func appendGeminiModel(b []byte, model string) []byte {
	embedding := strings.Contains(model, "embedding")
	b = append(b, `{"name":`...)
	b = jsonwrite.AppendString(b, "models/"+model)
	b = append(b, `,"version":"001","displayName":`...)
	b = jsonwrite.AppendString(b, model)
	b = append(b, `,"description":"A model of the BurnCloud fake upstream."`...)
	if embedding {
		b = append(b, `,"inputTokenLimit":2048,"outputTokenLimit":1,"supportedGenerationMethods":["embedContent","batchEmbedContents","countTokens"]}`...)
	} else {
		b = append(b, `,"inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens"],"temperature":1,"topP":0.95,"topK":64,"thinking":true}`...)
	}
	return b
}

func (ex *exchange) geminiGetModel(model string) {
	if !ex.admit(model) {
		return
	}
	if !ex.s.google.listed(model) {
		ex.fail(http.StatusNotFound, "models/"+model+" is not found for API version v1beta, or is not supported for this method.")
		return
	}
	ex.buf = appendGeminiModel(ex.buf[:0], model)
	ex.reply(ex.buf)
}

// geminiListModels pages through the model list; the page token is the
// index of the page's first model.
func (ex *exchange) geminiListModels() {
	q := ex.r.URL.Query()
	size := defaultGeminiPage
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			ex.fail(http.StatusBadRequest, "Invalid value for pageSize.")
			return
		}
		if n > 0 {
			size = min(n, maxGeminiPage)
		}
	}
	from := 0
	models := ex.s.google.models
	if v := q.Get("pageToken"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "p"))
		if err != nil || !strings.HasPrefix(v, "p") || n <= 0 || n >= len(models) {
			ex.fail(http.StatusBadRequest, "Invalid page token.")
			return
		}
		from = n
	}
	if !ex.admit("") {
		return
	}
	to := min(from+size, len(models))
	b := append(ex.buf[:0], `{"models":[`...)
	for i, m := range models[from:to] {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendGeminiModel(b, m)
	}
	b = append(b, ']')
	if to < len(models) {
		b = append(b, `,"nextPageToken":"p`...)
		b = strconv.AppendInt(b, int64(to), 10)
		b = append(b, '"')
	}
	ex.buf = append(b, '}')
	ex.reply(ex.buf)
}
