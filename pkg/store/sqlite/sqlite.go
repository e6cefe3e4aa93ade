// Package sqlite is the embedded, single-file implementation of store.Store,
// on the pure-Go SQLite of modernc.org/sqlite. It serves `burncloud dev`
// when no Postgres is configured.
//
// The file runs in WAL mode with two pools: one connection for every write
// and a few read-only connections. The single write connection is the
// single writer: database/sql hands it to one transaction at a time and
// queues the rest (honouring their contexts), so writers in this process
// never meet SQLITE_BUSY and revisions are allocated in commit order without
// further locking. WAL lets readers keep reading their own consistent
// snapshot while a write is in progress. Write transactions begin
// IMMEDIATE and busy_timeout covers another process opening the same file.
// Committed changes wake Subscribe's channels directly, in process.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"go.uber.org/zap"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/burncloud/burncloud/pkg/store"
)

// Options tune a Store; the zero value is usable.
type Options struct {
	Logger *zap.Logger
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before failing (default 5s).
	BusyTimeout time.Duration
	// ReadConns caps the read pool (default GOMAXPROCS, at least 2).
	ReadConns int
	// ChangeRetention is how long change-log entries are kept for
	// reconnecting holders (default 24h; negative: never pruned). Older
	// holders get a full snapshot instead.
	ChangeRetention time.Duration
	// PruneInterval is how often the change log is pruned (default 5m).
	PruneInterval time.Duration
}

func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.BusyTimeout < 0 {
		errs = append(errs, fmt.Errorf("sqlite: BusyTimeout must not be negative, got %v", o.BusyTimeout))
	}
	if o.PruneInterval < 0 {
		errs = append(errs, fmt.Errorf("sqlite: PruneInterval must not be negative, got %v", o.PruneInterval))
	}
	if o.ReadConns < 0 {
		errs = append(errs, fmt.Errorf("sqlite: ReadConns must not be negative, got %d", o.ReadConns))
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns == 0 {
		o.ReadConns = max(2, runtime.GOMAXPROCS(0))
	}
	if o.ChangeRetention == 0 {
		o.ChangeRetention = 24 * time.Hour
	}
	if o.PruneInterval == 0 {
		o.PruneInterval = 5 * time.Minute
	}
	return o, nil
}

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	store.Direct         // the Tx methods: reads on the pool, writes each in a transaction
	w            *sql.DB // exactly one connection: the single writer
	r            *sql.DB // read-only connections
	log          *zap.Logger
	hub          hub

	stop context.CancelFunc
	wg   sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// Open opens the database file at path, creating it when missing, and
// brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: path: %w", err)
	}
	w, err := sql.Open("sqlite", dsn(abs, opts, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, opts.Logger); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(abs, opts, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: open reader: %w", err)
	}
	bg, stop := context.WithCancel(context.Background())
	s := &Store{w: w, r: r, log: opts.Logger, stop: stop}
	s.Direct = store.Direct{Read: func() store.Tx { return s.reader() }, Write: s.InTx}
	s.hub.subs = map[int]chan struct{}{}
	if opts.ChangeRetention > 0 {
		s.wg.Add(1)
		go s.pruneLoop(bg, opts.ChangeRetention, opts.PruneInterval)
	}
	return s, nil
}

// dsn builds a file: URI, so that any character in the path survives (a
// plain name would lose everything after a '?').
//
// synchronous=FULL syncs the WAL at every commit: billing acknowledges a
// usage event once Settle returns, so a commit must survive power loss.
func dsn(abs string, opts Options, writer bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(opts.BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "1")
	if writer {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "FULL")
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// Close stops the pruner and closes both pools. Subscribers are not woken.
func (s *Store) Close() {
	s.stop()
	s.wg.Wait()
	if err := s.r.Close(); err != nil {
		s.log.Warn("sqlite: close reader", zap.Error(err))
	}
	if err := s.w.Close(); err != nil {
		s.log.Warn("sqlite: close writer", zap.Error(err))
	}
}

// Ping checks that the file answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }
