package router

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/usage"
)

// scripted is an upstream answering fixed bytes and keeping what it got.
type scripted struct {
	mu          sync.Mutex
	status      int // 0 means 200
	contentType string
	answer      []byte
	bodies      [][]byte
	headers     []http.Header
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, b)
	s.headers = append(s.headers, r.Header.Clone())
	ct, answer, status := s.contentType, s.answer, s.status
	s.mu.Unlock()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Openai-Organization", "upstream-org-should-not-leak")
	w.Header().Set("X-Ratelimit-Remaining-Requests", "41")
	if status != 0 {
		w.WriteHeader(status)
	}
	f, _ := w.(http.Flusher)
	// Written in small pieces so the router sees events split across reads.
	for len(answer) > 0 {
		n := min(7, len(answer))
		_, _ = w.Write(answer[:n])
		if f != nil {
			f.Flush()
		}
		answer = answer[n:]
	}
}

func (s *scripted) last(t *testing.T) ([]byte, http.Header) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bodies) == 0 {
		t.Fatal("upstream got no request")
	}
	return s.bodies[len(s.bodies)-1], s.headers[len(s.headers)-1]
}

// withScripted points the primary channel at a scripted upstream.
func withScripted(t *testing.T, e *env, s *scripted) {
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	e.apply([]*snapshotv1.Entity{e.channelE("primary", 10, upPrimary, "", []string{"gpt-4o", "gpt-4o-mini"}, func(c *snapshotv1.Channel) {
		c.BaseUrl = srv.URL + "/v1"
		c.ModelMap = map[string]string{"gpt-4o": "gpt-4o-2024-11-20"}
	})})
}

const jsonAnswer = "{\n  \"id\": \"chatcmpl-1\",  \"object\":\"chat.completion\",\n  \"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"caf\\u00e9 \\\"ok\\\"\"}}],\n" +
	"  \"usage\": {\"prompt_tokens\": 1200, \"completion_tokens\": 300, \"prompt_tokens_details\": {\"cached_tokens\": 200},\n" +
	"  \"completion_tokens_details\": {\"reasoning_tokens\": 100}}}\n"

func TestPassthroughWholeBodyByteIdentity(t *testing.T) {
	e := newEnv(t)
	up := &scripted{contentType: "application/json", answer: []byte(jsonAnswer)}
	withScripted(t, e, up)
	body := "{ \"messages\" : [ {\"role\":\"user\",\"content\":\"caf\\u00e9 \\\"model\\\":\\\"x\\\" \\\\\"} ],\n\t\"model\" : \"gpt-4o\" ,\"temperature\":0.10, \"seed\":7 }\n"
	res := e.chat(keyAlice, body)
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	got, _ := up.last(t)
	want := strings.Replace(body, `"gpt-4o"`, `"gpt-4o-2024-11-20"`, 1)
	if string(got) != want {
		t.Errorf("upstream body =\n%q\nwant\n%q", got, want)
	}
	if string(res.body) != jsonAnswer {
		t.Errorf("client body =\n%q\nwant\n%q", res.body, jsonAnswer)
	}
	// Only the allowlisted response headers pass.
	if res.header.Get("Openai-Organization") != "" || res.header.Get("X-Ratelimit-Remaining-Requests") != "" {
		t.Errorf("upstream response headers leaked: %v", res.header)
	}

	// The price: 1000 uncached + 200 cached input, 200 output + 100 reasoning,
	// group ratio 1.0, channel cost ratio 0.6.
	u := usage.Usage{InputUncached: 1000, InputCacheRead: 200, Output: 300, Reasoning: 100}
	m, _ := e.store.Load().Model("gpt-4o")
	want2, err := pricing.Cost(m.Price, u, pricing.Modifiers{TierPPM: pricing.OnePPM, GroupRatioPPM: 1_000_000, ChannelCostRatioPPM: 600_000})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.header.Get("X-Burncloud-Cost-Usd"); got != pricing.FormatUSD(want2.CostNano) {
		t.Errorf("cost header %q, want %q", got, pricing.FormatUSD(want2.CostNano))
	}
	ev := e.sink.WaitFor(1, time.Second)[0]
	if ev.GetCostNanoUsd() != want2.CostNano || ev.GetUpstreamCostNanoUsd() != want2.UpstreamNano {
		t.Errorf("event cost %d/%d, want %d/%d", ev.GetCostNanoUsd(), ev.GetUpstreamCostNanoUsd(), want2.CostNano, want2.UpstreamNano)
	}
	eu := ev.GetUsage()
	if eu.GetInputUncached() != 1000 || eu.GetInputCacheRead() != 200 || eu.GetOutput() != 300 || eu.GetReasoning() != 100 || ev.GetUsageEstimated() {
		t.Errorf("event usage %v estimated %v", eu, ev.GetUsageEstimated())
	}
	if ev.GetUpstreamModel() != "gpt-4o-2024-11-20" || ev.GetRequestedModel() != "gpt-4o" || ev.GetKeyId() != "primary-k1" {
		t.Errorf("event models %q/%q key %q", ev.GetRequestedModel(), ev.GetUpstreamModel(), ev.GetKeyId())
	}
}

