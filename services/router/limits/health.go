package limits

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// down switches to local decisions until a probe reaches Redis.
func (l *Limiter) down(err error) {
	if !l.degraded.CompareAndSwap(false, true) {
		return
	}
	l.degradedSince.Store(time.Now().UnixNano())
	l.m.degraded.Set(1)
	l.log.Warn("redis unreachable: limits are local until it returns",
		zap.Error(err), zap.Duration("probe_interval", l.cfg.ProbeInterval))
}

// up resumes shared limits once the queued settlements reached Redis.
func (l *Limiter) up() {
	if !l.degraded.CompareAndSwap(true, false) {
		return
	}
	l.m.degraded.Set(0)
	l.log.Info("redis reachable again: shared limits resumed",
		zap.Duration("degraded_for", time.Since(time.Unix(0, l.degradedSince.Load()))))
}

// admitLocal decides without Redis, each limit kind as configured.
func (l *Limiter) admitLocal(r *Request) (*Admission, error) {
	md := modes{rate: FallbackLocal, conc: FallbackLocal, quota: FallbackLocal, fleet: 1}
	if l.rdb != nil {
		md = modes{rate: l.cfg.RateFallback, conc: l.cfg.ConcurrencyFallback, quota: l.cfg.QuotaFallback, fleet: l.cfg.FleetSize}
		rate := r.TokenLimits.RPM > 0 || r.TokenLimits.TPM > 0 || r.UserLimits.RPM > 0 ||
			r.UserLimits.TPM > 0 || r.ModelLimits.RPM > 0 || r.ModelLimits.TPM > 0
		conc := r.TokenLimits.MaxConcurrency > 0 || r.UserLimits.MaxConcurrency > 0 || r.ModelLimits.MaxConcurrency > 0
		quota := r.TokenQuota.Limited || r.UserQuota.Limited
		for _, k := range []struct {
			applies bool
			mode    Fallback
			limit   Limit
		}{{rate, md.rate, limitRate}, {conc, md.conc, limitConcurrencyKind}, {quota, md.quota, limitQuotaKind}} {
			if !k.applies {
				continue
			}
			switch k.mode {
			case FallbackClosed:
				l.m.decision(k.limit, resultFailedClosed)
				return nil, &Refusal{Limit: k.limit, RetryAfter: l.cfg.ProbeInterval, Unavailable: true}
			case FallbackOpen:
				l.m.decision(k.limit, resultFailedOpen)
			}
		}
	}
	la, err := l.local.admit(r, md, time.Now())
	if err != nil {
		return nil, err
	}
	return &Admission{l: l, start: time.Now(), loc: la, remaining: la.left, rate: la.rate}, nil
}

// Prepare loads the script into Redis, so that the first requests of a
// burst do not each send its source (and time out compiling it). An
// unreachable Redis is left to the requests, which degrade.
func (l *Limiter) Prepare(ctx context.Context) {
	if l.rdb == nil {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 20*l.cfg.CallTimeout)
	defer cancel()
	if err := l.script.Load(cctx, l.rdb).Err(); err != nil {
		l.log.Warn("limits script not loaded at start", zap.Error(err))
	}
}

// Run renews held reservations, releases abandoned admissions, retries
// queued settlements and probes Redis while degraded, until ctx ends.
func (l *Limiter) Run(ctx context.Context) error {
	renew := time.NewTicker(max(l.cfg.ReservationTTL/3, time.Millisecond))
	defer renew.Stop()
	probe := time.NewTicker(l.cfg.ProbeInterval)
	defer probe.Stop()
	report := time.NewTicker(l.cfg.GrantReport)
	defer report.Stop()
	for {
		select {
		case <-ctx.Done():
			l.bg.Wait()
			if l.cfg.GrantMax > 0 && l.rdb != nil && !l.degraded.Load() {
				// Give the fleet back what this router's grants hold.
				l.reportGrants(context.WithoutCancel(ctx), time.Now(), true)
			}
			return nil
		case <-report.C:
			if l.cfg.GrantMax > 0 && l.rdb != nil && !l.degraded.Load() {
				l.reportGrants(ctx, time.Now(), false)
			}
		case <-renew.C:
			l.sweep(ctx)
		case <-probe.C:
			l.recover(ctx)
		}
	}
}

