// Package router is BurnCloud's data plane: it authenticates LLM API
// requests against the snapshot control pushes, routes them to upstream
// channels, passes the answers through and emits one usage event per
// authenticated request.
package router

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/services/router/limits"
)

// Config is burncloud-router's configuration.
type Config struct {
	Addr          string
	ControlURL    string
	InternalToken string
	Secret        string
	NATSURL       string
	SpoolDir      string
	// SpoolSyncInterval: 0 fsyncs every group commit.
	SpoolSyncInterval time.Duration
	// SpoolCommitDelay: how long an event waits for others to share its
	// spool write; 0 writes at once.
	SpoolCommitDelay time.Duration
	// SnapshotCache is the sealed copy of the last good snapshot.
	SnapshotCache         string
	AllowPrivateUpstreams bool
	// GoogleTokenURL, when set, receives every Vertex token grant instead
	// of the token_uri of the channel's service-account key.
	GoogleTokenURL string
	LogLevel       string
	PyroscopeURL   string
	RouterID       string

	// MaxBodyBytes bounds a client's request body (413 above).
	MaxBodyBytes int
	// MaxResponseBytes bounds a non-streamed upstream answer, which is held
	// whole to price it before the client sees it.
	MaxResponseBytes int
	// MaxEventBytes bounds one event of an upstream stream.
	MaxEventBytes     int
	MaxHeaderBytes    int
	ReadHeaderTimeout time.Duration
	// Channel timeouts used when a channel sets none.
	ConnectTimeout   time.Duration
	FirstByteTimeout time.Duration
	IdleTimeout      time.Duration
	TotalTimeout     time.Duration
	// MaxAttempts bounds upstream attempts per request, failovers included.
	MaxAttempts int

	BreakerFailures   int
	BreakerWindow     int
	BreakerOpenDelay  time.Duration
	AuthCooldown      time.Duration
	RateLimitCooldown time.Duration

	// CacheGrace is how long to wait for control before serving from the
	// snapshot cache.
	CacheGrace     time.Duration
	ReadinessDelay time.Duration
	DrainTimeout   time.Duration

	// RedisURL shares limits across the fleet; empty keeps them local.
	RedisURL string
	// FleetSize divides channel limits, and the others while Redis is
	// unreachable, into this router's share.
	FleetSize    int
	LimitsWindow time.Duration
	// LimitsFallback is what every limit kind does while Redis is
	// unreachable: local, open or closed.
	LimitsFallback string
	// LimitsReservationTTL frees the reservations of a router that died
	// this long after its last renewal.
	LimitsReservationTTL time.Duration
	// LimitsGrantMax bounds the requests one grant admits without Redis;
	// 0 turns grants off.
	LimitsGrantMax int
	// LimitsAdaptive learns a concurrency limit per channel from upstream
	// pushback (429s, low rate-limit headers): multiplicative decrease by
	// LimitsAdaptiveBackoffPercent, signals within LimitsAdaptiveGap merged,
	// the limit forgotten LimitsAdaptiveForget after the last signal.
	LimitsAdaptive               bool
	LimitsAdaptiveBackoffPercent int
	LimitsAdaptiveGap            time.Duration
	LimitsAdaptiveForget         time.Duration
	// LimitsCallTimeout bounds one Redis call of the limiter.
	LimitsCallTimeout time.Duration
}

// Defaults of the settings that have one.
const (
	DefaultAddr             = ":8080"
	DefaultMaxBodyBytes     = 32 << 20
	DefaultMaxResponseBytes = 64 << 20
	DefaultMaxEventBytes    = 4 << 20
	DefaultMaxAttempts      = 3
	// A router crash loses no written event; JetStream itself fsyncs
	// every two minutes by default (decision 0012).
	DefaultSpoolSyncInterval = 100 * time.Millisecond
	// Events of requests finishing within 2 ms share one write, and the
	// work it sets off runs after the answer rather than beside it
	// (decision 0014).
	DefaultSpoolCommitDelay = 2 * time.Millisecond
	DefaultConnectTimeout   = 10 * time.Second
	// Non-streamed answers of reasoning models arrive whole after minutes.
	DefaultFirstByteTimeout = 10 * time.Minute
	DefaultIdleTimeout      = 2 * time.Minute
	DefaultTotalTimeout     = 30 * time.Minute
)

// LoadConfig reads flags and BURNCLOUD_* variables and reports every problem
// at once.
func LoadConfig(args []string, env config.Lookup) (Config, error) {
	var c Config
	host, _ := os.Hostname()
	s := config.NewSet("burncloud-router", env)
	s.Addr(&c.Addr, "addr", "BURNCLOUD_ROUTER_ADDR", DefaultAddr, "listen address for the LLM APIs, /metrics, /healthz and /readyz")
	s.URL(&c.ControlURL, "control-url", "BURNCLOUD_CONTROL_URL", "http://127.0.0.1:8081", "control's URL, for the snapshot Watch",
		config.Required, config.Schemes("http", "https"))
	s.String(&c.InternalToken, "internal-token", "BURNCLOUD_INTERNAL_TOKEN", "", "token routers present to control", config.Required, config.Secret)
	s.String(&c.Secret, "secret", "BURNCLOUD_SECRET", "", "deployment master secret", config.Required, config.Secret)
	s.URL(&c.NATSURL, "nats-url", "BURNCLOUD_NATS_URL", "nats://127.0.0.1:4222", "NATS URL for usage events", config.Schemes("nats", "tls"))
	s.String(&c.SpoolDir, "spool-dir", "BURNCLOUD_SPOOL_DIR", filepath.Join(".burncloud", "spool"), "directory of the usage-event spool")
	s.Duration(&c.SpoolSyncInterval, "spool-sync-interval", "BURNCLOUD_SPOOL_SYNC_INTERVAL", DefaultSpoolSyncInterval,
		"longest a written usage event waits for its fsync (a process crash loses nothing; a machine crash at most this much); 0 fsyncs every group commit")
	s.Duration(&c.SpoolCommitDelay, "spool-commit-delay", "BURNCLOUD_SPOOL_COMMIT_DELAY", DefaultSpoolCommitDelay,
		"how long a usage event waits for others to share its spool write; 0 writes at once")
	s.String(&c.SnapshotCache, "snapshot-cache", "BURNCLOUD_SNAPSHOT_CACHE", filepath.Join(".burncloud", "router-snapshot.bin"),
		"file holding the last good snapshot, sealed; empty disables it")
	s.Bool(&c.AllowPrivateUpstreams, "allow-private-upstreams", "BURNCLOUD_ALLOW_PRIVATE_UPSTREAMS", false,
		"let channels reach loopback, private and link-local addresses")
	s.URL(&c.GoogleTokenURL, "google-token-url", "BURNCLOUD_GOOGLE_TOKEN_URL", "",
		"OAuth2 token endpoint for Vertex channels' service accounts; empty uses each key's token_uri", config.Schemes("http", "https"))
	s.LogLevel(&c.LogLevel, "log-level", "BURNCLOUD_LOG_LEVEL", "info", "debug, info, warn or error")
	s.URL(&c.PyroscopeURL, "pyroscope-url", "BURNCLOUD_PYROSCOPE_URL", "", "Pyroscope server; empty disables profiling",
		config.Secret, config.Schemes("http", "https"))
	s.String(&c.RouterID, "router-id", "BURNCLOUD_ROUTER_ID", host, "this router's id in usage events and the fleet view")
	s.Int(&c.MaxBodyBytes, "max-body-bytes", "BURNCLOUD_MAX_BODY_BYTES", DefaultMaxBodyBytes, "largest request body accepted")
	s.Int(&c.MaxResponseBytes, "max-response-bytes", "", DefaultMaxResponseBytes, "largest non-streamed upstream answer")
	s.Int(&c.MaxEventBytes, "max-event-bytes", "", DefaultMaxEventBytes, "largest event of an upstream stream")
	s.Int(&c.MaxHeaderBytes, "max-header-bytes", "", 64<<10, "largest request header block")
	s.Duration(&c.ReadHeaderTimeout, "read-header-timeout", "", 10*time.Second, "time a client has to send its headers")
	s.Duration(&c.ConnectTimeout, "connect-timeout", "BURNCLOUD_UPSTREAM_CONNECT_TIMEOUT", DefaultConnectTimeout, "default upstream connect timeout")
	s.Duration(&c.FirstByteTimeout, "first-byte-timeout", "BURNCLOUD_UPSTREAM_FIRST_BYTE_TIMEOUT", DefaultFirstByteTimeout,
		"default wait for an upstream's response headers")
	s.Duration(&c.IdleTimeout, "idle-timeout", "BURNCLOUD_UPSTREAM_IDLE_TIMEOUT", DefaultIdleTimeout, "default longest gap in an upstream's answer")
	s.Duration(&c.TotalTimeout, "total-timeout", "BURNCLOUD_UPSTREAM_TOTAL_TIMEOUT", DefaultTotalTimeout, "default longest upstream attempt")
	s.Int(&c.MaxAttempts, "max-attempts", "BURNCLOUD_MAX_ATTEMPTS", DefaultMaxAttempts, "upstream attempts per request, failovers included")
	s.Int(&c.BreakerFailures, "breaker-failures", "", 5, "failures among the last --breaker-window attempts that open a breaker")
	s.Int(&c.BreakerWindow, "breaker-window", "", 10, "attempts a breaker looks back on")
	s.Duration(&c.BreakerOpenDelay, "breaker-open-delay", "", 30*time.Second, "time an open breaker waits before a probe")
	s.Duration(&c.AuthCooldown, "auth-cooldown", "", 5*time.Minute, "rest of an upstream key the provider refused (401/403)")
	s.Duration(&c.RateLimitCooldown, "rate-limit-cooldown", "", 10*time.Second, "rest of a key after a 429 without Retry-After")
	s.Duration(&c.CacheGrace, "cache-grace", "", 3*time.Second, "wait for control before serving the cached snapshot")
	s.Duration(&c.ReadinessDelay, "readiness-delay", "BURNCLOUD_READINESS_DELAY", 0, "keep serving this long with /readyz failing before shutdown")
	s.Duration(&c.DrainTimeout, "drain-timeout", "BURNCLOUD_DRAIN_TIMEOUT", 25*time.Second, "longest wait for in-flight streams at shutdown")
	s.String(&c.RedisURL, "redis-url", "BURNCLOUD_REDIS_URL", "",
		"Redis for fleet-wide limits and quota reservations (redis://[user:password@]host:port[/db]); empty: local-only limits", config.Secret)
	s.Int(&c.FleetSize, "fleet-size", "BURNCLOUD_FLEET_SIZE", 1, "routers in the fleet; channel limits (and the others without Redis) are divided by it")
	s.Duration(&c.LimitsWindow, "limits-window", "BURNCLOUD_LIMITS_WINDOW", limits.DefaultWindow, "length of an RPM/TPM window")
	s.Duration(&c.LimitsReservationTTL, "limits-reservation-ttl", "BURNCLOUD_LIMITS_RESERVATION_TTL", limits.DefaultReservationTTL,
		"how long a dead router's quota reservations and concurrency slots outlive it")
	s.Duration(&c.LimitsCallTimeout, "limits-call-timeout", "BURNCLOUD_LIMITS_CALL_TIMEOUT", limits.DefaultCallTimeout,
		"longest wait for one Redis call before limits are decided locally until Redis answers again")
	s.Int(&c.LimitsGrantMax, "limits-grant-max", "BURNCLOUD_LIMITS_GRANT_MAX", limits.DefaultGrantMax,
		"most requests admitted from one grant without a Redis call, for keys far from their limits; 0 decides every request in Redis")
	s.Bool(&c.LimitsAdaptive, "limits-adaptive", "BURNCLOUD_LIMITS_ADAPTIVE", true,
		"learn a concurrency limit per channel from upstream 429s and rate-limit headers")
	s.Int(&c.LimitsAdaptiveBackoffPercent, "limits-adaptive-backoff-percent", "BURNCLOUD_LIMITS_ADAPTIVE_BACKOFF_PERCENT",
		limits.DefaultAdaptiveBackoffPercent, "what one congestion signal leaves of a channel's learned concurrency, in percent")
	s.Duration(&c.LimitsAdaptiveGap, "limits-adaptive-gap", "BURNCLOUD_LIMITS_ADAPTIVE_GAP", limits.DefaultAdaptiveGap,
		"congestion signals this close to a decrease count as the same event")
	s.Duration(&c.LimitsAdaptiveForget, "limits-adaptive-forget", "BURNCLOUD_LIMITS_ADAPTIVE_FORGET", limits.DefaultAdaptiveForget,
		"a learned channel limit is dropped this long after its last congestion signal")
	s.String(&c.LimitsFallback, "limits-fallback", "BURNCLOUD_LIMITS_FALLBACK", string(limits.FallbackLocal),
		"what limits do while Redis is unreachable: local, open or closed")
	err := s.Parse(args)
	if err != nil && !isFieldErrors(err) {
		return c, err // help or a malformed command line
	}
	return c, errors.Join(err, c.validate())
}

