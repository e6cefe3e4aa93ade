package router

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/sse"
	"github.com/burncloud/burncloud/pkg/usage"
)

func anthropicHeaders(key string) map[string]string {
	return map[string]string{"X-Api-Key": key, "Anthropic-Version": "2023-06-01", "Anthropic-Beta": "test-beta"}
}

// messagesBody asks for a short answer to a four-word prompt.
func messagesBody(model string, stream bool) string {
	return `{"model":"` + model + `","max_tokens":64,"stream":` + boolText(stream) +
		`,"messages":[{"role":"user","content":"say three short words"}]}`
}

func chatReq(model string, stream bool) string {
	return `{"model":"` + model + `","stream":` + boolText(stream) +
		`,"messages":[{"role":"user","content":"say three short words"}]}`
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// events reads an SSE body into (name, data) pairs.
func sseEvents(t *testing.T, body []byte) [][2]string {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(body), 1<<20)
	var out [][2]string
	for {
		ev, err := rd.Next()
		if err != nil {
			return out
		}
		if ev.HasData {
			out = append(out, [2]string{string(ev.Name), string(ev.Data)})
		}
	}
}

// checkEvent checks the protocols of the request's event and that its
// cost is the price of its usage.
func (e *env) checkEvent(t *testing.T, res result, in, up usagev1.Protocol, want usage.Usage) *usagev1.UsageEvent {
	t.Helper()
	ev := e.eventOf(t, res)
	if ev.GetInboundProtocol() != in || ev.GetUpstreamProtocol() != up {
		t.Errorf("event protocols %v -> %v, want %v -> %v", ev.GetInboundProtocol(), ev.GetUpstreamProtocol(), in, up)
	}
	got := ev.GetUsage()
	if got.GetInputUncached() != want.InputUncached || got.GetInputCacheRead() != want.InputCacheRead ||
		got.GetOutput() != want.Output || got.GetReasoning() != want.Reasoning || ev.GetUsageEstimated() {
		t.Errorf("event usage %v (estimated %v), want %+v", got, ev.GetUsageEstimated(), want)
	}
	m, _ := e.store.Load().Model(ev.GetRequestedModel())
	ratio := int64(pricing.OnePPM)
	if g, ok := e.store.Load().Group(ev.GetGroup()); ok {
		ratio = g.RatioPPM
	}
	cost, err := pricing.Cost(m.Price, want, pricing.Modifiers{TierPPM: pricing.OnePPM, GroupRatioPPM: ratio, ChannelCostRatioPPM: 600_000})
	if err != nil {
		t.Fatal(err)
	}
	if ev.GetCostNanoUsd() != cost.CostNano || cost.CostNano == 0 && (want.Output > 0) {
		t.Errorf("event cost %d, want %d", ev.GetCostNanoUsd(), cost.CostNano)
	}
	return ev
}

