package router

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/sse"
	"github.com/burncloud/burncloud/pkg/usage"
	"github.com/burncloud/burncloud/services/router/egress"
	"github.com/burncloud/burncloud/services/router/limits"
	"github.com/burncloud/burncloud/services/router/route"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

// forwardedHeaders are the only client headers sent upstream: what the
// OpenAI SDKs send about the request itself. Credentials, cookies,
// forwarding headers and the client's OpenAI organization or project never
// leave the router.
var forwardedHeaders = [...]string{
	"Content-Type",
	"Accept",
	"User-Agent",
	"Openai-Beta",
	"Idempotency-Key",
	"X-Stainless-Arch",
	"X-Stainless-Async",
	"X-Stainless-Lang",
	"X-Stainless-Os",
	"X-Stainless-Package-Version",
	"X-Stainless-Retry-Count",
	"X-Stainless-Runtime",
	"X-Stainless-Runtime-Version",
	"X-Stainless-Timeout",
}

// maxErrorBody bounds an upstream error answer the router reads.
const maxErrorBody = 64 << 10

// acceptOpenAI limits the OpenAI surface to channels speaking the same
// protocol until translators exist.
func acceptOpenAI(c *snapshot.Channel) bool {
	return c.Type == adminv1.ChannelType_CHANNEL_TYPE_OPENAI
}

// proxy tries candidates until one answers (DESIGN §4 steps 4-5).
func (c *call) proxy(w http.ResponseWriter, r *http.Request) error {
	tiers := c.idx.Route(c.req.Model, c.user.Group)
	plan := c.s.routes.Plan(tiers, acceptOpenAI)
	prev := route.Succeeded
	for int(c.attempts) < c.s.cfg.MaxAttempts {
		a, ok := plan.Next(prev)
		if !ok {
			break
		}
		c.s.m.channelSeen(a.Channel.Name)
		slot, ok := c.s.lim.AdmitChannel(a.Channel.Name, limits.Limits(a.Channel.Limits), c.est)
		if !ok {
			// A full channel is skipped like an open breaker.
			a.Release()
			prev = route.Failed
			continue
		}
		c.attempts++
		outcome, done, err := c.attemptIn(w, r, a, slot)
		if done {
			return err
		}
		prev = outcome
		if r.Context().Err() != nil {
			return errClientGone
		}
	}
	if c.attempts == 0 {
		return errNoChannel
	}
	return errUpstreamFailed
}

// attemptIn makes one attempt within its channel slot, which it ends with
// the tokens of the answer it got (none for a failed attempt).
func (c *call) attemptIn(w http.ResponseWriter, r *http.Request, a route.Attempt, slot *limits.ChannelSlot) (route.Outcome, bool, error) {
	known := c.usageKnown
	defer func() {
		var tokens int64
		if c.usageKnown && !known {
			tokens = c.usage.InputTotal() + c.usage.Output
		}
		slot.Done(tokens)
	}()
	return c.attempt(w, r, a)
}

