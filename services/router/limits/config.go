package limits

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fallback is what a limit kind does while Redis is unreachable.
type Fallback string

// Fallbacks.
const (
	// FallbackLocal enforces the limit with this router's own state.
	FallbackLocal Fallback = "local"
	// FallbackOpen does not enforce the limit.
	FallbackOpen Fallback = "open"
	// FallbackClosed refuses requests the limit applies to (503).
	FallbackClosed Fallback = "closed"
)

// Config tunes the limiter. Zero fields take the defaults below.
type Config struct {
	// KeyPrefix starts every Redis key; it must not contain braces.
	KeyPrefix string
	// Window is the length of an RPM/TPM window.
	Window time.Duration
	// ReservationTTL is how long an admission outlives the last renewal
	// of its router.
	ReservationTTL time.Duration
	// MaxHold releases admissions that were never finished; it must
	// exceed the longest request the router allows.
	MaxHold time.Duration
	// StateTTL keeps a user's counters after its last request. It must
	// exceed the time billing takes to settle a request.
	StateTTL time.Duration
	// CallTimeout bounds one Redis call before the limiter degrades.
	CallTimeout time.Duration
	// ProbeInterval is how often a degraded limiter tries Redis again.
	ProbeInterval time.Duration
	// FleetSize divides shared limits into local ones (channel limits
	// always, the others while degraded).
	FleetSize int
	// Lease bounds, in nano-USD, what one router may spend per user and
	// per token beyond the snapshot while degraded.
	Lease int64
	// SettleLag is how long billing is expected to take to make spend
	// visible in the snapshot; the lease renews over it.
	SettleLag time.Duration
	// Fallbacks per limit kind while degraded.
	RateFallback, ConcurrencyFallback, QuotaFallback Fallback
	// PurgeBatch bounds the expired admissions one call cleans up.
	PurgeBatch int
	// MaxPending bounds the settlements queued while Redis is away.
	MaxPending int
	// AdaptiveOff turns off the concurrency limits learned per channel
	// from upstream pushback (adaptive.go).
	AdaptiveOff bool
	// AdaptiveBackoff is what a congestion signal multiplies a channel's
	// concurrency by, in (0, 1).
	AdaptiveBackoff float64
	// AdaptiveGap merges congestion signals: those within it of a
	// decrease are the same event.
	AdaptiveGap time.Duration
	// GrantMax is the most requests one grant admits without Redis; 0
	// turns grants off (grant.go).
	GrantMax int
	// GrantLife retires a grant: what it did not admit by then goes back.
	// Default: DefaultGrantLife, or a third of ReservationTTL if shorter.
	GrantLife time.Duration
	// GrantReport is how often finished requests of grants are reported
	// to Redis.
	GrantReport time.Duration
	// AdaptiveForget drops a learned limit this long after its last
	// congestion signal.
	AdaptiveForget time.Duration
}

// Defaults.
const (
	DefaultKeyPrefix      = "bc:lim:"
	DefaultWindow         = time.Minute
	DefaultReservationTTL = time.Minute
	DefaultMaxHold        = 35 * time.Minute
	DefaultStateTTL       = 24 * time.Hour
	DefaultCallTimeout    = 50 * time.Millisecond
	DefaultProbeInterval  = time.Second
	DefaultLease          = 10_000_000_000 // 10 USD
	DefaultSettleLag      = time.Minute
	DefaultPurgeBatch     = 64
	DefaultMaxPending     = 100_000
	// TCP Reno halves; 0.7 (CUBIC's factor) gives up less on one signal
	// when most attempts of a burst still succeed.
	DefaultAdaptiveBackoffPercent = 70
	DefaultAdaptiveBackoff        = DefaultAdaptiveBackoffPercent / 100.0
	DefaultAdaptiveGap            = time.Second
	DefaultAdaptiveForget         = 10 * time.Minute
	DefaultGrantMax               = 256
	DefaultGrantLife              = 2 * time.Second
	DefaultGrantReport            = 100 * time.Millisecond
)