func TestAnthropicSurface(t *testing.T) {
	e := newEnv(t)
	// Three words of prompt; the fake answers 16 words unless max_tokens is lower.
	three := usage.Usage{InputUncached: 4, Output: 16}

	t.Run("passthrough", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1/messages", messagesBody("claude-x", false), anthropicHeaders(keyAlice))
		if res.status != 200 {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		var msg struct {
			Type  string `json:"type"`
			Model string `json:"model"`
		}
		if err := json.Unmarshal(res.body, &msg); err != nil || msg.Type != "message" {
			t.Fatalf("answer %s: %v", res.body, err)
		}
		req, _ := e.fake.LastRequest()
		if req.Path != "/v1/messages" || req.Header.Get("X-Api-Key") != upOther ||
			req.Header.Get("Anthropic-Version") != "2023-06-01" || req.Header.Get("Anthropic-Beta") != "test-beta" {
			t.Errorf("upstream request %s %v", req.Path, req.Header)
		}
		if string(req.Body) != messagesBody("claude-x", false) {
			t.Errorf("body changed: %s", req.Body)
		}
		e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_ANTHROPIC, usagev1.Protocol_PROTOCOL_ANTHROPIC, three)
	})

	t.Run("passthrough stream", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1/messages", messagesBody("claude-x", true), anthropicHeaders(keyAlice))
		evs := sseEvents(t, res.body)
		if res.status != 200 || len(evs) < 4 || evs[0][0] != "message_start" || evs[len(evs)-1][0] != "message_stop" {
			t.Fatalf("status %d events %v", res.status, evs)
		}
		e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_ANTHROPIC, usagev1.Protocol_PROTOCOL_ANTHROPIC, three)
	})

	t.Run("translated to an OpenAI channel", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1/messages", messagesBody("gpt-4o", false), anthropicHeaders(keyAlice))
		var msg struct {
			Type       string `json:"type"`
			Model      string `json:"model"`
			StopReason string `json:"stop_reason"`
			Content    []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
		}
		if err := json.Unmarshal(res.body, &msg); err != nil || res.status != 200 {
			t.Fatalf("status %d answer %s: %v", res.status, res.body, err)
		}
		if msg.Type != "message" || msg.Model != "gpt-4o" || msg.StopReason != "end_turn" ||
			len(msg.Content) != 1 || len(strings.Fields(msg.Content[0].Text)) != 16 {
			t.Errorf("answer %+v", msg)
		}
		req, _ := e.fake.LastRequest()
		if req.Path != "/v1/chat/completions" || req.BearerKey() != upPrimary || req.Header.Get("Anthropic-Beta") != "" {
			t.Errorf("upstream request %s %v", req.Path, req.Header)
		}
		var up struct {
			Model     string `json:"model"`
			MaxTokens int64  `json:"max_completion_tokens"`
		}
		if err := json.Unmarshal(req.Body, &up); err != nil || up.Model != "gpt-4o-2024-11-20" || up.MaxTokens != 64 {
			t.Errorf("upstream body %s", req.Body)
		}
		e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_ANTHROPIC, usagev1.Protocol_PROTOCOL_OPENAI, three)
	})

	t.Run("translated stream", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1/messages", messagesBody("gpt-4o", true), anthropicHeaders(keyAlice))
		evs := sseEvents(t, res.body)
		if res.status != 200 || len(evs) < 4 || evs[0][0] != "message_start" || evs[len(evs)-1][0] != "message_stop" {
			t.Fatalf("status %d events %v", res.status, evs)
		}
		if ct := res.header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("content type %q", ct)
		}
		var text strings.Builder
		for _, ev := range evs {
			if ev[0] == "content_block_delta" {
				var d struct {
					Delta struct {
						Text string `json:"text"`
					} `json:"delta"`
				}
				_ = json.Unmarshal([]byte(ev[1]), &d)
				text.WriteString(d.Delta.Text)
			}
		}
		if n := len(strings.Fields(text.String())); n != 16 {
			t.Errorf("streamed %d words: %q", n, text.String())
		}
		e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_ANTHROPIC, usagev1.Protocol_PROTOCOL_OPENAI, three)
	})

	t.Run("count tokens is free", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1/messages/count_tokens",
			`{"model":"claude-x","messages":[{"role":"user","content":"one two three"}]}`, anthropicHeaders(keyAlice))
		if res.status != 200 || !strings.Contains(string(res.body), `"input_tokens":3`) || res.header.Get(hdrCost) != "0" {
			t.Fatalf("status %d cost %q body %s", res.status, res.header.Get(hdrCost), res.body)
		}
		ev := e.eventOf(t, res)
		if ev.GetCostNanoUsd() != 0 || ev.GetOperation() != "messages.count_tokens" {
			t.Errorf("event %v", ev)
		}
	})

	t.Run("model list in Anthropic's shape", func(t *testing.T) {
		res := e.do(http.MethodGet, "/v1/models", "", anthropicHeaders(keyAlice))
		var list struct {
			Data []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"data"`
			HasMore *bool `json:"has_more"`
		}
		if err := json.Unmarshal(res.body, &list); err != nil || res.status != 200 || list.HasMore == nil {
			t.Fatalf("status %d body %s", res.status, res.body)
		}
		ids := map[string]bool{}
		for _, m := range list.Data {
			ids[m.ID] = m.Type == "model"
		}
		if !ids["claude-x"] || !ids["gpt-4o"] {
			t.Errorf("models %s", res.body)
		}
	})
}

func TestOpenAIClientOnAnthropicChannel(t *testing.T) {
	e := newEnv(t)
	three := usage.Usage{InputUncached: 4, Output: 16}

	t.Run("whole", func(t *testing.T) {
		e.sink.Reset()
		res := e.chat(keyAlice, chatReq("claude-x", false))
		var cc struct {
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				FinishReason string `json:"finish_reason"`
				Message      struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
			Usage struct {
				Prompt     int64 `json:"prompt_tokens"`
				Completion int64 `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(res.body, &cc); err != nil || res.status != 200 {
			t.Fatalf("status %d body %s", res.status, res.body)
		}
		if cc.Object != "chat.completion" || cc.Model != "claude-x" || len(cc.Choices) != 1 ||
			cc.Choices[0].FinishReason != "stop" || cc.Usage.Prompt != 4 || cc.Usage.Completion != 16 {
			t.Errorf("answer %s", res.body)
		}
		req, _ := e.fake.LastRequest()
		var up struct {
			MaxTokens int64 `json:"max_tokens"`
		}
		_ = json.Unmarshal(req.Body, &up)
		m, _ := e.store.Load().Model("claude-x")
		if req.Path != "/v1/messages" || req.Header.Get("X-Api-Key") != upOther || req.Header.Get("Authorization") != "" ||
			req.Header.Get("Anthropic-Version") != anthropicVersion || up.MaxTokens != m.Price.MaxOutputTokens {
			t.Errorf("upstream request %s %v %s", req.Path, req.Header, req.Body)
		}
		if res.header.Get(hdrCost) == "" {
			t.Error("no cost header")
		}
		e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_OPENAI, usagev1.Protocol_PROTOCOL_ANTHROPIC, three)
	})

	t.Run("stream with usage", func(t *testing.T) {
		e.sink.Reset()
		body := strings.Replace(chatReq("claude-x", true), `"stream":true`, `"stream":true,"stream_options":{"include_usage":true}`, 1)
		res := e.chat(keyAlice, body)
		evs := sseEvents(t, res.body)
		if res.status != 200 || len(evs) < 3 || evs[len(evs)-1][1] != "[DONE]" {
			t.Fatalf("status %d events %v", res.status, evs)
		}
		if !strings.Contains(evs[len(evs)-2][1], `"prompt_tokens":4`) {
			t.Errorf("usage chunk %s", evs[len(evs)-2][1])
		}
		e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_OPENAI, usagev1.Protocol_PROTOCOL_ANTHROPIC, three)
	})

	t.Run("feature the target cannot express", func(t *testing.T) {
		e.sink.Reset()
		res := e.chat(keyAlice, `{"model":"claude-x","n":2,"messages":[{"role":"user","content":"hi"}]}`)
		a := decodeError(t, res.body)
		if res.status != 400 || a.Error.Code != "unsupported_feature" || !strings.Contains(a.Error.Message, "n ") ||
			strings.Contains(a.Error.Message, "translate:") {
			t.Fatalf("status %d error %+v", res.status, a)
		}
		ev := e.eventOf(t, res)
		if ev.GetErrorClass() != "unsupported_feature" || ev.GetCostNanoUsd() != 0 || ev.GetAttempts() != 0 {
			t.Errorf("event %v", ev)
		}
	})

	t.Run("upstream rejection in OpenAI's shape", func(t *testing.T) {
		sc, err := fakeupstream.ParseScenario("status=400")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.fake.SetModelScenario("claude-x", sc); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.fake.SetModelScenario("claude-x", fakeupstream.Scenario{}) })
		res := e.chat(keyAlice, chatReq("claude-x", false))
		var a openAIError
		if err := json.Unmarshal(res.body, &a); err != nil || res.status != 400 ||
			a.Error.Type != "invalid_request_error" || !strings.Contains(a.Error.Message, "injected status 400") {
			t.Fatalf("status %d body %s", res.status, res.body)
		}
	})
}

