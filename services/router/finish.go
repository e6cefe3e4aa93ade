package router

import (
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/services/router/limits"
)

// finish answers an error if nothing was written yet, then accounts for the
// request: metrics, the usage event of an authenticated request, and one
// log line.
func (c *call) finish(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		a := apiErrorOf(err)
		if a == internalError {
			c.s.log.Error("internal error", zap.String("request_id", c.id), zap.Error(err))
		}
		if !c.wrote && a.status != statusClientClosed {
			if c.authed {
				w.Header()[hdrCost] = []string{"0"}
			}
			var ref *limits.Refusal
			if errors.As(err, &ref) {
				if v := retryAfterOf(ref); v != "" {
					w.Header()["Retry-After"] = []string{v}
				}
				setRefusalRateLimitHeaders(c.rateHeaders(w), ref)
			}
			writeAPIError(w, c.op.surface, a)
			c.wrote = true
		}
		c.status = a.status
		if c.class == "" {
			c.class = a.class
		}
	}
	latency := time.Since(c.start)
	c.record(latency)
	if !c.authed {
		if c.unauth != "" {
			c.s.m.unauth.WithLabelValues(c.unauth).Inc()
		}
		c.s.reqLog.Info("request", zap.String("request_id", c.id), zap.String("operation", c.op.name),
			zap.Int("status", c.status), zap.String("error_class", c.class), zap.String("client_ip", clientIP(r)),
			zap.Duration("latency", latency))
		return
	}
	// Settled before the event goes out: the limits see the spend no later
	// than billing does.
	if c.usageKnown {
		c.adm.Finish(r.Context(), c.cost.CostNano, c.usage.InputTotal()+c.usage.Output)
	} else {
		c.adm.Release(r.Context())
	}
	c.s.sink.Publish(c.event(r, latency))
	c.log(r, latency)
}

// modelLabel keeps client-chosen names out of metric labels unless the
// snapshot knows them.
func (c *call) modelLabel() string {
	if c.model != nil {
		return c.model.Name
	}
	return "other"
}

func (c *call) record(latency time.Duration) {
	m := c.s.m
	model := c.modelLabel()
	channel := ""
	if c.channel != nil {
		channel = c.channel.Name
	}
	m.requests.WithLabelValues(c.op.name, model, channel, statusText(c.status)).Inc()
	if !c.authed {
		return
	}
	m.duration.WithLabelValues(c.op.name, model).Observe(latency.Seconds())
	if c.ttft > 0 {
		m.ttft.WithLabelValues(c.op.name, model).Observe(c.ttft.Seconds())
	}
	if c.usageKnown {
		m.tokens.WithLabelValues(model, "input").Add(float64(c.usage.InputTotal()))
		m.tokens.WithLabelValues(model, "output").Add(float64(c.usage.Output))
	}
}

// statusText avoids formatting the common codes.
func statusText(code int) string {
	switch code {
	case 200:
		return "200"
	case 400:
		return "400"
	case 401:
		return "401"
	case 402:
		return "402"
	case 403:
		return "403"
	case 404:
		return "404"
	case 413:
		return "413"
	case 429:
		return "429"
	case 499:
		return "499"
	case 502:
		return "502"
	case 503:
		return "503"
	}
	return itoa(code)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func tierOf(t pricing.ServiceTier) usagev1.ServiceTier {
	switch t {
	case pricing.ServiceBatch:
		return usagev1.ServiceTier_SERVICE_TIER_BATCH
	case pricing.ServicePriority:
		return usagev1.ServiceTier_SERVICE_TIER_PRIORITY
	}
	return usagev1.ServiceTier_SERVICE_TIER_STANDARD
}

// event builds the request's usage event (DESIGN §3.3).
func (c *call) event(r *http.Request, latency time.Duration) *usagev1.UsageEvent {
	ev := &usagev1.UsageEvent{
		Id:              c.id,
		Time:            timestamppb.New(c.start),
		RouterId:        c.s.cfg.RouterID,
		User:            c.user.Name,
		Token:           c.tok.Name,
		TokenId:         c.tok.ID,
		RequestedModel:  c.req.Model,
		InboundProtocol: protocolEvent(c.op.surface),
		Operation:       c.op.name,
		Stream:          c.stream,
		HttpStatus:      int32(c.status),
		ErrorClass:      c.class,
		UsageEstimated:  c.estimated,
		PricingRevision: c.idx.Revision(),
		ServiceTier:     tierOf(c.tier),
		Latency:         durationpb.New(latency),
		ClientIp:        clientIP(r),
		Attempts:        c.attempts,
		Group:           c.user.Group,
	}
	if c.channel != nil {
		ev.Channel, ev.KeyId = c.channel.Name, c.keyID
		ev.UpstreamModel = c.upstreamModel
		ev.UpstreamProtocol = protocolEvent(c.up)
	}
	if c.usageKnown {
		ev.Usage = &usagev1.Usage{
			InputUncached: c.usage.InputUncached, InputCacheRead: c.usage.InputCacheRead,
			InputCacheWrite: c.usage.InputCacheWrite, Output: c.usage.Output, Reasoning: c.usage.Reasoning,
		}
		ev.CostNanoUsd, ev.UpstreamCostNanoUsd = c.cost.CostNano, c.cost.UpstreamNano
	}
	if c.ttft > 0 {
		ev.TimeToFirstToken = durationpb.New(c.ttft)
	}
	return ev
}

// log writes the request's one line: no prompt, no key material.
func (c *call) log(r *http.Request, latency time.Duration) {
	channel := ""
	if c.channel != nil {
		channel = c.channel.Name
	}
	// The fields go in the pooled call's array: zap would otherwise put
	// the line's fields on the heap for every request.
	f := append(c.logFields[:0],
		zap.String("request_id", c.id),
		zap.String("operation", c.op.name),
		zap.Int("status", c.status),
		zap.String("error_class", c.class),
		zap.String("model", c.req.Model),
		zap.String("upstream_model", c.upstreamModel),
		zap.String("channel", channel),
		zap.String("key_id", c.keyID),
		zap.String("user", c.user.Name),
		zap.Int64("token_id", c.tok.ID),
		zap.Bool("stream", c.stream),
		zap.Int32("attempts", c.attempts),
		zap.Int64("input_tokens", c.usage.InputTotal()),
		zap.Int64("output_tokens", c.usage.Output),
		zap.Bool("usage_estimated", c.estimated),
		zap.Int64("cost_nano_usd", c.cost.CostNano),
		zap.Duration("latency", latency),
		zap.Duration("ttft", c.ttft),
		zap.String("client_ip", clientIP(r)),
	)
	c.s.reqLog.Info("request", f...)
}
