package router

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

func TestStatusCodes(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 2048 })
	big := `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("x", 4096) + `"}]}`
	tests := []struct {
		name     string
		method   string
		path     string
		hdr      map[string]string
		body     string
		status   int
		code     string // OpenAI error code; "" for success
		event    bool   // an authenticated request: one usage event
		class    string
		costHdr  bool
		channel  string
		reqModel string
	}{
		{name: "no key", path: "/v1/chat/completions", body: chatBody, status: 401, code: "missing_api_key"},
		{name: "basic auth is no key", path: "/v1/chat/completions", hdr: map[string]string{"Authorization": "Basic eDp5"}, body: chatBody, status: 401, code: "missing_api_key"},
		{name: "unknown key", path: "/v1/chat/completions", hdr: bearer("sk-bc-nobody"), body: chatBody, status: 401, code: "invalid_api_key"},
		{name: "expired key", path: "/v1/chat/completions", hdr: bearer(keyExpired), body: chatBody, status: 401, code: "expired_api_key"},
		{name: "disabled key", path: "/v1/chat/completions", hdr: bearer(keyDisabled), body: chatBody, status: 401, code: "disabled_api_key"},
		{name: "disabled user", path: "/v1/chat/completions", hdr: bearer(keyUserOff), body: chatBody, status: 401, code: "disabled_api_key"},
		{name: "malformed body", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: `{"model":`, status: 400, code: "invalid_request_body", event: true, class: "bad_request", costHdr: true},
		{name: "no model", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: `{"messages":[]}`, status: 400, code: "invalid_request_body", event: true, class: "bad_request", costHdr: true},
		{name: "bad tier header", path: "/v1/chat/completions", hdr: map[string]string{"Authorization": "Bearer " + keyAlice, "X-Burncloud-Tier": "turbo"}, body: chatBody, status: 400, code: "invalid_service_tier", event: true, class: "bad_request", costHdr: true, reqModel: "gpt-4o"},
		{name: "unpriced model", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: `{"model":"unpriced"}`, status: 400, code: "model_not_priced", event: true, class: "model_not_priced", costHdr: true, reqModel: "unpriced"},
		{name: "quota exhausted (user)", path: "/v1/chat/completions", hdr: bearer(keyBroke), body: chatBody, status: 402, code: "insufficient_quota", event: true, class: "quota_exhausted", costHdr: true, reqModel: "gpt-4o"},
		{name: "quota exhausted (token)", path: "/v1/chat/completions", hdr: bearer(keyTokQuota), body: chatBody, status: 402, code: "insufficient_quota", event: true, class: "quota_exhausted", costHdr: true, reqModel: "gpt-4o"},
		{name: "model not allowed", path: "/v1/chat/completions", hdr: bearer(keyLimited), body: chatBody, status: 403, code: "model_not_allowed", event: true, class: "model_not_allowed", costHdr: true, reqModel: "gpt-4o"},
		{name: "unknown model", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: `{"model":"gpt-9"}`, status: 404, code: "model_not_found", event: true, class: "model_not_found", costHdr: true, reqModel: "gpt-9"},
		{name: "body too large", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: big, status: 413, code: "request_too_large", event: true, class: "body_too_large", costHdr: true},
		{name: "all attempts failed", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: `{"model":"broken-model","messages":[{"role":"user","content":"hi"}]}`, status: 502, code: "upstream_error", event: true, class: "upstream_error", costHdr: true, channel: "broken", reqModel: "broken-model"},
		{name: "no channel for the group", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: `{"model":"vip-model"}`, status: 503, code: "no_channel_available", event: true, class: "no_channel", costHdr: true, reqModel: "vip-model"},
		{name: "no channel of the protocol", path: "/v1/embeddings", hdr: bearer(keyAlice), body: `{"model":"claude-x","input":"x"}`, status: 503, code: "no_channel_available", event: true, class: "no_channel", costHdr: true, reqModel: "claude-x"},
		{name: "unknown path", path: "/v1/images/generations", hdr: bearer(keyAlice), body: chatBody, status: 404, code: "unknown_url"},
		{name: "chat ok", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: chatBody, status: 200, event: true, costHdr: true, channel: "primary", reqModel: "gpt-4o"},
		{name: "vip group reaches its channel", path: "/v1/chat/completions", hdr: bearer(keyBob), body: `{"model":"vip-model","messages":[{"role":"user","content":"hi"}]}`, status: 200, event: true, costHdr: true, channel: "vip-only", reqModel: "vip-model"},
		{name: "x-api-key", path: "/v1/chat/completions", hdr: map[string]string{"X-Api-Key": keyAlice}, body: chatBody, status: 200, event: true, costHdr: true, channel: "primary", reqModel: "gpt-4o"},
		{name: "x-goog-api-key", path: "/v1/chat/completions", hdr: map[string]string{"X-Goog-Api-Key": keyAlice}, body: chatBody, status: 200, event: true, costHdr: true, channel: "primary", reqModel: "gpt-4o"},
		{name: "query key", path: "/v1/chat/completions?key=" + keyAlice, body: chatBody, status: 200, event: true, costHdr: true, channel: "primary", reqModel: "gpt-4o"},
		{name: "completions", path: "/v1/completions", hdr: bearer(keyAlice), body: `{"model":"gpt-4o-mini","prompt":"say hi"}`, status: 200, event: true, costHdr: true, channel: "primary", reqModel: "gpt-4o-mini"},
		{name: "embeddings", path: "/v1/embeddings", hdr: bearer(keyAlice), body: `{"model":"text-embedding-3-small","input":"a b c"}`, status: 200, event: true, costHdr: true, channel: "primary", reqModel: "text-embedding-3-small"},
		{name: "responses", path: "/v1/responses", hdr: bearer(keyAlice), body: `{"model":"gpt-4o","input":"hi there"}`, status: 200, event: true, costHdr: true, channel: "primary", reqModel: "gpt-4o"},
		{name: "chat stream", path: "/v1/chat/completions", hdr: bearer(keyAlice), body: `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`, status: 200, event: true, channel: "primary", reqModel: "gpt-4o"},
		{name: "completions stream", path: "/v1/completions", hdr: bearer(keyAlice), body: `{"model":"gpt-4o-mini","stream":true,"prompt":"say hi"}`, status: 200, event: true, channel: "primary", reqModel: "gpt-4o-mini"},
		{name: "responses stream", path: "/v1/responses", hdr: bearer(keyAlice), body: `{"model":"gpt-4o","stream":true,"input":"hi there"}`, status: 200, event: true, channel: "primary", reqModel: "gpt-4o"},
		{name: "models", method: http.MethodGet, path: "/v1/models", hdr: bearer(keyLimited), status: 200, event: true, costHdr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sink.Reset()
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			res := e.do(method, tt.path, tt.body, tt.hdr)
			if res.status != tt.status {
				t.Fatalf("status = %d, want %d; body %s", res.status, tt.status, res.body)
			}
			id := res.header.Get("X-Request-Id")
			if u, err := uuid.Parse(id); err != nil || u.Version() != 7 {
				t.Errorf("x-request-id %q is not a UUIDv7", id)
			}
			if tt.code != "" {
				if got := decodeError(t, res.body); got.Error.Code != tt.code {
					t.Errorf("error code = %q, want %q (%s)", got.Error.Code, tt.code, res.body)
				}
			}
			if got := res.header.Get("X-Burncloud-Cost-Usd") != ""; got != tt.costHdr {
				t.Errorf("cost header present = %v, want %v", got, tt.costHdr)
			}
			var events []*usagev1.UsageEvent
			if tt.event {
				events = e.sink.WaitFor(1, 2*1e9)
			} else {
				events = e.sink.Events()
			}
			if !tt.event {
				if len(events) != 0 {
					t.Fatalf("unauthenticated request made %d events", len(events))
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("%d events, want exactly 1", len(events))
			}
			ev := events[0]
			if ev.GetId() != id || int(ev.GetHttpStatus()) != tt.status || ev.GetErrorClass() != tt.class {
				t.Errorf("event id %q status %d class %q; want %q %d %q", ev.GetId(), ev.GetHttpStatus(), ev.GetErrorClass(), id, tt.status, tt.class)
			}
			if ev.GetChannel() != tt.channel || ev.GetRequestedModel() != tt.reqModel {
				t.Errorf("event channel %q model %q; want %q %q", ev.GetChannel(), ev.GetRequestedModel(), tt.channel, tt.reqModel)
			}
			if ev.GetRouterId() != "r-test" || ev.GetUser() == "" || ev.GetTokenId() == 0 || ev.GetPricingRevision() != 1 {
				t.Errorf("event identity: %v", ev)
			}
			if tt.status != 200 && (ev.GetCostNanoUsd() != 0 || ev.GetUpstreamCostNanoUsd() != 0) {
				t.Errorf("rejected request cost %d", ev.GetCostNanoUsd())
			}
			if tt.status == 200 && tt.channel != "" && (ev.GetCostNanoUsd() <= 0 || ev.GetUsageEstimated()) {
				t.Errorf("served request cost %d, estimated %v", ev.GetCostNanoUsd(), ev.GetUsageEstimated())
			}
		})
	}
}

