package limits

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestAIMD(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	const gap = time.Second
	var a aimd
	steps := []struct {
		name     string
		do       func() bool
		changed  bool
		wantCeil int64 // admits() after the step
	}{
		{"success without a learned limit", func() bool { return a.increase(50) }, false, 0},
		{"first 429 with 20 in flight", func() bool { return a.decrease(t0, 20, 0.7, gap) }, true, 14},
		{"same burst", func() bool { return a.decrease(t0.Add(gap/2), 20, 0.7, gap) }, false, 14},
		{"idle success proves nothing", func() bool { return a.increase(6) }, false, 14},
		{"busy success grows by 1/limit", func() bool { return a.increase(7) }, true, 14},
		{"next event: the limit, not more in flight", func() bool { return a.decrease(t0.Add(gap), 30, 0.7, gap) }, true, 9},
		{"next event: fewer in flight", func() bool { return a.decrease(t0.Add(3*gap), 2, 0.7, gap) }, true, 1},
		{"never below one", func() bool { return a.decrease(t0.Add(5*gap), 0, 0.7, gap) }, true, 1},
		{"one in flight doubles it", func() bool { return a.increase(1) }, true, 2},
		{"not forgotten early", func() bool { return a.forget(t0.Add(6*gap), 10*gap) }, false, 2},
		{"forgotten", func() bool { return a.forget(t0.Add(15*gap), 10*gap) }, true, 0},
		{"nothing to forget", func() bool { return a.forget(t0.Add(30*gap), 10*gap) }, false, 0},
	}
	for _, st := range steps {
		if got := st.do(); got != st.changed {
			t.Fatalf("%s: changed %v, want %v (limit %v)", st.name, got, st.changed, a.limit)
		}
		if got := a.admits(); got != st.wantCeil {
			t.Fatalf("%s: admits %d, want %d (limit %v)", st.name, got, st.wantCeil, a.limit)
		}
	}
}

