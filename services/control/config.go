package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
	"github.com/burncloud/burncloud/pkg/events"
	"github.com/burncloud/burncloud/pkg/secrets"
)

// Config is everything control needs to run. LoadConfig fills it from flags
// and BURNCLOUD_* variables; `burncloud dev` may build one directly.
type Config struct {
	Addr           string // listen address, e.g. ":8081"
	DatabaseURL    string
	NATSURL        string // empty: no NATS, streams are not managed
	AdminKey       string // accepted as the owner; empty: disabled
	Secret         string // master secret, ≥ 16 bytes
	InternalToken  string // what routers present to SnapshotService
	BootstrapFile  string // declarative file applied at start; empty: none
	SeedCatalogue  bool   // create the default price catalogue on a first start
	LogLevel       string
	PyroscopeURL   string
	ReplicaID      string // names this replica in the fleet view; empty: host name
	CoalesceWindow time.Duration
	Heartbeat      time.Duration
	PollInterval   time.Duration // fallback when a change notification is missed
	PageSize       int           // entities per snapshot page
	ReadinessDelay time.Duration
	DrainTimeout   time.Duration
	Streams        events.Options
	// Env expands ${VAR} in the bootstrap file. LoadConfig sets it to the
	// lookup it was given.
	Env func(string) (string, bool)
}

// Defaults for the tunables.
const (
	DefaultAddr           = ":8081"
	DefaultNATSURL        = "nats://127.0.0.1:4222"
	DefaultCoalesceWindow = 100 * time.Millisecond
	DefaultHeartbeat      = 5 * time.Second
	DefaultPollInterval   = time.Second
	DefaultPageSize       = 500
	// DefaultReadinessDelay lets load balancers see /readyz fail before the
	// listener closes; with ops.DefaultDrainTimeout it fits Kubernetes' 30s.
	DefaultReadinessDelay = 3 * time.Second
	// maxRequestBytes bounds a request body: an 8 MiB declarative file and
	// its envelope.
	maxRequestBytes = 16 << 20
	maxPageSize     = 100000
)

