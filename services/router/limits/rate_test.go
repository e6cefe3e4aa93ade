package limits

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Two limiters sharing one Redis are two routers.
func TestRateLimitsHoldExactlyAcrossRouters(t *testing.T) {
	c := machineRedis(t)
	cases := []struct {
		name  string
		req   func(i int) Request
		limit Limit
		want  int
	}{
		{"token rpm", func(i int) Request {
			return Request{TokenID: 7, User: "alice", Model: "m", TokenLimits: Limits{RPM: 13}}
		}, TokenRPM, 13},
		{"user rpm across tokens", func(i int) Request {
			return Request{TokenID: int64(i % 3), User: "alice", Model: "m", UserLimits: Limits{RPM: 11}}
		}, UserRPM, 11},
		{"user-model rpm", func(i int) Request {
			return Request{TokenID: 1, User: "alice", Model: "gpt|x", ModelLimits: Limits{RPM: 9}}
		}, UserModelRPM, 9},
		{"token tpm", func(i int) Request {
			return Request{TokenID: 7, User: "alice", Model: "m", EstTokens: 100, TokenLimits: Limits{TPM: 1000}}
		}, TokenTPM, 10},
		{"user concurrency", func(i int) Request {
			return Request{TokenID: int64(i), User: "alice", Model: "m", UserLimits: Limits{MaxConcurrency: 4}}
		}, UserConcurrency, 4},
		{"tightest of several", func(i int) Request {
			return Request{TokenID: 7, User: "alice", Model: "m", EstTokens: 10,
				TokenLimits: Limits{RPM: 50, TPM: 10000}, UserLimits: Limits{MaxConcurrency: 30},
				ModelLimits: Limits{RPM: 6}}
		}, UserModelRPM, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{KeyPrefix: testPrefix(t, c), Window: 10 * time.Second}
			a, b := newTestLimiter(t, cfg, c, false), newTestLimiter(t, cfg, c, false)
			o := admitAll(t, 60, tc.req, a, b)
			if len(o.admitted) != tc.want || o.refused[tc.limit] != 60-tc.want {
				t.Fatalf("admitted %d, refused %v; want %d admitted and the rest by %s",
					len(o.admitted), o.refused, tc.want, tc.limit)
			}
			for _, ad := range o.admitted {
				if ad.Local() {
					t.Fatal("an admission was decided locally with Redis up")
				}
			}
			if got := a.decisions(tc.limit, resultRefused) + b.decisions(tc.limit, resultRefused); got != float64(60-tc.want) {
				t.Errorf("refused metric %v, want %d", got, 60-tc.want)
			}
		})
	}
}

func TestRefusalCarriesRetryAfter(t *testing.T) {
	c := machineRedis(t)
	w := 2 * time.Second
	l := newTestLimiter(t, Config{KeyPrefix: testPrefix(t, c), Window: w}, c, false)
	req := Request{TokenID: 1, User: "bob", Model: "m", TokenLimits: Limits{RPM: 2}}
	for range 2 {
		if _, err := l.Admit(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	_, err := l.Admit(context.Background(), req)
	var ref *Refusal
	if !errors.As(err, &ref) || !errors.Is(err, ErrRateLimited) || ref.Limit != TokenRPM {
		t.Fatalf("third request: %v, want a token_rpm refusal", err)
	}
	if ref.RetryAfter <= 0 || ref.RetryAfter > 2*w || ref.Status() != 429 || ref.RetryAfterSeconds() < 1 {
		t.Fatalf("retry after %s (status %d); want within (0, %s]", ref.RetryAfter, ref.Status(), 2*w)
	}
	// After the advertised wait, the limit admits again.
	time.Sleep(ref.RetryAfter + 20*time.Millisecond)
	if _, err := l.Admit(context.Background(), req); err != nil {
		t.Fatalf("after retry-after: %v", err)
	}
}

func TestTPMCountsActualTokensAtFinish(t *testing.T) {
	c := machineRedis(t)
	l := newTestLimiter(t, Config{KeyPrefix: testPrefix(t, c), Window: 10 * time.Second}, c, false)
	ctx := context.Background()
	req := Request{TokenID: 3, User: "carol", Model: "m", EstTokens: 600,
		TokenLimits: Limits{TPM: 1000}, UserLimits: Limits{TPM: 1000}, ModelLimits: Limits{TPM: 1000}}
	a, err := l.Admit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Admit(ctx, req); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("second estimate of 600 under 1000 TPM: %v, want refused", err)
	}
	a.Finish(ctx, 0, 100)
	b, err := l.Admit(ctx, req)
	if err != nil {
		t.Fatalf("after the first used 100 of its 600: %v", err)
	}
	b.Release(ctx) // counts no tokens
	if _, err := l.Admit(ctx, req); err != nil {
		t.Fatalf("after a release: %v", err)
	}
}

func TestEstimateAboveTPMPassesAnEmptyWindow(t *testing.T) {
	c := machineRedis(t)
	l := newTestLimiter(t, Config{KeyPrefix: testPrefix(t, c), Window: 10 * time.Second}, c, false)
	req := Request{TokenID: 3, User: "dan", Model: "m", EstTokens: 50_000, TokenLimits: Limits{TPM: 10_000}}
	if _, err := l.Admit(context.Background(), req); err != nil {
		t.Fatalf("first large request: %v", err)
	}
	if _, err := l.Admit(context.Background(), req); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("second large request: %v, want refused", err)
	}
}

