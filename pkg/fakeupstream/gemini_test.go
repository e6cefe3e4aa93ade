package fakeupstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// gemBody has 5 prompt words: 2 of system instruction, 3 of contents.
const gemBody = `{"systemInstruction":{"parts":[{"text":"be brief"}]},"contents":[{"role":"user","parts":[{"text":"hello there  world"}]}]}`

const gemTools = `"tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"object"}},{"name":"now"}]}]`

const gemModelPath = "/v1beta/models/gemini-2.5-flash"

// gemCall sends a request with x-goog-api-key unless hdr says otherwise
// ("" removes a header).
func gemCall(t testing.TB, client *http.Client, method, url, body string, hdr map[string]string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-goog-api-key", testKey)
	req.Header.Set("Content-Type", "application/json")
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

func gemDo(t testing.TB, ts *httptest.Server, method, path, body string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	resp := gemCall(t, ts.Client(), method, ts.URL+path, body, hdr)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, b
}

func gemPost(t testing.TB, ts *httptest.Server, path, body string) (int, http.Header, []byte) {
	t.Helper()
	return gemDo(t, ts, http.MethodPost, path, body, nil)
}

type gemUsageOut struct {
	PromptTokenCount        *int `json:"promptTokenCount"`
	CachedContentTokenCount *int `json:"cachedContentTokenCount"`
	CandidatesTokenCount    *int `json:"candidatesTokenCount"`
	ThoughtsTokenCount      *int `json:"thoughtsTokenCount"`
	TotalTokenCount         *int `json:"totalTokenCount"`
}

type gemPartOut struct {
	Text         *string `json:"text"`
	Thought      bool    `json:"thought"`
	FunctionCall *struct {
		Name string            `json:"name"`
		Args map[string]string `json:"args"`
	} `json:"functionCall"`
}

type gemResponseOut struct {
	Candidates []struct {
		Content struct {
			Parts []gemPartOut `json:"parts"`
			Role  string       `json:"role"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
		Index        int    `json:"index"`
	} `json:"candidates"`
	UsageMetadata *gemUsageOut `json:"usageMetadata"`
	ModelVersion  string       `json:"modelVersion"`
	ResponseID    string       `json:"responseId"`
}

type googleErrorOut struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

// checkGoogleError asserts Google's error shape and returns it.
func checkGoogleError(t testing.TB, body []byte, code int, status string) googleErrorOut {
	t.Helper()
	var e googleErrorOut
	mustJSON(t, body, &e)
	if e.Error.Code != code || e.Error.Status != status || e.Error.Message == "" {
		t.Fatalf("error body %s: want code %d status %s and a message", body, code, status)
	}
	return e
}

// detail returns the first detail of type suffix typ, nil if none.
func (e googleErrorOut) detail(typ string) map[string]any {
	for _, d := range e.Error.Details {
		if at, _ := d["@type"].(string); strings.HasSuffix(at, typ) {
			return d
		}
	}
	return nil
}

// intp reads an optional count: -1 when absent.
func intp(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// gemWant is an expected answer.
type gemWant struct {
	tokens, prompt, cached, reasoning int
	finish                            string
	calls                             []string
	usage                             string // "", "none", "zero"
}

// checkGemUsage asserts a complete usageMetadata.
func checkGemUsage(t testing.TB, u *gemUsageOut, w gemWant) {
	t.Helper()
	switch w.usage {
	case "none":
		if u != nil {
			t.Errorf("usageMetadata present: %+v", *u)
		}
		return
	case "zero":
		if u == nil || intp(u.PromptTokenCount) != 0 || intp(u.CandidatesTokenCount) != 0 || intp(u.TotalTokenCount) != 0 ||
			u.CachedContentTokenCount != nil || u.ThoughtsTokenCount != nil {
			t.Errorf("zero usage: %+v", u)
		}
		return
	}
	if u == nil {
		t.Fatal("no usageMetadata")
	}
	cached, thoughts := -1, -1
	if w.cached > 0 {
		cached = w.cached
	}
	if w.reasoning > 0 {
		thoughts = w.reasoning
	}
	if intp(u.PromptTokenCount) != w.prompt || intp(u.CachedContentTokenCount) != cached ||
		intp(u.CandidatesTokenCount) != w.tokens || intp(u.ThoughtsTokenCount) != thoughts ||
		intp(u.TotalTokenCount) != w.prompt+w.tokens+w.reasoning {
		t.Errorf("usage prompt %d cached %d candidates %d thoughts %d total %d; want %+v",
			intp(u.PromptTokenCount), intp(u.CachedContentTokenCount), intp(u.CandidatesTokenCount),
			intp(u.ThoughtsTokenCount), intp(u.TotalTokenCount), w)
	}
}

// checkGemParts asserts the parts of a whole answer: an optional thought,
// then the text or the function calls.
func checkGemParts(t testing.TB, parts []gemPartOut, w gemWant) {
	t.Helper()
	if w.reasoning > 0 {
		if len(parts) == 0 || !parts[0].Thought || parts[0].Text == nil {
			t.Fatalf("no leading thought part: %+v", parts)
		}
		checkContent(t, *parts[0].Text, min(w.reasoning, maxThinkingWords))
		parts = parts[1:]
	}
	if len(w.calls) == 0 {
		if len(parts) != 1 || parts[0].Text == nil || parts[0].Thought || parts[0].FunctionCall != nil {
			t.Fatalf("want one text part, got %+v", parts)
		}
		checkContent(t, *parts[0].Text, w.tokens)
		return
	}
	var names []string
	for _, p := range parts {
		if p.FunctionCall == nil || p.Text != nil {
			t.Fatalf("want functionCall parts only, got %+v", parts)
		}
		names = append(names, p.FunctionCall.Name)
		checkContent(t, p.FunctionCall.Args["input"], w.tokens)
	}
	if !slices.Equal(names, w.calls) {
		t.Errorf("calls %v, want %v", names, w.calls)
	}
}

func TestGeminiGenerateContent(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, body string
		want                 gemWant
	}{
		{name: "default", body: gemBody, want: gemWant{tokens: 16, prompt: 5, finish: "STOP"}},
		{name: "snake case and cap", body: `{"system_instruction":{"parts":[{"text":"a b c"}]},"contents":[{"parts":[{"text":"d"}]}],"generation_config":{"max_output_tokens":3}}`,
			want: gemWant{tokens: 3, prompt: 4, finish: "MAX_TOKENS"}},
		{name: "camel cap", body: withFields(gemBody, `"generationConfig":{"maxOutputTokens":2,"temperature":0}`), want: gemWant{tokens: 2, prompt: 5, finish: "MAX_TOKENS"}},
		{name: "images count nothing", body: `{"contents":[{"role":"user","parts":[{"text":"one two"},{"inlineData":{"mimeType":"image/png","data":"aGVsbG8gd29ybGQ="}},{"fileData":{"mimeType":"image/jpeg","fileUri":"gs://b/o"}}]}]}`,
			want: gemWant{tokens: 16, prompt: 2, finish: "STOP"}},
		{name: "function response words", body: `{"contents":[{"role":"user","parts":[{"text":"x"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"q":"not counted"}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"content":"sunny and warm"}}}]}]}`,
			want: gemWant{tokens: 16, prompt: 4, finish: "STOP"}},
		{name: "cached and reasoning", scenario: "chunks=4,cached=2,reasoning=3", body: gemBody, want: gemWant{tokens: 4, prompt: 5, cached: 2, reasoning: 3, finish: "STOP"}},
		{name: "long thought is capped", scenario: "chunks=1,reasoning=1000", body: gemBody, want: gemWant{tokens: 1, prompt: 5, reasoning: 1000, finish: "STOP"}},
		{name: "fixed prompt clamps cached", scenario: "prompt-tokens=100,cached=200", body: gemBody, want: gemWant{tokens: 16, prompt: 100, cached: 100, finish: "STOP"}},
		{name: "body size", scenario: "body=1kb", body: gemBody, want: gemWant{tokens: 205, prompt: 5, finish: "STOP"}},
		{name: "zero usage", scenario: "zero-usage,reasoning=2", body: gemBody, want: gemWant{tokens: 16, reasoning: 2, finish: "STOP", usage: "zero"}},
		{name: "no usage", scenario: "no-usage", body: gemBody, want: gemWant{tokens: 16, finish: "STOP", usage: "none"}},
		{name: "tools scenario calls first", scenario: "tools,chunks=3", body: withFields(gemBody, gemTools), want: gemWant{tokens: 3, prompt: 5, finish: "STOP", calls: []string{"get_weather"}}},
		{name: "tools without scenario answer text", body: withFields(gemBody, gemTools), want: gemWant{tokens: 16, prompt: 5, finish: "STOP"}},
		{name: "mode ANY calls", body: withFields(gemBody, gemTools+`,"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}`), want: gemWant{tokens: 16, prompt: 5, finish: "STOP", calls: []string{"get_weather"}}},
		{name: "parallel calls", scenario: "chunks=2", body: withFields(gemBody, gemTools+`,"tool_config":{"function_calling_config":{"mode":"any","allowed_function_names":["now","get_weather"]}}`),
			want: gemWant{tokens: 2, prompt: 5, finish: "STOP", calls: []string{"now", "get_weather"}}},
		{name: "mode NONE wins over scenario", scenario: "tools", body: withFields(gemBody, gemTools+`,"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}`), want: gemWant{tokens: 16, prompt: 5, finish: "STOP"}},
		{name: "tools and thoughts", scenario: "tools,reasoning=5,chunks=2", body: withFields(gemBody, `"tools":[{"function_declarations":[{"name":"lookup"}]}]`),
			want: gemWant{tokens: 2, prompt: 5, reasoning: 5, finish: "STOP", calls: []string{"lookup"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := gemModelPath + ":generateContent"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			status, hdr, body := gemPost(t, ts, path, tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if hdr.Get("Content-Type") != "application/json" || hdr.Get("X-Request-Id") == "" {
				t.Errorf("headers %v", hdr)
			}
			var r gemResponseOut
			mustJSON(t, body, &r)
			if len(r.Candidates) != 1 || r.Candidates[0].Content.Role != "model" || r.Candidates[0].FinishReason != tt.want.finish || r.Candidates[0].Index != 0 {
				t.Fatalf("candidates %s", body)
			}
			if r.ModelVersion != "gemini-2.5-flash" || r.ResponseID == "" {
				t.Errorf("modelVersion %q responseId %q", r.ModelVersion, r.ResponseID)
			}
			checkGemParts(t, r.Candidates[0].Content.Parts, tt.want)
			checkGemUsage(t, r.UsageMetadata, tt.want)
		})
	}
}

func TestGeminiAuth(t *testing.T) {
	s, open := newFake(t, Options{})
	_, strict := newFake(t, Options{Keys: []string{"AIza-good"}})
	tests := []struct {
		name           string
		strict         bool
		query          string
		hdr            map[string]string
		status         int
		gstatus        string
		reason, via    string
		recordedKeyVia string
	}{
		{name: "header", hdr: nil, status: 200, recordedKeyVia: "header"},
		{name: "query", query: "?key=" + testKey, hdr: map[string]string{"x-goog-api-key": ""}, status: 200, recordedKeyVia: "query"},
		{name: "query escaped", query: "?alt=json&key=sk%2Dtest%2Dkey", hdr: map[string]string{"x-goog-api-key": ""}, status: 200, recordedKeyVia: "query"},
		{name: "header wins", query: "?key=other", status: 200, recordedKeyVia: "header"},
		{name: "missing", hdr: map[string]string{"x-goog-api-key": ""}, status: 403, gstatus: "PERMISSION_DENIED"},
		{name: "bearer is not a Gemini key", hdr: map[string]string{"x-goog-api-key": "", "Authorization": "Bearer " + testKey}, status: 403, gstatus: "PERMISSION_DENIED"},
		{name: "listed key", strict: true, hdr: map[string]string{"x-goog-api-key": "AIza-good"}, status: 200},
		{name: "listed key in query", strict: true, query: "?key=AIza-good", hdr: map[string]string{"x-goog-api-key": ""}, status: 200},
		{name: "unlisted key", strict: true, status: 400, gstatus: "INVALID_ARGUMENT", reason: "API_KEY_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := open
			if tt.strict {
				ts = strict
			}
			s.ResetRequests()
			status, hdr, body := gemDo(t, ts, http.MethodPost, gemModelPath+":generateContent"+tt.query, gemBody, tt.hdr)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if tt.status != 200 {
				e := checkGoogleError(t, body, tt.status, tt.gstatus)
				if hdr.Get("Content-Type") != "application/json; charset=UTF-8" || strings.Contains(string(body), testKey) {
					t.Errorf("error %s with headers %v", body, hdr)
				}
				if tt.reason != "" {
					if d := e.detail("google.rpc.ErrorInfo"); d == nil || d["reason"] != tt.reason {
						t.Errorf("ErrorInfo %v, want reason %s", e.Error.Details, tt.reason)
					}
				}
				return
			}
			if tt.recordedKeyVia != "" {
				req, ok := s.LastRequest()
				if !ok {
					t.Fatal("not recorded")
				}
				if key, via := req.GoogleAPIKey(); key != testKey || via != tt.recordedKeyVia {
					t.Errorf("recorded key %q via %q, want %q via %q", key, via, testKey, tt.recordedKeyVia)
				}
			}
		})
	}
}

