package limits

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The admission reports the tightest request and token limit, the same
// whether Redis decided it or the local limiter did.
func TestAdmissionReportsTightestRate(t *testing.T) {
	c := machineRedis(t)
	const w = 10 * time.Second
	cases := []struct {
		name string
		// prior admissions of the same request before the one checked
		prior        int
		req          Request
		wantRequests Headroom // Reset is checked apart
		wantTokens   Headroom
	}{
		{"token rpm", 3, Request{TokenLimits: Limits{RPM: 10}},
			Headroom{Limit: 10, Remaining: 6}, Headroom{}},
		{"user rpm tighter than token rpm", 1, Request{TokenLimits: Limits{RPM: 100}, UserLimits: Limits{RPM: 5}},
			Headroom{Limit: 5, Remaining: 3}, Headroom{}},
		{"user-model rpm tightest", 0, Request{TokenLimits: Limits{RPM: 50}, UserLimits: Limits{RPM: 40},
			ModelLimits: Limits{RPM: 4}}, Headroom{Limit: 4, Remaining: 3}, Headroom{}},
		{"equal remaining: the lower limit", 0, Request{TokenLimits: Limits{RPM: 5}, UserLimits: Limits{RPM: 5},
			ModelLimits: Limits{RPM: 5}}, Headroom{Limit: 5, Remaining: 4}, Headroom{}},
		{"tokens", 1, Request{EstTokens: 150, TokenLimits: Limits{TPM: 1000}, ModelLimits: Limits{TPM: 600}},
			Headroom{}, Headroom{Limit: 600, Remaining: 300}},
		{"both kinds", 2, Request{EstTokens: 100, UserLimits: Limits{RPM: 20, TPM: 10_000}},
			Headroom{Limit: 20, Remaining: 17}, Headroom{Limit: 10_000, Remaining: 9_700}},
		{"used up", 4, Request{TokenLimits: Limits{RPM: 5}}, Headroom{Limit: 5, Remaining: 0}, Headroom{}},
		{"concurrency and quota only", 0, Request{Reserve: 10, UserLimits: Limits{MaxConcurrency: 3},
			UserQuota: Quota{Limited: true, Limit: 1000}}, Headroom{}, Headroom{}},
	}
	for _, mode := range []string{"redis", "local"} {
		for _, tc := range cases {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				cfg := Config{Window: w}
				var l testLimiter
				if mode == "redis" {
					cfg.KeyPrefix = testPrefix(t, c)
					l = newTestLimiter(t, cfg, c, false)
				} else {
					l = newTestLimiter(t, cfg, nil, false)
				}
				ctx := context.Background()
				req := tc.req
				req.TokenID, req.User, req.Model, req.Revision = 5, "rita", "m", 1
				for range tc.prior {
					if _, err := l.Admit(ctx, req); err != nil {
						t.Fatal(err)
					}
				}
				a, err := l.Admit(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if a.Local() != (mode == "local") {
					t.Fatalf("decided locally: %v", a.Local())
				}
				got := a.Rate()
				for _, h := range []struct {
					name      string
					got, want Headroom
				}{{"requests", got.Requests, tc.wantRequests}, {"tokens", got.Tokens, tc.wantTokens}} {
					reset := h.got.Reset
					h.got.Reset = 0
					if h.got != h.want {
						t.Errorf("%s: %+v, want %+v", h.name, h.got, h.want)
					}
					// What was just counted leaves the window between one and
					// two windows from now.
					if h.want.Limit > 0 && (reset <= w-time.Second || reset > 2*w) {
						t.Errorf("%s reset %s, want within (%s, %s]", h.name, reset, w, 2*w)
					}
					if h.want.Limit == 0 && reset != 0 {
						t.Errorf("%s reset %s without a limit", h.name, reset)
					}
				}
			})
		}
	}
}

// A refusal names the value of the limit that refused: the fleet-wide one
// with Redis, this router's share without.
func TestRefusalCarriesTheLimitValue(t *testing.T) {
	c := machineRedis(t)
	cases := []struct {
		name  string
		redis string
		limit Limit
		max   int64
		req   Request
	}{
		{"redis rpm", "machine", UserModelRPM, 2, Request{ModelLimits: Limits{RPM: 2}}},
		{"redis tpm", "machine", TokenTPM, 500, Request{EstTokens: 300, TokenLimits: Limits{TPM: 500}}},
		{"redis concurrency", "machine", UserConcurrency, 2, Request{UserLimits: Limits{MaxConcurrency: 2}}},
		{"degraded share", "gone", UserRPM, 3, Request{UserLimits: Limits{RPM: 6}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Window: 10 * time.Second, FleetSize: 2, CallTimeout: 200 * time.Millisecond}
			var l testLimiter
			if tc.redis == "machine" {
				cfg.KeyPrefix = testPrefix(t, c)
				l = newTestLimiter(t, cfg, c, false)
			} else {
				l = newTestLimiter(t, cfg, redisAt(t, "redis://127.0.0.1:1/0"), false)
			}
			req := tc.req
			req.TokenID, req.User, req.Model = 1, "sam", "m"
			var err error
			for range 10 {
				if _, err = l.Admit(context.Background(), req); err != nil {
					break
				}
			}
			var ref *Refusal
			if !errors.As(err, &ref) || ref.Limit != tc.limit || ref.Max != tc.max {
				t.Fatalf("refusal %+v (%v), want %s with max %d", ref, err, tc.limit, tc.max)
			}
		})
	}
}

func TestTightest(t *testing.T) {
	a := Headroom{Limit: 10, Remaining: 4}
	cases := []struct {
		name string
		x, y Headroom
		want Headroom
	}{
		{"none and one", Headroom{}, a, a},
		{"one and none", a, Headroom{}, a},
		{"less remaining", a, Headroom{Limit: 100, Remaining: 3}, Headroom{Limit: 100, Remaining: 3}},
		{"more remaining", a, Headroom{Limit: 5, Remaining: 5}, a},
		{"tie: lower limit", a, Headroom{Limit: 8, Remaining: 4}, Headroom{Limit: 8, Remaining: 4}},
		{"tie: higher limit", a, Headroom{Limit: 12, Remaining: 4}, a},
	}
	for _, tc := range cases {
		if got := tightest(tc.x, tc.y); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