func TestPricingModifiers(t *testing.T) {
	e := newEnv(t)
	up := &scripted{contentType: "application/json", answer: []byte(jsonAnswer)}
	withScripted(t, e, up)
	u := usage.Usage{InputUncached: 1000, InputCacheRead: 200, Output: 300, Reasoning: 100}
	m, _ := e.store.Load().Model("gpt-4o")
	tests := []struct {
		name   string
		key    string
		body   string
		hdr    string
		tier   int64
		ratio  int64
		evTier string
	}{
		{"standard", keyAlice, `{"model":"gpt-4o"}`, "", pricing.OnePPM, 1_000_000, "SERVICE_TIER_STANDARD"},
		{"vip group", keyBob, `{"model":"gpt-4o"}`, "", pricing.OnePPM, 2_000_000, "SERVICE_TIER_STANDARD"},
		{"priority in body", keyAlice, `{"model":"gpt-4o","service_tier":"priority"}`, "", pricing.DefaultPriorityPPM, 1_000_000, "SERVICE_TIER_PRIORITY"},
		{"flex in body", keyAlice, `{"model":"gpt-4o","service_tier":"flex"}`, "", pricing.DefaultBatchPPM, 1_000_000, "SERVICE_TIER_BATCH"},
		{"header wins", keyAlice, `{"model":"gpt-4o","service_tier":"priority"}`, "batch", pricing.DefaultBatchPPM, 1_000_000, "SERVICE_TIER_BATCH"},
		{"unknown body tier is standard", keyAlice, `{"model":"gpt-4o","service_tier":"scale"}`, "", pricing.OnePPM, 1_000_000, "SERVICE_TIER_STANDARD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sink.Reset()
			hdr := bearer(tt.key)
			if tt.hdr != "" {
				hdr["X-Burncloud-Tier"] = tt.hdr
			}
			res := e.do(http.MethodPost, "/v1/chat/completions", tt.body, hdr)
			if res.status != 200 {
				t.Fatalf("status %d", res.status)
			}
			want, _ := pricing.Cost(m.Price, u, pricing.Modifiers{TierPPM: tt.tier, GroupRatioPPM: tt.ratio, ChannelCostRatioPPM: 600_000})
			if got := res.header.Get("X-Burncloud-Cost-Usd"); got != pricing.FormatUSD(want.CostNano) {
				t.Errorf("cost %q, want %q", got, pricing.FormatUSD(want.CostNano))
			}
			ev := e.sink.WaitFor(1, time.Second)[0]
			if ev.GetServiceTier().String() != tt.evTier || ev.GetUpstreamCostNanoUsd() != want.UpstreamNano {
				t.Errorf("event tier %v upstream cost %d; want %s %d", ev.GetServiceTier(), ev.GetUpstreamCostNanoUsd(), tt.evTier, want.UpstreamNano)
			}
		})
	}
}

// sseAnswer mixes LF and CRLF framing, comments and multi-line data; the
// last data event before [DONE] is the usage-only chunk.
const (
	sseHead = ": keep-alive\n\n" +
		"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}\n\n" +
		"id: 7\r\ndata: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}],\"usage\":null}\r\n\r\n" +
		"data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\n" +
		"data: \"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
	sseUsage = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":2,\"total_tokens\":52}}\n\n"
	sseDone  = "data: [DONE]\n\n"
)

