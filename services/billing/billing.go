package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/pkg/store/postgres"
)

// Deps are what Start needs besides Config; burncloud dev passes its own.
type Deps struct {
	Store    store.Store
	JS       jetstream.JetStream
	Logger   *zap.Logger
	Registry *prometheus.Registry
	Health   *ops.Health
}

// Retainer drops old request logs; the Postgres store is one.
type Retainer interface {
	DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error)
}

// Start creates the consumer, waiting for control to create the stream, and
// runs it and the retention loop until ctx ends.
func Start(ctx context.Context, cfg Config, d Deps) error {
	m := NewMetrics(d.Registry)
	var c *Consumer
	for {
		var err error
		c, err = NewConsumer(ctx, d.JS, d.Store, cfg.Consumer, d.Logger, m)
		if err == nil {
			break
		}
		d.Logger.Warn("waiting for the usage stream", zap.Error(err))
		if !sleep(ctx, 2*time.Second) {
			return nil
		}
	}
	d.Health.SetReady(true)
	if r, ok := d.Store.(Retainer); ok && cfg.RequestLogRetention > 0 {
		go retain(ctx, r, cfg.RequestLogRetention, m, d.Logger)
	}
	return c.Run(ctx)
}

func retain(ctx context.Context, r Retainer, keep time.Duration, m *Metrics, log *zap.Logger) {
	for {
		n, err := r.DeleteRequestLogsBefore(ctx, time.Now().Add(-keep))
		if err != nil && ctx.Err() == nil {
			log.Warn("request log retention failed", zap.Error(err))
		}
		m.retentionDelete.Add(float64(n))
		if !sleep(ctx, time.Hour) {
			return
		}
	}
}

// Run is burncloud-billing: Postgres, NATS, the consumer and the ops endpoints.
func Run(ctx context.Context, cfg Config, log *zap.Logger) error {
	stopProfiling, err := ops.StartProfiling(ops.ProfilingConfig{URL: cfg.PyroscopeURL, AppName: "burncloud-billing"}, log)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfiling() }()

	st, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("burncloud-billing"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}

	reg := ops.NewRegistry()
	health := new(ops.Health)
	health.SetNotReady("waiting for the usage stream")
	mux := http.NewServeMux()
	ops.Mount(mux, health, reg)
	ln, err := ops.Listen(cfg.Addr)
	if err != nil {
		return err
	}
	srv := ops.NewHTTPServer(mux, ops.ServerOptions{Logger: log})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- ops.Serve(ctx, srv, ln, ops.ServeOptions{Health: health, DrainTimeout: cfg.DrainTimeout, Logger: log})
	}()
	runErr := Start(ctx, cfg, Deps{Store: st, JS: js, Logger: log, Registry: reg, Health: health})
	cancel()
	return errors.Join(runErr, <-served)
}
