package router

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/sse"
	"github.com/burncloud/burncloud/pkg/usage"
	"github.com/burncloud/burncloud/services/router/route"
)

// relayWhole reads a non-streamed answer whole, prices it, and writes it
// with its cost. A body that breaks is retried: the client has seen nothing.
func (c *call) relayWhole(w http.ResponseWriter, r *http.Request, resp *http.Response, src io.Reader, a route.Attempt, actx context.Context) (route.Outcome, bool, error) {
	buf, err := readAll(c.respBuf[:0], src, c.s.cfg.MaxResponseBytes)
	resp.Body.Close()
	c.respBuf = buf
	if err != nil {
		if r.Context().Err() != nil {
			a.Done(route.Abandoned, 0)
			return route.Abandoned, true, errClientGone
		}
		c.upstreamError(a.Channel, failureKind(err, context.Cause(actx)))
		a.Done(route.Failed, 0)
		return route.Failed, false, nil
	}
	a.Done(route.Succeeded, 0)
	u, ok := usage.ScanOpenAI(buf)
	if !ok {
		out := 0
		if c.op != opEmbeddings {
			out = len(buf)
		}
		u = c.estimate(out)
	}
	c.usage, c.usageKnown = u, true
	c.price()
	c.ttft = time.Since(c.start)

	h := w.Header()
	h[hdrContentType] = []string{orDefault(resp.Header.Get(hdrContentType), "application/json")}
	h[hdrCost] = []string{pricing.FormatUSD(c.cost.CostNano)}
	h["Content-Length"] = []string{strconv.Itoa(len(buf))}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(c.s.cfg.IdleTimeout))
	w.WriteHeader(resp.StatusCode)
	c.wrote, c.status = true, resp.StatusCode
	if _, err := w.Write(buf); err != nil {
		c.class = "client_gone"
	}
	// The answer goes out now; accounting happens after.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return route.Succeeded, true, nil
}

// relayStream forwards an event stream event by event, flushing each. Until
// the first event has been read nothing is sent, so an upstream failing
// that early is retried; after it, a failure cuts the client's stream.
func (c *call) relayStream(w http.ResponseWriter, r *http.Request, resp *http.Response, src io.Reader, a route.Attempt, actx context.Context) (route.Outcome, bool, error) {
	defer resp.Body.Close()
	rd := sse.NewReader(src, c.s.cfg.MaxEventBytes)
	ev, err := rd.Next()
	if err != nil {
		if r.Context().Err() != nil {
			a.Done(route.Abandoned, 0)
			return route.Abandoned, true, errClientGone
		}
		c.upstreamError(a.Channel, failureKind(err, context.Cause(actx)))
		a.Done(route.Failed, 0)
		return route.Failed, false, nil
	}

	h := w.Header()
	h[hdrContentType] = []string{resp.Header.Get(hdrContentType)}
	h["Cache-Control"] = []string{"no-cache"}
	h["X-Accel-Buffering"] = []string{"no"}
	w.WriteHeader(resp.StatusCode)
	c.wrote, c.status = true, resp.StatusCode
	flusher, _ := w.(http.Flusher)
	// A client that stops reading must not hold the stream open forever:
	// each write gets the idle timeout, renewed at most once a second.
	rc := http.NewResponseController(w)
	idle := c.s.cfg.IdleTimeout
	var renewed time.Time

	var scan usage.OpenAIStream
	var writeErr error
	for {
		if now := time.Now(); now.Sub(renewed) > time.Second {
			_ = rc.SetWriteDeadline(now.Add(idle)) // unsupported by some writers; then there is none
			renewed = now
		}
		if ev.HasData {
			scan.Feed(ev.Data)
		}
		hide := false
		if c.hideUsage && ev.HasData {
			if _, reported := scan.Usage(); reported {
				hide = usage.IsOpenAIUsageOnlyChunk(ev.Data)
			}
		}
		if !hide {
			if _, writeErr = w.Write(ev.Raw); writeErr != nil {
				break
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if c.ttft == 0 && scan.OutputBytes() > 0 {
			c.ttft = time.Since(c.start)
		}
		if ev, err = rd.Next(); err != nil {
			break
		}
	}

	switch {
	case writeErr != nil || r.Context().Err() != nil:
		a.Done(route.Abandoned, 0)
		c.class = "client_gone"
	case errors.Is(err, io.EOF):
		a.Done(route.Succeeded, 0)
	default:
		c.upstreamError(a.Channel, upErrCut)
		a.Done(route.Failed, 0)
		c.class = "stream_cut"
		c.abort = true
	}
	u, ok := scan.Usage()
	if !ok {
		u = c.estimate(scan.OutputBytes())
	}
	c.usage, c.usageKnown = u, true
	c.price()
	return route.Succeeded, true, nil
}

// relayRejection passes an upstream's refusal of the request (a 4xx other
// than the ones retried) to the client, unless it could reveal the key.
func (c *call) relayRejection(w http.ResponseWriter, resp *http.Response, a route.Attempt) error {
	buf, err := readAll(c.respBuf[:0], resp.Body, maxErrorBody)
	resp.Body.Close()
	c.respBuf = buf
	a.Done(route.Succeeded, 0)
	c.class = "upstream_rejected"
	h := w.Header()
	h[hdrCost] = []string{"0"}
	if err != nil || bytes.Contains(buf, []byte(a.Key.Secret)) {
		writeAPIError(w, apiError{status: resp.StatusCode, typ: "invalid_request_error", code: "upstream_rejected",
			message: "the upstream provider rejected the request"})
	} else {
		h[hdrContentType] = []string{orDefault(resp.Header.Get(hdrContentType), "application/json")}
		h["Content-Length"] = []string{strconv.Itoa(len(buf))}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(buf)
	}
	c.wrote, c.status = true, resp.StatusCode
	return nil
}
