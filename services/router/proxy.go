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

	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/sse"
	"github.com/burncloud/burncloud/pkg/translate"
	"github.com/burncloud/burncloud/pkg/usage"
	"github.com/burncloud/burncloud/services/router/egress"
	"github.com/burncloud/burncloud/services/router/limits"
	"github.com/burncloud/burncloud/services/router/route"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

var googleKeyInvalid = []byte("API_KEY_INVALID")

// maxErrorBody bounds an upstream error answer the router reads.
const maxErrorBody = 64 << 10

// proxy tries candidates until one answers (DESIGN §4 steps 4-5).
func (c *call) proxy(w http.ResponseWriter, r *http.Request) error {
	tiers := c.idx.Route(c.req.Model, c.user.Group)
	plan := c.s.routes.Plan(tiers, c.op.accept)
	prev := route.Succeeded
	// refused is why a channel's protocol cannot take the request; it is
	// the answer when no channel could.
	var refused error
	for int(c.attempts) < c.s.cfg.MaxAttempts {
		a, ok := plan.Next(prev)
		if !ok {
			break
		}
		body, err := c.prepare(a.Channel)
		if err != nil {
			a.Release()
			refused = err
			prev = route.Succeeded // not the channel's fault
			continue
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
		outcome, done, err := c.attemptIn(w, r, a, slot, body)
		if done {
			return err
		}
		prev = outcome
		if r.Context().Err() != nil {
			return errClientGone
		}
	}
	if c.attempts == 0 {
		if refused != nil {
			return refused
		}
		if c.op.free {
			return c.countLocally(w)
		}
		return errNoChannel
	}
	return errUpstreamFailed
}

// countLocally answers a token count no channel of the surface's protocol
// can give, with the router's estimate of the request's size (the rule of
// usage.EstimateTokens), so SDKs that count before sending keep working on
// models served by other protocols.
func (c *call) countLocally(w http.ResponseWriter) error {
	n := usage.EstimateTokens(len(c.body))
	b := make([]byte, 0, 48)
	if c.op.surface == translate.Gemini {
		b = append(b, `{"totalTokens":`...)
	} else {
		b = append(b, `{"input_tokens":`...)
	}
	b = strconv.AppendInt(b, n, 10)
	c.answerFree(w, append(b, "}\n"...))
	c.usage, c.usageKnown = usage.Usage{}, true
	return nil
}

// attemptIn makes one attempt within its channel slot, which it ends with
// the tokens of the answer it got (none for a failed attempt).
func (c *call) attemptIn(w http.ResponseWriter, r *http.Request, a route.Attempt, slot *limits.ChannelSlot, body []byte) (route.Outcome, bool, error) {
	known := c.usageKnown
	defer func() {
		var tokens int64
		if c.usageKnown && !known {
			tokens = c.usage.InputTotal() + c.usage.Output
		}
		slot.Done(tokens)
	}()
	return c.attempt(w, r, a, body)
}

// attempt makes one upstream request. done means the request is over (an
// answer was relayed, or the client left); otherwise outcome says why the
// next candidate should be tried.
func (c *call) attempt(w http.ResponseWriter, r *http.Request, a route.Attempt, body []byte) (outcome route.Outcome, done bool, err error) {
	ch := a.Channel
	c.channel, c.keyID = ch, a.Key.ID

	t := c.s.timeoutsOf(ch)
	actx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	wd := startWatchdog(cancel, t)
	defer wd.stop()

	req, err := c.newUpstreamRequest(egress.WithConnectTimeout(actx, t.connect), r, ch, a.Key, body)
	if err != nil {
		if errors.Is(err, errVertexCredentials) {
			c.s.log.Warn("vertex credentials", zap.String("channel", ch.Name), zap.String("key_id", a.Key.ID), zap.Error(err))
			c.upstreamError(ch, upErrAuth)
			a.Done(route.Refused, 0)
			return route.Refused, false, nil
		}
		a.Done(route.Failed, 0)
		return route.Failed, false, nil
	}

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
	// Upstream 429s and rate-limit headers tune the channel's learned limit.
	c.s.lim.ObserveUpstream(ch.Name, code, resp.Header)
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
	case code == http.StatusBadRequest && c.up == translate.Gemini:
		// Google refuses a bad API key with 400 API_KEY_INVALID: the key's
		// fault, so another key or channel is tried.
		buf, err := c.readRejection(resp)
		if err == nil && bytes.Contains(buf, googleKeyInvalid) {
			c.upstreamError(ch, upErrAuth)
			a.Done(route.Refused, 0)
			return route.Refused, false, nil
		}
		return route.Succeeded, true, c.writeRejection(w, resp, a, buf, err)
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