func TestPassthroughStreamAddsUsageAndHidesIt(t *testing.T) {
	e := newEnv(t)
	up := &scripted{contentType: "text/event-stream; charset=utf-8", answer: []byte(sseHead + sseUsage + sseDone)}
	withScripted(t, e, up)
	body := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	res := e.chat(keyAlice, body)
	if res.status != 200 || res.err != nil {
		t.Fatalf("status %d err %v", res.status, res.err)
	}
	got, _ := up.last(t)
	wantUp := `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}`
	if string(got) != wantUp {
		t.Errorf("upstream body =\n%s\nwant\n%s", got, wantUp)
	}
	if string(res.body) != sseHead+sseDone {
		t.Errorf("client stream =\n%q\nwant\n%q", res.body, sseHead+sseDone)
	}
	if res.header.Get("Content-Type") != "text/event-stream; charset=utf-8" || res.header.Get("X-Burncloud-Cost-Usd") != "" {
		t.Errorf("stream headers %v", res.header)
	}
	ev := e.sink.WaitFor(1, time.Second)[0]
	if ev.GetUsage().GetInputUncached() != 50 || ev.GetUsage().GetOutput() != 2 || ev.GetUsageEstimated() || !ev.GetStream() {
		t.Errorf("event usage %v estimated %v stream %v", ev.GetUsage(), ev.GetUsageEstimated(), ev.GetStream())
	}
	if ev.GetTimeToFirstToken().AsDuration() <= 0 {
		t.Error("no time to first token")
	}
}

func TestPassthroughStreamClientAskedForUsage(t *testing.T) {
	e := newEnv(t)
	up := &scripted{contentType: "text/event-stream", answer: []byte(sseHead + sseUsage + sseDone)}
	withScripted(t, e, up)
	body := `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]}`
	res := e.chat(keyAlice, body)
	got, _ := up.last(t)
	if string(got) != body {
		t.Errorf("upstream body changed:\n%s", got)
	}
	if string(res.body) != sseHead+sseUsage+sseDone {
		t.Errorf("client stream lacks the usage chunk it asked for:\n%q", res.body)
	}
}

func TestHeaderAllowlist(t *testing.T) {
	e := newEnv(t)
	up := &scripted{contentType: "application/json", answer: []byte(jsonAnswer)}
	withScripted(t, e, up)
	hdr := map[string]string{
		"Authorization":       "Bearer " + keyAlice,
		"X-Api-Key":           keyAlice,
		"Cookie":              "session=abc",
		"X-Forwarded-For":     "10.0.0.1",
		"Openai-Organization": "org-client",
		"Openai-Project":      "proj-client",
		"User-Agent":          "OpenAI/Go 3.0",
		"Openai-Beta":         "assistants=v2",
		"X-Stainless-Lang":    "go",
		"Idempotency-Key":     "idem-1",
		"Accept":              "application/json",
		"X-Custom":            "nope",
		"Content-Type":        "application/json",
	}
	res := e.do(http.MethodPost, "/v1/chat/completions", chatBody, hdr)
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	_, h := up.last(t)
	if got := h.Get("Authorization"); got != "Bearer "+upPrimary {
		t.Errorf("upstream Authorization = %q, want the channel key", got)
	}
	for _, k := range []string{"X-Api-Key", "Cookie", "X-Forwarded-For", "Openai-Organization", "Openai-Project", "X-Custom"} {
		if v := h.Get(k); v != "" {
			t.Errorf("client header %s reached the upstream: %q", k, v)
		}
	}
	for _, k := range []string{"User-Agent", "Openai-Beta", "X-Stainless-Lang", "Idempotency-Key", "Accept", "Content-Type"} {
		if h.Get(k) != hdr[k] {
			t.Errorf("header %s = %q, want %q", k, h.Get(k), hdr[k])
		}
	}
	if h.Get("X-Client-Request-Id") != res.header.Get("X-Request-Id") {
		t.Error("request id not passed upstream")
	}
	for k, v := range h {
		if bytes.Contains([]byte(strings.Join(v, ",")), []byte(keyAlice)) {
			t.Errorf("client key reached the upstream in %s", k)
		}
	}
}