// sweep releases admissions held past MaxHold and renews the rest.
func (l *Limiter) sweep(ctx context.Context) {
	now := time.Now()
	var abandoned []*Admission
	byKey := make(map[string][]any)
	keysOf := make(map[string][]string)
	l.liveMu.Lock()
	for a := range l.live {
		switch {
		case now.Sub(a.start) > l.cfg.MaxHold:
			abandoned = append(abandoned, a)
		case a.shared:
			byKey[a.keys[1]] = append(byKey[a.keys[1]], a.member)
			keysOf[a.keys[1]] = a.keys
		}
	}
	l.liveMu.Unlock()
	for _, g := range l.grants.held() {
		byKey[g.keys[1]] = append(byKey[g.keys[1]], g.heldMember())
		keysOf[g.keys[1]] = g.keys
	}
	for _, a := range abandoned {
		l.m.abandoned.Inc()
		a.Release(ctx)
	}
	l.local.sweep(now)
	if len(byKey) == 0 || l.rdb == nil || l.degraded.Load() {
		return
	}
	ttl := fmtInts(l.cfg.ReservationTTL.Milliseconds(), l.cfg.StateTTL.Milliseconds())
	cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout*4)
	defer cancel()
	_, err := l.rdb.Pipelined(cctx, func(p redis.Pipeliner) error {
		for k, members := range byKey {
			args := append([]any{"r", ttl}, members...)
			l.script.EvalSha(cctx, p, keysOf[k], args...)
		}
		return nil
	})
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err = l.script.Load(cctx, l.rdb).Err(); err == nil {
			for k, members := range byKey {
				args := append([]any{"r", ttl}, members...)
				if err = l.script.Run(cctx, l.rdb, keysOf[k], args...).Err(); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		l.callFailed(err)
	}
}

// recover sends queued settlements and, while degraded, returns to shared
// limits once Redis answers and the queue is empty.
func (l *Limiter) recover(ctx context.Context) {
	if l.rdb == nil {
		return
	}
	l.pendingMu.Lock()
	n := len(l.pending)
	l.pendingMu.Unlock()
	if n == 0 && !l.degraded.Load() {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout*4)
	defer cancel()
	if err := l.rdb.Ping(cctx).Err(); err != nil {
		return
	}
	// A restarted Redis has no scripts; pipelined EVALSHA needs it loaded.
	if err := l.script.Load(cctx, l.rdb).Err(); err != nil {
		return
	}
	if !l.flush(ctx) {
		return
	}
	l.up()
}

// flush sends the queued settlements in pipelined batches; it reports
// whether the queue emptied.
func (l *Limiter) flush(ctx context.Context) bool {
	const batch = 256
	for {
		l.pendingMu.Lock()
		k := min(len(l.pending), batch)
		todo := append([]settlement(nil), l.pending[:k]...)
		l.pendingMu.Unlock()
		if k == 0 {
			return true
		}
		cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout*4)
		cmds, _ := l.rdb.Pipelined(cctx, func(p redis.Pipeliner) error {
			for i := range todo {
				cost, nums := todo[i].args()
				l.script.EvalSha(cctx, p, todo[i].keys, "f", todo[i].member, cost, nums)
			}
			return nil
		})
		cancel()
		for _, c := range cmds {
			err := c.Err()
			switch {
			case err == nil:
			case redis.HasErrorPrefix(err, "NOSCRIPT") || !isReply(err):
				// Not delivered: the whole batch is tried again (a
				// settlement applies at most once).
				l.m.redisErrors.Inc()
				return false
			default:
				// Redis refused this one; retrying cannot help.
				l.m.redisErrors.Inc()
				l.replyError(err)
			}
		}
		l.pendingMu.Lock()
		l.pending = append(l.pending[:0], l.pending[k:]...)
		l.m.pending.Set(float64(len(l.pending)))
		l.pendingMu.Unlock()
	}
}

func fmtInts(a, b int64) string {
	return strconv.FormatInt(a, 10) + " " + strconv.FormatInt(b, 10)
}
