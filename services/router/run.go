package router

import (
	"context"
	"errors"
	"sync"

	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/services/router/limits"
	"github.com/burncloud/burncloud/services/router/publish"
	"github.com/burncloud/burncloud/services/router/spool"
)

// Run serves the router until ctx ends, then shuts down gracefully:
// readiness fails first, in-flight streams drain up to the deadline.
func Run(ctx context.Context, cfg Config, logger *zap.Logger) error {
	reg := ops.NewRegistry()
	// NATS may be down at start: events wait in the spool meanwhile.
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("burncloud-router "+cfg.RouterID),
		nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	sp, err := spool.Open(spool.Options{Dir: cfg.SpoolDir, SyncInterval: cfg.SpoolSyncInterval, CommitDelay: cfg.SpoolCommitDelay, Logger: logger, Metrics: spool.NewMetrics(reg)})
	if err != nil {
		return fmt.Errorf("open spool: %w", err)
	}
	pub, err := publish.New(nc, sp, publish.Config{RouterID: cfg.RouterID}, logger, publish.NewMetrics(reg))
	if err != nil {
		_ = sp.Close()
		return fmt.Errorf("start publisher: %w", err)
	}
	lim, rdb, err := newLimiter(cfg, logger, reg)
	if err != nil {
		_ = pub.Close(context.Background())
		return err
	}
	if rdb != nil {
		defer func() { _ = rdb.Close() }()
	}
	s, err := New(cfg, Deps{Logger: logger, Sink: pub, Registry: reg, Limiter: lim})
	if err != nil {
		_ = pub.Close(context.Background())
		return err
	}
	stopProfiling, err := ops.StartProfiling(ops.ProfilingConfig{
		URL: cfg.PyroscopeURL, AppName: "burncloud-router", Tags: map[string]string{"instance": cfg.RouterID},
	}, logger)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfiling() }()

	ln, err := ops.Listen(cfg.Addr)
	if err != nil {
		return err
	}
	srv := ops.NewHTTPServer(s.Handler(), ops.ServerOptions{
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, MaxHeaderBytes: cfg.MaxHeaderBytes, Logger: logger,
	})
	lim.Prepare(ctx)
	syncCtx, stopSync := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var syncErr error
	wg.Go(func() { syncErr = s.Sync(syncCtx) })
	// Reservations are renewed while streams drain.
	wg.Go(func() { _ = lim.Run(syncCtx) })
	logger.Info("router starting", zap.String("router_id", cfg.RouterID), zap.String("addr", cfg.Addr),
		zap.Bool("allow_private_upstreams", cfg.AllowPrivateUpstreams), zap.Bool("shared_limits", rdb != nil),
		zap.Int("fleet_size", cfg.FleetSize))

	serveErr := ops.Serve(ctx, srv, ln, ops.ServeOptions{
		Health: s.Health(), ReadinessDelay: cfg.ReadinessDelay, DrainTimeout: cfg.DrainTimeout, Logger: logger,
	})
	// The snapshot stays current while streams drain.
	stopSync()
	wg.Wait()
	// Streams have drained: flush the spool and publish what NATS takes in time.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.DrainTimeout)
	defer cancel()
	pubErr := pub.Close(flushCtx)
	if pubErr != nil {
		logger.Warn("events left in the spool for the next start", zap.Error(pubErr))
	}
	return errors.Join(serveErr, syncErr)
}

// newLimiter builds the limiter, shared through Redis when cfg names one.
// The client connects lazily: Redis being down at start only degrades the
// limits to local ones.
func newLimiter(cfg Config, logger *zap.Logger, reg prometheus.Registerer) (*limits.Limiter, *redis.Client, error) {
	fallback, err := limits.ParseFallback(cfg.LimitsFallback)
	if err != nil {
		return nil, nil, err
	}
	var rdb *redis.Client
	d := limits.Deps{Logger: logger.Named("limits"), Registry: reg}
	if cfg.RedisURL != "" {
		opts, err := limits.RedisOptions(cfg.RedisURL)
		if err != nil {
			return nil, nil, err
		}
		rdb = redis.NewClient(opts)
		d.Redis = rdb
	}
	lim, err := limits.New(limitsConfig(cfg, fallback), d)
	if err != nil {
		if rdb != nil {
			_ = rdb.Close()
		}
		return nil, nil, err
	}
	return lim, rdb, nil
}