func isFieldErrors(err error) bool {
	var fe *config.FieldError
	return errors.As(err, &fe)
}

// Validate reports every setting out of range.
func (c Config) validate() error {
	var errs []error
	bad := func(env, flag, problem string) {
		name := "--" + flag
		if env != "" {
			name = env + " (--" + flag + ")"
		}
		errs = append(errs, fmt.Errorf("%s: %s", name, problem))
	}
	if c.Secret != "" && len(c.Secret) < secrets.MinMasterLen {
		bad("BURNCLOUD_SECRET", "secret", fmt.Sprintf("must be at least %d bytes", secrets.MinMasterLen))
	}
	if c.RouterID == "" {
		bad("BURNCLOUD_ROUTER_ID", "router-id", "must be set (the host name is not available)")
	}
	positive := []struct {
		env, flag string
		v         int64
	}{
		{"BURNCLOUD_MAX_BODY_BYTES", "max-body-bytes", int64(c.MaxBodyBytes)},
		{"", "max-response-bytes", int64(c.MaxResponseBytes)},
		{"", "max-event-bytes", int64(c.MaxEventBytes)},
		{"", "max-header-bytes", int64(c.MaxHeaderBytes)},
		{"BURNCLOUD_MAX_ATTEMPTS", "max-attempts", int64(c.MaxAttempts)},
		{"", "breaker-failures", int64(c.BreakerFailures)},
		{"", "read-header-timeout", int64(c.ReadHeaderTimeout)},
		{"BURNCLOUD_UPSTREAM_CONNECT_TIMEOUT", "connect-timeout", int64(c.ConnectTimeout)},
		{"BURNCLOUD_UPSTREAM_FIRST_BYTE_TIMEOUT", "first-byte-timeout", int64(c.FirstByteTimeout)},
		{"BURNCLOUD_UPSTREAM_IDLE_TIMEOUT", "idle-timeout", int64(c.IdleTimeout)},
		{"BURNCLOUD_UPSTREAM_TOTAL_TIMEOUT", "total-timeout", int64(c.TotalTimeout)},
		{"", "breaker-open-delay", int64(c.BreakerOpenDelay)},
		{"", "auth-cooldown", int64(c.AuthCooldown)},
		{"", "rate-limit-cooldown", int64(c.RateLimitCooldown)},
		{"BURNCLOUD_DRAIN_TIMEOUT", "drain-timeout", int64(c.DrainTimeout)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			bad(p.env, p.flag, "must be positive")
		}
	}
	if c.BreakerWindow < c.BreakerFailures {
		bad("", "breaker-window", "must be at least --breaker-failures")
	}
	if c.MaxAttempts > 20 {
		bad("BURNCLOUD_MAX_ATTEMPTS", "max-attempts", "must be at most 20")
	}
	if c.RedisURL != "" {
		if _, err := limits.RedisOptions(c.RedisURL); err != nil {
			bad("BURNCLOUD_REDIS_URL", "redis-url", "is not a valid URL (redis://[user:password@]host:port[/db] or rediss://)")
		}
	}
	if c.FleetSize < 1 {
		bad("BURNCLOUD_FLEET_SIZE", "fleet-size", "must be at least 1")
	}
	if c.LimitsWindow < time.Millisecond {
		bad("BURNCLOUD_LIMITS_WINDOW", "limits-window", "must be at least 1ms")
	}
	if c.LimitsReservationTTL < time.Millisecond || c.LimitsReservationTTL > limits.DefaultStateTTL {
		bad("BURNCLOUD_LIMITS_RESERVATION_TTL", "limits-reservation-ttl", "must be between 1ms and 24h")
	}
	if c.SpoolSyncInterval < 0 || c.SpoolSyncInterval > time.Minute {
		bad("BURNCLOUD_SPOOL_SYNC_INTERVAL", "spool-sync-interval", "must be between 0 (every commit) and 1m")
	}
	if c.SpoolCommitDelay < 0 || c.SpoolCommitDelay > 100*time.Millisecond {
		bad("BURNCLOUD_SPOOL_COMMIT_DELAY", "spool-commit-delay", "must be between 0 (at once) and 100ms")
	}
	if c.LimitsCallTimeout < time.Millisecond || c.LimitsCallTimeout > 10*time.Second {
		bad("BURNCLOUD_LIMITS_CALL_TIMEOUT", "limits-call-timeout", "must be between 1ms and 10s")
	}
	if c.LimitsGrantMax < 0 || c.LimitsGrantMax > 1<<16 {
		bad("BURNCLOUD_LIMITS_GRANT_MAX", "limits-grant-max", "must be between 0 (off) and 65536")
	}
	if c.LimitsAdaptiveBackoffPercent < 1 || c.LimitsAdaptiveBackoffPercent > 99 {
		bad("BURNCLOUD_LIMITS_ADAPTIVE_BACKOFF_PERCENT", "limits-adaptive-backoff-percent", "must be between 1 and 99")
	}
	if c.LimitsAdaptiveGap < time.Millisecond || c.LimitsAdaptiveGap > time.Minute {
		bad("BURNCLOUD_LIMITS_ADAPTIVE_GAP", "limits-adaptive-gap", "must be between 1ms and 1m")
	}
	if c.LimitsAdaptiveForget < time.Second || c.LimitsAdaptiveForget > 24*time.Hour {
		bad("BURNCLOUD_LIMITS_ADAPTIVE_FORGET", "limits-adaptive-forget", "must be between 1s and 24h")
	}
	if _, err := limits.ParseFallback(c.LimitsFallback); err != nil {
		bad("BURNCLOUD_LIMITS_FALLBACK", "limits-fallback", "must be local, open or closed")
	}
	if c.ReadinessDelay < 0 || c.CacheGrace < 0 {
		bad("", "readiness-delay/cache-grace", "must not be negative")
	}
	return errors.Join(errs...)
}