func TestGeminiRoutingErrors(t *testing.T) {
	_, ts := newFake(t, Options{MaxBodyBytes: 300})
	tests := []struct {
		name, method, path, body string
		status                   int
		gstatus, contains        string
	}{
		{"unknown method", "POST", gemModelPath + ":predictLongRunning", gemBody, 404, "NOT_FOUND", "Invalid URL"},
		{"unknown collection", "GET", "/v1beta/tunedModels", "", 404, "NOT_FOUND", "Invalid URL"},
		{"empty model", "POST", "/v1beta/models/:generateContent", gemBody, 404, "NOT_FOUND", "Invalid URL"},
		{"wrong method", "GET", gemModelPath + ":generateContent", "", 405, "NOT_FOUND", "not allowed"},
		{"bad scenario", "POST", "/s/bogus" + gemModelPath + ":generateContent", gemBody, 400, "INVALID_ARGUMENT", "bogus"},
		{"bad json", "POST", gemModelPath + ":generateContent", "{", 400, "INVALID_ARGUMENT", "Invalid JSON"},
		{"no contents", "POST", gemModelPath + ":streamGenerateContent?alt=sse", `{"contents":[]}`, 400, "INVALID_ARGUMENT", "contents"},
		{"too large", "POST", gemModelPath + ":generateContent", `{"contents":[{"parts":[{"text":"` + strings.Repeat("x", 400) + `"}]}]}`, 413, "INVALID_ARGUMENT", "large"},
		{"vertex unknown method", "POST", "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:embedContent", gemBody, 404, "NOT_FOUND", "Invalid URL"},
		{"vertex other publisher", "POST", "/v1/projects/p/locations/global/publishers/anthropic/models/claude:rawPredict", gemBody, 404, "NOT_FOUND", "Invalid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := gemDo(t, ts, tt.method, tt.path, tt.body, nil)
			if status != tt.status || !strings.Contains(string(body), tt.contains) {
				t.Fatalf("status %d body %s, want %d containing %q", status, body, tt.status, tt.contains)
			}
			checkGoogleError(t, body, tt.status, tt.gstatus)
			if tt.status == 405 && hdr.Get("Allow") != "POST" {
				t.Errorf("Allow %q", hdr.Get("Allow"))
			}
		})
	}
}

