package limits

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"
)

// Admission is one admitted request. Exactly one of Finish and Release
// takes effect; later calls, and calls on a nil Admission, do nothing.
// Defer Release right after Admit so that panics and early returns
// release too.
type Admission struct {
	l     *Limiter
	done  atomic.Bool
	start time.Time

	shared bool
	keys   []string
	member string
	win    int64

	loc *localAdmission

	// g is the grant the request was admitted from, gEst and gRes what it
	// drew from it.
	g          *grant
	gEst, gRes int64

	remaining int64
	rate      RateState
}

// Rate is the tightest request and token limit the admission counted
// against; zero when none applied (and for a nil Admission).
func (a *Admission) Rate() RateState {
	if a == nil {
		return RateState{}
	}
	return a.rate
}

// Remaining is the nano-USD still available after this reservation at the
// tighter of the token and the user; -1 when neither has a quota.
func (a *Admission) Remaining() int64 {
	if a == nil {
		return -1
	}
	return a.remaining
}

// Local reports whether the admission was decided without Redis.
func (a *Admission) Local() bool { return a != nil && a.loc != nil }

// Finish releases the concurrency slots, replaces the reservation with
// actualCost (nano-USD, what the usage event bills) and corrects TPM to
// actualTokens (input plus output). ctx may already be cancelled (a client
// that went away); the settlement still runs, bounded by CallTimeout.
func (a *Admission) Finish(ctx context.Context, actualCost, actualTokens int64) {
	if a == nil || !a.done.CompareAndSwap(false, true) {
		return
	}
	a.l.settle(context.WithoutCancel(ctx), a, max(actualCost, 0), max(actualTokens, 0))
}

// Release gives the reservation and the slots back without cost, for
// requests that failed before producing output, panics and disconnects
// before the upstream answered. TPM counts no tokens for it.
func (a *Admission) Release(ctx context.Context) {
	if a == nil || !a.done.CompareAndSwap(false, true) {
		return
	}
	a.l.settle(context.WithoutCancel(ctx), a, 0, 0)
}

// settlement is a Finish or Release bound for Redis.
type settlement struct {
	keys         []string
	member       string
	win          int64
	cost, tokens int64
	// first: the admission may already have expired, and its spend must
	// still count. Retries of an attempt that may have run set it false
	// so that nothing counts twice.
	first bool
}

func (s *settlement) args() (string, string) {
	b := make([]byte, 0, 48)
	b = strconv.AppendInt(b, s.win, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.tokens, 10)
	b = append(b, ' ')
	if s.first {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	return strconv.FormatInt(s.cost, 10), string(b)
}

func (l *Limiter) settle(ctx context.Context, a *Admission, cost, tokens int64) {
	l.unhold(a)
	if a.g != nil {
		a.g.finish(a.gEst, a.gRes, cost, tokens)
		return
	}
	if a.loc != nil {
		l.local.finish(a.loc, cost, tokens)
		return
	}
	s := settlement{keys: a.keys, member: a.member, win: a.win, cost: cost, tokens: tokens, first: true}
	if l.degraded.Load() {
		s.first = false
		l.enqueue(s)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, l.cfg.CallTimeout)
	defer cancel()
	costArg, numArg := s.args()
	start := time.Now()
	err := l.script.Run(cctx, l.rdb, s.keys, "f", s.member, costArg, numArg).Err()
	l.m.redisSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		l.m.redisErrors.Inc()
		s.first = false
		if isReply(err) {
			l.replyError(err)
			return
		}
		l.enqueue(s)
		l.down(err)
	}
}

// hold tracks a for renewal and for the MaxHold sweep.
func (l *Limiter) hold(a *Admission) {
	l.liveMu.Lock()
	l.live[a] = struct{}{}
	l.liveMu.Unlock()
}

func (l *Limiter) unhold(a *Admission) {
	l.liveMu.Lock()
	delete(l.live, a)
	l.liveMu.Unlock()
}

// enqueue keeps a settlement until Redis answers again. A full queue drops
// it: the reservation then expires by TTL and billing still counts the
// spend.
func (l *Limiter) enqueue(s settlement) {
	l.pendingMu.Lock()
	defer l.pendingMu.Unlock()
	if len(l.pending) >= l.cfg.MaxPending {
		l.m.pendingDropped.Inc()
		return
	}
	l.pending = append(l.pending, s)
	l.m.pending.Set(float64(len(l.pending)))
}
