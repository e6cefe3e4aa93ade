package limits

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// observedLimiter records the limiter's log lines.
func observedLimiter(t *testing.T, cfg Config, url string) (testLimiter, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	reg := prometheus.NewRegistry()
	l, err := New(cfg, Deps{Redis: redisAt(t, url), Logger: zap.New(core), Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = l.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return testLimiter{Limiter: l, reg: reg}, logs
}

func countLogs(logs *observer.ObservedLogs, substr string) int {
	n := 0
	for _, e := range logs.All() {
		if strings.Contains(e.Message, substr) {
			n++
		}
	}
	return n
}

// §5 Resilience: with Redis killed, routers keep serving within local
// bounds, say so once, and return to shared limits when Redis is back.
func TestRedisKilledFallsBackWithinBoundsAndResumes(t *testing.T) {
	p := startPrivateRedis(t)
	cfg := Config{Window: 10 * time.Second, CallTimeout: 200 * time.Millisecond, ProbeInterval: 50 * time.Millisecond,
		FleetSize: 2, Lease: 3_000, SettleLag: 10 * time.Second}
	a, logsA := observedLimiter(t, cfg, p.url())
	b, _ := observedLimiter(t, cfg, p.url())
	ctx := context.Background()
	rate := func(int) Request { return Request{TokenID: 1, User: "rate", Model: "m", UserLimits: Limits{RPM: 20}} }

	if ad, err := a.Admit(ctx, rate(0)); err != nil || ad.Local() {
		t.Fatalf("with redis up: %v, local %v", err, ad.Local())
	}
	p.kill()

	start := time.Now()
	ad, err := a.Admit(ctx, Request{TokenID: 2, User: "first", Model: "m", UserLimits: Limits{RPM: 5}})
	if took := time.Since(start); err != nil || !ad.Local() || took > time.Second {
		t.Fatalf("first request without redis: %v, local %v, took %s", err, ad.Local(), took)
	}
	if !a.Degraded() || testutil.ToFloat64(a.m.degraded) != 1 {
		t.Fatal("not degraded after redis died")
	}

	// Rate: each router enforces its share, limit / fleet size.
	for _, l := range []testLimiter{a, b} {
		if o := admitAll(t, 30, rate, l); len(o.admitted) != 10 || o.refused[UserRPM] != 20 {
			t.Fatalf("local rpm: admitted %d, refused %v; want 10 of 30", len(o.admitted), o.refused)
		}
	}
	// Concurrency likewise.
	conc := func(int) Request {
		return Request{TokenID: 1, User: "conc", Model: "m", UserLimits: Limits{MaxConcurrency: 4}}
	}
	if o := admitAll(t, 10, conc, a); len(o.admitted) != 2 {
		t.Fatalf("local concurrency: admitted %d, want 2", len(o.admitted))
	}
	// Quota: at most the lease beyond the snapshot per router.
	quota := func(int) Request {
		return Request{TokenID: 1, User: "lease", Model: "m", Reserve: 1_000, Revision: 1,
			UserQuota: Quota{Limited: true, Limit: usd}}
	}
	o := admitAll(t, 20, quota, a)
	if len(o.admitted) != 3 || o.refused[limitUserQuotaLease] != 17 {
		t.Fatalf("lease: admitted %d, refused %v; want 3 (lease 3000 / 1000)", len(o.admitted), o.refused)
	}
	o.admitted[0].Finish(ctx, 1_000, 0)
	_, err = a.Admit(ctx, quota(0))
	var ref *Refusal
	if !errors.As(err, &ref) || !errors.Is(err, ErrUnavailable) || ref.Status() != 503 || ref.RetryAfter <= 0 {
		t.Fatalf("recent spend must count against the lease: %v", err)
	}
	if n := countLogs(logsA, "unreachable"); n != 1 {
		t.Fatalf("%d degraded log lines, want 1", n)
	}

	p.start()
	for _, l := range []testLimiter{a, b} {
		eventually(t, 5*time.Second, "shared limits resume", func() bool { return !l.Degraded() })
		if testutil.ToFloat64(l.m.degraded) != 0 {
			t.Fatal("degraded gauge still set")
		}
	}
	if n := countLogs(logsA, "resumed"); n != 1 {
		t.Fatalf("%d recovery log lines, want 1", n)
	}
	// Shared again: the fleet-wide limit, not one router's share.
	o = admitAll(t, 30, rate, a, b)
	if len(o.admitted) != 20 {
		t.Fatalf("after recovery: admitted %d of 30 at 20 rpm fleet-wide", len(o.admitted))
	}
	for _, ad := range o.admitted {
		if ad.Local() {
			t.Fatal("decided locally after recovery")
		}
	}
}

// A frozen Redis (no answers at all) costs one call timeout; the
// settlement waits in the queue and reaches Redis when it answers again.
func TestUnresponsiveRedisQueuesSettlements(t *testing.T) {
	p := startPrivateRedis(t)
	cfg := Config{CallTimeout: 200 * time.Millisecond, ProbeInterval: 50 * time.Millisecond}
	l, _ := observedLimiter(t, cfg, p.url())
	ctx := context.Background()
	req := Request{TokenID: 4, User: "mia", Model: "m", Reserve: 1_000, Revision: 1,
		TokenLimits: Limits{MaxConcurrency: 1}, UserQuota: Quota{Limited: true, Limit: 10_000}}
	ad, err := l.Admit(ctx, req)
	if err != nil || ad.Local() {
		t.Fatalf("admit: %v", err)
	}

	p.freeze()
	start := time.Now()
	ad.Finish(ctx, 400, 0)
	if took := time.Since(start); took > time.Second || !l.Degraded() {
		t.Fatalf("finish against a frozen redis took %s, degraded %v", took, l.Degraded())
	}
	if got := testutil.ToFloat64(l.m.pending); got != 1 {
		t.Fatalf("%v settlements queued, want 1", got)
	}
	start = time.Now()
	local, err := l.Admit(ctx, req)
	if err != nil || !local.Local() || time.Since(start) > 50*time.Millisecond {
		t.Fatalf("degraded admission: %v, took %s", err, time.Since(start))
	}
	local.Finish(ctx, 100, 0)

	p.thaw()
	eventually(t, 5*time.Second, "recovery", func() bool { return !l.Degraded() })
	if got := testutil.ToFloat64(l.m.pending); got != 0 {
		t.Fatalf("%v settlements still queued", got)
	}
	// The queued Finish freed the slot and recorded the spend in Redis.
	again, err := l.Admit(ctx, req)
	if err != nil || again.Local() {
		t.Fatalf("after recovery: %v", err)
	}
	if want := int64(10_000 - 400 - 1_000); again.Remaining() != want {
		t.Fatalf("remaining %d, want %d", again.Remaining(), want)
	}
	again.Release(ctx)
}

func TestFallbackModes(t *testing.T) {
	req := Request{TokenID: 1, User: "nia", Model: "m", Reserve: 10, Revision: 1,
		TokenLimits: Limits{RPM: 4}, UserLimits: Limits{MaxConcurrency: 2},
		UserQuota: Quota{Limited: true, Limit: 25}}
	cases := []struct {
		name              string
		rate, conc, quota Fallback
		want              int
		limit             Limit
	}{
		{"all local", FallbackLocal, FallbackLocal, FallbackLocal, 2, UserConcurrency},
		{"concurrency open", FallbackLocal, FallbackOpen, FallbackLocal, 2, UserQuota},
		{"concurrency and quota open", FallbackLocal, FallbackOpen, FallbackOpen, 4, TokenRPM},
		{"all open", FallbackOpen, FallbackOpen, FallbackOpen, 10, ""},
		{"quota closed", FallbackOpen, FallbackOpen, FallbackClosed, 0, limitQuotaKind},
		{"rate closed", FallbackClosed, FallbackOpen, FallbackOpen, 0, limitRate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Nothing listens on port 1: every call fails at once.
			l := newTestLimiter(t, Config{RateFallback: tc.rate, ConcurrencyFallback: tc.conc, QuotaFallback: tc.quota,
				Lease: usd}, redisAt(t, "redis://127.0.0.1:1/0"), false)
			o := admitAll(t, 10, func(int) Request { return req }, l)
			if len(o.admitted) != tc.want || (tc.limit != "" && o.refused[tc.limit] != 10-tc.want) {
				t.Fatalf("admitted %d, refused %v; want %d and the rest by %q", len(o.admitted), o.refused, tc.want, tc.limit)
			}
			if !l.Degraded() {
				t.Fatal("not degraded")
			}
		})
	}
}