func TestConcurrencyFreedByFinishAndRelease(t *testing.T) {
	c := machineRedis(t)
	cfg := Config{KeyPrefix: testPrefix(t, c)}
	a, b := newTestLimiter(t, cfg, c, false), newTestLimiter(t, cfg, c, false)
	ctx := context.Background()
	req := Request{TokenID: 1, User: "erin", Model: "m", TokenLimits: Limits{MaxConcurrency: 2}}
	o := admitAll(t, 10, func(int) Request { return req }, a, b)
	if len(o.admitted) != 2 {
		t.Fatalf("admitted %d of 10 at concurrency 2", len(o.admitted))
	}
	// Settled on the other router than the one that admitted: state is shared.
	o.admitted[0].Finish(ctx, 0, 0)
	third, err := b.Admit(ctx, req)
	if err != nil {
		t.Fatalf("after finish: %v", err)
	}
	o.admitted[1].Release(ctx)
	o.admitted[1].Release(ctx)
	o.admitted[0].Finish(ctx, 0, 0) // no effect the second time
	fourth, err := a.Admit(ctx, req)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := a.Admit(ctx, req); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("repeated settlements freed extra slots: %v", err)
	}
	third.Release(ctx)
	fourth.Release(ctx)
}

func TestNothingLimitedSkipsRedis(t *testing.T) {
	// A limiter whose Redis does not exist still admits unlimited requests
	// at once and stays healthy.
	c := redisAt(t, "redis://127.0.0.1:1/0")
	l := newTestLimiter(t, Config{}, c, false)
	a, err := l.Admit(context.Background(), Request{TokenID: 1, User: "u", Model: "m"})
	if err != nil || a != nil || l.Degraded() {
		t.Fatalf("admission %v, %v, degraded %v", a, err, l.Degraded())
	}
	a.Finish(context.Background(), 5, 5) // nil admission: no-op
	if got := a.Remaining(); got != -1 {
		t.Fatalf("remaining of nothing %d", got)
	}
}

func TestUserKeysShareOneHashTag(t *testing.T) {
	for _, user := range []string{"alice", "a{b}c", "}{", "%7b"} {
		keys := userKeys("p:", user)
		tags := map[string]bool{}
		for _, k := range keys {
			i := strings.IndexByte(k, '{')
			j := strings.IndexByte(k[i+1:], '}')
			if i < 0 || j <= 0 {
				t.Fatalf("key %q of %q has no hash tag", k, user)
			}
			tags[k[i:i+j+2]] = true
		}
		if len(tags) != 1 {
			t.Fatalf("keys of %q: %v carry different tags", user, keys)
		}
	}
	if userKeys("p:", "a{b")[0] == userKeys("p:", "a%7bb")[0] {
		t.Fatal("escaped names collide")
	}
}
