package control

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/events"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/store/postgres"
)

// Main is the whole command line of burncloud-control: `migrate` runs the
// migrations and exits; anything else is flags for Run. It returns the exit
// code: 0 done, 1 failed while running, 2 bad configuration.
func Main(ctx context.Context, args []string, env func(string) (string, bool), stderr io.Writer) int {
	if len(args) > 0 && args[0] == "migrate" {
		return migrateMain(ctx, args[1:], env, stderr)
	}
	cfg, err := LoadConfig(args, env)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "burncloud-control: bad configuration:\n%v\n", err)
		return 2
	}
	logger, err := ops.NewLogger(cfg.LogLevel, stderr, isTerminal(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "burncloud-control: %v\n", err)
		return 2
	}
	defer logger.Sync() //nolint:errcheck // nothing to do about a failed flush at exit
	if err := Run(ctx, cfg, logger); err != nil {
		logger.Error("control stopped", zap.Error(err))
		return 1
	}
	return 0
}

func migrateMain(ctx context.Context, args []string, env func(string) (string, bool), stderr io.Writer) int {
	cfg, err := LoadMigrateConfig(args, env)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "burncloud-control migrate: bad configuration:\n%v\n", err)
		return 2
	}
	if err := postgres.Migrate(ctx, cfg.DatabaseURL); err != nil {
		fmt.Fprintf(stderr, "burncloud-control migrate: %v\n", err)
		return 1
	}
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && ops.IsTerminal(f)
}

// Run is one control replica until ctx ends: it migrates and opens Postgres,
// ensures the usage streams, applies the bootstrap file, serves (h2c, so
// gRPC works without TLS) and drains.
func Run(ctx context.Context, cfg Config, logger *zap.Logger) error {
	if logger == nil {
		logger = zap.NewNop()
	}
	cfg = withDefaults(cfg)
	stopProfiling, err := ops.StartProfiling(ops.ProfilingConfig{
		URL: cfg.PyroscopeURL, AppName: "burncloud-control", Tags: map[string]string{"replica": cfg.ReplicaID},
	}, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := stopProfiling(); err != nil {
			logger.Warn("stop profiling", zap.Error(err))
		}
	}()

	st, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Logger: logger.Named("store"), Migrate: true})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer st.Close()

	srv, err := New(ctx, cfg, Deps{Store: st, Logger: logger})
	if err != nil {
		return err
	}
	srv.Health().SetNotReady("starting")

	if cfg.NATSURL != "" {
		nc, err := nats.Connect(cfg.NATSURL, nats.Name("burncloud-control"),
			nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("connect to NATS: %w", err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return fmt.Errorf("jetstream: %w", err)
		}
		// Routers spool while the streams are missing, so serving the admin
		// API and snapshots need not wait for NATS.
		go ensureStreams(ctx, js, cfg.Streams, logger)
	} else {
		logger.Warn("BURNCLOUD_NATS_URL is empty: usage streams are not managed by this replica")
	}

	if cfg.SeedCatalogue {
		if err := srv.SeedCatalogue(ctx); err != nil {
			return err
		}
	}
	if cfg.BootstrapFile != "" {
		if err := srv.ApplyFile(ctx, cfg.BootstrapFile); err != nil {
			return err
		}
	}

	ln, err := ops.Listen(cfg.Addr)
	if err != nil {
		return err
	}
	httpSrv := ops.NewHTTPServer(srv.Handler(), ops.ServerOptions{UnencryptedHTTP2: true, Logger: logger})
	srv.Health().SetReady(true)
	return ops.Serve(ctx, httpSrv, ln, ops.ServeOptions{
		Health:         srv.Health(),
		ReadinessDelay: cfg.ReadinessDelay,
		DrainTimeout:   cfg.DrainTimeout,
		OnShutdown:     srv.Shutdown,
		Logger:         logger,
	})
}

// ensureStreams retries until the streams exist or ctx ends.
func ensureStreams(ctx context.Context, js jetstream.JetStream, opts events.Options, log *zap.Logger) {
	backoff := time.Second
	for {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := events.EnsureStreams(actx, js, opts)
		cancel()
		if err == nil {
			log.Info("usage streams ready", zap.String("stream", opts.UsageStream()), zap.String("dlq", opts.DLQStream()))
			return
		}
		log.Error("cannot ensure usage streams; retrying", zap.Error(err), zap.Duration("in", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
}
