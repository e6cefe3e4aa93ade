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
	"github.com/burncloud/burncloud/services/router/route"
)

// relayWhole reads a non-streamed answer whole, prices it, and writes it
// with its cost. A body that breaks is retried: the client has seen nothing.
func (c *call) relayWhole(w http.ResponseWriter, r *http.Request, resp *http.Response, src io.Reader, a route.Attempt, actx context.Context) (route.Outcome, bool, error) {
	// Closed after the answer went out: closing waits for the transport.
	defer resp.Body.Close()
	buf, err := readAll(c.respBuf[:0], src, c.s.cfg.MaxResponseBytes)
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
	contentType := orDefault(resp.Header.Get(hdrContentType), "application/json")
	u, ok := scanWhole(c.up, buf)
	if c.translated {
		out, err := c.bridge.Response(buf, c.req.Model)
		if err != nil {
			c.s.log.Warn("upstream answer not translated", zap.String("request_id", c.id),
				zap.String("channel", a.Channel.Name), zap.Error(err))
			c.upstreamError(a.Channel, upErrUntranslatable)
			a.Done(route.Failed, 0)
			return route.Failed, false, nil
		}
		buf, contentType = out, "application/json"
	}
	switch {
	case c.op.free:
		u = usage.Usage{} // counting tokens costs nothing
	case !ok:
		out := 0
		if !c.op.embed {
			out = len(buf)
		}
		u = c.estimate(out)
	}
	c.usage, c.usageKnown = u, true
	c.price()
	c.ttft = time.Since(c.start)

	h := w.Header()
	h[hdrContentType] = []string{contentType}
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
	a.Done(route.Succeeded, 0)
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
	if c.translated {
		h[hdrContentType] = []string{"text/event-stream"}
	} else {
		h[hdrContentType] = []string{resp.Header.Get(hdrContentType)}
	}
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

	scan := streamScan{p: c.up}
	var conv translate.StreamConverter
	if c.translated {
		conv = c.bridge.Stream(c.req.Model, c.req.IncludeUsage)
	}
	out := c.respBuf[:0]
	var writeErr, convErr error
	unflushed := false
	for {
		if now := time.Now(); now.Sub(renewed) > time.Second {
			_ = rc.SetWriteDeadline(now.Add(idle)) // unsupported by some writers; then there is none
			renewed = now
		}
		if ev.HasData {
			scan.Feed(ev.Data)
		}
		chunk := ev.Raw
		switch {
		case conv != nil:
			out, convErr = conv.Feed(ev.Name, ev.Data, out[:0])
			chunk = out
		case c.hideUsage && ev.HasData:
			if _, reported := scan.Usage(); reported && usage.IsOpenAIUsageOnlyChunk(ev.Data) {
				chunk = nil
			}
		}
		if len(chunk) > 0 {
			if _, writeErr = w.Write(chunk); writeErr != nil {
				break
			}
			unflushed = true
		}
		// Events that arrived together leave in one write; one is never
		// held back while the next is awaited.
		if unflushed && flusher != nil && !rd.Ready() {
			flusher.Flush()
			unflushed = false
		}
		if c.ttft == 0 && scan.OutputBytes() > 0 {
			c.ttft = time.Since(c.start)
		}
		if convErr != nil || (conv != nil && conv.Done()) {
			break
		}
		if ev, err = rd.Next(); err != nil {
			break
		}
	}

	switch {
	case writeErr != nil || r.Context().Err() != nil:
		a.Done(route.Abandoned, 0)
		c.class = "client_gone"
	case convErr == nil && (errors.Is(err, io.EOF) || (conv != nil && conv.Done())):
		a.Done(route.Succeeded, 0)
	default:
		c.upstreamError(a.Channel, upErrCut)
		a.Done(route.Failed, 0)
		c.class = "stream_cut"
		// A translated stream ends with the client protocol's error event;
		// a passthrough one can only be cut.
		c.abort = conv == nil
	}
	if conv != nil && writeErr == nil && !conv.Done() {
		if out = conv.Finish(out[:0]); len(out) > 0 {
			_, _ = w.Write(out)
			unflushed = true
		}
	}
	if unflushed && flusher != nil && writeErr == nil {
		flusher.Flush() // before the accounting
	}
	c.respBuf = out
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
	buf, err := c.readRejection(resp)
	return c.writeRejection(w, resp, a, buf, err)
}

// readRejection reads an upstream's error answer, bounded.
func (c *call) readRejection(resp *http.Response) ([]byte, error) {
	buf, err := readAll(c.respBuf[:0], resp.Body, maxErrorBody)
	resp.Body.Close()
	c.respBuf = buf
	return buf, err
}

func (c *call) writeRejection(w http.ResponseWriter, resp *http.Response, a route.Attempt, buf []byte, err error) error {
	a.Done(route.Succeeded, 0)
	c.class = "upstream_rejected"
	h := w.Header()
	h[hdrCost] = []string{"0"}
	if err != nil || bytes.Contains(buf, []byte(a.Key.Secret)) {
		writeAPIError(w, c.op.surface, apiError{status: resp.StatusCode, typ: "invalid_request_error", code: "upstream_rejected",
			message: "the upstream provider rejected the request"})
	} else {
		contentType := orDefault(resp.Header.Get(hdrContentType), "application/json")
		if c.translated {
			buf, contentType = c.bridge.Error(buf, resp.StatusCode), "application/json"
			c.respBuf = buf
		}
		h[hdrContentType] = []string{contentType}
		h["Content-Length"] = []string{strconv.Itoa(len(buf))}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(buf)
	}
	c.wrote, c.status = true, resp.StatusCode
	return nil
}

// scanWhole reads the usage of a whole answer in the upstream's protocol.
func scanWhole(p translate.Protocol, body []byte) (usage.Usage, bool) {
	switch p {
	case translate.Anthropic:
		return usage.ScanAnthropic(body)
	case translate.Gemini:
		return usage.ScanGemini(body)
	}
	return usage.ScanOpenAI(body)
}

// streamScan follows a stream's usage in the upstream's protocol, without
// an interface value per request.
type streamScan struct {
	p  translate.Protocol
	oa usage.OpenAIStream
	an usage.AnthropicStream
	ge usage.GeminiStream
}

func (s *streamScan) Feed(data []byte) {
	switch s.p {
	case translate.Anthropic:
		s.an.Feed(data)
	case translate.Gemini:
		s.ge.Feed(data)
	default:
		s.oa.Feed(data)
	}
}

func (s *streamScan) Usage() (usage.Usage, bool) {
	switch s.p {
	case translate.Anthropic:
		return s.an.Usage()
	case translate.Gemini:
		return s.ge.Usage()
	}
	return s.oa.Usage()
}

func (s *streamScan) OutputBytes() int {
	switch s.p {
	case translate.Anthropic:
		return s.an.OutputBytes()
	case translate.Gemini:
		return s.ge.OutputBytes()
	}
	return s.oa.OutputBytes()
}
