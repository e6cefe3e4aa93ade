package limits

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Grants take Redis off the request path for keys far from their limits.
// The script admits a request and, in the same call, counts a grant of up
// to Config.GrantMax further requests against every limit of the key: their
// RPM, their estimated tokens, a concurrency slot each and their
// reservations. The router then admits that many requests without Redis.
// The script sizes a grant to at most 1/grantShare of what any limit has
// left and gives none below two requests, so keys near a limit, and
// balances near zero, are decided request by request as before. Finished
// requests are reported in batches (op 'd'), which shrinks what the grant
// holds; the requests a grant never admitted are refunded when it retires.
// A router that dies leaves its grants to expire with the reservation TTL,
// like its admissions. Decision 0011 records the trade-offs.

// grantShare: a grant takes at most this fraction (1/grantShare) of what
// any limit has left, so that the routers' grants cannot crowd out the
// request-by-request path near a limit.
const grantShare = 8

// minGrantAsk is the size a key's first grant asks for.
const minGrantAsk = 8

// grantKey is what one grant admits: one token's requests for one model.
type grantKey struct {
	token int64
	model string
}

// grantTerms are the limits a grant was made under; a request whose
// snapshot shows others goes to Redis (and retires the grant).
type grantTerms struct {
	tok, user, model Limits
	tq, uq           Quota
}

// reserves reports whether a request under t holds a reservation.
func (t *grantTerms) reserves() bool { return t.tq.Limited || t.uq.Limited }

func termsOf(r *Request) grantTerms {
	t := grantTerms{tok: r.TokenLimits, user: r.UserLimits, model: r.ModelLimits, tq: r.TokenQuota, uq: r.UserQuota}
	t.tq.Used, t.uq.Used = 0, 0
	return t
}

// grantSlot is a key's current grant.
type grantSlot struct {
	mu     sync.Mutex
	cur    *grant
	asking bool  // a call that may bring a grant is in flight
	gone   bool  // forgotten: a grant that arrives now is retired
	ask    int64 // requests the next grant asks for
	used   time.Time
}

// grant is a batch of admissions counted in Redis under one member.
type grant struct {
	keys  []string
	id    string
	key   grantKey
	win   int64
	born  time.Time
	terms grantTerms
	n     int64 // requests
	k     int64 // estimated tokens
	q     int64 // nano-USD reserved at each limited level
	rate  RateState
	avail int64

	mu       sync.Mutex
	gen      int
	member   string // what Redis holds now
	retired  bool
	refunded bool
	lost     bool
	used     int64 // requests admitted
	estUsed  int64
	resUsed  int64
	fin      int64 // requests finished
	estFin   int64
	resFin   int64
	cost     int64 // spend finished since the last report
	tokens   int64 // actual tokens finished since the last report
	heldN    int64 // what member holds
	heldK    int64
	heldQ    int64
}

// grants are the limiter's grants by key, and the retired ones still
// holding requests in flight.
type grants struct {
	mu      sync.RWMutex
	slots   map[grantKey]*grantSlot
	retired []*grant
}

func (gs *grants) slot(k grantKey) *grantSlot {
	gs.mu.RLock()
	s := gs.slots[k]
	gs.mu.RUnlock()
	if s != nil {
		return s
	}
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if s = gs.slots[k]; s == nil {
		s = &grantSlot{ask: minGrantAsk}
		gs.slots[k] = s
	}
	return s
}

func (gs *grants) retire(g *grant) {
	g.mu.Lock()
	g.retired = true
	g.mu.Unlock()
	gs.mu.Lock()
	gs.retired = append(gs.retired, g)
	gs.mu.Unlock()
}