func TestGeminiFaults(t *testing.T) {
	s, ts := newFake(t, Options{})
	t.Run("status", func(t *testing.T) {
		tests := []struct {
			scenario, path, body string
			status               int
			gstatus, retryAfter  string
		}{
			{"status=429,retry-after=3", gemModelPath + ":generateContent", gemBody, 429, "RESOURCE_EXHAUSTED", "3"},
			{"status=429", gemModelPath + ":streamGenerateContent?alt=sse", gemBody, 429, "RESOURCE_EXHAUSTED", ""},
			{"status=503", gemModelPath + ":streamGenerateContent", gemBody, 503, "UNAVAILABLE", ""},
			{"status=500", gemModelPath + ":countTokens", gemBody, 500, "INTERNAL", ""},
			{"status=504", gemModelPath + ":embedContent", `{"content":{"parts":[{"text":"x"}]}}`, 504, "DEADLINE_EXCEEDED", ""},
			{"status=403", "/v1beta/models", "", 403, "PERMISSION_DENIED", ""},
			{"status=404,latency=1ms", gemModelPath + ":batchEmbedContents", `{"requests":[{"model":"models/gemini-2.5-flash","content":{"parts":[{"text":"x"}]}}]}`, 404, "NOT_FOUND", ""},
		}
		for _, tt := range tests {
			t.Run(tt.scenario+tt.path, func(t *testing.T) {
				method := http.MethodPost
				if tt.body == "" {
					method = http.MethodGet
				}
				status, hdr, body := gemDo(t, ts, method, "/s/"+tt.scenario+tt.path, tt.body, nil)
				if status != tt.status || hdr.Get("Retry-After") != tt.retryAfter {
					t.Fatalf("status %d Retry-After %q: %s", status, hdr.Get("Retry-After"), body)
				}
				e := checkGoogleError(t, body, tt.status, tt.gstatus)
				ri := e.detail("google.rpc.RetryInfo")
				if tt.retryAfter == "" && ri != nil || tt.retryAfter != "" && (ri == nil || ri["retryDelay"] != tt.retryAfter+"s") {
					t.Errorf("RetryInfo %v, want delay %qs", ri, tt.retryAfter)
				}
			})
		}
	})
	t.Run("fail-first", func(t *testing.T) {
		var got []int
		for range 3 {
			status, _, body := gemPost(t, ts, "/s/fail-first=2,chunks=2"+gemModelPath+":generateContent", gemBody)
			if status != 200 {
				checkGoogleError(t, body, status, "INTERNAL")
			}
			got = append(got, status)
		}
		if !slices.Equal(got, []int{500, 500, 200}) {
			t.Fatalf("statuses %v", got)
		}
		s.ResetCounters()
		if status, _, _ := gemPost(t, ts, "/s/fail-first=2,chunks=2"+gemModelPath+":generateContent", gemBody); status != 500 {
			t.Errorf("after reset: %d", status)
		}
	})
	t.Run("latency and pace", func(t *testing.T) {
		for _, tt := range []struct {
			path string
			min  time.Duration
		}{
			{"/s/latency=40ms" + gemModelPath + ":generateContent", 40 * time.Millisecond},
			{"/s/chunks=5,pace=10ms" + gemModelPath + ":streamGenerateContent?alt=sse", 40 * time.Millisecond},
		} {
			start := time.Now()
			status, _, body := gemPost(t, ts, tt.path, gemBody)
			if elapsed := time.Since(start); status != 200 || elapsed < tt.min {
				t.Errorf("%s: status %d after %v, want 200 after %v: %s", tt.path, status, elapsed, tt.min, body)
			}
		}
	})
	t.Run("hang", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/s/hang"+gemModelPath+":streamGenerateContent?alt=sse", strings.NewReader(gemBody))
		req.Header.Set("x-goog-api-key", testKey)
		resp, err := ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("hang answered %d", resp.StatusCode)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want deadline", err)
		}
	})
	t.Run("json cut and malformed", func(t *testing.T) {
		resp := gemCall(t, ts.Client(), http.MethodPost, ts.URL+"/s/cut-after=1"+gemModelPath+":generateContent", gemBody, nil)
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut: read error %v, want unexpected EOF", err)
		}
		status, _, raw := gemPost(t, ts, "/s/malformed-after=0"+gemModelPath+":generateContent", gemBody)
		if status != 200 || len(raw) == 0 || jsonValid(raw) {
			t.Errorf("malformed: status %d valid %v", status, jsonValid(raw))
		}
	})
}

