package route

import (
	"math/rand/v2"
	"time"

	"github.com/burncloud/burncloud/services/router/snapshot"
)

// Outcome is how an attempt went, as far as routing cares.
type Outcome uint8

const (
	// Succeeded: the provider answered (2xx, or a 4xx about the request).
	Succeeded Outcome = iota
	// Failed: no usable answer (connection error, timeout, 5xx, a body
	// cut before anything reached the client). The next attempt goes to
	// another channel.
	Failed
	// RateLimited: 429. The key rests; the next attempt may use another
	// key of the same channel.
	RateLimited
	// Refused: 401 or 403, the key is bad. It rests for longer.
	Refused
	// Abandoned: the client went away before the provider answered.
	Abandoned
)

// Plan yields the attempts of one request: tiers from the highest
// priority, channels within a tier by weighted random choice without
// replacement, and for each channel a key that is neither resting nor
// behind an open breaker. The zero Plan yields nothing.
type Plan struct {
	h      *Health
	tiers  []snapshot.Tier
	accept func(*snapshot.Channel) bool

	// The channels of the current tier not yet picked. They live in
	// leftBuf, or in leftBig for large tiers; a slice of leftBuf stored in
	// the Plan would make it point into itself and escape to the heap.
	tier    int
	leftBuf [8]*snapshot.Channel
	leftBig []*snapshot.Channel
	leftN   int
	weight  int64

	cur   *snapshot.Channel
	curH  *channelHealth
	tried uint64 // keys of cur already tried, by index (channels hold at most 64)
}

// Plan starts a plan over tiers; accept, when set, filters channels (for
// example by type). A Plan must not be copied once Next was called.
func (h *Health) Plan(tiers []snapshot.Tier, accept func(*snapshot.Channel) bool) Plan {
	return Plan{h: h, tiers: tiers, accept: accept, tier: -1}
}

func (p *Plan) nextTier() bool {
	p.tier++
	if p.tier >= len(p.tiers) {
		p.leftN = 0
		return false
	}
	t := p.tiers[p.tier]
	if len(t.Channels) <= len(p.leftBuf) {
		p.leftBig = nil
		copy(p.leftBuf[:], t.Channels)
	} else {
		p.leftBig = append(p.leftBig[:0], t.Channels...)
	}
	p.leftN = len(t.Channels)
	p.weight = t.TotalWeight
	return true
}

func (p *Plan) left() []*snapshot.Channel {
	if p.leftBig != nil {
		return p.leftBig[:p.leftN]
	}
	return p.leftBuf[:p.leftN]
}

// pick removes and returns a channel of the current tier, chosen with
// probability proportional to its weight.
func (p *Plan) pick() *snapshot.Channel {
	for p.leftN == 0 {
		if !p.nextTier() {
			return nil
		}
	}
	left := p.left()
	i := 0
	if len(left) > 1 && p.weight > 0 {
		r := rand.Int64N(p.weight)
		for ; i < len(left)-1; i++ {
			r -= int64(left[i].Weight)
			if r < 0 {
				break
			}
		}
	}
	c := left[i]
	p.weight -= int64(c.Weight)
	left[i] = left[len(left)-1]
	p.leftN--
	return c
}

// Attempt is one try: a channel and one of its keys, with the permits of
// both breakers held. Exactly one of Done or Release must follow.
type Attempt struct {
	Channel *snapshot.Channel
	Key     snapshot.Key
	h       *Health
	ch      *channelHealth
	key     *keyHealth
}

// Next returns the next attempt after one that ended with prev (ignored
// for the first). It is false when no candidate is left.
func (p *Plan) Next(prev Outcome) (Attempt, bool) {
	now := time.Now().UnixNano()
	if p.cur != nil && (prev == RateLimited || prev == Refused) {
		// Another key of the same channel may still work.
		if a, ok := p.tryChannel(p.cur, p.curH, now); ok {
			return a, true
		}
	}
	for {
		c := p.pick()
		if c == nil {
			return Attempt{}, false
		}
		if p.accept != nil && !p.accept(c) {
			continue
		}
		p.cur, p.curH, p.tried = c, p.h.channel(c.Name), 0
		if a, ok := p.tryChannel(c, p.curH, now); ok {
			return a, true
		}
	}
}

func (p *Plan) tryChannel(c *snapshot.Channel, ch *channelHealth, now int64) (Attempt, bool) {
	n := len(c.Keys)
	if n == 0 || !mayPass(ch.breaker) {
		return Attempt{}, false
	}
	start := int(ch.next.Add(1) % uint32(n))
	for j := range n {
		i := (start + j) % n
		if i < 64 && p.tried&(1<<i) != 0 {
			continue
		}
		k := p.h.key(ch, c.Keys[i].ID)
		if k.coolUntil.Load() > now || !mayPass(k.breaker) {
			continue
		}
		if i < 64 {
			p.tried |= 1 << i
		}
		if !ch.breaker.TryAcquirePermit() {
			return Attempt{}, false
		}
		if !k.breaker.TryAcquirePermit() {
			release(ch.breaker) // lost a race for the key's probe
			continue
		}
		return Attempt{Channel: c, Key: c.Keys[i], h: p.h, ch: ch, key: k}, true
	}
	return Attempt{}, false
}

// Done records the outcome. retryAfter is the provider's Retry-After for a
// 429 (zero when absent).
func (a Attempt) Done(o Outcome, retryAfter time.Duration) {
	switch o {
	case Succeeded:
		a.ch.breaker.RecordSuccess()
		a.key.breaker.RecordSuccess()
	case Failed:
		a.ch.breaker.RecordFailure()
		a.key.breaker.RecordFailure()
	case RateLimited:
		// The provider is up; only this key is throttled.
		a.ch.breaker.RecordSuccess()
		a.key.breaker.RecordSuccess()
		d := a.h.opts.RateLimitCooldown
		if retryAfter > 0 {
			d = min(retryAfter, a.h.opts.MaxCooldown)
		}
		a.rest(d)
	case Refused:
		a.ch.breaker.RecordSuccess()
		a.key.breaker.RecordFailure()
		a.rest(a.h.opts.AuthCooldown)
	case Abandoned:
		a.Release()
	}
}

// Release gives the permits back without an outcome.
func (a Attempt) Release() {
	release(a.ch.breaker)
	release(a.key.breaker)
}

func (a Attempt) rest(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	for {
		old := a.key.coolUntil.Load()
		if old >= until || a.key.coolUntil.CompareAndSwap(old, until) {
			return
		}
	}
}
