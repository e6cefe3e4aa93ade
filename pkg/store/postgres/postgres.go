// Package postgres is the Postgres implementation of store.Store, on pgx.
//
// Every write transaction takes one revision from a single-row counter as
// its last statement and appends the keys it changed to the change log under
// it; a NOTIFY on the channel burncloud_changes, delivered at commit, wakes
// the subscribers of every replica, which then read the change log.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/store"
)

// Options tune a Store; the zero value is usable.
type Options struct {
	Logger *zap.Logger
	// Migrate applies pending migrations before opening (see Migrate).
	Migrate bool
	// MaxConns caps the pool; 0 keeps pgx's default.
	MaxConns int32
	// ChangeRetention is how long change-log entries are kept for
	// reconnecting holders (default 24h; negative: never pruned). Older
	// holders get a full snapshot instead.
	ChangeRetention time.Duration
	// PruneInterval is how often the change log is pruned (default 5m).
	PruneInterval time.Duration
	// ListenBackoff is the first delay before reconnecting the LISTEN
	// connection (default 100ms); it doubles up to ListenMaxBackoff (default 10s).
	ListenBackoff    time.Duration
	ListenMaxBackoff time.Duration
	// ListenPing is how often an idle LISTEN connection is checked (default 30s).
	ListenPing time.Duration
	// Tracer, when set, sees every query of the pool (e.g. OpenTelemetry).
	Tracer pgx.QueryTracer
}

func (o Options) withDefaults() (Options, error) {
	var errs []error
	for name, d := range map[string]time.Duration{
		"PruneInterval": o.PruneInterval, "ListenBackoff": o.ListenBackoff,
		"ListenMaxBackoff": o.ListenMaxBackoff, "ListenPing": o.ListenPing,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("postgres: %s must not be negative, got %v", name, d))
		}
	}
	if o.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("postgres: MaxConns must not be negative, got %d", o.MaxConns))
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.ChangeRetention == 0 {
		o.ChangeRetention = 24 * time.Hour
	}
	if o.PruneInterval == 0 {
		o.PruneInterval = 5 * time.Minute
	}
	if o.ListenBackoff == 0 {
		o.ListenBackoff = 100 * time.Millisecond
	}
	if o.ListenMaxBackoff == 0 {
		o.ListenMaxBackoff = 10 * time.Second
	}
	if o.ListenMaxBackoff < o.ListenBackoff {
		o.ListenMaxBackoff = o.ListenBackoff
	}
	if o.ListenPing == 0 {
		o.ListenPing = 30 * time.Second
	}
	return o, nil
}

// Store is the Postgres store. It is safe for concurrent use.
type Store struct {
	store.Direct // the Tx methods: reads on the pool, writes each in a transaction
	pool         *pgxpool.Pool
	log          *zap.Logger
	opts         Options
	hub          hub

	listenCfg *pgx.ConnConfig
	// Observed by tests: the LISTEN connection's backend and how often it connected.
	listenPID      atomic.Uint32
	listenConnects atomic.Int64

	stop context.CancelFunc
	wg   sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// Open connects to dsn, checks (or with Options.Migrate, brings) the schema
// up to date and starts the change listener and the change-log pruner.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	// Unnest-fed statements have poor row estimates that trigger JIT
	// compilation costing tens of milliseconds on statements that run in one.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	if opts.Migrate {
		if err := migrate(ctx, dsn, opts.Logger); err != nil {
			return nil, err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: pool: %w", err)
	}
	if err := checkSchema(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}

	listenCfg := cfg.ConnConfig.Copy()
	// A timed-out wait must leave the connection usable for the liveness
	// ping, so cancel by deadline rather than by a server cancel request.
	listenCfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	bg, stop := context.WithCancel(context.Background())
	s := &Store{
		pool:      pool,
		log:       opts.Logger,
		opts:      opts,
		listenCfg: listenCfg,
		stop:      stop,
	}
	s.Direct = store.Direct{Read: func() store.Tx { return s.reader() }, Write: s.InTx}
	s.hub.subs = map[int]chan struct{}{}
	s.wg.Add(1)
	go s.listen(bg)
	if opts.ChangeRetention > 0 {
		s.wg.Add(1)
		go s.pruneLoop(bg)
	}
	return s, nil
}

// Close stops the background work and closes the pool.
func (s *Store) Close() {
	s.stop()
	s.wg.Wait()
	s.pool.Close()
}

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