func TestSurfaceErrorShapes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		check                    func(t *testing.T, body []byte)
	}{
		{"anthropic missing key", http.MethodPost, "/v1/messages", messagesBody("claude-x", false),
			map[string]string{"Anthropic-Version": "2023-06-01"}, 401, anthropicErr("authentication_error")},
		{"anthropic unknown model", http.MethodPost, "/v1/messages", messagesBody("claude-nope", false),
			anthropicHeaders(keyAlice), 404, anthropicErr("not_found_error")},
		{"anthropic quota", http.MethodPost, "/v1/messages", messagesBody("claude-x", false),
			anthropicHeaders(keyBroke), 402, anthropicErr("billing_error")},
		{"anthropic malformed", http.MethodPost, "/v1/messages", `{"max_tokens":1}`,
			anthropicHeaders(keyAlice), 400, anthropicErr("invalid_request_error")},
		{"gemini missing key", http.MethodPost, "/v1beta/models/gpt-4o:generateContent", `{"contents":[]}`,
			nil, 401, geminiErr("UNAUTHENTICATED")},
		{"gemini unknown method", http.MethodPost, "/v1beta/models/gpt-4o:explode", `{}`,
			map[string]string{"X-Goog-Api-Key": keyAlice}, 404, geminiErr("NOT_FOUND")},
		{"gemini stream without sse", http.MethodPost, "/v1beta/models/gpt-4o:streamGenerateContent?key=" + keyAlice, `{}`,
			nil, 400, geminiErr("INVALID_ARGUMENT")},
		{"gemini unknown model", http.MethodPost, "/v1beta/models/nope:generateContent?key=" + keyAlice, `{"contents":[]}`,
			nil, 404, geminiErr("NOT_FOUND")},
		{"gemini unknown path", http.MethodGet, "/v1beta/tunedModels", "", nil, 404, geminiErr("NOT_FOUND")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(tt.method, tt.path, tt.body, tt.hdr)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if res.header.Get(hdrRequestID) == "" {
				t.Error("no request id")
			}
			tt.check(t, res.body)
		})
	}
}

