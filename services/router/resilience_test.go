package router

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/types/known/durationpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/usage"
)

const (
	miniBody   = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"one two three"}]}`
	miniStream = `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"one two three"}]}`
)

// twoChannels serves gpt-4o-mini from primary (priority 10, with the given
// scenario and channel changes) and a healthy backup (priority 1).
func twoChannels(e *env, primaryScenario string, mod func(*snapshotv1.Channel)) {
	e.apply([]*snapshotv1.Entity{
		e.channelE("primary", 10, upPrimary, primaryScenario, []string{"gpt-4o-mini"}, mod),
		e.channelE("backup", 1, upBackup, "", []string{"gpt-4o-mini"}, nil),
	})
	e.fake.ResetRequests()
}

func keysSeen(e *env) []string {
	var out []string
	for _, r := range e.fake.Requests() {
		out = append(out, r.BearerKey())
	}
	return out
}

func TestFailoverBeforeFirstByte(t *testing.T) {
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "whole", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			twoChannels(e, "status=503", nil)
			body := miniBody
			if stream {
				body = miniStream
			}
			res := e.chat(keyAlice, body)
			if res.status != 200 || res.err != nil {
				t.Fatalf("status %d err %v: %s", res.status, res.err, res.body)
			}
			if keys := keysSeen(e); len(keys) != 2 || keys[0] != upPrimary || keys[1] != upBackup {
				t.Fatalf("upstream attempts %v, want primary then backup", keys)
			}
			if stream && (!strings.HasSuffix(string(res.body), "data: [DONE]\n\n") ||
				strings.Count(string(res.body), `"role":"assistant"`) != 1 || strings.Count(string(res.body), `"finish_reason":"stop"`) != 1) {
				t.Errorf("stream is not one complete answer:\n%s", res.body)
			}
			ev := e.sink.WaitFor(1, time.Second)[0]
			if ev.GetAttempts() != 2 || ev.GetChannel() != "backup" || ev.GetErrorClass() != "" || ev.GetUsageEstimated() {
				t.Errorf("event attempts %d channel %q class %q estimated %v", ev.GetAttempts(), ev.GetChannel(), ev.GetErrorClass(), ev.GetUsageEstimated())
			}
			if got := testutil.ToFloat64(e.srv.m.upstreamErrs.WithLabelValues("primary", upErrStatus5xx)); got != 1 {
				t.Errorf("upstream 5xx errors counted %v", got)
			}
		})
	}
}

func TestNoRetryAfterFirstByte(t *testing.T) {
	e := newEnv(t)
	twoChannels(e, "cut-after=3", nil)
	res := e.chat(keyAlice, miniStream)
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	if res.err == nil {
		t.Fatalf("a cut stream ended cleanly:\n%s", res.body)
	}
	if strings.Contains(string(res.body), "[DONE]") {
		t.Fatalf("cut stream carries a complete answer:\n%s", res.body)
	}
	if keys := keysSeen(e); len(keys) != 1 || keys[0] != upPrimary {
		t.Fatalf("upstream attempts %v: a started stream was retried", keys)
	}
	ev := e.sink.WaitFor(1, time.Second)[0]
	if ev.GetErrorClass() != "stream_cut" || !ev.GetUsageEstimated() || ev.GetChannel() != "primary" || ev.GetAttempts() != 1 {
		t.Fatalf("event class %q estimated %v channel %q attempts %d", ev.GetErrorClass(), ev.GetUsageEstimated(), ev.GetChannel(), ev.GetAttempts())
	}
	// Three content chunks of the fake: "xxxx", " xxxx", " xxxx" = 14 bytes.
	wantIn := usage.EstimateTokens(len(miniStream))
	if u := ev.GetUsage(); u.GetInputUncached() != wantIn || u.GetOutput() != usage.EstimateTokens(14) {
		t.Errorf("estimated usage %v, want input %d output %d", u, wantIn, usage.EstimateTokens(14))
	}
	if ev.GetCostNanoUsd() <= 0 {
		t.Errorf("cut stream cost %d", ev.GetCostNanoUsd())
	}
}

func TestWholeAnswerCutIsRetried(t *testing.T) {
	e := newEnv(t)
	twoChannels(e, "cut-after=1", nil)
	res := e.chat(keyAlice, miniBody)
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	ev := e.sink.WaitFor(1, time.Second)[0]
	if ev.GetAttempts() != 2 || ev.GetChannel() != "backup" {
		t.Errorf("attempts %d channel %q", ev.GetAttempts(), ev.GetChannel())
	}
}

func TestRateLimitedKeyRests(t *testing.T) {
	e := newEnv(t)
	twoChannels(e, "status=429,retry-after=60", nil)
	res := e.chat(keyAlice, miniBody)
	if res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	e.sink.WaitFor(1, time.Second) // the first request's event is published after its response
	e.fake.ResetRequests()
	e.sink.Reset()
	res = e.chat(keyAlice, miniBody)
	if keys := keysSeen(e); res.status != 200 || len(keys) != 1 || keys[0] != upBackup {
		t.Fatalf("status %d, attempts %v: the resting key was tried", res.status, keys)
	}
	if ev := e.sink.WaitFor(1, time.Second)[0]; ev.GetAttempts() != 1 {
		t.Errorf("attempts %d", ev.GetAttempts())
	}
}

func TestRefusedKeyFailsOverToOtherKey(t *testing.T) {
	e := newEnv(t)
	// The first key is unknown to the provider (401); the second works.
	twoChannels(e, "", func(c *snapshotv1.Channel) {
		c.Keys = []*snapshotv1.ChannelKey{{Id: "bad", Secret: "sk-up-revoked"}, {Id: "good", Secret: upPrimary}}
	})
	for range 4 {
		e.sink.Reset()
		res := e.chat(keyAlice, miniBody)
		if res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
		ev := e.sink.WaitFor(1, time.Second)[0]
		if ev.GetChannel() != "primary" || ev.GetKeyId() != "good" {
			t.Fatalf("served by %s/%s", ev.GetChannel(), ev.GetKeyId())
		}
	}
	refused := 0
	for _, k := range keysSeen(e) {
		if k == "sk-up-revoked" {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("revoked upstream key tried %d times, want once then rested", refused)
	}
}

func TestBreakerSkipsFailingChannel(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.BreakerFailures, c.BreakerWindow, c.BreakerOpenDelay = 2, 2, time.Hour })
	twoChannels(e, "status=500", nil)
	for range 2 {
		if res := e.chat(keyAlice, miniBody); res.status != 200 {
			t.Fatalf("status %d", res.status)
		}
	}
	e.fake.ResetRequests()
	if res := e.chat(keyAlice, miniBody); res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	if keys := keysSeen(e); len(keys) != 1 || keys[0] != upBackup {
		t.Fatalf("attempts %v: the open breaker let primary through", keys)
	}
	if got := testutil.ToFloat64(e.srv.m.breaker.WithLabelValues("primary", "")); got != 1 {
		t.Errorf("breaker gauge %v, want 1 (open)", got)
	}
}

func TestTimeouts(t *testing.T) {
	timeouts := func(first, idle time.Duration) func(*snapshotv1.Channel) {
		return func(c *snapshotv1.Channel) {
			c.Timeouts = &adminv1.ChannelTimeouts{FirstByte: durationpb.New(first), Idle: durationpb.New(idle)}
		}
	}
	t.Run("first byte", func(t *testing.T) {
		e := newEnv(t)
		twoChannels(e, "latency=3s", timeouts(100*time.Millisecond, time.Minute))
		start := time.Now()
		res := e.chat(keyAlice, miniBody)
		if res.status != 200 || time.Since(start) > 2*time.Second {
			t.Fatalf("status %d after %v", res.status, time.Since(start))
		}
		if ev := e.sink.WaitFor(1, time.Second)[0]; ev.GetChannel() != "backup" {
			t.Errorf("served by %q", ev.GetChannel())
		}
		if got := testutil.ToFloat64(e.srv.m.upstreamErrs.WithLabelValues("primary", upErrTimeout)); got != 1 {
			t.Errorf("timeouts counted %v", got)
		}
	})
	t.Run("idle gap", func(t *testing.T) {
		e := newEnv(t)
		twoChannels(e, "pace=2s", timeouts(time.Minute, 150*time.Millisecond))
		start := time.Now()
		res := e.chat(keyAlice, miniStream)
		if res.err == nil || time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("stream err %v after %v", res.err, time.Since(start))
		}
		if ev := e.sink.WaitFor(1, time.Second)[0]; ev.GetErrorClass() != "stream_cut" || ev.GetChannel() != "primary" {
			t.Errorf("event class %q channel %q", ev.GetErrorClass(), ev.GetChannel())
		}
	})
}

func TestClientGoneMidStream(t *testing.T) {
	e := newEnv(t)
	twoChannels(e, "pace=50ms,chunks=40", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.front.URL+"/v1/chat/completions", strings.NewReader(miniStream))
	req.Header.Set("Authorization", "Bearer "+keyAlice)
	resp, err := e.front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(resp.Body)
	for range 3 { // a few events
		if _, err := rd.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	ev := e.sink.WaitFor(1, 3*time.Second)
	if len(ev) != 1 {
		t.Fatalf("%d events after the client left", len(ev))
	}
	if ev[0].GetErrorClass() != "client_gone" || !ev[0].GetUsageEstimated() || ev[0].GetUsage().GetInputUncached() == 0 {
		t.Errorf("event class %q estimated %v usage %v", ev[0].GetErrorClass(), ev[0].GetUsageEstimated(), ev[0].GetUsage())
	}
}

func TestPrivateUpstreamRefused(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AllowPrivateUpstreams = false })
	res := e.chat(keyAlice, miniBody)
	if res.status != http.StatusBadGateway {
		t.Fatalf("status %d: a loopback channel was reached", res.status)
	}
	if n := e.fake.Received(); n != 0 {
		t.Fatalf("loopback upstream received %d requests", n)
	}
	if got := testutil.ToFloat64(e.srv.m.upstreamErrs.WithLabelValues("primary", upErrForbidden)); got != 1 {
		t.Errorf("forbidden address errors counted %v", got)
	}
	if strings.Contains(string(res.body), "127.0.0.1") {
		t.Errorf("error body reveals the upstream address: %s", res.body)
	}
}

func TestUpstreamStatusHandling(t *testing.T) {
	tests := []struct {
		scenario string
		retried  bool
		kind     string
	}{
		{"status=500", true, upErrStatus5xx},
		{"status=502", true, upErrStatus5xx},
		{"status=408", true, upErrStatus5xx},
		{"status=429", true, upErrStatus429},
		{"status=401", true, upErrAuth},
		{"status=403", true, upErrAuth},
		{"status=404", true, upErrNotFound},
		{"status=400", false, ""},
		{"status=422", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			e := newEnv(t)
			twoChannels(e, tt.scenario, nil)
			res := e.chat(keyAlice, miniBody)
			keys := keysSeen(e)
			ev := e.sink.WaitFor(1, time.Second)[0]
			if tt.retried {
				if res.status != 200 || len(keys) != 2 || ev.GetChannel() != "backup" || ev.GetAttempts() != 2 {
					t.Fatalf("status %d attempts %v event channel %q", res.status, keys, ev.GetChannel())
				}
				if got := testutil.ToFloat64(e.srv.m.upstreamErrs.WithLabelValues("primary", tt.kind)); got != 1 {
					t.Errorf("%s errors counted %v", tt.kind, got)
				}
				return
			}
			// A refusal of the request itself is the client's answer.
			if len(keys) != 1 || int(ev.GetHttpStatus()) != res.status {
				t.Fatalf("status %d attempts %v", res.status, keys)
			}
			if !strings.HasPrefix(tt.scenario, "status="+itoa(res.status)) || ev.GetErrorClass() != "upstream_rejected" || ev.GetCostNanoUsd() != 0 {
				t.Errorf("relayed %d, event class %q cost %d", res.status, ev.GetErrorClass(), ev.GetCostNanoUsd())
			}
			if !strings.Contains(string(res.body), "injected status") {
				t.Errorf("upstream error body not relayed: %s", res.body)
			}
		})
	}
}