// fromGrant admits r from its key's grant. When the grant cannot, the
// admission is nil and the key's slot goes with r to Redis (admitShared).
func (l *Limiter) fromGrant(r *Request, now time.Time) (*Admission, *grantSlot) {
	key := grantKey{token: r.TokenID, model: r.Model}
	s := l.grants.slot(key)
	s.mu.Lock()
	s.used = now
	g := s.cur
	if g == nil {
		s.mu.Unlock()
		return nil, s
	}
	age := now.Sub(g.born)
	if age >= l.cfg.GrantLife || g.terms != termsOf(r) {
		s.cur = nil
		s.mu.Unlock()
		l.grants.retire(g)
		return nil, s
	}
	var res int64
	if g.terms.reserves() {
		res = r.Reserve
	}
	g.mu.Lock()
	if g.used >= g.n || g.estUsed+r.EstTokens > g.k || g.resUsed+res > g.q || g.lost {
		g.mu.Unlock()
		s.mu.Unlock()
		return nil, s
	}
	g.used++
	g.estUsed += r.EstTokens
	g.resUsed += res
	a := &Admission{l: l, start: now, g: g, gEst: r.EstTokens, gRes: res, rate: g.rate}
	if a.rate.Requests.Limit > 0 {
		a.rate.Requests.Remaining += g.n - g.used
	}
	if a.rate.Tokens.Limit > 0 {
		a.rate.Tokens.Remaining += g.k - g.estUsed
	}
	a.remaining = g.avail
	if a.remaining >= 0 {
		a.remaining += g.q - g.resUsed
	}
	half := g.used*2 >= g.n || age*2 >= l.cfg.GrantLife
	g.mu.Unlock()
	if half && !s.asking {
		// Ask for the next grant before this one runs out, off the
		// request path; a key that spends grants fast gets larger ones.
		if age*4 < l.cfg.GrantLife && g.used*2 >= g.n {
			s.ask = min(s.ask*2, int64(l.cfg.GrantMax))
		} else if g.used*4 < g.n {
			s.ask = max(s.ask/2, minGrantAsk)
		}
		s.asking = true
		s.mu.Unlock()
		l.bg.Add(1)
		go l.refill(s, *r)
		return a, nil
	}
	s.mu.Unlock()
	return a, nil
}

// grantAsk is what an admission of slot's key that goes to Redis asks
// for; 0 (and no slot) with grants off or when the key's next grant is
// already on its way.
func (l *Limiter) grantAsk(s *grantSlot) (int64, *grantSlot) {
	if s == nil {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.asking || s.gone {
		return 0, nil
	}
	s.asking = true
	return s.ask, s
}

// refill asks Redis for a grant alone.
func (l *Limiter) refill(s *grantSlot, r Request) {
	defer l.bg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.CallTimeout)
	defer cancel()
	s.mu.Lock()
	ask := s.ask
	s.mu.Unlock()
	res, call, err := l.runAdmit(ctx, &r, ask, 0)
	if err != nil {
		l.grantDone(s, nil)
		if !isReply(err) && ctx.Err() == nil {
			l.down(err)
		}
		return
	}
	var g *grant
	if rep, err := decodeAdmit(res, &r); err == nil {
		g = newGrant(rep, &r, call.keys, call.grantID)
	}
	l.grantDone(s, g)
}

// grantDone installs g (nil: none came) as the key's grant.
func (l *Limiter) grantDone(s *grantSlot, g *grant) {
	s.mu.Lock()
	s.asking = false
	old := s.cur
	if g != nil {
		l.m.grants.Inc()
		if s.gone {
			old = g
		} else {
			s.cur = g
		}
	}
	s.mu.Unlock()
	if g != nil && old != nil {
		l.grants.retire(old)
	}
}

// newGrant is the grant an admission reply brought; nil when the script
// gave none. id is the one runAdmit sent for it.
func newGrant(rep admitReply, r *Request, keys []string, id string) *grant {
	if rep.grant <= 0 || rep.grantMember == "" {
		return nil
	}
	n := rep.grant
	g := &grant{
		keys: keys, id: id, key: grantKey{token: r.TokenID, model: r.Model}, win: rep.win, born: time.Now(),
		terms: termsOf(r), n: n, k: n * r.EstTokens, rate: rep.rate, avail: rep.remaining, member: rep.grantMember,
	}
	if g.terms.reserves() {
		g.q = n * r.Reserve
	}
	g.heldN, g.heldK, g.heldQ = g.n, g.k, g.q
	return g
}

// finish records one of the grant's requests; no I/O.
func (g *grant) finish(est, res, cost, tokens int64) {
	g.mu.Lock()
	g.fin++
	g.estFin += est
	g.resFin += res
	g.cost += cost
	g.tokens += tokens
	g.mu.Unlock()
}

// report is one 'd' call: what a grant's member becomes.
type report struct {
	g                    *grant
	old, new             string
	n, k, q              int64 // what new holds
	cost, tokens, refund int64
	win                  int64
	final, refunds       bool
}