func TestAIMDRecoversByAboutOnePerLimitOfSuccesses(t *testing.T) {
	a := aimd{limit: 10}
	n := 0
	for a.admits() < 20 {
		a.increase(a.admits())
		n++
	}
	// Σ limit for limit 10..19 successes, give or take rounding.
	if n < 140 || n > 160 {
		t.Fatalf("%d successes from 10 to 20, want about 145", n)
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestNearlySpent(t *testing.T) {
	cases := []struct {
		name string
		h    http.Header
		want bool
	}{
		{"none", hdr(), false},
		{"openai plenty", hdr("x-ratelimit-limit-requests", "5000", "x-ratelimit-remaining-requests", "4999",
			"x-ratelimit-limit-tokens", "160000", "x-ratelimit-remaining-tokens", "159976"), false},
		{"openai requests at 5%", hdr("x-ratelimit-limit-requests", "5000", "x-ratelimit-remaining-requests", "250"), true},
		{"openai requests just above 5%", hdr("x-ratelimit-limit-requests", "5000", "x-ratelimit-remaining-requests", "251"), false},
		{"openai tokens low", hdr("x-ratelimit-limit-tokens", "40000", "x-ratelimit-remaining-tokens", "1200"), true},
		{"small limit, one left", hdr("x-ratelimit-limit-requests", "3", "x-ratelimit-remaining-requests", "1"), false},
		{"small limit, none left", hdr("x-ratelimit-limit-requests", "3", "x-ratelimit-remaining-requests", "0"), true},
		{"remaining without limit, zero", hdr("x-ratelimit-remaining-requests", "0"), true},
		{"remaining without limit, some", hdr("x-ratelimit-remaining-requests", "3"), false},
		{"anthropic requests", hdr("anthropic-ratelimit-requests-limit", "1000", "anthropic-ratelimit-requests-remaining", "10"), true},
		{"anthropic input tokens", hdr("anthropic-ratelimit-input-tokens-limit", "80000",
			"anthropic-ratelimit-input-tokens-remaining", "80000", "anthropic-ratelimit-output-tokens-limit", "16000",
			"anthropic-ratelimit-output-tokens-remaining", "500"), true},
		{"anthropic plenty", hdr("anthropic-ratelimit-tokens-limit", "96000", "anthropic-ratelimit-tokens-remaining", "96000"), false},
		{"malformed remaining", hdr("x-ratelimit-limit-requests", "5000", "x-ratelimit-remaining-requests", "none"), false},
		{"negative remaining", hdr("x-ratelimit-remaining-tokens", "-1"), false},
		{"huge values", hdr("x-ratelimit-limit-tokens", "999999999999999999", "x-ratelimit-remaining-tokens", "999999999999999999"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := nearlySpent(tc.h); got != tc.want {
				t.Fatalf("nearlySpent %v, want %v", got, tc.want)
			}
			sig, ok := signalOf(200, tc.h)
			if ok != tc.want || (ok && sig != signalHeaders) {
				t.Fatalf("signal %v %v", sig, ok)
			}
		})
	}
	if sig, ok := signalOf(429, nil); !ok || sig != signalStatus429 {
		t.Fatal("a 429 is not a signal")
	}
	if _, ok := signalOf(500, nil); ok {
		t.Fatal("a 500 is a congestion signal")
	}
}

func FuzzNearlySpent(f *testing.F) {
	f.Add("5000", "250")
	f.Add("", "0")
	f.Add("9223372036854775807", "9223372036854775807")
	f.Add("-5", "x")
	f.Fuzz(func(t *testing.T, limit, remaining string) {
		h := hdr("x-ratelimit-limit-tokens", limit, "x-ratelimit-remaining-tokens", remaining)
		got := nearlySpent(h)
		if remaining == "0" && !got {
			t.Fatalf("nothing remaining of %q not spent", limit)
		}
		if _, err := headerCountOf(remaining); err != nil && got {
			t.Fatalf("an unreadable remaining %q counted as spent", remaining)
		}
	})
}

// headerCountOf is headerCount on one value.
func headerCountOf(v string) (int64, error) {
	n, ok := headerCount(http.Header{"X": {v}}, "X")
	if !ok {
		return 0, errUnreadable
	}
	return n, nil
}

var errUnreadable = errors.New("unreadable header")

// A 429 from the upstream limits the channel to 70% of what was in flight;
// admissions beyond it are refused like a full channel until attempts end.
func TestObserveUpstreamLimitsTheChannel(t *testing.T) {
	l := newTestLimiter(t, Config{AdaptiveGap: time.Hour}, nil, false)
	var slots []*ChannelSlot
	for range 10 {
		s, ok := l.AdmitChannel("up", Limits{}, 10)
		if !ok || s == nil {
			t.Fatal("refused without limits")
		}
		slots = append(slots, s)
	}
	if got := l.LearnedLimit("up"); got != 0 {
		t.Fatalf("learned %d before any signal", got)
	}
	l.ObserveUpstream("up", http.StatusTooManyRequests, nil)
	l.ObserveUpstream("up", http.StatusTooManyRequests, nil) // same burst
	if got := l.LearnedLimit("up"); got != 7 {
		t.Fatalf("learned %d after a 429 with 10 in flight, want 7", got)
	}
	if got := testutil.ToFloat64(l.m.learned.WithLabelValues("up")); got != 7 {
		t.Fatalf("learned gauge %v", got)
	}
	if got := testutil.ToFloat64(l.m.decreases.WithLabelValues("up", "status_429")); got != 1 {
		t.Fatalf("decreases %v, want 1", got)
	}
	if _, ok := l.AdmitChannel("up", Limits{}, 10); ok {
		t.Fatal("admitted with 10 in flight at a learned 7")
	}
	for _, s := range slots[:4] {
		s.Done(0)
	}
	// 6 in flight: one more fits.
	s, ok := l.AdmitChannel("up", Limits{}, 10)
	if !ok {
		t.Fatal("refused under the learned limit")
	}
	if _, ok := l.AdmitChannel("up", Limits{}, 10); ok {
		t.Fatal("admitted above the learned limit")
	}
	if got := l.decisions(ChannelAdaptive, resultRefused); got != 2 {
		t.Fatalf("channel_adaptive refusals %v, want 2", got)
	}
	// Other channels are not limited.
	if _, ok := l.AdmitChannel("other", Limits{}, 10); !ok {
		t.Fatal("another channel refused")
	}
	// A configured limit below the learned one names itself.
	if _, ok := l.AdmitChannel("up", Limits{MaxConcurrency: 3}, 10); ok {
		t.Fatal("admitted above the configured concurrency")
	}
	if got := l.decisions(ChannelConcurrency, resultRefused); got != 1 {
		t.Fatalf("channel_concurrency refusals %v, want 1", got)
	}
	s.Done(0)
}

func TestObserveUpstreamHeadersAndRecovery(t *testing.T) {
	l := newTestLimiter(t, Config{AdaptiveGap: time.Millisecond, AdaptiveForget: 200 * time.Millisecond}, nil, false)
	var slots []*ChannelSlot
	for range 4 {
		s, _ := l.AdmitChannel("an", Limits{}, 1)
		slots = append(slots, s)
	}
	low := hdr("anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "1")
	l.ObserveUpstream("an", http.StatusOK, low)
	if got := l.LearnedLimit("an"); got != 2 {
		t.Fatalf("learned %d after nearly-spent headers with 4 in flight, want 2 (4 × 0.7)", got)
	}
	if got := testutil.ToFloat64(l.m.decreases.WithLabelValues("an", "headers")); got != 1 {
		t.Fatalf("header decreases %v, want 1", got)
	}
	// Successes with the limit in use raise it.
	ok := hdr("anthropic-ratelimit-requests-limit", "50", "anthropic-ratelimit-requests-remaining", "40")
	for range 3 {
		l.ObserveUpstream("an", http.StatusOK, ok)
	}
	if got := l.LearnedLimit("an"); got != 3 {
		t.Fatalf("learned %d after three busy successes from 2.8, want 3", got)
	}
	// Errors other than 429 teach nothing.
	l.ObserveUpstream("an", http.StatusInternalServerError, nil)
	l.ObserveUpstream("an", http.StatusBadRequest, nil)
	if got := l.LearnedLimit("an"); got != 3 {
		t.Fatalf("learned %d after 5xx/4xx", got)
	}
	for _, s := range slots {
		s.Done(0)
	}
	// Without signals the learned limit is dropped.
	time.Sleep(250 * time.Millisecond)
	if _, ok := l.AdmitChannel("an", Limits{}, 1); !ok {
		t.Fatal("refused")
	}
	if got := l.LearnedLimit("an"); got != 0 {
		t.Fatalf("learned %d after the forget delay, want none", got)
	}
	if got := testutil.ToFloat64(l.m.learned.WithLabelValues("an")); got != 0 {
		t.Fatalf("learned gauge %v after forgetting", got)
	}
}

func TestAdaptiveOff(t *testing.T) {
	l := newTestLimiter(t, Config{AdaptiveOff: true}, nil, false)
	s, ok := l.AdmitChannel("c", Limits{}, 1)
	if !ok || s != nil {
		t.Fatalf("slot %v, %v; want none needed", s, ok)
	}
	l.ObserveUpstream("c", http.StatusTooManyRequests, nil)
	l.ObserveUpstream("never-seen", http.StatusTooManyRequests, nil)
	if got := l.LearnedLimit("c"); got != 0 {
		t.Fatalf("learned %d with adaptive limits off", got)
	}
	on := newTestLimiter(t, Config{}, nil, false)
	on.ObserveUpstream("never-seen", http.StatusTooManyRequests, nil) // ignored, no panic
	if got := on.LearnedLimit("never-seen"); got != 0 {
		t.Fatalf("learned %d for a channel never admitted", got)
	}
}

// Many attempts on a channel first seen at once: the state and its metric
// series are whole for every one of them (run with -race).
func TestAdaptiveConcurrentFirstUse(t *testing.T) {
	l := newTestLimiter(t, Config{AdaptiveGap: time.Millisecond}, nil, false)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			s, ok := l.AdmitChannel("fresh", Limits{}, 1)
			status := http.StatusOK
			if i%4 == 0 {
				status = http.StatusTooManyRequests
			}
			l.ObserveUpstream("fresh", status, nil)
			if ok {
				s.Done(1)
			}
		})
	}
	wg.Wait()
	if got := l.LearnedLimit("fresh"); got < 1 {
		t.Fatalf("learned %d after 429s, want at least 1", got)
	}
	if got := testutil.ToFloat64(l.m.decreases.WithLabelValues("fresh", "status_429")); got < 1 {
		t.Fatalf("decreases %v", got)
	}
}
