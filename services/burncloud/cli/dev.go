package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/config"
	"github.com/burncloud/burncloud/pkg/events"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/pkg/store/postgres"
	"github.com/burncloud/burncloud/pkg/store/sqlite"
	"github.com/burncloud/burncloud/services/billing"
	"github.com/burncloud/burncloud/services/control"
	"github.com/burncloud/burncloud/services/router"
)

// Settings of the dev gateway that differ from the services' defaults.
const (
	DefaultDevAddr = ":3000"
	// devRouterID names the one router in usage subjects and the fleet view.
	devRouterID = "dev"
	// devStreamMaxBytes bounds the usage stream on a laptop's disk; JetStream
	// reserves it up front, so the production default (10 GiB) would fail
	// on a small disk.
	devStreamMaxBytes = 1 << 30
	// devStopTimeout bounds each shutdown step after the HTTP drain.
	devStopTimeout = 10 * time.Second
)

// Environment variables `burncloud dev` reads besides the CLI's own.
const (
	EnvDatabaseURL   = "BURNCLOUD_DATABASE_URL"
	EnvBootstrapFile = "BURNCLOUD_BOOTSTRAP_FILE"
	EnvLogLevel      = "BURNCLOUD_LOG_LEVEL"
	EnvPyroscopeURL  = "BURNCLOUD_PYROSCOPE_URL"
)

type devOptions struct {
	addr string
	demo bool
}

func devCommand(s *session) *cobra.Command {
	var o devOptions
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a whole gateway in one process: router, control, billing, NATS and a local store",
		Long: `dev runs router, control and billing in one process on one port: /v1/* and
/v1beta/* are the LLM APIs, the Connect admin API and / are control. An
embedded NATS server with JetStream keeps the usage events in the data
folder, limits are local (no Redis), and the store is BURNCLOUD_DATABASE_URL
(Postgres) or, unset, the SQLite file burncloud.db in the data folder.

The first start generates the master secret, the internal token and the
admin key and keeps them in the data folder (owner-only files). The URL and
admin key are written there too, so the other burncloud commands find this
gateway without any setting.

--demo also creates a channel to a built-in fake upstream (the only private
address the router may then reach), the priced models demo-model and
gpt-4o-mini, and a user "demo" whose key is printed at start. Applying the
demo again changes nothing but the fake's port; a start without --demo
leaves an earlier demo in place, with no fake upstream behind its channel.`,
		Example: `  burncloud dev --demo
  burncloud chat
  burncloud usage --by model`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return s.runDev(cmd.Context(), o) },
	}
	cmd.Flags().StringVar(&o.addr, "addr", DefaultDevAddr, "listen address of the gateway (LLM APIs, admin API, /metrics)")
	cmd.Flags().BoolVar(&o.demo, "demo", false, "create a demo channel to the built-in fake upstream, priced models and a demo key")
	return cmd
}

// devGateway is what runDev started, in the order it is stopped.
type devGateway struct {
	dir     string
	log     *zap.Logger
	secrets devSecrets
	nats    *embeddedNATS
	baseURL string
	store   string // which store, for the banner
	demo    bool
}

func (s *session) runDev(ctx context.Context, o devOptions) error {
	g := &devGateway{dir: DataDir(s.flagDataDir, s.env), demo: o.demo}
	if err := os.MkdirAll(g.dir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	lock, err := lockDataDir(g.dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	level := "info"
	if v, ok := s.env(EnvLogLevel); ok && v != "" {
		level = v
	}
	g.log, err = ops.NewLogger(level, s.errOut, isTerminal(s.errOut))
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", EnvLogLevel, err)}
	}
	defer func() { _ = g.log.Sync() }()
	pyroscope, _ := s.env(EnvPyroscopeURL)
	stopProfiling, err := ops.StartProfiling(ops.ProfilingConfig{URL: pyroscope, AppName: "burncloud-dev"}, g.log)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfiling() }()
	if g.secrets, err = loadSecrets(g.dir, s.env, o.demo); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}

	st, err := g.openStore(ctx, s.env)
	if err != nil {
		return err
	}
	defer st.Close()
	if g.nats, err = startNATS(g.dir, g.log); err != nil {
		return err
	}
	defer g.nats.Close()
	ln, err := ops.Listen(o.addr)
	if err != nil {
		return err
	}
	g.baseURL = baseURLOf(ln.Addr())
	p, err := g.build(ctx, st, s.env)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer p.closeFake()
	return g.serve(ctx, p, ln, s)
}

// openStore opens Postgres when BURNCLOUD_DATABASE_URL is set, else the
// SQLite file in the data folder.
func (g *devGateway) openStore(ctx context.Context, env Lookup) (store.Store, error) {
	if dsn, ok := env(EnvDatabaseURL); ok && dsn != "" {
		st, err := postgres.Open(ctx, dsn, postgres.Options{Migrate: true, Logger: g.log.Named("store")})
		if err != nil {
			return nil, fmt.Errorf("open database (%s): %w", EnvDatabaseURL, err)
		}
		g.store = "Postgres (" + EnvDatabaseURL + ")"
		return st, nil
	}
	path := filepath.Join(g.dir, sqliteFile)
	st, err := sqlite.Open(ctx, path, sqlite.Options{Logger: g.log.Named("store")})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	g.store = "SQLite " + path
	return st, nil
}

// baseURLOf is the URL this machine reaches a listener at: loopback when it
// listens on every interface.
func baseURLOf(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := "127.0.0.1"
	if !ta.IP.IsUnspecified() && ta.IP != nil {
		host = ta.IP.String()
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(ta.Port))
}

// routerConfig is the router's configuration as burncloud-router would load
// it, with what the dev gateway decides laid over the environment.
func (g *devGateway) routerConfig(env Lookup) (router.Config, error) {
	fixed := map[string]string{
		"BURNCLOUD_CONTROL_URL":    g.baseURL,
		"BURNCLOUD_INTERNAL_TOKEN": g.secrets.InternalToken,
		"BURNCLOUD_SECRET":         g.secrets.Secret,
		"BURNCLOUD_NATS_URL":       g.nats.URL(),
		"BURNCLOUD_SPOOL_DIR":      filepath.Join(g.dir, "spool"),
		"BURNCLOUD_SNAPSHOT_CACHE": filepath.Join(g.dir, "router-snapshot.bin"),
		"BURNCLOUD_ROUTER_ID":      devRouterID,
		"BURNCLOUD_ROUTER_ADDR":    DefaultDevAddr, // unused: the gateway listens
		"BURNCLOUD_REDIS_URL":      "",             // local limits
	}
	lookup := config.Lookup(func(k string) (string, bool) {
		if v, ok := fixed[k]; ok {
			return v, true
		}
		return env(k)
	})
	cfg, err := router.LoadConfig(nil, lookup)
	if err != nil {
		return router.Config{}, fmt.Errorf("router configuration: %w", err)
	}
	return cfg, nil
}

func controlConfig(sec devSecrets, env Lookup) control.Config {
	return control.Config{
		Secret:         sec.Secret,
		InternalToken:  sec.InternalToken,
		AdminKey:       sec.AdminKey,
		SeedCatalogue:  true,
		ReplicaID:      "dev",
		ReadinessDelay: 0,
		Streams:        events.Options{MaxBytes: devStreamMaxBytes},
		Env:            env,
	}
}

// billingConfig is burncloud-billing's defaults.
func billingConfig() billing.Config { return billing.Defaults() }

// shortPath shows path relative to the working directory when it is inside it.
func shortPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}