func TestGeminiCountTokens(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, body string
		status               int
		want                 string
	}{
		{"contents", "", gemBody, 200, `{"totalTokens":5}`},
		{"wrapped request", "", `{"generateContentRequest":{"model":"models/gemini-2.5-flash","contents":[{"parts":[{"text":"a b c d"}]}],"systemInstruction":{"parts":[{"text":"e"}]}}}`, 200, `{"totalTokens":5}`},
		{"fixed prompt and cached", "prompt-tokens=40,cached=10", gemBody, 200, `{"totalTokens":40,"cachedContentTokenCount":10}`},
		{"both forms", "", `{"contents":[{"parts":[{"text":"a"}]}],"generateContentRequest":{"contents":[{"parts":[{"text":"a"}]}]}}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := gemModelPath + ":countTokens"
			if tt.scenario != "" {
				path = "/s/" + tt.scenario + path
			}
			status, _, body := gemPost(t, ts, path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d: %s", status, body)
			}
			if tt.status == 200 && string(body) != tt.want {
				t.Errorf("body %s, want %s", body, tt.want)
			}
			if tt.status != 200 {
				checkGoogleError(t, body, tt.status, "INVALID_ARGUMENT")
			}
		})
	}
}

func TestGeminiEmbeddings(t *testing.T) {
	_, ts := newFake(t, Options{EmbeddingDimensions: 6})
	type vec struct {
		Values []float64 `json:"values"`
	}
	item := func(model, text string) string {
		return `{"model":"` + model + `","content":{"parts":[{"text":"` + text + `"}]}}`
	}
	t.Run("embedContent", func(t *testing.T) {
		for _, tt := range []struct {
			body string
			dims int
		}{
			{`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hello"}]}}`, 6},
			{`{"content":{"parts":[{"text":"hello"}]},"outputDimensionality":3}`, 3},
			{`{"content":{"parts":[{"text":"hello"}]},"output_dimensionality":2,"taskType":"RETRIEVAL_QUERY"}`, 2},
		} {
			status, _, body := gemPost(t, ts, "/v1beta/models/gemini-embedding-001:embedContent", tt.body)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var r struct{ Embedding vec }
			mustJSON(t, body, &r)
			if len(r.Embedding.Values) != tt.dims {
				t.Errorf("%s: %d values, want %d", tt.body, len(r.Embedding.Values), tt.dims)
			}
			for j, v := range r.Embedding.Values {
				if float32(v) != embeddingValue(0, j) {
					t.Errorf("value %d = %v, want %v", j, v, embeddingValue(0, j))
				}
			}
		}
	})
	t.Run("batchEmbedContents", func(t *testing.T) {
		m := "models/gemini-embedding-001"
		body := `{"requests":[` + item(m, "a") + "," + item(m, "b c") + `,{"model":"` + m + `","content":{"parts":[{"text":"d"}]},"outputDimensionality":4}]}`
		status, _, raw := gemPost(t, ts, "/v1beta/models/gemini-embedding-001:batchEmbedContents", body)
		if status != 200 {
			t.Fatalf("status %d: %s", status, raw)
		}
		var r struct{ Embeddings []vec }
		mustJSON(t, raw, &r)
		if len(r.Embeddings) != 3 || len(r.Embeddings[0].Values) != 6 || len(r.Embeddings[2].Values) != 4 {
			t.Fatalf("embeddings %s", raw)
		}
		if slices.Equal(r.Embeddings[0].Values, r.Embeddings[1].Values) {
			t.Error("vectors of a batch are equal")
		}
	})
	t.Run("refusals", func(t *testing.T) {
		many := make([]string, maxGeminiBatch+1)
		for i := range many {
			many[i] = item("models/e", "x")
		}
		for _, tt := range []struct {
			name, method, body, contains string
		}{
			{"no content", "embedContent", `{"model":"models/e"}`, "content"},
			{"empty parts", "embedContent", `{"content":{"parts":[]}}`, "content"},
			{"dimensions", "embedContent", `{"content":{"parts":[{"text":"x"}]},"outputDimensionality":99999}`, "output_dimensionality"},
			{"no requests", "batchEmbedContents", `{"requests":[]}`, "requests"},
			{"model mismatch", "batchEmbedContents", `{"requests":[` + item("models/other", "x") + `]}`, "does not match"},
			{"model missing", "batchEmbedContents", `{"requests":[{"content":{"parts":[{"text":"x"}]}}]}`, "does not match"},
			{"too many", "batchEmbedContents", `{"requests":[` + strings.Join(many, ",") + `]}`, "at most 100"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				status, _, body := gemPost(t, ts, "/v1beta/models/e:"+tt.method, tt.body)
				if status != 400 || !strings.Contains(string(body), tt.contains) {
					t.Fatalf("status %d body %s, want 400 containing %q", status, body, tt.contains)
				}
				checkGoogleError(t, body, 400, "INVALID_ARGUMENT")
			})
		}
	})
}