func TestModelsList(t *testing.T) {
	e := newEnv(t)
	res := e.do(http.MethodGet, "/v1/models", "", bearer(keyAlice))
	want := `{"object":"list","data":[{"id":"broken-model","object":"model","created":0,"owned_by":"burncloud"},` +
		`{"id":"claude-x","object":"model","created":0,"owned_by":"burncloud"},` +
		`{"id":"gpt-4o","object":"model","created":0,"owned_by":"burncloud"},` +
		`{"id":"gpt-4o-mini","object":"model","created":0,"owned_by":"burncloud"},` +
		`{"id":"text-embedding-3-small","object":"model","created":0,"owned_by":"burncloud"}]}` + "\n"
	if string(res.body) != want {
		t.Errorf("models for alice =\n%s\nwant\n%s", res.body, want)
	}
	res = e.do(http.MethodGet, "/v1/models", "", bearer(keyLimited))
	if !strings.Contains(string(res.body), `"gpt-4o-mini"`) || strings.Contains(string(res.body), `"gpt-4o"`) {
		t.Errorf("models for the limited key = %s", res.body)
	}
}

func TestNotReadyBeforeSnapshot(t *testing.T) {
	cfg := testConfig(t, nil)
	sink := NewEventRecorder()
	s, err := New(cfg, Deps{Sink: sink, Store: newEmptyStore()})
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	s.Handler().ServeHTTP(rec, newRequest(http.MethodPost, "/v1/chat/completions", chatBody, bearer(keyAlice)))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d before any snapshot", rec.Code)
	}
	decodeError(t, rec.Body.Bytes())
	rec = newRecorder()
	s.Handler().ServeHTTP(rec, newRequest(http.MethodGet, "/readyz", "", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d before any snapshot", rec.Code)
	}
}

func TestNewRequiresSink(t *testing.T) {
	if _, err := New(testConfig(t, nil), Deps{}); err != ErrNoSink {
		t.Fatalf("New without sink: %v", err)
	}
}
