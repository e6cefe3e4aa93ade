package limits

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

const usd = 1_000_000_000 // nano-USD

// §5 Quota: 50 concurrent requests over two routers on a balance that
// covers one reservation admit one; overspend is bounded by that request's
// actual-minus-estimate.
func TestQuotaInvariantFiftyConcurrentAdmitOne(t *testing.T) {
	c := machineRedis(t)
	const reserve = usd / 1000
	cases := []struct {
		name  string
		limit Limit
		req   Request
	}{
		{"user balance", UserQuota, Request{
			UserQuota: Quota{Limited: true, Limit: 5*usd + reserve, Used: 5 * usd},
		}},
		{"token balance", TokenQuota, Request{
			TokenQuota: Quota{Limited: true, Limit: reserve, Used: 0},
			UserQuota:  Quota{Limited: true, Limit: 100 * usd},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{KeyPrefix: testPrefix(t, c)}
			a, b := newTestLimiter(t, cfg, c, false), newTestLimiter(t, cfg, c, false)
			req := tc.req
			req.TokenID, req.User, req.Model, req.Reserve, req.Revision = 9, "frank", "m", reserve, 1
			o := admitAll(t, 50, func(int) Request { return req }, a, b)
			if len(o.admitted) != 1 || o.refused[tc.limit] != 49 {
				t.Fatalf("admitted %d, refused %v; want 1 admitted, 49 refused by %s", len(o.admitted), o.refused, tc.limit)
			}
			_, err := a.Admit(context.Background(), req)
			var ref *Refusal
			if !errors.As(err, &ref) || !errors.Is(err, ErrQuotaExhausted) || ref.Status() != 402 || ref.Remaining != 0 {
				t.Fatalf("refusal %v; want 402 with 0 remaining", err)
			}
			// The one admitted request costs more than estimated.
			const overrun = reserve / 5
			o.admitted[0].Finish(context.Background(), reserve+overrun, 0)
			probe := req
			probe.Reserve = 1
			if _, err := b.Admit(context.Background(), probe); !errors.Is(err, ErrQuotaExhausted) {
				t.Fatalf("after spending the balance and %d more: %v", overrun, err)
			}
			// Spend known to the routers is balance + overrun: exactly the
			// actual-minus-estimate of the one request beyond the quota.
			spent := redisSpent(t, a, req, tc.limit)
			if spent-req.quota(tc.limit).Used != reserve+overrun {
				t.Fatalf("routers know %d spent, want %d", spent-req.quota(tc.limit).Used, reserve+overrun)
			}
		})
	}
}

func (r Request) quota(l Limit) Quota {
	if l == TokenQuota {
		return r.TokenQuota
	}
	return r.UserQuota
}

// redisSpent reads S of the level limit refers to.
func redisSpent(t *testing.T, l testLimiter, r Request, limit Limit) int64 {
	t.Helper()
	field := "u:q"
	if limit == TokenQuota {
		field = "t9:q"
	}
	v, err := l.rdb.HGet(context.Background(), userKeys(l.cfg.KeyPrefix, r.User)[0], field).Result()
	if err != nil {
		t.Fatal(err)
	}
	// "S R B V"
	s, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// available admits a zero reservation to read what is left.
func available(t *testing.T, l testLimiter, rev, used int64) int64 {
	t.Helper()
	a, err := l.Admit(context.Background(), Request{TokenID: 1, User: "gina", Model: "m", Revision: rev,
		UserQuota: Quota{Limited: true, Limit: 10_000, Used: used}})
	var ref *Refusal
	if errors.As(err, &ref) {
		return ref.Remaining
	}
	if err != nil {
		t.Fatal(err)
	}
	a.Release(context.Background())
	return a.Remaining()
}

func TestSettledSpendCountsOnceUntilTheSnapshotShowsIt(t *testing.T) {
	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "redis", false: "local only"}[shared], func(t *testing.T) {
			var a, b testLimiter
			if shared {
				c := machineRedis(t)
				// Remaining is Redis's view only request by request; from
				// a grant it is the view when the grant was made.
				cfg := Config{KeyPrefix: testPrefix(t, c), GrantMax: noGrants}
				a, b = newTestLimiter(t, cfg, c, false), newTestLimiter(t, cfg, c, false)
			} else {
				a = newTestLimiter(t, Config{GrantMax: noGrants}, nil, false)
				b = a
			}
			ctx := context.Background()
			steps := []struct {
				name      string
				rev, used int64
				finish    int64 // spent by a request admitted and finished on router a
				want      int64
			}{
				{"fresh", 1, 0, 0, 10_000},
				{"spend not yet settled counts on the other router", 1, 0, 2_000, 8_000},
				{"settled: not counted twice", 2, 2_000, 0, 8_000},
				{"spend the routers never saw (settled by billing)", 3, 5_000, 0, 5_000},
				{"stale snapshot on a router", 2, 2_000, 0, 5_000},
				{"more router spend on top", 3, 5_000, 1_000, 4_000},
				{"administrator reset the usage", 4, 0, 0, 10_000},
			}
			for _, s := range steps {
				if s.finish > 0 {
					ad, err := a.Admit(ctx, Request{TokenID: 1, User: "gina", Model: "m", Revision: s.rev, Reserve: 3_000,
						UserQuota: Quota{Limited: true, Limit: 10_000, Used: s.used}})
					if err != nil {
						t.Fatalf("%s: %v", s.name, err)
					}
					ad.Finish(ctx, s.finish, 0)
				}
				if got := available(t, b, s.rev, s.used); got != s.want {
					t.Fatalf("%s: %d available, want %d", s.name, got, s.want)
				}
			}
		})
	}
}

