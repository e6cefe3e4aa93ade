package router

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/translate"
	"github.com/burncloud/burncloud/pkg/usage"
	"github.com/burncloud/burncloud/services/router/limits"
	"github.com/burncloud/burncloud/services/router/requestbody"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

// Header names, canonical so that lookups do not allocate.
const (
	hdrRequestID   = "X-Request-Id"
	hdrCost        = "X-Burncloud-Cost-Usd"
	hdrTier        = "X-Burncloud-Tier"
	hdrAuth        = "Authorization"
	hdrAPIKey      = "X-Api-Key"
	hdrGoogAPIKey  = "X-Goog-Api-Key"
	hdrContentType = "Content-Type"
)

// call is the state of one request; calls are pooled.
type call struct {
	s     *Server
	op    *operation
	start time.Time
	id    string
	// idValue is id as a header value: the client's x-request-id and the
	// upstream's x-client-request-id share it (headers are not modified).
	idValue []string

	idx    *snapshot.Index
	tok    *snapshot.Token
	user   *snapshot.User
	authed bool

	body    []byte
	upBuf   []byte
	respBuf []byte
	req     requestbody.Request
	model   *snapshot.Model
	tier    pricing.ServiceTier
	stream  bool
	// hideUsage: the router adds include_usage to a passthrough OpenAI
	// stream, so the usage-only chunk is not the client's.
	hideUsage bool
	// up is the protocol of the attempt's channel; bridge translates to it
	// when translated is set.
	up         translate.Protocol
	bridge     translate.Bridge
	translated bool

	wrote         bool // a response has been started
	status        int
	class         string
	unauth        string // reason, for the metric
	channel       *snapshot.Channel
	keyID         string
	upstreamModel string
	attempts      int32
	usage         usage.Usage
	usageKnown    bool // an answer was received, so usage is meaningful
	estimated     bool
	ttft          time.Duration
	cost          pricing.Result
	// est is the request's token estimate (input upper bound plus the
	// maximum output), counted by TPM limits until the actual is known.
	est int64
	// adm is the request's admission; finish settles it, and the handler
	// releases it whatever happens.
	adm *limits.Admission
	// abort: the upstream stream broke after the client got part of it;
	// the client connection is cut so it cannot mistake the answer for
	// a complete one.
	abort bool
	// flight counts the upstream bodies over body and upBuf still open.
	flight *bodyFlight
	// logFields holds the request's log line while it is written; a line
	// of more fields than it holds spills to the heap.
	logFields [20]zap.Field
}

const maxPooledBuffer = 1 << 20

func (s *Server) getCall(op *operation) *call {
	c := s.calls.Get().(*call)
	body, up, resp, flight := c.body, c.upBuf, c.respBuf, c.flight
	if flight == nil {
		flight = new(bodyFlight)
	}
	*c = call{s: s, op: op, start: time.Now(), body: body[:0], upBuf: up[:0], respBuf: resp[:0], flight: flight}
	return c
}

func (s *Server) putCall(c *call) {
	if !c.flight.settled() {
		// The transport may still be sending these bytes upstream.
		c.body, c.upBuf, c.flight = nil, nil, nil
	}
	if cap(c.body) > maxPooledBuffer {
		c.body = nil
	}
	if cap(c.upBuf) > maxPooledBuffer {
		c.upBuf = nil
	}
	if cap(c.respBuf) > maxPooledBuffer {
		c.respBuf = nil
	}
	c.idx, c.tok, c.user, c.model, c.channel, c.req = nil, nil, nil, nil, nil, requestbody.Request{}
	c.adm = nil
	clear(c.logFields[:])
	s.calls.Put(c)
}

func (s *Server) handle(op *operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, op, "") })
}

// gemini serves POST /v1beta/models/{target}, where target is
// "{model}:{method}".
func (s *Server) gemini(w http.ResponseWriter, r *http.Request) {
	model, op, ok := geminiTarget(r.PathValue("target"))
	if !ok {
		s.unknownPath(w, r)
		return
	}
	s.serve(w, r, op, model)
}

// serve answers one request to op; model is the model named by the URL
// (Gemini), empty when the body names it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, op *operation, model string) {
	c := s.getCall(op)
	defer s.putCall(c)
	c.id = uuid.Must(uuid.NewV7()).String()
	c.idValue = []string{c.id}
	w.Header()[hdrRequestID] = c.idValue
	s.m.inFlight.Inc()
	defer s.m.inFlight.Dec()
	// Covers errors, panics (http.ErrAbortHandler included) and
	// disconnects; a no-op once finish settled the admission.
	defer func() { c.adm.Release(context.WithoutCancel(r.Context())) }()

	err := c.run(w, r, model)
	c.finish(w, r, err)
	if c.abort {
		panic(http.ErrAbortHandler) // cuts the client's connection; nothing is logged
	}
}

// run serves the request; it returns the error to answer with, or nil
// once a response was written.
func (c *call) run(w http.ResponseWriter, r *http.Request, model string) error {
	if err := c.authenticate(r); err != nil {
		return err
	}
	if c.op.list {
		return c.listModels(w, r)
	}
	if c.op.alwaysStreams && r.URL.Query().Get("alt") != "sse" {
		return errNeedsSSE
	}
	if err := c.readBody(r); err != nil {
		return err
	}
	var req requestbody.Request
	var err error
	if c.op.surface == translate.Gemini {
		req, err = requestbody.ParseGemini(c.body)
		req.Model = model
	} else {
		req, err = requestbody.Parse(c.body)
	}
	if err != nil {
		return err
	}
	c.req = req
	if err := c.readTier(r); err != nil {
		return err
	}
	c.stream = c.op.alwaysStreams || (c.op.streams && req.Stream)
	c.hideUsage = c.stream && c.op.addUsage && req.NeedsUsage()
	if err := c.admit(r.Context()); err != nil {
		return err
	}
	setRateLimitHeaders(c.rateHeaders(w), c.adm.Rate())
	return c.proxy(w, r)
}