// LoadConfig reads args (without the program name) and the environment
// through env, and reports every problem at once. It returns flag.ErrHelp
// after printing usage for --help.
func LoadConfig(args []string, env func(string) (string, bool)) (Config, error) {
	var c Config
	var maxBytes int
	s := config.NewSet("burncloud-control", env)
	s.Addr(&c.Addr, "addr", "BURNCLOUD_CONTROL_ADDR", DefaultAddr, "listen address of the admin API, SnapshotService and ops endpoints")
	s.URL(&c.DatabaseURL, "database-url", "BURNCLOUD_DATABASE_URL", "", "Postgres connection URL",
		config.Required, config.Secret, config.Schemes("postgres", "postgresql"))
	s.URL(&c.NATSURL, "nats-url", "BURNCLOUD_NATS_URL", DefaultNATSURL, "NATS server holding the usage streams; empty disables stream management",
		config.Secret, config.Schemes("nats", "tls", "ws", "wss"))
	// Secrets are read from the environment only: flags show in process lists.
	s.String(&c.AdminKey, "", "BURNCLOUD_ADMIN_KEY", "", "bootstrap owner credential", config.Secret)
	s.String(&c.Secret, "", "BURNCLOUD_SECRET", "", "deployment master secret (at least 16 bytes)", config.Required, config.Secret)
	s.String(&c.InternalToken, "", "BURNCLOUD_INTERNAL_TOKEN", "", "token routers present to watch snapshots", config.Required, config.Secret)
	s.String(&c.BootstrapFile, "bootstrap-file", "BURNCLOUD_BOOTSTRAP_FILE", "", "declarative file applied at start")
	s.Bool(&c.SeedCatalogue, "seed-catalogue", "BURNCLOUD_CONTROL_SEED_CATALOGUE", true, "create the default price catalogue when the store has no model")
	s.LogLevel(&c.LogLevel, "log-level", "BURNCLOUD_LOG_LEVEL", "info", "log level")
	s.URL(&c.PyroscopeURL, "pyroscope-url", "BURNCLOUD_PYROSCOPE_URL", "", "Pyroscope server for continuous profiling",
		config.Secret, config.Schemes("http", "https"))
	s.String(&c.ReplicaID, "replica-id", "BURNCLOUD_CONTROL_REPLICA_ID", "", "name of this replica in the fleet view (default: host name)")
	s.Duration(&c.CoalesceWindow, "coalesce-window", "BURNCLOUD_CONTROL_COALESCE_WINDOW", DefaultCoalesceWindow, "how long changes are gathered before they are pushed")
	s.Duration(&c.Heartbeat, "heartbeat", "BURNCLOUD_CONTROL_HEARTBEAT", DefaultHeartbeat, "interval of snapshot heartbeats")
	s.Duration(&c.PollInterval, "poll-interval", "BURNCLOUD_CONTROL_POLL_INTERVAL", DefaultPollInterval, "change log poll when no notification arrives")
	s.Int(&c.PageSize, "snapshot-page-size", "BURNCLOUD_SNAPSHOT_PAGE_SIZE", DefaultPageSize, "entities per full-snapshot page")
	s.Duration(&c.ReadinessDelay, "readiness-delay", "BURNCLOUD_CONTROL_READINESS_DELAY", DefaultReadinessDelay, "how long /readyz fails before the listener closes on shutdown")
	s.Duration(&c.DrainTimeout, "drain-timeout", "BURNCLOUD_CONTROL_DRAIN_TIMEOUT", 25*time.Second, "how long in-flight requests may finish on shutdown")
	s.Duration(&c.Streams.MaxAge, "usage-max-age", "BURNCLOUD_USAGE_MAX_AGE", events.DefaultMaxAge, "age after which usage events leave the stream")
	s.Int(&maxBytes, "usage-max-bytes", "BURNCLOUD_USAGE_MAX_BYTES", events.DefaultMaxBytes, "size of the usage stream in bytes (-1: unlimited)")
	s.Int(&c.Streams.Replicas, "usage-replicas", "BURNCLOUD_USAGE_REPLICAS", events.DefaultReplicas, "replicas of the usage streams")

	err := s.Parse(args)
	if err != nil && !isFieldErrors(err) {
		return Config{}, err // --help or a malformed command line
	}
	c.Streams.MaxBytes = int64(maxBytes)
	c.Env = env
	errs := []error{err}
	errs = append(errs, c.validate()...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// isFieldErrors tells the joined per-setting problems from a command line
// that could not be read at all.
func isFieldErrors(err error) bool {
	var fe *config.FieldError
	return errors.As(err, &fe) && !errors.Is(err, config.ErrUsage)
}

func invalid(env, detail string) error {
	return &config.FieldError{Env: env, Err: config.ErrInvalid, Detail: detail}
}

// validate checks what the binders cannot: lengths and ranges. Settings that
// failed to parse are left at their defaults and pass here, so each problem
// is reported once.
func (c Config) validate() []error {
	var errs []error
	if c.Secret != "" && len(c.Secret) < secrets.MinMasterLen {
		errs = append(errs, invalid("BURNCLOUD_SECRET", fmt.Sprintf("must be at least %d bytes", secrets.MinMasterLen)))
	}
	if c.InternalToken != "" && len(c.InternalToken) < secrets.MinMasterLen {
		errs = append(errs, invalid("BURNCLOUD_INTERNAL_TOKEN", fmt.Sprintf("must be at least %d bytes", secrets.MinMasterLen)))
	}
	if c.AdminKey != "" && len(c.AdminKey) < secrets.MinMasterLen {
		errs = append(errs, invalid("BURNCLOUD_ADMIN_KEY", fmt.Sprintf("must be at least %d bytes when set", secrets.MinMasterLen)))
	}
	positive := []struct {
		env string
		d   time.Duration
	}{
		{"BURNCLOUD_CONTROL_COALESCE_WINDOW", c.CoalesceWindow},
		{"BURNCLOUD_CONTROL_HEARTBEAT", c.Heartbeat},
		{"BURNCLOUD_CONTROL_POLL_INTERVAL", c.PollInterval},
		{"BURNCLOUD_CONTROL_DRAIN_TIMEOUT", c.DrainTimeout},
		{"BURNCLOUD_USAGE_MAX_AGE", c.Streams.MaxAge},
	}
	for _, p := range positive {
		if p.d <= 0 {
			errs = append(errs, invalid(p.env, "must be positive"))
		}
	}
	if c.ReadinessDelay < 0 {
		errs = append(errs, invalid("BURNCLOUD_CONTROL_READINESS_DELAY", "must not be negative"))
	}
	if c.PageSize < 1 || c.PageSize > maxPageSize {
		errs = append(errs, invalid("BURNCLOUD_SNAPSHOT_PAGE_SIZE", fmt.Sprintf("must be in 1..%d", maxPageSize)))
	}
	if c.Streams.MaxBytes < -1 || c.Streams.MaxBytes == 0 {
		errs = append(errs, invalid("BURNCLOUD_USAGE_MAX_BYTES", "must be positive or -1 (unlimited)"))
	}
	if c.Streams.Replicas < 1 || c.Streams.Replicas > 5 {
		errs = append(errs, invalid("BURNCLOUD_USAGE_REPLICAS", "must be in 1..5"))
	}
	return errs
}

// MigrateConfig is what `burncloud-control migrate` needs.
type MigrateConfig struct {
	DatabaseURL string
	LogLevel    string
}

// LoadMigrateConfig reads the settings of the migrate subcommand.
func LoadMigrateConfig(args []string, env func(string) (string, bool)) (MigrateConfig, error) {
	var c MigrateConfig
	s := config.NewSet("burncloud-control migrate", env)
	s.URL(&c.DatabaseURL, "database-url", "BURNCLOUD_DATABASE_URL", "", "Postgres connection URL",
		config.Required, config.Secret, config.Schemes("postgres", "postgresql"))
	s.LogLevel(&c.LogLevel, "log-level", "BURNCLOUD_LOG_LEVEL", "info", "log level")
	if err := s.Parse(args); err != nil {
		return MigrateConfig{}, err
	}
	return c, nil
}