// attempt makes one upstream request. done means the request is over (an
// answer was relayed, or the client left); otherwise outcome says why the
// next candidate should be tried.
func (c *call) attempt(w http.ResponseWriter, r *http.Request, a route.Attempt) (outcome route.Outcome, done bool, err error) {
	ch := a.Channel
	c.channel, c.keyID = ch, a.Key.ID
	c.upstreamModel = ch.UpstreamModel(c.req.Model)
	body := c.req.Rewrite(c.upBuf, c.body, c.upstreamModel, c.hideUsage)
	if len(body) > 0 && len(c.body) > 0 && &body[0] != &c.body[0] {
		c.upBuf = body
	}

	t := c.s.timeoutsOf(ch)
	actx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	wd := startWatchdog(cancel, t)
	defer wd.stop()

	req, err := http.NewRequestWithContext(egress.WithConnectTimeout(actx, t.connect), http.MethodPost,
		ch.BaseURL+c.op.path, bytes.NewReader(body))
	if err != nil {
		a.Done(route.Failed, 0)
		return route.Failed, false, nil
	}
	for _, k := range forwardedHeaders {
		if v, ok := r.Header[k]; ok {
			req.Header[k] = v
		}
	}
	if _, ok := req.Header[hdrContentType]; !ok {
		req.Header[hdrContentType] = []string{"application/json"}
	}
	if a.Key.Bearer != nil {
		req.Header[hdrAuth] = a.Key.Bearer
	} else {
		req.Header[hdrAuth] = []string{"Bearer " + a.Key.Secret}
	}
	req.Header["X-Client-Request-Id"] = []string{c.id}

	resp, err := c.s.transport.RoundTrip(req)
	if err != nil {
		if r.Context().Err() != nil {
			a.Done(route.Abandoned, 0)
			return route.Abandoned, true, errClientGone
		}
		c.upstreamError(ch, failureKind(err, context.Cause(actx)))
		a.Done(route.Failed, 0)
		return route.Failed, false, nil
	}
	wd.touch()
	code := resp.StatusCode
	switch {
	case code >= 500 || code == http.StatusRequestTimeout:
		drain(resp)
		c.upstreamError(ch, upErrStatus5xx)
		a.Done(route.Failed, 0)
		return route.Failed, false, nil
	case code == http.StatusTooManyRequests:
		ra := retryAfter(resp.Header.Get("Retry-After"), time.Now())
		drain(resp)
		c.upstreamError(ch, upErrStatus429)
		a.Done(route.RateLimited, ra)
		return route.RateLimited, false, nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		drain(resp)
		c.upstreamError(ch, upErrAuth)
		a.Done(route.Refused, 0)
		return route.Refused, false, nil
	case code == http.StatusNotFound:
		// The channel does not know the (mapped) model: its configuration,
		// not the provider's health; another channel may.
		drain(resp)
		c.upstreamError(ch, upErrNotFound)
		a.Done(route.Succeeded, 0)
		return route.Failed, false, nil
	case code < 200 || code > 299:
		return route.Succeeded, true, c.relayRejection(w, resp, a)
	}
	src := &watchedBody{r: resp.Body, wd: wd}
	if c.stream && isEventStream(resp.Header.Get(hdrContentType)) {
		return c.relayStream(w, r, resp, src, a, actx)
	}
	return c.relayWhole(w, r, resp, src, a, actx)
}

// estimate is the usage billed when the provider reported none: the
// request's input and the output received, both at usage.BytesPerOutputToken
// bytes a token (DESIGN §3.3, partial streams).
func (c *call) estimate(outputBytes int) usage.Usage {
	c.estimated = true
	return usage.Usage{
		InputUncached: usage.EstimateTokens(len(c.body)),
		Output:        usage.EstimateTokens(outputBytes),
	}
}

// price computes the cost of c.usage with the model's price, the service
// tier, the user's group ratio and the channel's cost ratio.
func (c *call) price() {
	res, err := pricing.Cost(c.model.Price, c.usage, c.modifiers(c.channel.CostRatioPPM))
	if err != nil {
		c.s.log.Error("request not priced", zap.String("request_id", c.id), zap.String("model", c.req.Model), zap.Error(err))
		return
	}
	c.cost = res
}

// modifiers are the request's price modifiers: its tier, its user's group
// ratio and the channel's cost ratio (which only moves the upstream cost).
func (c *call) modifiers(channelRatioPPM int64) pricing.Modifiers {
	ratio := int64(pricing.OnePPM)
	if g, ok := c.idx.Group(c.user.Group); ok {
		ratio = g.RatioPPM
	}
	return pricing.Modifiers{TierPPM: c.tier.DefaultPPM(), GroupRatioPPM: ratio, ChannelCostRatioPPM: channelRatioPPM}
}

func (c *call) upstreamError(ch *snapshot.Channel, kind string) {
	c.s.m.upstreamErrs.WithLabelValues(ch.Name, kind).Inc()
}

// failureKind names why an attempt failed, for metrics.
func failureKind(err, cause error) string {
	switch {
	case errors.Is(err, egress.ErrForbiddenAddress):
		return upErrForbidden
	case errors.Is(cause, errFirstByteTimeout), errors.Is(cause, errIdleTimeout), errors.Is(cause, errTotalTimeout),
		errors.Is(err, context.DeadlineExceeded):
		return upErrTimeout
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, sse.ErrEventTooLarge), errors.Is(err, errResponseTooLarge):
		return upErrCut
	}
	return upErrConnect
}

func isEventStream(contentType string) bool {
	return len(contentType) >= 17 && equalFoldASCII(contentType[:17], "text/event-stream")
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

var errResponseTooLarge = errors.New("upstream answer too large")

// readAll appends r to buf, refusing more than limit bytes.
func readAll(buf []byte, r io.Reader, limit int) ([]byte, error) {
	if cap(buf) == 0 {
		buf = make([]byte, 0, 8192)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf, errResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// drain reads a little of a body we will not use, so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4096)
	resp.Body.Close()
}

// maxRetryAfter bounds what a provider's Retry-After can ask for.
const maxRetryAfter = 7 * 24 * time.Hour

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(min(n, 7*86400))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
