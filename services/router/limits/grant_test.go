package limits

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
)

// grantConfig turns grants on, with a window no test crosses.
func grantConfig(t testing.TB, c *redis.Client) Config {
	return Config{KeyPrefix: testPrefix(t, c), Window: time.Hour, GrantMax: 64}
}

// field reads one field of a user's counters hash.
func field(t testing.TB, c *redis.Client, cfg Config, user, name string) string {
	t.Helper()
	v, err := c.HGet(context.Background(), userKeys(cfg.KeyPrefix, user)[0], name).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	return v
}

// nums splits a counters field into its numbers.
func nums(t testing.TB, v string) []int64 {
	t.Helper()
	var out []int64
	for _, f := range strings.Fields(v) {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("field %q: %v", v, err)
		}
		out = append(out, n)
	}
	return out
}

// admitFinish admits n requests one after the other, each finishing with
// cost and tokens.
func admitFinish(t testing.TB, l testLimiter, req Request, n int, cost, tokens int64) {
	t.Helper()
	for i := range n {
		a, err := l.Admit(context.Background(), req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		a.Finish(context.Background(), cost, tokens)
	}
}

func redisCalls(tl testLimiter) uint64 {
	var n uint64
	mfs, _ := tl.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "burncloud_limits_redis_duration_seconds" {
			n = mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return n
}

// Grants admit most requests of a busy key without Redis, and once
// reported Redis holds exactly what request-by-request admission would:
// every request in RPM, actual tokens in TPM, actual spend, nothing
// reserved and no slot taken.
func TestGrantsAdmitWithoutRedisAndSettleExactly(t *testing.T) {
	c := machineRedis(t)
	cfg := grantConfig(t, c)
	l := newTestLimiter(t, cfg, c, false)
	ctx := context.Background()
	req := benchRequest("gina")
	const n, cost, tokens = 300, 100, 50
	admitFinish(t, l, req, n, cost, tokens)
	l.bg.Wait()
	calls := redisCalls(l)
	if calls > n/4 {
		t.Fatalf("%d admission calls to Redis for %d requests; grants should leave most out", calls, n)
	}
	if got := testutil.ToFloat64(l.m.grantAdmitted); got < n/2 {
		t.Fatalf("%v requests admitted from grants, want most of %d", got, n)
	}
	l.reportGrants(ctx, time.Now(), true)
	for _, scope := range []string{"t42", "u", "mgpt-4o-mini"} {
		w := nums(t, field(t, c, cfg, "gina", scope+":w"))
		if w[1] != n || w[3] != n*tokens {
			t.Errorf("%s window %v: want %d requests and %d tokens", scope, w, n, n*tokens)
		}
		if v := field(t, c, cfg, "gina", scope+":c"); v != "0" {
			t.Errorf("%s concurrency %q, want 0", scope, v)
		}
	}
	for scope, used := range map[string]int64{"t42": 1_000, "u": 5_000} {
		q := nums(t, field(t, c, cfg, "gina", scope+":q"))
		if q[0] != used+n*cost || q[1] != 0 {
			t.Errorf("%s quota %v: want spend %d and nothing reserved", scope, q, used+n*cost)
		}
	}
	if held := c.ZCard(ctx, userKeys(cfg.KeyPrefix, "gina")[1]).Val(); held != 0 {
		t.Errorf("%d members still held", held)
	}
}

// Limits stay exact with grants: two routers racing on a rate, a
// concurrency limit and a balance never admit more than the limit, and
// once their grants are retired the rest of the limit is admitted, no
// more.
func TestGrantsNeverExceedALimit(t *testing.T) {
	c := machineRedis(t)
	const reserve = 1_000
	cases := []struct {
		name  string
		limit int
		req   Request
		hold  bool // requests stay in flight
	}{
		{"user rpm", 200, Request{UserLimits: Limits{RPM: 200}}, false},
		{"token tpm", 150, Request{EstTokens: 100, TokenLimits: Limits{TPM: 15_000}}, false},
		{"user concurrency", 120, Request{UserLimits: Limits{MaxConcurrency: 120}}, true},
		{"user quota", 180, Request{UserQuota: Quota{Limited: true, Limit: 180 * reserve}}, false},
		{"token quota", 90, Request{TokenQuota: Quota{Limited: true, Limit: 90*reserve + reserve/2}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := grantConfig(t, c)
			a, b := newTestLimiter(t, cfg, c, false), newTestLimiter(t, cfg, c, false)
			req := tc.req
			req.TokenID, req.User, req.Model, req.Reserve, req.Revision = 5, "hal", "m", reserve, 1
			finish := func(o *outcome) {
				if !tc.hold {
					for _, ad := range o.admitted {
						ad.Finish(context.Background(), reserve, req.EstTokens)
					}
				}
			}
			first := admitAll(t, 2*tc.limit, func(int) Request { return req }, a, b)
			if len(first.admitted) > tc.limit {
				t.Fatalf("admitted %d, limit %d", len(first.admitted), tc.limit)
			}
			finish(first)
			// Grants being made in the background may hold what is left:
			// let them land, then give back what they do not use.
			settle := func() {
				a.bg.Wait()
				b.bg.Wait()
				a.reportGrants(context.Background(), time.Now(), true)
				b.reportGrants(context.Background(), time.Now(), true)
			}
			settle()
			// Then one at a time, alternating, until refusals persist
			// with nothing held back.
			total, refusals := len(first.admitted), 0
			for i := 0; i < 4*tc.limit && total < tc.limit+1 && refusals < 4; i++ {
				ad, err := []testLimiter{a, b}[i%2].Admit(context.Background(), req)
				if err != nil {
					refusals++
					settle()
					continue
				}
				refusals = 0
				total++
				finish(&outcome{admitted: []*Admission{ad}})
			}
			if total != tc.limit {
				t.Fatalf("admitted %d in all (%d in the race), want exactly %d", total, len(first.admitted), tc.limit)
			}
		})
	}
}

// A grant is made under the snapshot's limits; new limits retire it.
func TestGrantRetiredWhenLimitsChange(t *testing.T) {
	c := machineRedis(t)
	cfg := grantConfig(t, c)
	l := newTestLimiter(t, cfg, c, false)
	ctx := context.Background()
	req := benchRequest("ida")
	admitFinish(t, l, req, 3, 1, 1)
	req.UserLimits.RPM = 1 << 30
	a, err := l.Admit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.g != nil {
		t.Fatal("admitted from the grant made under the old limits")
	}
	a.Finish(ctx, 1, 1)
	l.grants.mu.Lock()
	retired := len(l.grants.retired)
	l.grants.mu.Unlock()
	if retired != 1 {
		t.Fatalf("%d retired grants, want the old one", retired)
	}
}

// A router that dies holding a grant: the grant expires with the
// reservation TTL and its reservation goes back.
func TestGrantOfADeadRouterExpires(t *testing.T) {
	c := machineRedis(t)
	cfg := grantConfig(t, c)
	cfg.ReservationTTL, cfg.GrantLife = 300*time.Millisecond, 100*time.Millisecond
	dead, live := newTestLimiter(t, cfg, c, false), newTestLimiter(t, cfg, c, false)
	ctx := context.Background()
	const reserve = 1_000
	req := Request{TokenID: 1, User: "joe", Model: "m", Reserve: reserve, UserQuota: Quota{Limited: true, Limit: 100 * reserve}}
	a, err := dead.Admit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	a.Finish(ctx, reserve, 0)
	dead.bg.Wait()
	if testutil.ToFloat64(dead.m.grants) != 1 {
		t.Fatal("the first admission brought no grant")
	}
	big := req
	big.TokenID, big.Reserve = 2, 95*reserve
	if _, err := live.Admit(ctx, big); !errors.Is(err, ErrQuotaExhausted) {
		t.Fatalf("with the grant held: %v, want quota exhausted", err)
	}
	time.Sleep(cfg.ReservationTTL + 50*time.Millisecond)
	if _, err := live.Admit(ctx, big); err != nil {
		t.Fatalf("after the grant expired: %v", err)
	}
}

// A report Redis applied but whose answer was lost is sent again: it
// applies once.
func TestGrantReportAppliesOnce(t *testing.T) {
	c := machineRedis(t)
	cfg := grantConfig(t, c)
	l := newTestLimiter(t, cfg, c, false)
	ctx := context.Background()
	req := benchRequest("kate")
	admitFinish(t, l, req, 3, 700, 10)
	l.grants.mu.RLock()
	g := l.grants.slots[grantKey{token: 42, model: "gpt-4o-mini"}].cur
	l.grants.mu.RUnlock()
	if g == nil {
		t.Fatal("no grant")
	}
	rp, ok := g.next()
	if !ok {
		t.Fatal("nothing to report")
	}
	spent := func() int64 { return nums(t, field(t, c, cfg, "kate", "u:q"))[0] }
	before := spent()
	for i := range 2 {
		if _, err := l.sendReports(ctx, []report{rp}); err != nil {
			t.Fatal(err)
		}
		if got := spent(); got != before+rp.cost {
			t.Fatalf("after sending the report %d times: spend %d, want %d", i+1, got, before+rp.cost)
		}
	}
}

// Requests in flight when their grant retires keep their slots until
// they finish.
func TestRetiredGrantHoldsItsRequestsInFlight(t *testing.T) {
	c := machineRedis(t)
	cfg := grantConfig(t, c)
	l := newTestLimiter(t, cfg, c, false)
	ctx := context.Background()
	req := Request{TokenID: 3, User: "lou", Model: "m", UserLimits: Limits{MaxConcurrency: 1000}}
	var held []*Admission
	for range 5 {
		a, err := l.Admit(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, a)
	}
	l.bg.Wait()
	l.reportGrants(ctx, time.Now(), true)
	if v := field(t, c, cfg, "lou", "u:c"); v != "5" {
		t.Fatalf("concurrency %q after retiring, want the 5 in flight", v)
	}
	var wg sync.WaitGroup
	for _, a := range held {
		wg.Go(func() { a.Release(ctx) })
	}
	wg.Wait()
	l.reportGrants(ctx, time.Now(), true)
	if v := field(t, c, cfg, "lou", "u:c"); v != "0" {
		t.Fatalf("concurrency %q after releasing, want 0", v)
	}
}