func TestGeminiModels(t *testing.T) {
	type model struct {
		Name                       string   `json:"name"`
		DisplayName                string   `json:"displayName"`
		InputTokenLimit            int      `json:"inputTokenLimit"`
		OutputTokenLimit           int      `json:"outputTokenLimit"`
		SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
	}
	type page struct {
		Models        []model `json:"models"`
		NextPageToken *string `json:"nextPageToken"`
	}
	t.Run("default list", func(t *testing.T) {
		_, ts := newFake(t, Options{})
		status, _, body := gemDo(t, ts, http.MethodGet, "/v1beta/models", "", nil)
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		var p page
		mustJSON(t, body, &p)
		if len(p.Models) != len(defaultGeminiModels) || p.NextPageToken != nil {
			t.Fatalf("page %s", body)
		}
		for i, m := range p.Models {
			if m.Name != "models/"+defaultGeminiModels[i] || m.InputTokenLimit == 0 || len(m.SupportedGenerationMethods) == 0 {
				t.Errorf("model %+v", m)
			}
			embed := slices.Contains(m.SupportedGenerationMethods, "embedContent")
			if embed != strings.Contains(m.Name, "embedding") || embed == slices.Contains(m.SupportedGenerationMethods, "generateContent") {
				t.Errorf("methods of %s: %v", m.Name, m.SupportedGenerationMethods)
			}
		}
	})
	t.Run("pages", func(t *testing.T) {
		names := []string{"m1", "m2", "m3", "m4", "m5"}
		_, ts := newFake(t, Options{Models: names})
		var got []string
		token := ""
		for pages := 0; ; pages++ {
			if pages > len(names) {
				t.Fatal("pagination does not end")
			}
			path := "/v1beta/models?pageSize=2"
			if token != "" {
				path += "&pageToken=" + token
			}
			status, _, body := gemDo(t, ts, http.MethodGet, path, "", nil)
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var p page
			mustJSON(t, body, &p)
			if len(p.Models) > 2 {
				t.Fatalf("page of %d", len(p.Models))
			}
			for _, m := range p.Models {
				got = append(got, strings.TrimPrefix(m.Name, "models/"))
			}
			if p.NextPageToken == nil {
				break
			}
			token = *p.NextPageToken
		}
		if !slices.Equal(got, names) {
			t.Errorf("listed %v, want %v", got, names)
		}
		for _, q := range []string{"?pageToken=bogus", "?pageToken=p99", "?pageSize=-1", "?pageSize=x"} {
			status, _, body := gemDo(t, ts, http.MethodGet, "/v1beta/models"+q, "", nil)
			if status != 400 {
				t.Errorf("%s: status %d", q, status)
			}
			checkGoogleError(t, body, 400, "INVALID_ARGUMENT")
		}
	})
	t.Run("get", func(t *testing.T) {
		_, ts := newFake(t, Options{})
		status, _, body := gemDo(t, ts, http.MethodGet, "/v1beta/models/gemini-2.5-pro", "", nil)
		var m model
		if mustJSON(t, body, &m); status != 200 || m.Name != "models/gemini-2.5-pro" || m.OutputTokenLimit == 0 {
			t.Errorf("status %d: %s", status, body)
		}
		status, _, body = gemDo(t, ts, http.MethodGet, "/v1beta/models/nope", "", nil)
		if status != 404 || !strings.Contains(string(body), "models/nope") {
			t.Errorf("status %d: %s", status, body)
		}
		checkGoogleError(t, body, 404, "NOT_FOUND")
		status, _, _ = gemDo(t, ts, http.MethodGet, "/v1beta/models/gemini-2.5-pro", "", map[string]string{"x-goog-api-key": ""})
		if status != 403 {
			t.Errorf("without key: status %d", status)
		}
	})
}

