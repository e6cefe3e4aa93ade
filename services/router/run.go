package router

import (
	"context"
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/ops"
)

// Run serves the router until ctx ends, then shuts down gracefully:
// readiness fails first, in-flight streams drain up to the deadline.
func Run(ctx context.Context, cfg Config, logger *zap.Logger) error {
	reg := ops.NewRegistry()
	sink := newUnpublishedSink(reg, logger)
	s, err := New(cfg, Deps{Logger: logger, Sink: sink, Registry: reg})
	if err != nil {
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
	syncCtx, stopSync := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var syncErr error
	wg.Go(func() { syncErr = s.Sync(syncCtx) })
	logger.Info("router starting", zap.String("router_id", cfg.RouterID), zap.String("addr", cfg.Addr),
		zap.Bool("allow_private_upstreams", cfg.AllowPrivateUpstreams))

	serveErr := ops.Serve(ctx, srv, ln, ops.ServeOptions{
		Health: s.Health(), ReadinessDelay: cfg.ReadinessDelay, DrainTimeout: cfg.DrainTimeout, Logger: logger,
	})
	// The snapshot stays current while streams drain.
	stopSync()
	wg.Wait()
	return errors.Join(serveErr, syncErr)
}

// unpublishedSink stands in until the spool and JetStream publisher are
// wired: it counts events and says once that they go nowhere.
type unpublishedSink struct {
	dropped prometheus.Counter
	log     *zap.Logger
	once    sync.Once
}

func newUnpublishedSink(reg prometheus.Registerer, log *zap.Logger) *unpublishedSink {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "burncloud_router_events_unpublished_total",
		Help: "Usage events dropped because no publisher is configured.",
	})
	reg.MustRegister(c)
	return &unpublishedSink{dropped: c, log: log}
}

func (u *unpublishedSink) Publish(*usagev1.UsageEvent) {
	u.dropped.Inc()
	u.once.Do(func() { u.log.Warn("usage events are not published: no publisher is configured") })
}