func anthropicErr(typ string) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		var e struct {
			Type  string `json:"type"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Type != "error" || e.Error.Type != typ || e.Error.Message == "" {
			t.Errorf("body %s, want an Anthropic %s", body, typ)
		}
	}
}

func geminiErr(status string) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		var e struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Status  string `json:"status"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Status != status || e.Error.Code == 0 || e.Error.Message == "" {
			t.Errorf("body %s, want a Google %s", body, status)
		}
	}
}

func TestAzureChannel(t *testing.T) {
	e := newEnv(t)
	e.apply([]*snapshotv1.Entity{e.channelE("primary", 10, upPrimary, "", []string{"gpt-4o"}, func(c *snapshotv1.Channel) {
		c.Type = adminv1.ChannelType_CHANNEL_TYPE_AZURE
		c.BaseUrl = e.root
		c.ModelMap = map[string]string{"gpt-4o": "prod-gpt4o"}
		c.ApiVersion = "2025-01-01-preview"
	})})
	res := e.chat(keyAlice, chatReq("gpt-4o", false))
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	req, _ := e.fake.LastRequest()
	if req.Path != "/openai/deployments/prod-gpt4o/chat/completions" || req.RawQuery != "api-version=2025-01-01-preview" ||
		req.Header.Get("Api-Key") != upPrimary || req.Header.Get("Authorization") != "" {
		t.Errorf("upstream request %s?%s %v", req.Path, req.RawQuery, req.Header)
	}
	ev := e.eventOf(t, res)
	if ev.GetUpstreamProtocol() != usagev1.Protocol_PROTOCOL_OPENAI || ev.GetUpstreamModel() != "prod-gpt4o" || ev.GetUsage().GetOutput() != 16 {
		t.Errorf("event %v", ev)
	}
}