func TestGeminiBaseURLs(t *testing.T) {
	tests := []struct{ got, want string }{
		{GeminiBaseURL("http://h:1/", ""), "http://h:1"},
		{GeminiBaseURL("http://h:1", "chunks=2"), "http://h:1/s/chunks=2"},
		{VertexBaseURL("http://h:1", "status=500"), "http://h:1/s/status=500"},
		{TokenURL("http://h:1", ""), "http://h:1/token"},
		{TokenURL("http://h:1/", "latency=5ms"), "http://h:1/s/latency=5ms/token"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestGeminiModelScenarioOverride(t *testing.T) {
	s, ts := newFake(t, Options{})
	if err := s.SetModelScenario("gemini-2.5-pro", Scenario{Status: 429, RetryAfter: 7}); err != nil {
		t.Fatal(err)
	}
	status, hdr, body := gemPost(t, ts, "/v1beta/models/gemini-2.5-pro:generateContent", gemBody)
	e := checkGoogleError(t, body, 429, "RESOURCE_EXHAUSTED")
	if status != 429 || hdr.Get("Retry-After") != "7" || e.detail("RetryInfo")["retryDelay"] != "7s" {
		t.Errorf("status %d Retry-After %q: %s", status, hdr.Get("Retry-After"), body)
	}
	if status, _, _ := gemPost(t, ts, gemModelPath+":generateContent", gemBody); status != 200 {
		t.Errorf("other model: %d", status)
	}
}

func jsonValid(b []byte) bool { return json.Valid(b) }

func BenchmarkGeminiJSON(b *testing.B) {
	benchServe(b, gemModelPath+":generateContent?key="+testKey, gemBody)
}

func BenchmarkGeminiStream16(b *testing.B) {
	benchServe(b, gemModelPath+":streamGenerateContent?alt=sse&key="+testKey, gemBody)
}

func FuzzGeminiRequest(f *testing.F) {
	for _, s := range []string{
		gemBody,
		withFields(gemBody, gemTools+`,"tool_config":{"function_calling_config":{"mode":"ANY","allowed_function_names":["a","b"]}}`),
		`{"contents":[{"parts":[{"functionResponse":{"response":{"content":[{"text":"x y"}]}}},{"inlineData":{"data":"AA=="}}]}],"generation_config":{"max_output_tokens":-3}}`,
		`{"generateContentRequest":{"contents":[]},"requests":[{"content":null}]}`,
		`{"contents":null}`,
		`[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var rq gemRequest
		if json.Unmarshal(body, &rq) != nil {
			return
		}
		if n := rq.promptWords(); n < 0 || n > len(body) {
			t.Fatalf("promptWords = %d for %q", n, body)
		}
		sc := Scenario{Tools: true}
		for _, name := range rq.pickFunctions(&sc) {
			_ = name
		}
		p := makePlan(&sc, 16, rq.promptWords(), rq.maxOutputTokens())
		if p.tokens < 0 || p.tokens > 16 {
			t.Fatalf("plan %+v", p)
		}
	})
}
