package router

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

func limitsOf(rpm, conc int64) *adminv1.Limits {
	l := &adminv1.Limits{}
	if rpm > 0 {
		l.Rpm = &rpm
	}
	if conc > 0 {
		l.MaxConcurrency = &conc
	}
	return l
}

// shortWindow keeps rate windows short so a refusal's Retry-After is too.
func shortWindow(c *Config) { c.LimitsWindow = 2 * time.Second }

func TestRateLimitRefusal(t *testing.T) {
	tests := []struct {
		name  string
		apply func(e *env) []*snapshotv1.Entity
		limit string
	}{
		{"token rpm", func(e *env) []*snapshotv1.Entity {
			return []*snapshotv1.Entity{tokenE(1, "laptop", "alice", e.digest(keyAlice),
				func(t *snapshotv1.Token) { t.Limits = limitsOf(2, 0) })}
		}, "token_rpm"},
		{"user rpm", func(e *env) []*snapshotv1.Entity {
			return []*snapshotv1.Entity{userE("alice", "default", func(u *snapshotv1.User) { u.Limits = limitsOf(2, 0) })}
		}, "user_rpm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, shortWindow)
			e.apply(tt.apply(e))
			for i := range 2 {
				if res := e.chat(keyAlice, chatBody); res.status != http.StatusOK {
					t.Fatalf("request %d: status %d: %s", i+1, res.status, res.body)
				}
			}
			// Events go out after the answer: wait for both before counting anew.
			if ev := e.sink.WaitFor(2, time.Second); len(ev) != 2 {
				t.Fatalf("%d events for two requests", len(ev))
			}
			e.sink.Reset()
			res := e.chat(keyAlice, chatBody)
			if res.status != http.StatusTooManyRequests {
				t.Fatalf("third request: status %d, want 429: %s", res.status, res.body)
			}
			ra, err := strconv.Atoi(res.header.Get("Retry-After"))
			// The sliding window frees a slot within two windows.
			if err != nil || ra < 1 || ra > 4 {
				t.Errorf("Retry-After %q, want 1-4 seconds", res.header.Get("Retry-After"))
			}
			apiErr := decodeError(t, res.body)
			if apiErr.Error.Code != "rate_limit_exceeded" || !strings.Contains(apiErr.Error.Message, tt.limit) {
				t.Errorf("error %+v, want rate_limit_exceeded naming %s", apiErr.Error, tt.limit)
			}
			if got := res.header.Get(hdrCost); got != "0" {
				t.Errorf("cost header %q", got)
			}
			ev := e.sink.WaitFor(1, time.Second)
			if len(ev) != 1 || ev[0].GetErrorClass() != "rate_limited" || ev[0].GetHttpStatus() != 429 ||
				ev[0].GetCostNanoUsd() != 0 {
				t.Fatalf("events %v, want one rate_limited 429 at no cost", ev)
			}
		})
	}
}

// holdOne starts a request on key that the upstream does not answer and
// waits until it reached the upstream; cancel ends it.
func holdOne(t *testing.T, e *env, key, body string) (cancel func(), done <-chan int) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	out := make(chan int, 1)
	before := e.fake.Received()
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.front.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := e.front.Client().Do(req)
		if err != nil {
			out <- 0
			return
		}
		resp.Body.Close()
		out <- resp.StatusCode
	}()
	deadline := time.Now().Add(3 * time.Second)
	for e.fake.Received() == before {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("the held request never reached the upstream")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(stop)
	return stop, out
}

func TestFullChannelSkipped(t *testing.T) {
	tests := []struct {
		name    string
		backup  bool
		status  int
		code    string
		channel string
	}{
		{name: "only channel full", status: http.StatusServiceUnavailable, code: "no_channel_available"},
		{name: "backup takes it", backup: true, status: http.StatusOK, channel: "backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ents := []*snapshotv1.Entity{e.channelE("primary", 10, upPrimary, "hang", []string{"gpt-4o-mini"},
				func(c *snapshotv1.Channel) { c.Limits = limitsOf(0, 1) })}
			if tt.backup {
				ents = append(ents, e.channelE("backup", 1, upBackup, "", []string{"gpt-4o-mini"}, nil))
			}
			e.apply(ents)
			stop, done := holdOne(t, e, keyAlice, miniBody)
			e.sink.Reset()
			e.fake.ResetRequests()

			res := e.chat(keyBob, miniBody)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if tt.code != "" {
				if got := decodeError(t, res.body).Error.Code; got != tt.code {
					t.Errorf("code %q, want %q", got, tt.code)
				}
			}
			for _, k := range keysSeen(e) {
				if k == upPrimary {
					t.Errorf("the full channel was tried")
				}
			}
			ev := e.sink.WaitFor(1, time.Second)
			if len(ev) != 1 || ev[0].GetChannel() != tt.channel {
				t.Fatalf("events %v, want one on channel %q", ev, tt.channel)
			}
			if tt.channel == "" && ev[0].GetAttempts() != 0 {
				t.Errorf("a skipped channel counted as %d attempts", ev[0].GetAttempts())
			}
			stop()
			<-done
		})
	}
}

func TestReservationReleased(t *testing.T) {
	const stream = `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"one two three"}]}`
	tests := []struct {
		name     string
		scenario string
		// run makes the request that must give its admission back.
		run func(t *testing.T, e *env)
	}{
		{"upstream error", "status=500", func(t *testing.T, e *env) {
			if res := e.chat(keyAlice, miniBody); res.status != http.StatusBadGateway {
				t.Fatalf("status %d, want 502: %s", res.status, res.body)
			}
		}},
		{"stream cut after the first byte", "chunks=5,cut-after=2", func(t *testing.T, e *env) {
			if res := e.chat(keyAlice, stream); res.err == nil {
				t.Fatalf("status %d: the cut stream ended cleanly", res.status)
			}
		}},
		{"client disconnect", "hang", func(t *testing.T, e *env) {
			stop, done := holdOne(t, e, keyAlice, miniBody)
			// While it is held, the token's one slot is taken.
			res := e.chat(keyAlice, chatBody)
			if res.status != http.StatusTooManyRequests || !strings.Contains(decodeError(t, res.body).Error.Message, "token_concurrency") {
				t.Fatalf("second request: status %d, want 429 token_concurrency: %s", res.status, res.body)
			}
			if ev := e.sink.WaitFor(1, time.Second); len(ev) != 1 {
				t.Fatalf("%d events for the refused request", len(ev))
			}
			e.sink.Reset()
			stop()
			<-done
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.apply([]*snapshotv1.Entity{
				tokenE(1, "laptop", "alice", e.digest(keyAlice), func(t *snapshotv1.Token) { t.Limits = limitsOf(0, 1) }),
				e.channelE("primary", 10, upPrimary, tt.scenario, []string{"gpt-4o-mini"}, nil),
				e.channelE("steady", 10, upBackup, "", []string{"gpt-4o"}, nil),
			})
			e.sink.Reset()
			tt.run(t, e)
			// The event goes out after the admission was settled.
			if ev := e.sink.WaitFor(1, 3*time.Second); len(ev) == 0 {
				t.Fatal("no event for the request")
			}
			if res := e.chat(keyAlice, chatBody); res.status != http.StatusOK {
				t.Fatalf("next request: status %d, want 200 (admission not released): %s", res.status, res.body)
			}
		})
	}
}