func geminiBody() string {
	return `{"contents":[{"role":"user","parts":[{"text":"say three short words"}]}],"generationConfig":{"maxOutputTokens":64}}`
}

func TestGeminiSurface(t *testing.T) {
	e := newEnv(t)
	sa, err := e.fake.NewServiceAccount(fakeupstream.TokenURL(e.root, ""), "proj-1")
	if err != nil {
		t.Fatal(err)
	}
	e.apply([]*snapshotv1.Entity{
		modelE("gemini-x", priceIn, priceOut),
		modelE("gemini-v", priceIn, priceOut),
		e.channelE("gemini", 10, upOther, "", []string{"gemini-x"}, func(c *snapshotv1.Channel) {
			c.Type = adminv1.ChannelType_CHANNEL_TYPE_GEMINI
			c.BaseUrl = e.root
			c.ModelMap = map[string]string{"gemini-x": "gemini-2.5-flash"}
		}),
		e.channelE("vertex", 10, "", "", []string{"gemini-v"}, func(c *snapshotv1.Channel) {
			c.Type = adminv1.ChannelType_CHANNEL_TYPE_VERTEX
			c.BaseUrl = e.root
			c.Keys = []*snapshotv1.ChannelKey{{Id: "vertex-k1", Secret: string(sa.JSON)}}
			c.Project, c.Location = "proj-1", "europe-west4"
		}),
	})
	three := usage.Usage{InputUncached: 4, Output: 16}
	goog := map[string]string{"X-Goog-Api-Key": keyAlice}

	t.Run("gemini passthrough", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1beta/models/gemini-x:generateContent", geminiBody(), goog)
		if res.status != 200 || !strings.Contains(string(res.body), `"candidates"`) {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		req, _ := e.fake.LastRequest()
		if req.Path != "/v1beta/models/gemini-2.5-flash:generateContent" || req.Header.Get("X-Goog-Api-Key") != upOther ||
			string(req.Body) != geminiBody() || req.RawQuery != "" {
			t.Errorf("upstream request %s?%s %v %s", req.Path, req.RawQuery, req.Header, req.Body)
		}
		e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_GEMINI, usagev1.Protocol_PROTOCOL_GEMINI, three)
	})

	t.Run("gemini stream with the key in the query", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1beta/models/gemini-x:streamGenerateContent?alt=sse&key="+keyAlice, geminiBody(), nil)
		evs := sseEvents(t, res.body)
		if res.status != 200 || len(evs) < 2 {
			t.Fatalf("status %d events %v", res.status, evs)
		}
		req, _ := e.fake.LastRequest()
		if req.RawQuery != "alt=sse" || strings.Contains(req.RawQuery, keyAlice) {
			t.Errorf("upstream query %q", req.RawQuery)
		}
		ev := e.checkEvent(t, res, usagev1.Protocol_PROTOCOL_GEMINI, usagev1.Protocol_PROTOCOL_GEMINI, three)
		if !ev.GetStream() || ev.GetOperation() != "stream_generate_content" {
			t.Errorf("event %v", ev)
		}
	})

	t.Run("vertex with a service account", func(t *testing.T) {
		e.sink.Reset()
		before := e.fake.TokensIssued()
		for range 3 {
			res := e.do(http.MethodPost, "/v1beta/models/gemini-v:generateContent", geminiBody(), goog)
			if res.status != 200 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			if ev := e.eventOf(t, res); ev.GetChannel() != "vertex" || ev.GetUsage().GetOutput() != 16 {
				t.Fatalf("event %v", ev)
			}
		}
		if got := e.fake.TokensIssued() - before; got != 1 {
			t.Errorf("%d token grants for 3 requests, want 1 (cached)", got)
		}
		req, _ := e.fake.LastRequest()
		if req.Path != "/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-v:generateContent" ||
			!strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
			t.Errorf("upstream request %s %v", req.Path, req.Header)
		}
	})

	t.Run("count tokens", func(t *testing.T) {
		e.sink.Reset()
		res := e.do(http.MethodPost, "/v1beta/models/gemini-x:countTokens", `{"contents":[{"parts":[{"text":"a b c"}]}]}`, goog)
		if res.status != 200 || !strings.Contains(string(res.body), `"totalTokens":3`) || res.header.Get(hdrCost) != "0" {
			t.Fatalf("status %d body %s", res.status, res.body)
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		for _, tc := range []struct{ method, body, want string }{
			{"embedContent", `{"content":{"parts":[{"text":"a b c"}]}}`, `"embedding"`},
			{"batchEmbedContents", `{"requests":[{"model":"models/gemini-x","content":{"parts":[{"text":"a"}]}}]}`, `"embeddings"`},
		} {
			e.sink.Reset()
			res := e.do(http.MethodPost, "/v1beta/models/gemini-x:"+tc.method, tc.body, goog)
			if res.status != 200 || !strings.Contains(string(res.body), tc.want) {
				t.Fatalf("%s: status %d body %.200s", tc.method, res.status, res.body)
			}
			ev := e.eventOf(t, res)
			// Google reports no usage for embeddings: the input is estimated, no output.
			if ev.GetUsage().GetOutput() != 0 || ev.GetUsage().GetInputUncached() == 0 || !ev.GetUsageEstimated() || ev.GetCostNanoUsd() == 0 {
				t.Errorf("%s: event %v", tc.method, ev)
			}
		}
	})

	t.Run("model list", func(t *testing.T) {
		res := e.do(http.MethodGet, "/v1beta/models", "", goog)
		if res.status != 200 || !strings.Contains(string(res.body), `"name":"models/gemini-x"`) {
			t.Fatalf("status %d body %s", res.status, res.body)
		}
	})
}

