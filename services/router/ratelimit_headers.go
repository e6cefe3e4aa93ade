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

// setRateLimitHeaders reports the tightest RPM and TPM limit an admission
// counted against (token, user or user-model): the limit, what remains of
// it, and when the window will have forgotten everything counted so far.
// A kind without a limit gets no headers. Call it before the response's
// headers are written; every later answer (relayed, streamed or an error)
// then carries them.
func setRateLimitHeaders(h http.Header, rs limits.RateState) {
	setHeadroom(h, hdrLimitRequests, hdrRemainingRequests, hdrResetRequests, rs.Requests)
	setHeadroom(h, hdrLimitTokens, hdrRemainingTokens, hdrResetTokens, rs.Tokens)
}

// setRefusalRateLimitHeaders reports the RPM or TPM limit that refused a
// request: nothing remains of it until the refusal's retry delay.
func setRefusalRateLimitHeaders(h http.Header, ref *limits.Refusal) {
	if ref.Max <= 0 || ref.Unavailable {
		return
	}
	hr := limits.Headroom{Limit: ref.Max, Remaining: 0, Reset: ref.RetryAfter}
	switch ref.Limit {
	case limits.TokenRPM, limits.UserRPM, limits.UserModelRPM:
		setHeadroom(h, hdrLimitRequests, hdrRemainingRequests, hdrResetRequests, hr)
	case limits.TokenTPM, limits.UserTPM, limits.UserModelTPM:
		setHeadroom(h, hdrLimitTokens, hdrRemainingTokens, hdrResetTokens, hr)
	}
}

func setHeadroom(h http.Header, limit, remaining, reset string, hr limits.Headroom) {
	if hr.Limit <= 0 {
		return
	}
	h[limit] = []string{strconv.FormatInt(hr.Limit, 10)}
	h[remaining] = []string{strconv.FormatInt(max(hr.Remaining, 0), 10)}
	h[reset] = []string{formatReset(hr.Reset)}
}

// formatReset writes a duration as OpenAI does ("20ms", "1s", "6m0s"):
// Go's duration syntax, to the millisecond.
func formatReset(d time.Duration) string {
	return max(d, 0).Round(time.Millisecond).String()
}
