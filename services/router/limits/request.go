package limits

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limits are the rate and concurrency limits of one scope. Zero or
// negative means unlimited; the shape matches the snapshot's limits so a
// conversion is enough.
type Limits struct {
	RPM, TPM, MaxConcurrency int64
}

func (l Limits) any() bool { return l.RPM > 0 || l.TPM > 0 || l.MaxConcurrency > 0 }

// Quota is a balance as the snapshot shows it.
type Quota struct {
	Limited bool  // false: unlimited
	Limit   int64 // nano-USD
	Used    int64 // settled nano-USD in the snapshot
}

// maxMoney is the largest amount Lua numbers hold exactly.
const maxMoney = 1<<53 - 1

// effective drops quotas that Lua could not compare exactly.
func (q Quota) effective() Quota {
	if !q.Limited || q.Limit > maxMoney {
		return Quota{}
	}
	q.Used = min(max(q.Used, 0), maxMoney)
	return q
}

// Request is what one LLM request asks of the limits.
type Request struct {
	TokenID int64
	User    string
	Model   string
	// TokenLimits, UserLimits and ModelLimits (the user's limits for this
	// model) come from the snapshot.
	TokenLimits, UserLimits, ModelLimits Limits
	// EstTokens is the input upper bound plus the maximum output; TPM
	// counts it until Finish corrects it.
	EstTokens int64
	// Reserve is the estimated maximum cost in nano-USD.
	Reserve int64
	// TokenQuota and UserQuota come from the snapshot at Revision.
	TokenQuota, UserQuota Quota
	Revision              int64
}

// ErrInvalidRequest wraps a request the limiter cannot evaluate.
var ErrInvalidRequest = errors.New("limits: invalid request")

func (r *Request) validate() error {
	switch {
	case r.User == "":
		return fmt.Errorf("%w: no user", ErrInvalidRequest)
	case r.EstTokens < 0 || r.Reserve < 0:
		return fmt.Errorf("%w: negative estimate", ErrInvalidRequest)
	}
	return nil
}

// Limit names the limit that refused a request; it is sent to the client.
type Limit string

// Limits by scope and kind.
const (
	TokenRPM             Limit = "token_rpm"
	TokenTPM             Limit = "token_tpm"
	TokenConcurrency     Limit = "token_concurrency"
	UserRPM              Limit = "user_rpm"
	UserTPM              Limit = "user_tpm"
	UserConcurrency      Limit = "user_concurrency"
	UserModelRPM         Limit = "user_model_rpm"
	UserModelTPM         Limit = "user_model_tpm"
	UserModelConcurrency Limit = "user_model_concurrency"
	TokenQuota           Limit = "token_quota"
	UserQuota            Limit = "user_quota"
	ChannelRPM           Limit = "channel_rpm"
	ChannelTPM           Limit = "channel_tpm"
	ChannelConcurrency   Limit = "channel_concurrency"
	// ChannelAdaptive: the concurrency learned from the channel's
	// upstream is in use.
	ChannelAdaptive      Limit = "channel_adaptive"
	limitAll             Limit = "all"
	limitChannel         Limit = "channel"
	limitRate            Limit = "rate"
	limitConcurrencyKind Limit = "concurrency"
	limitQuotaKind       Limit = "quota"
	limitTokenQuotaLease Limit = "token_quota_lease"
	limitUserQuotaLease  Limit = "user_quota_lease"
)

// limitCodes is the order the script numbers limits in: scope-major
// (token, user, user-model) × (rpm, tpm, concurrency), then the quotas.
var limitCodes = [...]Limit{
	TokenRPM, TokenTPM, TokenConcurrency,
	UserRPM, UserTPM, UserConcurrency,
	UserModelRPM, UserModelTPM, UserModelConcurrency,
	TokenQuota, UserQuota,
}

// limitOf is the value of the limit numbered code-1 in limitCodes' order;
// 0 for the quotas.
func (r *Request) limitOf(i int) int64 {
	if i < 0 || i >= 9 {
		return 0
	}
	l := [...]Limits{r.TokenLimits, r.UserLimits, r.ModelLimits}[i/3]
	return [...]int64{l.RPM, l.TPM, l.MaxConcurrency}[i%3]
}

// Headroom is what one rate limit has left after an admission, as the
// x-ratelimit-* response headers report it.
type Headroom struct {
	// Limit is the limit's value; 0 means no limit of this kind applied.
	Limit int64
	// Remaining is what the window still admits.
	Remaining int64
	// Reset is when the window no longer counts anything admitted so
	// far (the sliding window forgets a request over two window ends).
	Reset time.Duration
}

// RateState is the tightest request (RPM) and token (TPM) limit among the
// token, user and user-model scopes an admission counted against.
type RateState struct {
	Requests, Tokens Headroom
}

// Sentinels a *Refusal matches with errors.Is.
var (
	// ErrRateLimited: an RPM, TPM or concurrency limit is full (429).
	ErrRateLimited = errors.New("rate limited")
	// ErrQuotaExhausted: the balance does not cover the reservation (402).
	ErrQuotaExhausted = errors.New("quota exhausted")
	// ErrUnavailable: a limit could not be checked and fails closed (503).
	ErrUnavailable = errors.New("limits unavailable")
)

// Refusal says which limit refused a request.
type Refusal struct {
	Limit Limit
	// Max is the refusing rate or concurrency limit's value (this
	// router's share of it when decided locally); 0 for quotas and
	// unavailable limits.
	Max int64
	// RetryAfter is when the limit may admit the request (rate limits,
	// unavailable limits).
	RetryAfter time.Duration
	// Remaining is the nano-USD still available (quota refusals).
	Remaining   int64
	Unavailable bool
}

func (r *Refusal) Error() string {
	switch {
	case r.Unavailable:
		return "limit " + string(r.Limit) + " unavailable"
	case r.isQuota():
		return "quota exhausted: " + string(r.Limit) + ", remaining " + strconv.FormatInt(r.Remaining, 10) + " nano-USD"
	}
	return "rate limited: " + string(r.Limit) + ", retry after " + r.RetryAfter.String()
}

func (r *Refusal) isQuota() bool { return r.Limit == TokenQuota || r.Limit == UserQuota }

// Is matches ErrRateLimited, ErrQuotaExhausted or ErrUnavailable.
func (r *Refusal) Is(target error) bool {
	switch {
	case r.Unavailable:
		return target == ErrUnavailable
	case r.isQuota():
		return target == ErrQuotaExhausted
	}
	return target == ErrRateLimited
}

// Status is the HTTP status to answer with.
func (r *Refusal) Status() int {
	switch {
	case r.Unavailable:
		return http.StatusServiceUnavailable
	case r.isQuota():
		return http.StatusPaymentRequired
	}
	return http.StatusTooManyRequests
}

// RetryAfterSeconds is the Retry-After header value: whole seconds,
// rounded up, at least 1.
func (r *Refusal) RetryAfterSeconds() int64 {
	s := int64((r.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}
