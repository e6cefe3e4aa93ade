package limits

import (
	"strconv"
	"sync"
	"time"
)

// local decides without Redis: always when there is no Redis, and while
// Redis is unreachable. One mutex keeps a decision all or nothing.
type local struct {
	cfg   Config
	lease int64 // 0: no lease (the only router)

	mu     sync.Mutex
	scopes map[string]*localScope
}

type localScope struct {
	rpm, tpm window
	conc     int64
	q        localQuota
	seen     time.Time
}

// localQuota applies the max(S, U) rule of the script to this router's own
// spend, plus the lease over its recent spend.
type localQuota struct {
	init    bool
	s, b, v int64 // spend known here, newest used seen and its revision
	r       int64 // reserved
	recent  []spend
	sum     int64 // of recent
}

type spend struct {
	at     time.Time
	amount int64
}

type localAdmission struct {
	scopes [3]*localScope // token, user, user-model
	conc   [3]bool
	tpm    [3]bool
	est    int64
	n      int64
	res    [2]int64 // token, user
	left   int64    // available after the reservation; -1 unlimited
	rate   RateState
}

func newLocal(cfg Config, lease int64) *local {
	return &local{cfg: cfg, lease: lease, scopes: make(map[string]*localScope)}
}

func (lo *local) scope(key string, now time.Time) *localScope {
	s, ok := lo.scopes[key]
	if !ok {
		s = &localScope{}
		lo.scopes[key] = s
	}
	s.seen = now
	return s
}

// modes says how each kind is decided; fleet divides the limits.
type modes struct {
	rate, conc, quota Fallback
	fleet             int
}

func (lo *local) admit(r *Request, md modes, now time.Time) (*localAdmission, error) {
	lo.mu.Lock()
	defer lo.mu.Unlock()
	la := &localAdmission{est: r.EstTokens, left: -1}
	lims := [3]Limits{r.TokenLimits, r.UserLimits, r.ModelLimits}
	keys := [3]string{
		"t" + strconv.FormatInt(r.TokenID, 10),
		"u" + r.User,
		"m" + r.User + "\x00" + r.Model,
	}
	c := clockAt(now, lo.cfg.Window)
	la.n = c.n
	for i, lim := range lims {
		rpm, tpm, conc := share(lim.RPM, md.fleet), share(lim.TPM, md.fleet), share(lim.MaxConcurrency, md.fleet)
		rate := md.rate == FallbackLocal && (rpm > 0 || tpm > 0)
		counted := md.conc == FallbackLocal && conc > 0
		if !rate && !counted {
			continue
		}
		s := lo.scope(keys[i], now)
		la.scopes[i] = s
		if rate && rpm > 0 {
			if d := s.rpm.wait(c, 1, rpm); d > 0 {
				return nil, &Refusal{Limit: limitCodes[3*i], RetryAfter: d, Max: rpm}
			}
		}
		if rate && tpm > 0 {
			if d := s.tpm.wait(c, r.EstTokens, tpm); d > 0 {
				return nil, &Refusal{Limit: limitCodes[3*i+1], RetryAfter: d, Max: tpm}
			}
		}
		if counted && s.conc >= conc {
			return nil, &Refusal{Limit: limitCodes[3*i+2], RetryAfter: time.Second, Max: conc}
		}
		la.conc[i] = counted
		la.tpm[i] = rate && tpm > 0
	}
	if md.quota == FallbackLocal {
		quotas := [2]Quota{r.TokenQuota, r.UserQuota}
		for j, q := range quotas {
			if !q.Limited {
				continue
			}
			s := la.scopes[j]
			if s == nil {
				s = lo.scope(keys[j], now)
				la.scopes[j] = s
			}
			left, err := lo.checkQuota(&s.q, q, r, j, now)
			if err != nil {
				return nil, err
			}
			la.res[j] = r.Reserve
			la.left = remainingOf(la.left, left-r.Reserve)
		}
	}
	for i, s := range la.scopes {
		if s == nil {
			continue
		}
		if la.conc[i] {
			s.conc++
		}
		if rpm := share(lims[i].RPM, md.fleet); rpm > 0 && md.rate == FallbackLocal {
			s.rpm.cur++
			la.rate.Requests = tightest(la.rate.Requests, s.rpm.headroom(c, rpm))
		}
		if la.tpm[i] {
			s.tpm.cur += r.EstTokens
			la.rate.Tokens = tightest(la.rate.Tokens, s.tpm.headroom(c, share(lims[i].TPM, md.fleet)))
		}
		if i < 2 {
			s.q.r += la.res[i]
		}
	}
	return la, nil
}

// checkQuota returns what is available before the reservation.
func (lo *local) checkQuota(q *localQuota, snap Quota, r *Request, level int, now time.Time) (int64, error) {
	if !q.init || r.Revision > q.v {
		if !q.init || snap.Used < q.b || snap.Used > q.s {
			q.s = snap.Used
		}
		q.b, q.v, q.init = snap.Used, r.Revision, true
	}
	seen := max(q.s, q.b)
	if r.Revision >= q.v {
		seen = max(seen, snap.Used)
	}
	left := snap.Limit - seen - q.r
	if r.Reserve > left {
		return 0, &Refusal{Limit: limitCodes[9+level], Remaining: max(left, 0)}
	}
	if lo.lease == 0 {
		return left, nil
	}
	q.prune(now.Add(-lo.cfg.SettleLag))
	if q.sum+q.r+r.Reserve > lo.lease {
		retry := lo.cfg.SettleLag
		if len(q.recent) > 0 {
			retry = q.recent[0].at.Add(lo.cfg.SettleLag).Sub(now)
		}
		lim := limitTokenQuotaLease
		if level == 1 {
			lim = limitUserQuotaLease
		}
		return 0, &Refusal{Limit: lim, RetryAfter: retry, Unavailable: true}
	}
	return left, nil
}

func (q *localQuota) prune(before time.Time) {
	i := 0
	for i < len(q.recent) && q.recent[i].at.Before(before) {
		q.sum -= q.recent[i].amount
		i++
	}
	if i > 0 {
		q.recent = append(q.recent[:0], q.recent[i:]...)
	}
}

func (lo *local) finish(la *localAdmission, cost, tokens int64) {
	now := time.Now()
	lo.mu.Lock()
	defer lo.mu.Unlock()
	for i, s := range la.scopes {
		if s == nil {
			continue
		}
		if la.conc[i] {
			s.conc = max(s.conc-1, 0)
		}
		if la.tpm[i] {
			s.tpm.add(la.n, tokens-la.est)
		}
		if i < 2 && la.res[i] > 0 {
			q := &s.q
			q.r = max(q.r-la.res[i], 0)
			q.s += cost
			if lo.lease > 0 && cost > 0 {
				q.recent = append(q.recent, spend{at: now, amount: cost})
				q.sum += cost
			}
		}
	}
}

// sweep forgets scopes idle for StateTTL with nothing in flight.
func (lo *local) sweep(now time.Time) {
	lo.mu.Lock()
	defer lo.mu.Unlock()
	for k, s := range lo.scopes {
		if s.conc == 0 && s.q.r == 0 && now.Sub(s.seen) > lo.cfg.StateTTL {
			delete(lo.scopes, k)
		}
	}
}
