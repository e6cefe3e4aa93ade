// Package route picks the upstream channel and key for each attempt of a
// request and remembers how they fared: a failsafe-go circuit breaker per
// channel and per key, and per-key cooldowns after 401, 403 and 429.
package route

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
)

// Defaults for Options fields left zero.
const (
	DefaultFailureThreshold  = 5
	DefaultFailureWindow     = 10
	DefaultOpenDelay         = 30 * time.Second
	DefaultAuthCooldown      = 5 * time.Minute
	DefaultRateLimitCooldown = 10 * time.Second
	DefaultMaxCooldown       = 10 * time.Minute
)

// Options tunes the breakers and cooldowns.
type Options struct {
	// A breaker opens after FailureThreshold failures among the last
	// FailureWindow attempts, stays open for OpenDelay, then lets one probe
	// through.
	FailureThreshold uint
	FailureWindow    uint
	OpenDelay        time.Duration
	// AuthCooldown rests a key the provider refused (401, 403).
	AuthCooldown time.Duration
	// RateLimitCooldown rests a key after a 429 without Retry-After;
	// MaxCooldown caps what a Retry-After may ask for.
	RateLimitCooldown time.Duration
	MaxCooldown       time.Duration
	// OnStateChange, when set, hears every breaker transition; key is ""
	// for a channel's own breaker.
	OnStateChange func(channel, key string, state circuitbreaker.State)
}

func (o *Options) fill() {
	if o.FailureThreshold == 0 {
		o.FailureThreshold = DefaultFailureThreshold
	}
	o.FailureWindow = max(o.FailureWindow, o.FailureThreshold, DefaultFailureWindow)
	if o.OpenDelay <= 0 {
		o.OpenDelay = DefaultOpenDelay
	}
	if o.AuthCooldown <= 0 {
		o.AuthCooldown = DefaultAuthCooldown
	}
	if o.RateLimitCooldown <= 0 {
		o.RateLimitCooldown = DefaultRateLimitCooldown
	}
	if o.MaxCooldown <= 0 {
		o.MaxCooldown = DefaultMaxCooldown
	}
}

// Health remembers breakers and cooldowns across snapshots, by channel name
// and key id. It is safe for concurrent use.
type Health struct {
	opts     Options
	mu       sync.RWMutex
	channels map[string]*channelHealth
}

type channelHealth struct {
	name    string
	breaker circuitbreaker.CircuitBreaker[any]
	next    atomic.Uint32 // rotates the first key tried
	mu      sync.RWMutex
	keys    map[string]*keyHealth
}

type keyHealth struct {
	breaker   circuitbreaker.CircuitBreaker[any]
	coolUntil atomic.Int64 // unix nanoseconds
}

// NewHealth returns an empty registry.
func NewHealth(opts Options) *Health {
	opts.fill()
	return &Health{opts: opts, channels: make(map[string]*channelHealth)}
}

func (h *Health) newBreaker(channel, key string) circuitbreaker.CircuitBreaker[any] {
	b := circuitbreaker.NewBuilder[any]().
		WithFailureThresholdRatio(h.opts.FailureThreshold, h.opts.FailureWindow).
		WithSuccessThreshold(1).
		WithDelay(h.opts.OpenDelay)
	if f := h.opts.OnStateChange; f != nil {
		b = b.OnStateChanged(func(e circuitbreaker.StateChangedEvent) { f(channel, key, e.NewState) })
	}
	return b.Build()
}

func (h *Health) channel(name string) *channelHealth {
	h.mu.RLock()
	c := h.channels[name]
	h.mu.RUnlock()
	if c != nil {
		return c
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c = h.channels[name]; c == nil {
		c = &channelHealth{name: name, breaker: h.newBreaker(name, ""), keys: make(map[string]*keyHealth)}
		h.channels[name] = c
	}
	return c
}

func (h *Health) key(c *channelHealth, id string) *keyHealth {
	c.mu.RLock()
	k := c.keys[id]
	c.mu.RUnlock()
	if k != nil {
		return k
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k = c.keys[id]; k == nil {
		k = &keyHealth{breaker: h.newBreaker(c.name, id)}
		c.keys[id] = k
	}
	return k
}

// Prune forgets the breakers and cooldowns of channels and keys that no
// longer exist: exists(channel, "") asks about a channel, exists(channel,
// id) about one of its keys. Renamed channels and rotated keys would
// otherwise be remembered forever.
func (h *Health) Prune(exists func(channel, key string) bool) (channels, keys int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, c := range h.channels {
		if !exists(name, "") {
			delete(h.channels, name)
			channels++
			continue
		}
		c.mu.Lock()
		for id := range c.keys {
			if !exists(name, id) {
				delete(c.keys, id)
				keys++
			}
		}
		c.mu.Unlock()
	}
	return channels, keys
}

// BreakerState returns the state of a channel's breaker (key "") or of one
// of its keys; closed for ones never used.
func (h *Health) BreakerState(channel, key string) circuitbreaker.State {
	c := h.channel(channel)
	if key == "" {
		return c.breaker.State()
	}
	return h.key(c, key).breaker.State()
}

// mayPass reports whether a breaker would let an attempt through, without
// taking a permit.
func mayPass(b circuitbreaker.CircuitBreaker[any]) bool {
	switch b.State() {
	case circuitbreaker.OpenState:
		return b.RemainingDelay() <= 0
	default:
		return true
	}
}

// release gives back a permit that was taken but not used. Closed breakers
// do not count permits; a half-open one must hear an outcome or it would
// never probe again, and failure is the cautious one.
func release(b circuitbreaker.CircuitBreaker[any]) {
	if b.IsHalfOpen() {
		b.RecordFailure()
	}
}