func (c Config) withDefaults() Config {
	setDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultKeyPrefix
	}
	setDur(&c.Window, DefaultWindow)
	setDur(&c.ReservationTTL, DefaultReservationTTL)
	setDur(&c.MaxHold, DefaultMaxHold)
	setDur(&c.StateTTL, DefaultStateTTL)
	setDur(&c.CallTimeout, DefaultCallTimeout)
	setDur(&c.ProbeInterval, DefaultProbeInterval)
	setDur(&c.SettleLag, DefaultSettleLag)
	setDur(&c.AdaptiveGap, DefaultAdaptiveGap)
	setDur(&c.AdaptiveForget, DefaultAdaptiveForget)
	if c.GrantLife == 0 {
		// A grant retires well before its reservation could expire.
		c.GrantLife = max(min(DefaultGrantLife, c.ReservationTTL/3), time.Millisecond)
	}
	setDur(&c.GrantReport, DefaultGrantReport)
	if c.AdaptiveBackoff == 0 {
		c.AdaptiveBackoff = DefaultAdaptiveBackoff
	}
	if c.FleetSize == 0 {
		c.FleetSize = 1
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	for _, f := range []*Fallback{&c.RateFallback, &c.ConcurrencyFallback, &c.QuotaFallback} {
		if *f == "" {
			*f = FallbackLocal
		}
	}
	if c.PurgeBatch == 0 {
		c.PurgeBatch = DefaultPurgeBatch
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	return c
}

// validate reports every problem at once.
func (c Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if strings.ContainsAny(c.KeyPrefix, "{}") {
		bad("limits: key prefix %q must not contain braces", c.KeyPrefix)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"window", c.Window}, {"reservation TTL", c.ReservationTTL}, {"max hold", c.MaxHold},
		{"state TTL", c.StateTTL}, {"call timeout", c.CallTimeout}, {"probe interval", c.ProbeInterval},
		{"settle lag", c.SettleLag}, {"adaptive gap", c.AdaptiveGap}, {"adaptive forget", c.AdaptiveForget},
		{"grant life", c.GrantLife}, {"grant report", c.GrantReport},
	} {
		if d.v < time.Millisecond {
			bad("limits: %s must be at least 1ms, got %s", d.name, d.v)
		}
	}
	if c.StateTTL < c.ReservationTTL || c.StateTTL < c.Window*2 {
		bad("limits: state TTL %s must cover the reservation TTL and two windows", c.StateTTL)
	}
	if c.FleetSize < 1 {
		bad("limits: fleet size must be at least 1, got %d", c.FleetSize)
	}
	if c.Lease < 0 {
		bad("limits: lease must not be negative, got %d", c.Lease)
	}
	for _, f := range []struct {
		name string
		v    Fallback
	}{{"rate", c.RateFallback}, {"concurrency", c.ConcurrencyFallback}, {"quota", c.QuotaFallback}} {
		switch f.v {
		case FallbackLocal, FallbackOpen, FallbackClosed:
		default:
			bad("limits: %s fallback %q is not local, open or closed", f.name, f.v)
		}
	}
	if !(c.AdaptiveBackoff > 0 && c.AdaptiveBackoff < 1) {
		bad("limits: adaptive backoff must be between 0 and 1, got %v", c.AdaptiveBackoff)
	}
	if c.GrantMax < 0 || c.GrantMax > 1<<16 {
		bad("limits: grant max must be between 0 (off) and 65536, got %d", c.GrantMax)
	}
	if c.GrantMax > 0 && c.GrantLife >= c.ReservationTTL {
		bad("limits: grant life %s must be shorter than the reservation TTL %s", c.GrantLife, c.ReservationTTL)
	}
	if c.PurgeBatch < 1 {
		bad("limits: purge batch must be at least 1, got %d", c.PurgeBatch)
	}
	if c.MaxPending < 1 {
		bad("limits: max pending must be at least 1, got %d", c.MaxPending)
	}
	return errors.Join(errs...)
}

// ParseFallback reads a fallback from configuration.
func ParseFallback(s string) (Fallback, error) {
	switch f := Fallback(strings.ToLower(strings.TrimSpace(s))); f {
	case FallbackLocal, FallbackOpen, FallbackClosed:
		return f, nil
	case "":
		return FallbackLocal, nil
	}
	return "", fmt.Errorf("limits: fallback %q is not local, open or closed", s)
}

// RedisOptions turns BURNCLOUD_REDIS_URL into client options suited to the
// limiter: context deadlines bound every call, and commands are never
// retried by the client (a retried script could count twice).
func RedisOptions(url string) (*redis.Options, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		// The parser's message may quote the URL and so its password.
		return nil, errors.New("limits: the redis URL is not valid (redis://[user:password@]host:port[/db])")
	}
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
	o.DialTimeout = time.Second
	o.DialerRetries = 1
	return o, nil
}