// next computes the grant's report; ok false when nothing changed.
func (g *grant) next() (report, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lost {
		return report{}, false
	}
	rp := report{g: g, old: g.member, win: g.win, cost: g.cost, tokens: g.tokens}
	if g.retired {
		rp.n, rp.k, rp.q = g.used-g.fin, g.estUsed-g.estFin, g.resUsed-g.resFin
		if !g.refunded {
			rp.refund, rp.refunds = g.n-g.used, true
		}
	} else {
		rp.n, rp.k, rp.q = g.n-g.fin, g.k-g.estFin, g.q-g.resFin
	}
	if rp.n == g.heldN && rp.k == g.heldK && rp.q == g.heldQ && rp.cost == 0 && rp.tokens == 0 && !rp.refunds {
		return report{}, false
	}
	rp.final = g.retired && rp.n == 0
	if !rp.final {
		var rt, ru int64
		if g.terms.tq.Limited {
			rt = rp.q
		}
		if g.terms.uq.Limited {
			ru = rp.q
		}
		id := g.id + "." + strconv.Itoa(g.gen+1)
		rp.new = member(id, &g.terms, g.key, rp.n, rp.k, rt, ru)
	}
	return rp, true
}

// applied records that Redis took rp (status 1 or 2) or lost the grant (0).
func (rp *report) applied(status int64) (done bool) {
	g := rp.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if status == 0 {
		g.lost = true
		return true
	}
	g.gen++
	g.member = rp.new
	g.heldN, g.heldK, g.heldQ = rp.n, rp.k, rp.q
	g.cost -= rp.cost
	g.tokens -= rp.tokens
	if rp.refunds {
		g.refunded = true
	}
	return rp.final
}

// reportGrants retires grants past their life (all of them when
// everything is set) and sends what every grant's requests did, in one
// pipeline. Keys idle for two lives are forgotten.
func (l *Limiter) reportGrants(ctx context.Context, now time.Time, everything bool) {
	var old, live []*grant
	l.grants.mu.Lock()
	for k, s := range l.grants.slots {
		s.mu.Lock()
		if g := s.cur; g != nil && (everything || now.Sub(g.born) >= l.cfg.GrantLife) {
			s.cur = nil
			old = append(old, g)
		}
		switch {
		case s.cur != nil:
			live = append(live, s.cur)
		case !s.asking && now.Sub(s.used) > 2*l.cfg.GrantLife:
			s.gone = true
			delete(l.grants.slots, k)
		}
		s.mu.Unlock()
	}
	l.grants.mu.Unlock()
	for _, g := range old {
		l.grants.retire(g)
	}
	l.grants.mu.Lock()
	all := append(live, l.grants.retired...)
	l.grants.mu.Unlock()
	rps := make([]report, 0, len(all))
	for _, g := range all {
		if rp, ok := g.next(); ok {
			rps = append(rps, rp)
		}
	}
	done, err := l.sendReports(ctx, rps)
	l.grants.mu.Lock()
	kept := l.grants.retired[:0]
	for _, g := range l.grants.retired {
		if !done[g] && !g.isLost() {
			kept = append(kept, g)
		}
	}
	clear(l.grants.retired[len(kept):])
	l.grants.retired = kept
	l.grants.mu.Unlock()
	switch {
	case err == nil:
	case redis.HasErrorPrefix(err, "NOSCRIPT"):
		_ = l.script.Load(ctx, l.rdb).Err() // the next report goes through
	default:
		l.callFailed(err)
	}
}

// held lists the grants whose members Redis holds, for renewal.
func (gs *grants) held() []*grant {
	gs.mu.RLock()
	defer gs.mu.RUnlock()
	out := make([]*grant, 0, len(gs.slots)+len(gs.retired))
	for _, s := range gs.slots {
		s.mu.Lock()
		if s.cur != nil {
			out = append(out, s.cur)
		}
		s.mu.Unlock()
	}
	return append(out, gs.retired...)
}

func (g *grant) heldMember() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.member
}

func (g *grant) isLost() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lost
}

// sendReports runs the reports in one pipeline and reports which grants
// are done with.
func (l *Limiter) sendReports(ctx context.Context, rps []report) (done map[*grant]bool, err error) {
	if len(rps) == 0 {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout*4)
	defer cancel()
	cmds := make([]*redis.Cmd, len(rps))
	_, err = l.rdb.Pipelined(cctx, func(p redis.Pipeliner) error {
		for i := range rps {
			rp := &rps[i]
			nums := strconv.FormatInt(rp.win, 10) + " " + strconv.FormatInt(rp.cost, 10) + " " +
				strconv.FormatInt(rp.tokens, 10) + " " + strconv.FormatInt(rp.refund, 10)
			cmds[i] = l.script.EvalSha(cctx, p, rp.g.keys, "d", rp.old, rp.new, nums)
		}
		return nil
	})
	done = make(map[*grant]bool)
	for i, c := range cmds {
		st, cerr := c.Int64()
		if cerr != nil {
			continue
		}
		if rps[i].applied(st) {
			done[rps[i].g] = true
		}
	}
	return done, err
}
