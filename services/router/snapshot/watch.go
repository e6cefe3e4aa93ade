package snapshot

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1/snapshotv1connect"
)

// Defaults for WatcherOptions fields left zero.
const (
	DefaultBackoffMin   = 250 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	DefaultStallTimeout = 20 * time.Second
	DefaultCacheGrace   = 3 * time.Second
	DefaultSaveInterval = 5 * time.Second
)

// WatcherOptions configures a Watcher.
type WatcherOptions struct {
	Client        snapshotv1connect.SnapshotServiceClient
	InternalToken string
	RouterID      string
	Version       string
	Store         *Store
	// Cache, when set, is read at start and written after changes.
	Cache *Cache
	// CacheGrace is how long a router holding only its cached snapshot
	// waits for control before serving from the cache.
	CacheGrace time.Duration
	// BackoffMin and BackoffMax bound the jittered wait between attempts.
	BackoffMin, BackoffMax time.Duration
	// StallTimeout ends a stream that delivered nothing, not even a
	// heartbeat, for that long.
	StallTimeout time.Duration
	// SaveInterval spaces cache writes out.
	SaveInterval time.Duration
	Logger       *zap.Logger
	Metrics      *Metrics // nil: unregistered series
}

// Watcher keeps a Store current from control's Watch stream.
type Watcher struct {
	opts WatcherOptions
	log  *zap.Logger
	m    *Metrics

	mu        sync.Mutex
	cur       *Index // latest state, published or (cache, before grace) not
	published bool

	dirty   chan struct{}
	running atomic.Bool
}

// ErrRunning is returned by a second concurrent Run of one Watcher.
var ErrRunning = errors.New("snapshot: watcher already running")

// NewWatcher returns a watcher; Run starts it.
func NewWatcher(opts WatcherOptions) *Watcher {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(prometheus.NewRegistry())
	}
	opts.CacheGrace = orDefault(opts.CacheGrace, DefaultCacheGrace)
	opts.BackoffMin = orDefault(opts.BackoffMin, DefaultBackoffMin)
	opts.BackoffMax = max(orDefault(opts.BackoffMax, DefaultBackoffMax), opts.BackoffMin)
	opts.StallTimeout = orDefault(opts.StallTimeout, DefaultStallTimeout)
	opts.SaveInterval = orDefault(opts.SaveInterval, DefaultSaveInterval)
	return &Watcher{opts: opts, log: opts.Logger.Named("snapshot"), m: opts.Metrics, dirty: make(chan struct{}, 1)}
}

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// Run watches until ctx ends, reconnecting with jittered exponential
// backoff. It returns nil when ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer w.running.Store(false)
	if w.opts.Cache != nil {
		w.loadCache(ctx)
	}
	var saver sync.WaitGroup
	if w.opts.Cache != nil {
		saver.Go(func() { w.saveLoop(ctx) })
	}
	defer saver.Wait()

	attempt := 0
	for ctx.Err() == nil {
		got, err := w.stream(ctx)
		w.m.connected.Set(0)
		if ctx.Err() != nil {
			break
		}
		if got {
			attempt = 0
		}
		w.m.reconnects.Inc()
		wait := w.backoff(attempt)
		attempt++
		w.log.Warn("snapshot watch ended, reconnecting",
			zap.Error(err), zap.Duration("in", wait), zap.Int64("revision", w.revision()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	return nil
}

// backoff is "full jitter": uniform in [min, min·2^attempt], capped.
func (w *Watcher) backoff(attempt int) time.Duration {
	ceil := w.opts.BackoffMax
	if attempt < 30 {
		ceil = min(w.opts.BackoffMin<<attempt, w.opts.BackoffMax)
	}
	return w.opts.BackoffMin + rand.N(ceil-w.opts.BackoffMin+1)
}

func (w *Watcher) loadCache(ctx context.Context) {
	x, problems, err := w.opts.Cache.Load()
	switch {
	case errors.Is(err, ErrNoCache):
		return
	case err != nil:
		w.log.Warn("snapshot cache unusable, waiting for control", zap.Error(err))
		return
	}
	w.logProblems(problems)
	w.mu.Lock()
	w.cur = x
	w.mu.Unlock()
	w.log.Info("snapshot cache loaded", zap.Int64("revision", x.Revision()))
	// Serve the cache only if control does not answer in time: it may be
	// stale (a revoked key) and control usually answers at once.
	t := time.AfterFunc(w.opts.CacheGrace, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.published && w.cur != nil {
			w.publishLocked(w.cur, "cache")
			w.log.Warn("control unreachable, serving the cached snapshot", zap.Int64("revision", w.cur.Revision()))
		}
	})
	context.AfterFunc(ctx, func() { t.Stop() })
}

func (w *Watcher) revision() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return 0
	}
	return w.cur.Revision()
}

