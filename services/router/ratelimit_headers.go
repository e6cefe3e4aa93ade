package router

import (
	"net/http"
	"strconv"
	"time"

	"github.com/burncloud/burncloud/services/router/limits"
)

// The x-ratelimit-* response headers, with OpenAI's names, in canonical
// form so that setting them does not allocate the keys.
const (
	hdrLimitRequests     = "X-Ratelimit-Limit-Requests"
	hdrRemainingRequests = "X-Ratelimit-Remaining-Requests"
	hdrResetRequests     = "X-Ratelimit-Reset-Requests"
	hdrLimitTokens       = "X-Ratelimit-Limit-Tokens"
	hdrRemainingTokens   = "X-Ratelimit-Remaining-Tokens"
	hdrResetTokens       = "X-Ratelimit-Reset-Tokens"
)

// The same on the Anthropic surface, with Anthropic's names; their resets
// are RFC 3339 times, not durations.
const (
	hdrAnthropicLimitRequests     = "Anthropic-Ratelimit-Requests-Limit"
	hdrAnthropicRemainingRequests = "Anthropic-Ratelimit-Requests-Remaining"
	hdrAnthropicResetRequests     = "Anthropic-Ratelimit-Requests-Reset"
	hdrAnthropicLimitTokens       = "Anthropic-Ratelimit-Tokens-Limit"
	hdrAnthropicRemainingTokens   = "Anthropic-Ratelimit-Tokens-Remaining"
	hdrAnthropicResetTokens       = "Anthropic-Ratelimit-Tokens-Reset"
)

// rateHeaders writes rate-limit headers: OpenAI's x-ratelimit-* on every
// surface (what scripts against the gateway read), and on the Anthropic
// surface also anthropic-ratelimit-*, which Anthropic's SDKs read.
type rateHeaders struct {
	h         http.Header
	anthropic bool
	now       time.Time
}

func (rh rateHeaders) requests(hr limits.Headroom) {
	rh.set(hdrLimitRequests, hdrRemainingRequests, hdrResetRequests, hr, false)
	if rh.anthropic {
		rh.set(hdrAnthropicLimitRequests, hdrAnthropicRemainingRequests, hdrAnthropicResetRequests, hr, true)
	}
}

func (rh rateHeaders) tokens(hr limits.Headroom) {
	rh.set(hdrLimitTokens, hdrRemainingTokens, hdrResetTokens, hr, false)
	if rh.anthropic {
		rh.set(hdrAnthropicLimitTokens, hdrAnthropicRemainingTokens, hdrAnthropicResetTokens, hr, true)
	}
}

// set writes one kind's three headers; a kind without a limit gets none.
// The three values share one string and one backing array: two
// allocations (three with a duration reset) instead of six.
func (rh rateHeaders) set(limit, remaining, reset string, hr limits.Headroom, resetAsTime bool) {
	if hr.Limit <= 0 {
		return
	}
	var scratch [96]byte
	b := strconv.AppendInt(scratch[:0], hr.Limit, 10)
	i := len(b)
	b = strconv.AppendInt(b, max(hr.Remaining, 0), 10)
	j := len(b)
	if resetAsTime {
		b = appendResetTime(b, rh.now, hr.Reset)
	} else {
		b = append(b, formatReset(hr.Reset)...)
	}
	all := string(b)
	vals := new([3]string)
	vals[0], vals[1], vals[2] = all[:i], all[i:j], all[j:]
	rh.h[limit] = vals[0:1:1]
	rh.h[remaining] = vals[1:2:2]
	rh.h[reset] = vals[2:3:3]
}

// setRateLimitHeaders reports the tightest RPM and TPM limit an admission
// counted against (token, user or user-model): the limit, what remains of
// it, and when the window will have forgotten everything counted so far.
// A kind without a limit gets no headers. Call it before the response's
// headers are written; every later answer (relayed, streamed or an error)
// then carries them.
func setRateLimitHeaders(rh rateHeaders, rs limits.RateState) {
	rh.requests(rs.Requests)
	rh.tokens(rs.Tokens)
}

// setRefusalRateLimitHeaders reports the RPM or TPM limit that refused a
// request: nothing remains of it until the refusal's retry delay.
func setRefusalRateLimitHeaders(rh rateHeaders, ref *limits.Refusal) {
	if ref.Max <= 0 || ref.Unavailable {
		return
	}
	hr := limits.Headroom{Limit: ref.Max, Remaining: 0, Reset: ref.RetryAfter}
	switch ref.Limit {
	case limits.TokenRPM, limits.UserRPM, limits.UserModelRPM:
		rh.requests(hr)
	case limits.TokenTPM, limits.UserTPM, limits.UserModelTPM:
		rh.tokens(hr)
	}
}

// formatReset writes a duration as OpenAI does ("20ms", "1s", "6m0s"):
// Go's duration syntax, to the millisecond.
func formatReset(d time.Duration) string {
	return max(d, 0).Round(time.Millisecond).String()
}

// appendResetTime appends the moment a window resets as Anthropic writes
// it, RFC 3339 in UTC to the second, rounded up so that a client waiting
// until then is never early.
func appendResetTime(b []byte, now time.Time, d time.Duration) []byte {
	t := now.Add(max(d, 0)).UTC()
	if t.Nanosecond() != 0 {
		t = t.Truncate(time.Second).Add(time.Second)
	}
	return t.AppendFormat(b, time.RFC3339)
}