// eventOf waits for the event of the request that got res.
func (e *env) eventOf(t *testing.T, res result) *usagev1.UsageEvent {
	t.Helper()
	id := res.header.Get(hdrRequestID)
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range e.sink.Events() {
			if ev.GetId() == id {
				return ev
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no event for request %s", id)
	return nil
}

func TestCountTokensWithoutAChannelOfTheProtocol(t *testing.T) {
	e := newEnv(t)
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"count these words please"}]}`
	tests := []struct {
		name, path, body, want string
		hdr                    map[string]string
	}{
		{"anthropic", "/v1/messages/count_tokens", body, `{"input_tokens":`, anthropicHeaders(keyAlice)},
		{"gemini", "/v1beta/models/gpt-4o:countTokens", `{"contents":[{"parts":[{"text":"count these words please"}]}]}`,
			`{"totalTokens":`, map[string]string{"X-Goog-Api-Key": keyAlice}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.fake.Received()
			res := e.do(http.MethodPost, tt.path, tt.body, tt.hdr)
			if res.status != 200 || !strings.HasPrefix(string(res.body), tt.want) || res.header.Get(hdrCost) != "0" {
				t.Fatalf("status %d body %s", res.status, res.body)
			}
			var n map[string]int64
			if err := json.Unmarshal(res.body, &n); err != nil {
				t.Fatal(err)
			}
			for _, v := range n {
				if want := usage.EstimateTokens(len(tt.body)); v != want {
					t.Errorf("count %d, want the estimate %d", v, want)
				}
			}
			if e.fake.Received() != before {
				t.Error("the count went upstream")
			}
			if ev := e.eventOf(t, res); ev.GetCostNanoUsd() != 0 || ev.GetHttpStatus() != 200 || ev.GetChannel() != "" {
				t.Errorf("event %v", ev)
			}
		})
	}
}