// stream runs one Watch call; got reports whether anything arrived.
func (w *Watcher) stream(parent context.Context) (got bool, err error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	errStalled := &ErrProtocol{Problem: "nothing received within the stall timeout"}
	stall := time.AfterFunc(w.opts.StallTimeout, func() { cancel(errStalled) })
	defer stall.Stop()

	req := connect.NewRequest(&snapshotv1.WatchRequest{
		RouterId: w.opts.RouterID, Version: w.opts.Version, Revision: w.revision(),
	})
	req.Header().Set("Authorization", "Bearer "+w.opts.InternalToken)
	st, err := w.opts.Client.Watch(ctx, req)
	if err != nil {
		return false, err
	}
	defer st.Close()
	w.m.connected.Set(1)

	var full *builder
	var fullRev int64
	for st.Receive() {
		stall.Reset(w.opts.StallTimeout)
		got = true
		switch k := st.Msg().GetKind().(type) {
		case *snapshotv1.WatchResponse_Page:
			p := k.Page
			if p.GetFirst() {
				full, fullRev = newBuilder(nil), p.GetRevision()
			} else if full == nil || p.GetRevision() != fullRev {
				return got, &ErrProtocol{Problem: "snapshot page out of sequence"}
			}
			for _, e := range p.GetEntities() {
				full.upsert(e)
			}
			if p.GetLast() {
				x := full.finish(fullRev)
				w.logProblems(full.problems)
				full = nil
				w.mu.Lock()
				w.publishLocked(x, "full")
				w.mu.Unlock()
				tokens, users, channels, models, groups := x.Counts()
				w.log.Info("snapshot received", zap.Int64("revision", fullRev), zap.Int("tokens", tokens),
					zap.Int("users", users), zap.Int("channels", channels), zap.Int("models", models), zap.Int("groups", groups))
			}
		case *snapshotv1.WatchResponse_Changes:
			if full != nil {
				return got, &ErrProtocol{Problem: "changes inside a full snapshot"}
			}
			w.applyChanges(k.Changes)
		case *snapshotv1.WatchResponse_Heartbeat:
			w.mu.Lock()
			if !w.published && w.cur != nil && k.Heartbeat.GetRevision() == w.cur.Revision() {
				w.publishLocked(w.cur, "cache") // control confirmed the cache is current
			}
			w.mu.Unlock()
		}
	}
	if cause := context.Cause(ctx); cause == errStalled {
		return got, errStalled
	}
	return got, st.Err()
}

func (w *Watcher) applyChanges(ch *snapshotv1.Changes) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil || ch.GetRevision() <= w.cur.Revision() {
		return // a duplicate, or changes without a base to apply them to
	}
	x, problems := w.cur.Apply(ch)
	w.logProblems(problems)
	w.publishLocked(x, "changes")
	w.log.Debug("snapshot changes applied", zap.Int64("revision", x.Revision()),
		zap.Int("upserts", len(ch.GetUpserts())), zap.Int("tombstones", len(ch.GetTombstones())))
}

func (w *Watcher) publishLocked(x *Index, kind string) {
	w.cur, w.published = x, true
	w.opts.Store.Publish(x)
	w.m.updates.WithLabelValues(kind).Inc()
	w.m.revision.Set(float64(x.Revision()))
	w.m.updated.SetToCurrentTime()
	if kind != "cache" {
		select {
		case w.dirty <- struct{}{}:
		default:
		}
	}
}

// logProblems names entities that arrived unusable; never their secrets.
func (w *Watcher) logProblems(problems []error) {
	const shown = 5
	for i, p := range problems {
		if i == shown {
			w.log.Warn("more unusable snapshot entities", zap.Int("count", len(problems)-shown))
			return
		}
		w.log.Warn("unusable snapshot entity", zap.Error(p))
	}
}

// saveLoop writes the published index to the cache at most once per
// SaveInterval, and once more on the way out.
func (w *Watcher) saveLoop(ctx context.Context) {
	var saved *Index
	save := func() {
		w.mu.Lock()
		x, ok := w.cur, w.published
		w.mu.Unlock()
		if !ok || x == saved {
			return
		}
		if err := w.opts.Cache.Save(x); err != nil {
			w.m.cacheSaves.WithLabelValues("error").Inc()
			w.log.Warn("snapshot cache not written", zap.Error(err))
			return
		}
		saved = x
		w.m.cacheSaves.WithLabelValues("ok").Inc()
	}
	for {
		select {
		case <-ctx.Done():
			save()
			return
		case <-w.dirty:
			save()
		}
		t := time.NewTimer(w.opts.SaveInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			save()
			return
		case <-t.C:
		}
	}
}