func TestReservationReleasedOnEveryPath(t *testing.T) {
	c := machineRedis(t)
	const reserve = 1_000
	paths := []struct {
		name  string
		end   func(ctx context.Context, a *Admission)
		spent int64
	}{
		{"success", func(ctx context.Context, a *Admission) {
			defer a.Release(ctx)
			a.Finish(ctx, 400, 0)
		}, 400},
		{"upstream error", func(ctx context.Context, a *Admission) {
			defer a.Release(ctx)
		}, 0},
		{"client disconnect", func(ctx context.Context, a *Admission) {
			defer a.Release(ctx)
			gone, cancel := context.WithCancel(ctx)
			cancel()
			a.Finish(gone, 250, 0) // partial stream, billed
		}, 250},
		{"panic", func(ctx context.Context, a *Admission) {
			defer func() { _ = recover() }()
			defer a.Release(ctx)
			panic("handler bug")
		}, 0},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			l := newTestLimiter(t, Config{KeyPrefix: testPrefix(t, c)}, c, false)
			ctx := context.Background()
			req := Request{TokenID: 1, User: "hank", Model: "m", Reserve: reserve, Revision: 1,
				UserLimits: Limits{MaxConcurrency: 1},
				UserQuota:  Quota{Limited: true, Limit: 10 * reserve}}
			a, err := l.Admit(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Admit(ctx, req); !errors.Is(err, ErrRateLimited) {
				t.Fatalf("second while held: %v", err)
			}
			p.end(ctx, a)
			b, err := l.Admit(ctx, req)
			if err != nil {
				t.Fatalf("after %s: %v", p.name, err)
			}
			if want := 10*reserve - p.spent - reserve; b.Remaining() != want {
				t.Fatalf("remaining %d, want %d", b.Remaining(), want)
			}
			b.Release(ctx)
		})
	}
}

func TestAbandonedReservationExpiresByTTL(t *testing.T) {
	c := machineRedis(t)
	cfg := Config{KeyPrefix: testPrefix(t, c), ReservationTTL: 300 * time.Millisecond}
	// The first router dies holding the admission: it never renews.
	dead, live := newTestLimiter(t, cfg, c, false), newTestLimiter(t, cfg, c, true)
	ctx := context.Background()
	req := Request{TokenID: 1, User: "ivy", Model: "m", Reserve: 900, Revision: 1,
		TokenLimits: Limits{MaxConcurrency: 1}, UserQuota: Quota{Limited: true, Limit: 1_000}}
	if _, err := dead.Admit(ctx, req); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := live.Admit(ctx, req); err == nil {
		t.Fatal("admitted while the reservation is held")
	}
	eventually(t, 2*time.Second, "reservation expiry", func() bool {
		a, err := live.Admit(ctx, req)
		if err == nil {
			a.Release(ctx)
		}
		return err == nil
	})
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Fatalf("expired after %s, before its TTL", waited)
	}
}

func TestHeldReservationIsRenewed(t *testing.T) {
	c := machineRedis(t)
	cfg := Config{KeyPrefix: testPrefix(t, c), ReservationTTL: 300 * time.Millisecond}
	l := newTestLimiter(t, cfg, c, true)
	ctx := context.Background()
	req := Request{TokenID: 1, User: "jack", Model: "m", TokenLimits: Limits{MaxConcurrency: 1}}
	a, err := l.Admit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := l.Admit(ctx, req); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("a held admission expired despite renewal: %v", err)
	}
	a.Finish(ctx, 0, 0)
	if _, err := l.Admit(ctx, req); err != nil {
		t.Fatalf("after finish: %v", err)
	}
}

func TestForgottenAdmissionReleasedAfterMaxHold(t *testing.T) {
	c := machineRedis(t)
	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "redis", false: "local only"}[shared], func(t *testing.T) {
			cfg := Config{ReservationTTL: 300 * time.Millisecond, MaxHold: 200 * time.Millisecond}
			var l testLimiter
			if shared {
				cfg.KeyPrefix = testPrefix(t, c)
				l = newTestLimiter(t, cfg, c, true)
			} else {
				l = newTestLimiter(t, cfg, nil, true)
			}
			ctx := context.Background()
			req := Request{TokenID: 1, User: "kim", Model: "m", TokenLimits: Limits{MaxConcurrency: 1}}
			if _, err := l.Admit(ctx, req); err != nil {
				t.Fatal(err)
			}
			eventually(t, 3*time.Second, "release of the forgotten admission", func() bool {
				a, err := l.Admit(ctx, req)
				if err == nil {
					a.Release(ctx)
				}
				return err == nil
			})
			if got := testutil.ToFloat64(l.m.abandoned); got != 1 {
				t.Fatalf("abandoned metric %v, want 1", got)
			}
		})
	}
}

func TestLocalOnlyQuotaAdmitsOneOfFifty(t *testing.T) {
	l := newTestLimiter(t, Config{}, nil, false)
	req := Request{TokenID: 1, User: "lee", Model: "m", Reserve: 500,
		UserQuota: Quota{Limited: true, Limit: 500}}
	o := admitAll(t, 50, func(int) Request { return req }, l)
	if len(o.admitted) != 1 || o.refused[UserQuota] != 49 || !o.admitted[0].Local() {
		t.Fatalf("admitted %d, refused %v", len(o.admitted), o.refused)
	}
	if l.Degraded() {
		t.Fatal("a limiter without Redis reports degraded")
	}
}