// authenticate finds the key in the snapshot: no I/O.
func (c *call) authenticate(r *http.Request) error {
	c.idx = c.s.store.Load()
	if c.idx == nil {
		return errNotReady
	}
	secret := credential(r)
	if secret == "" {
		c.unauth = "missing"
		return errMissingKey
	}
	tok, ok := c.idx.Token(c.s.keys.TokenDigest(secret))
	if !ok {
		c.unauth = "invalid"
		return errInvalidKey
	}
	if tok.Disabled {
		c.unauth = "disabled"
		return errDisabledKey
	}
	if !tok.Usable(c.start) {
		c.unauth = "expired"
		return errExpiredKey
	}
	user, ok := c.idx.User(tok.User)
	if !ok || user.Disabled {
		c.unauth = "disabled"
		return errDisabledKey
	}
	c.tok, c.user, c.authed = tok, user, true
	return nil
}

// credential reads the key from the places SDKs put it: Authorization
// Bearer (OpenAI), x-api-key (Anthropic), x-goog-api-key or ?key= (Gemini).
func credential(r *http.Request) string {
	if v := r.Header.Get(hdrAuth); len(v) > 7 && strings.EqualFold(v[:7], "Bearer ") {
		if k := strings.TrimSpace(v[7:]); k != "" {
			return k
		}
	}
	if v := r.Header.Get(hdrAPIKey); v != "" {
		return v
	}
	if v := r.Header.Get(hdrGoogAPIKey); v != "" {
		return v
	}
	if r.URL.RawQuery != "" {
		return r.URL.Query().Get("key")
	}
	return ""
}

// readBody reads the whole request body, refusing more than the limit.
func (c *call) readBody(r *http.Request) error {
	limit := c.s.cfg.MaxBodyBytes
	if r.ContentLength > int64(limit) {
		return errBodyTooLarge
	}
	buf := c.body[:0]
	if n := int(r.ContentLength); n > 0 && cap(buf) < n+1 {
		buf = make([]byte, 0, n+1) // +1 sees the end without growing
	} else if cap(buf) == 0 {
		buf = make([]byte, 0, 4096)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			c.body = buf
			return errBodyTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			c.body = buf
			return errClientGone
		}
	}
	c.body = buf
	return nil
}

// readTier takes x-burncloud-tier over the body's service_tier. An unknown
// body value is OpenAI's business and prices as standard.
func (c *call) readTier(r *http.Request) error {
	if h := r.Header.Get(hdrTier); h != "" {
		t, err := pricing.ParseServiceTier(h)
		if err != nil {
			return errBadTier
		}
		c.tier = t
		return nil
	}
	c.tier, _ = pricing.ParseServiceTier(c.req.ServiceTier)
	return nil
}

// admit checks the model, then the limits and the quota in one limiter
// call (DESIGN §4 steps 2 and 3).
func (c *call) admit(ctx context.Context) error {
	name := c.req.Model
	m, priced := c.idx.Model(name)
	switch {
	case !c.idx.Known(name):
		return errUnknownModel
	case !priced || !m.Priced:
		return errUnpricedModel
	case !c.tok.Allows(name):
		return errModelNotAllowed
	}
	c.model = m
	in := usage.InputUpperBound(len(c.body))
	out := c.req.MaxOutputTokens
	if out <= 0 {
		out = m.Price.MaxOutputTokens
	}
	if c.op.embed || c.op.free {
		out = 0 // embeddings and token counts generate no tokens
	}
	c.est = in + out
	adm, err := c.s.lim.Admit(ctx, limits.Request{
		TokenID: c.tok.ID, User: c.user.Name, Model: name,
		TokenLimits: limits.Limits(c.tok.Limits), UserLimits: limits.Limits(c.user.Limits),
		ModelLimits: limits.Limits(m.PerUserLimits),
		EstTokens:   c.est, Reserve: c.reserve(in, out), Revision: c.idx.Revision(),
		TokenQuota: limits.Quota{Limited: c.tok.HasQuota, Limit: c.tok.Quota, Used: c.tok.Used},
		UserQuota:  limits.Quota{Limited: c.user.HasQuota, Limit: c.user.Quota, Used: c.user.Used},
	})
	if err != nil {
		if ctx.Err() != nil {
			return errClientGone
		}
		return err
	}
	c.adm = adm
	return nil
}

// reserve is what the request holds of the quota until it is settled:
// its maximum cost, and the least amount for one that costs nothing.
func (c *call) reserve(in, out int64) int64 {
	if c.op.free {
		return 1
	}
	return c.maxCost(in, out)
}

// maxCost is the most the request can cost: the input upper bound as
// uncached input and the maximum output, priced as the answer will be. At
// least 1 nano-USD, so that a balance already spent refuses even a free
// request.
func (c *call) maxCost(in, out int64) int64 {
	res, err := pricing.Cost(c.model.Price, usage.Usage{InputUncached: in, Output: out}, c.modifiers(pricing.OnePPM))
	if err != nil {
		return math.MaxInt64 // beyond any quota the limiter enforces
	}
	return max(res.CostNano, 1)
}

// clientIP is the peer's address; forwarded-for headers are not trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateHeaders writes the rate-limit headers of the request's surface; only
// Anthropic's need the time.
func (c *call) rateHeaders(w http.ResponseWriter) rateHeaders {
	rh := rateHeaders{h: w.Header(), anthropic: c.op.surface == translate.Anthropic}
	if rh.anthropic {
		rh.now = time.Now()
	}
	return rh
}
