package router

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/usage"
	"github.com/burncloud/burncloud/services/router/limits"
)

func TestFormatReset(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{20 * time.Millisecond, "20ms"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Second, "1s"},
		{6 * time.Minute, "6m0s"},
		{90*time.Second + 400*time.Microsecond, "1m30s"},
		{1234567 * time.Microsecond, "1.235s"},
	}
	for _, tc := range cases {
		if got := formatReset(tc.d); got != tc.want {
			t.Errorf("formatReset(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestSetRateLimitHeaders(t *testing.T) {
	cases := []struct {
		name string
		rs   limits.RateState
		ref  *limits.Refusal
		want map[string]string // "" means absent
		// on the Anthropic surface, at 2026-11-26 12:00:00 UTC
		wantAnthropicReset map[string]string
	}{
		{"nothing limited", limits.RateState{}, nil, map[string]string{
			hdrLimitRequests: "", hdrRemainingRequests: "", hdrResetRequests: "", hdrLimitTokens: "",
		}, map[string]string{hdrAnthropicResetRequests: "", hdrAnthropicResetTokens: ""}},
		{"both kinds", limits.RateState{
			Requests: limits.Headroom{Limit: 60, Remaining: 59, Reset: 90 * time.Second},
			Tokens:   limits.Headroom{Limit: 100_000, Remaining: 97_000, Reset: 61500 * time.Millisecond},
		}, nil, map[string]string{
			hdrLimitRequests: "60", hdrRemainingRequests: "59", hdrResetRequests: "1m30s",
			hdrLimitTokens: "100000", hdrRemainingTokens: "97000", hdrResetTokens: "1m1.5s",
		}, map[string]string{
			hdrAnthropicResetRequests: "2026-11-26T12:01:30Z", hdrAnthropicResetTokens: "2026-11-26T12:01:02Z",
		}},
		{"requests only", limits.RateState{Requests: limits.Headroom{Limit: 3, Remaining: 0, Reset: time.Second}}, nil,
			map[string]string{hdrLimitRequests: "3", hdrRemainingRequests: "0", hdrLimitTokens: "", hdrRemainingTokens: ""},
			map[string]string{hdrAnthropicResetRequests: "2026-11-26T12:00:01Z"}},
		{"rpm refusal", limits.RateState{}, &limits.Refusal{Limit: limits.UserModelRPM, Max: 5, RetryAfter: 1200 * time.Millisecond},
			map[string]string{hdrLimitRequests: "5", hdrRemainingRequests: "0", hdrResetRequests: "1.2s", hdrLimitTokens: ""},
			map[string]string{hdrAnthropicResetRequests: "2026-11-26T12:00:02Z", hdrAnthropicResetTokens: ""}},
		{"tpm refusal", limits.RateState{}, &limits.Refusal{Limit: limits.TokenTPM, Max: 1000, RetryAfter: 3 * time.Second},
			map[string]string{hdrLimitTokens: "1000", hdrRemainingTokens: "0", hdrResetTokens: "3s", hdrLimitRequests: ""},
			map[string]string{hdrAnthropicResetTokens: "2026-11-26T12:00:03Z", hdrAnthropicResetRequests: ""}},
		{"concurrency refusal", limits.RateState{}, &limits.Refusal{Limit: limits.UserConcurrency, Max: 2, RetryAfter: time.Second},
			map[string]string{hdrLimitRequests: "", hdrLimitTokens: ""}, nil},
		{"quota refusal", limits.RateState{}, &limits.Refusal{Limit: limits.UserQuota, Remaining: 5},
			map[string]string{hdrLimitRequests: "", hdrLimitTokens: ""}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, anthropic := range []bool{false, true} {
				h := http.Header{}
				rh := rateHeaders{h: h, anthropic: anthropic, now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
				if tc.ref != nil {
					setRefusalRateLimitHeaders(rh, tc.ref)
				} else {
					setRateLimitHeaders(rh, tc.rs)
				}
				for k, want := range tc.want {
					if got := h.Get(k); got != want {
						t.Errorf("anthropic %v: %s = %q, want %q", anthropic, k, got, want)
					}
				}
				// Anthropic's names carry the same numbers, with the reset as
				// a time; other surfaces get none of them.
				for _, names := range [][2]string{
					{hdrLimitRequests, hdrAnthropicLimitRequests}, {hdrRemainingRequests, hdrAnthropicRemainingRequests},
					{hdrLimitTokens, hdrAnthropicLimitTokens}, {hdrRemainingTokens, hdrAnthropicRemainingTokens},
				} {
					want := ""
					if anthropic {
						want = h.Get(names[0])
					}
					if got := h.Get(names[1]); got != want {
						t.Errorf("anthropic %v: %s = %q, want %q", anthropic, names[1], got, want)
					}
				}
				for k, want := range tc.wantAnthropicReset {
					if !anthropic {
						want = ""
					}
					if got := h.Get(k); got != want {
						t.Errorf("anthropic %v: %s = %q, want %q", anthropic, k, got, want)
					}
				}
			}
		})
	}
}

// perUserModel limits gpt-4o-mini for each user.
func perUserModel(l *adminv1.Limits) *snapshotv1.Entity {
	e := modelE("gpt-4o-mini", 150_000_000, 600_000_000)
	e.GetModel().PerUserLimits = l
	return e
}

// A model's per-user limits count each user's requests across the user's
// tokens, refuse with 429 naming user_model_rpm, and leave other models
// and other users alone. Every answer reports the tightest limit.
func TestPerUserModelLimit(t *testing.T) {
	e := newEnv(t, shortWindow)
	e.apply([]*snapshotv1.Entity{perUserModel(&adminv1.Limits{Rpm: proto.Int64(2)})})

	// Two tokens of alice share her two requests a minute on the model.
	for i, key := range []string{keyAlice, keyLimited} {
		res := e.chat(key, miniBody)
		if res.status != http.StatusOK {
			t.Fatalf("request %d: status %d: %s", i+1, res.status, res.body)
		}
		if got, want := res.header.Get("X-Ratelimit-Remaining-Requests"), strconv.Itoa(1-i); got != want {
			t.Errorf("request %d: remaining %q, want %s", i+1, got, want)
		}
		if res.header.Get("X-Ratelimit-Limit-Requests") != "2" || res.header.Get("X-Ratelimit-Reset-Requests") == "" {
			t.Errorf("request %d: headers %v", i+1, res.header)
		}
		if res.header.Get("X-Ratelimit-Limit-Tokens") != "" {
			t.Errorf("token headers without a TPM limit: %v", res.header)
		}
	}
	res := e.chat(keyAlice, miniBody)
	if res.status != http.StatusTooManyRequests || !strings.Contains(decodeError(t, res.body).Error.Message, "user_model_rpm") {
		t.Fatalf("third request: status %d, want 429 user_model_rpm: %s", res.status, res.body)
	}
	reset, err := time.ParseDuration(res.header.Get("X-Ratelimit-Reset-Requests"))
	if res.header.Get("X-Ratelimit-Limit-Requests") != "2" || res.header.Get("X-Ratelimit-Remaining-Requests") != "0" ||
		err != nil || reset <= 0 || reset > 4*time.Second {
		t.Errorf("refusal headers %v", res.header)
	}
	// Another model of alice and the same model of bob are not limited.
	if res := e.chat(keyAlice, chatBody); res.status != http.StatusOK || res.header.Get("X-Ratelimit-Limit-Requests") != "" {
		t.Fatalf("alice on another model: status %d, headers %v", res.status, res.header)
	}
	if res := e.chat(keyBob, miniBody); res.status != http.StatusOK {
		t.Fatalf("bob on the model: status %d: %s", res.status, res.body)
	}
}

func TestRateLimitHeadersReportTokens(t *testing.T) {
	const body = `{"model":"gpt-4o-mini","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"one two"}]}`
	e := newEnv(t)
	e.apply([]*snapshotv1.Entity{
		perUserModel(&adminv1.Limits{Tpm: proto.Int64(100_000)}),
		tokenE(1, "laptop", "alice", e.digest(keyAlice), func(t *snapshotv1.Token) { t.Limits = limitsOf(30, 0) }),
	})
	res := e.chat(keyAlice, body)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), "data: [DONE]") {
		t.Fatalf("stream: status %d: %s", res.status, res.body)
	}
	est := usage.InputUpperBound(len(body)) + 50
	want := map[string]string{
		"X-Ratelimit-Limit-Requests": "30", "X-Ratelimit-Remaining-Requests": "29",
		"X-Ratelimit-Limit-Tokens": "100000", "X-Ratelimit-Remaining-Tokens": strconv.FormatInt(100_000-est, 10),
	}
	for k, v := range want {
		if got := res.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// An upstream 429 teaches the router a concurrency limit for that channel,
// visible in its metrics, while the request fails over.
func TestUpstream429LimitsTheChannel(t *testing.T) {
	e := newEnv(t)
	e.apply([]*snapshotv1.Entity{e.channelE("throttled", 20, upBackup, "status=429", []string{"gpt-4o-mini"}, nil)})
	res := e.chat(keyAlice, miniBody)
	if res.status != http.StatusOK {
		t.Fatalf("status %d, want 200 from the fallback: %s", res.status, res.body)
	}
	if got := e.srv.Limiter().LearnedLimit("throttled"); got != 1 {
		t.Fatalf("learned limit %d, want 1 (one attempt was in flight)", got)
	}
	if got := e.srv.Limiter().LearnedLimit("primary"); got != 0 {
		t.Fatalf("the channel that answered learned %d", got)
	}
	m := e.do(http.MethodGet, "/metrics", "", nil)
	for _, want := range []string{
		`burncloud_limits_channel_learned_concurrency{channel="throttled"} 1`,
		`burncloud_limits_channel_learned_concurrency{channel="primary"} 0`,
		`burncloud_limits_channel_limit_decreases_total{channel="throttled",signal="status_429"} 1`,
		`burncloud_limits_channel_limit_decreases_total{channel="throttled",signal="headers"} 0`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// panicTransport is an upstream transport with a bug.
type panicTransport struct{}

func (panicTransport) RoundTrip(*http.Request) (*http.Response, error) { panic("transport bug") }

// §5 Quota: a handler that panics after admission gives the reservation
// and the concurrency slot back.
func TestHandlerPanicReleasesReservation(t *testing.T) {
	e := newEnv(t)
	// Room for one reservation of the request, not two.
	reserve := usage.InputUpperBound(len(miniBody))*150 + 4096*600
	e.apply([]*snapshotv1.Entity{
		userE("alice", "default", func(u *snapshotv1.User) { q := reserve * 3 / 2; u.QuotaNanoUsd = &q }),
		tokenE(1, "laptop", "alice", e.digest(keyAlice), func(t *snapshotv1.Token) { t.Limits = limitsOf(0, 1) }),
	})
	good := e.srv.transport
	e.srv.transport = panicTransport{}
	req, _ := http.NewRequest(http.MethodPost, e.front.URL+"/v1/chat/completions", strings.NewReader(miniBody))
	req.Header.Set("Authorization", "Bearer "+keyAlice)
	resp, err := e.front.Client().Do(req)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil || errors.Is(err, http.ErrHandlerTimeout) {
		t.Fatalf("the panicking request answered %d", resp.StatusCode)
	}
	e.srv.transport = good
	for i := range 2 {
		if res := e.chat(keyAlice, miniBody); res.status != http.StatusOK {
			t.Fatalf("request %d after the panic: status %d (reservation kept): %s", i+1, res.status, res.body)
		}
	}
}

// On the Anthropic surface the same limits are also reported under
// Anthropic's names, which its SDKs read, with resets as RFC 3339 times.
func TestAnthropicRateLimitHeaders(t *testing.T) {
	e := newEnv(t)
	e.apply([]*snapshotv1.Entity{
		tokenE(1, "laptop", "alice", e.digest(keyAlice), func(t *snapshotv1.Token) { t.Limits = limitsOf(30, 0) }),
	})
	before := time.Now()
	body := `{"model":"gpt-4o-mini","max_tokens":50,"messages":[{"role":"user","content":"one two"}]}`
	res := e.do(http.MethodPost, "/v1/messages", body, anthropicHeaders(keyAlice))
	if res.status != http.StatusOK {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	if got := res.header.Get(hdrAnthropicLimitRequests); got != "30" {
		t.Errorf("%s = %q, want 30", hdrAnthropicLimitRequests, got)
	}
	if got := res.header.Get(hdrAnthropicRemainingRequests); got != "29" {
		t.Errorf("%s = %q, want 29", hdrAnthropicRemainingRequests, got)
	}
	after := time.Now()
	// The same moment as the OpenAI reset duration, rounded up to the second.
	d, err := time.ParseDuration(res.header.Get(hdrResetRequests))
	if err != nil || d <= 0 {
		t.Fatalf("%s = %q: %v", hdrResetRequests, res.header.Get(hdrResetRequests), err)
	}
	reset, err := time.Parse(time.RFC3339, res.header.Get(hdrAnthropicResetRequests))
	lo, hi := before.Add(d).Add(-time.Millisecond), after.Add(d).Add(time.Second+time.Millisecond)
	if err != nil || reset.Before(lo) || reset.After(hi) || reset.Location() != time.UTC {
		t.Errorf("%s = %q (%v), want a UTC time between %s and %s", hdrAnthropicResetRequests,
			res.header.Get(hdrAnthropicResetRequests), err, lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339))
	}
	if got := res.header.Get(hdrLimitRequests); got != "30" {
		t.Errorf("%s = %q: the x-ratelimit-* headers stay on every surface", hdrLimitRequests, got)
	}
	if res := e.chat(keyAlice, `{"model":"gpt-4o-mini","messages":[]}`); res.header.Get(hdrAnthropicLimitRequests) != "" {
		t.Errorf("the OpenAI surface got %s", hdrAnthropicLimitRequests)
	}
}

// Rate-limit headers are written on every admitted request: each kind's
// three values share one string and one backing array.
func TestRateLimitHeadersAllocations(t *testing.T) {
	rs := limits.RateState{
		Requests: limits.Headroom{Limit: 1000, Remaining: 998, Reset: 1500 * time.Millisecond},
		Tokens:   limits.Headroom{Limit: 200000, Remaining: 150000, Reset: 20 * time.Second},
	}
	h := make(http.Header, 16)
	allocs := testing.AllocsPerRun(100, func() {
		setRateLimitHeaders(rateHeaders{h: h}, rs)
	})
	// Per kind: the values' string, their backing array and the reset's
	// duration text.
	if allocs > 6 {
		t.Fatalf("%.0f allocations, want at most 6", allocs)
	}
	want := map[string]string{
		hdrLimitRequests: "1000", hdrRemainingRequests: "998", hdrResetRequests: "1.5s",
		hdrLimitTokens: "200000", hdrRemainingTokens: "150000", hdrResetTokens: "20s",
	}
	for k, v := range want {
		if got := h[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
