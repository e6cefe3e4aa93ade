package router

import (
	"maps"
	"slices"
	"testing"
	"time"
)

// TestRequestLogLine checks the one line per request against the usage
// event of the same request, for requests that reuse one pooled call after
// another: no field may be missing or carry an earlier request's value.
func TestRequestLogLine(t *testing.T) {
	e := newEnv(t)
	reqs := []struct {
		key, body string
	}{
		{keyAlice, `{"model":"gpt-4o","messages":[{"role":"user","content":"one two three"}]}`},
		{keyBob, `{"model":"vip-model","messages":[{"role":"user","content":"four"}]}`},
		{keyAlice, `{"model":"broken-model","messages":[{"role":"user","content":"five six"}]}`},
		{keyAlice, miniBody},
	}
	var ids []string
	for _, r := range reqs {
		res := e.chat(r.key, r.body)
		ids = append(ids, res.header.Get("X-Request-Id"))
	}
	events := e.sink.WaitFor(len(reqs), 5*time.Second)
	if len(events) != len(reqs) {
		t.Fatalf("%d events, want %d", len(events), len(reqs))
	}

	lines := map[string]map[string]any{}
	for _, entry := range e.logs.FilterMessage("request").All() {
		m := entry.ContextMap()
		id, _ := m["request_id"].(string)
		if _, dup := lines[id]; dup {
			t.Errorf("request %s logged twice", id)
		}
		lines[id] = m
	}
	wantKeys := []string{"attempts", "channel", "client_ip", "cost_nano_usd", "error_class", "input_tokens", "key_id",
		"latency", "model", "operation", "output_tokens", "request_id", "status", "stream", "token_id", "ttft",
		"upstream_model", "usage_estimated", "user"}
	for i, ev := range events {
		if ev.GetId() != ids[i] {
			t.Fatalf("event %d is %s, want %s", i, ev.GetId(), ids[i])
		}
		m, ok := lines[ev.GetId()]
		if !ok {
			t.Fatalf("no log line for request %s", ev.GetId())
		}
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, wantKeys) {
			t.Errorf("request %d: fields %v, want %v", i, got, wantKeys)
		}
		u := ev.GetUsage()
		want := map[string]any{
			"operation":       ev.GetOperation(),
			"status":          int64(ev.GetHttpStatus()),
			"error_class":     ev.GetErrorClass(),
			"model":           ev.GetRequestedModel(),
			"upstream_model":  ev.GetUpstreamModel(),
			"channel":         ev.GetChannel(),
			"key_id":          ev.GetKeyId(),
			"user":            ev.GetUser(),
			"token_id":        ev.GetTokenId(),
			"stream":          ev.GetStream(),
			"attempts":        ev.GetAttempts(),
			"input_tokens":    u.GetInputUncached() + u.GetInputCacheRead() + u.GetInputCacheWrite(),
			"output_tokens":   u.GetOutput(),
			"usage_estimated": ev.GetUsageEstimated(),
			"cost_nano_usd":   ev.GetCostNanoUsd(),
			"client_ip":       ev.GetClientIp(),
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("request %d: %s = %v (%T), want %v (%T)", i, k, m[k], m[k], v, v)
			}
		}
		if lat, _ := m["latency"].(time.Duration); lat <= 0 {
			t.Errorf("request %d: latency %v", i, m["latency"])
		}
	}
	// The requests differ where a leftover would show.
	if lines[ids[0]]["user"] == lines[ids[1]]["user"] || lines[ids[0]]["upstream_model"] == lines[ids[3]]["upstream_model"] ||
		lines[ids[2]]["status"] == lines[ids[3]]["status"] {
		t.Errorf("the requests were meant to differ in user, upstream model and status: %v", lines)
	}
}
