package limits

import (
	"net/http"
	"strconv"
	"time"
)

// Adaptive channel limits. Providers limit each account, often below what
// the channel's configured limits allow and in ways that change (shared
// organisations, tiers, other consumers of the same key). Each router
// learns a concurrency limit per channel with AIMD, the TCP congestion
// rule: a congestion signal cuts the limit to Config.AdaptiveBackoff of the
// attempts in flight, and each success while the limit is in use adds
// 1/limit to it, so it grows by about one per limit's worth of successes.
// Congestion signals are an upstream 429 and rate-limit headers saying the
// provider's request or token budget is nearly spent; a burst of signals
// within Config.AdaptiveGap counts once. A channel starts without a learned
// limit and drops it Config.AdaptiveForget after the last signal, so the
// limit is a temporary brake, never a permanent cap. The limit never falls
// below one attempt, which keeps probing the provider.

// signal is a kind of congestion signal, a label of the decreases metric.
type signal int

const (
	signalStatus429 signal = iota
	signalHeaders
	signalCount
)

func (s signal) String() string {
	if s == signalStatus429 {
		return "status_429"
	}
	return "headers"
}

// aimd is one channel's learned concurrency limit.
type aimd struct {
	limit float64   // 0: none learned
	last  time.Time // of the last decrease
}

// admits is the attempts the limit lets run at once; 0 is no limit.
func (a *aimd) admits() int64 { return int64(a.limit) }

// decrease cuts the limit to backoff times the smaller of the limit and
// the attempts in flight. It reports false for a signal within gap of the
// previous decrease: one burst of refusals is one congestion event.
func (a *aimd) decrease(now time.Time, inflight int64, backoff float64, gap time.Duration) bool {
	if !a.last.IsZero() && now.Sub(a.last) < gap {
		return false
	}
	base := float64(max(inflight, 1))
	if a.limit > 0 && a.limit < base {
		base = a.limit
	}
	a.limit = max(1, base*backoff)
	a.last = now
	return true
}

// increase grows the limit after a success while at least half of it is
// in use; an idle channel proves nothing about a higher limit.
func (a *aimd) increase(inflight int64) bool {
	if a.limit == 0 || float64(inflight)*2 < a.limit {
		return false
	}
	a.limit += 1 / a.limit
	return true
}

// forget drops a limit whose last decrease is more than after ago; it
// reports whether it did.
func (a *aimd) forget(now time.Time, after time.Duration) bool {
	if a.limit == 0 || now.Sub(a.last) < after {
		return false
	}
	a.limit = 0
	return true
}

// ObserveUpstream learns from one upstream answer of an attempt on
// channel, once its status and headers are known and while its slot is
// held: a 429, or rate-limit headers showing the provider's budget nearly
// spent, cut the channel's learned concurrency; a 2xx lets it grow. No
// I/O; a channel never admitted is ignored.
func (l *Limiter) ObserveUpstream(channel string, status int, h http.Header) {
	if l.cfg.AdaptiveOff {
		return
	}
	v, ok := l.channels.Load(channel)
	if !ok {
		return
	}
	st := v.(*channelState)
	sig, congested := signalOf(status, h)
	if !congested && (status < 200 || status > 299) {
		return
	}
	now := time.Now()
	st.mu.Lock()
	first := st.aimd.limit == 0
	var changed bool
	if congested {
		changed = st.aimd.decrease(now, st.conc, l.cfg.AdaptiveBackoff, l.cfg.AdaptiveGap)
	} else {
		changed = st.aimd.increase(st.conc)
	}
	limit := st.aimd.admits()
	if changed {
		st.learnedGauge.Set(float64(limit))
	}
	st.mu.Unlock()
	if congested && changed {
		st.decreases[sig].Inc()
		if first {
			l.logLearned(channel, sig, limit)
		}
	}
}

// LearnedLimit is the concurrency this router learned for channel; 0 when
// none is learned.
func (l *Limiter) LearnedLimit(channel string) int64 {
	v, ok := l.channels.Load(channel)
	if !ok {
		return 0
	}
	st := v.(*channelState)
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.aimd.admits()
}

// signalOf says whether an answer is a congestion signal, and which.
func signalOf(status int, h http.Header) (signal, bool) {
	if status == http.StatusTooManyRequests {
		return signalStatus429, true
	}
	if nearlySpent(h) {
		return signalHeaders, true
	}
	return 0, false
}

// rateHeaders are the (limit, remaining) header pairs providers send on
// every answer: OpenAI's x-ratelimit-* and Anthropic's
// anthropic-ratelimit-*, in canonical form so lookups do not allocate.
var rateHeaders = [...][2]string{
	{"X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests"},
	{"X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens"},
	{"Anthropic-Ratelimit-Requests-Limit", "Anthropic-Ratelimit-Requests-Remaining"},
	{"Anthropic-Ratelimit-Tokens-Limit", "Anthropic-Ratelimit-Tokens-Remaining"},
	{"Anthropic-Ratelimit-Input-Tokens-Limit", "Anthropic-Ratelimit-Input-Tokens-Remaining"},
	{"Anthropic-Ratelimit-Output-Tokens-Limit", "Anthropic-Ratelimit-Output-Tokens-Remaining"},
}

// lowWater is the fraction of a provider's limit (1/lowWater) below which
// its budget counts as nearly spent.
const lowWater = 20

// nearlySpent reports a rate-limit header pair whose remaining is at most
// 5% of its limit (or zero when the limit is not given).
func nearlySpent(h http.Header) bool {
	for _, p := range rateHeaders {
		rem, ok := headerCount(h, p[1])
		if !ok {
			continue
		}
		if lim, ok := headerCount(h, p[0]); ok && lim > 0 {
			if rem*lowWater <= lim {
				return true
			}
		} else if rem == 0 {
			return true
		}
	}
	return false
}

// maxCount keeps header values far from overflow in nearlySpent.
const maxCount = 1 << 40

// headerCount reads a non-negative integer header; anything else is absent.
func headerCount(h http.Header, key string) (int64, bool) {
	v := h[key]
	if len(v) == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return min(n, maxCount), true
}
