// Package control is BurnCloud's control plane: it owns Postgres, serves the
// admin API (Connect, gRPC and gRPC-Web) and pushes versioned snapshots to
// the routers.
//
// New builds a Server around a store; Handler serves it, so that
// `burncloud dev` can mount it on its own port. Run is the whole process:
// migrations, NATS streams, bootstrap file, serving and draining.
package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/events"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1/snapshotv1connect"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/services/control/declarative"
)

// Deps are what New needs besides its config.
type Deps struct {
	Store  store.Store // required
	Logger *zap.Logger // nil: no logs
	// JetStream, when set, gets the usage streams created or updated by New.
	JetStream jetstream.JetStream
	// Registry receives control's metrics and backs /metrics; nil: a new
	// ops.NewRegistry().
	Registry *prometheus.Registry
	// Now is the clock (token expiry, heartbeats); nil: time.Now.
	Now func() time.Time
}

// Server is one control replica. Its handlers are safe for concurrent use.
type Server struct {
	cfg      Config
	store    store.Store
	log      *zap.Logger
	keys     *secrets.Keyring
	sealer   *declarative.KeyringSealer
	health   *ops.Health
	registry *prometheus.Registry
	metrics  *metrics
	replica  string
	now      func() time.Time
	handler  http.Handler
	validate *validateInterceptor

	closing   chan struct{}
	closeOnce sync.Once
}

// ErrConfig is returned by New for a config it cannot run with.
var ErrConfig = errors.New("control: invalid config")

// New builds a replica. It ensures the usage streams when deps.JetStream is
// set. The Server starts ready; Run and `burncloud dev` flip Health as they
// start and stop.
func New(ctx context.Context, cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil {
		return nil, fmt.Errorf("%w: no store", ErrConfig)
	}
	cfg = withDefaults(cfg)
	if errs := cfg.validate(); len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	if cfg.InternalToken == "" {
		return nil, fmt.Errorf("%w: BURNCLOUD_INTERNAL_TOKEN is required", ErrConfig)
	}
	keys, err := secrets.New([]byte(cfg.Secret))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	s := &Server{
		cfg:      cfg,
		store:    deps.Store,
		log:      deps.Logger,
		keys:     keys,
		sealer:   declarative.NewKeyringSealer(keys),
		health:   &ops.Health{},
		registry: deps.Registry,
		now:      deps.Now,
		replica:  cfg.ReplicaID,
		closing:  make(chan struct{}),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.registry == nil {
		s.registry = ops.NewRegistry()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.replica == "" {
		host, _ := os.Hostname()
		s.replica = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if s.metrics, err = newMetrics(s.registry, procedures()); err != nil {
		return nil, fmt.Errorf("control: register metrics: %w", err)
	}
	if deps.JetStream != nil {
		if err := events.EnsureStreams(ctx, deps.JetStream, cfg.Streams); err != nil {
			return nil, err
		}
	}
	if s.handler, err = s.buildHandler(); err != nil {
		return nil, err
	}
	s.health.SetReady(true)
	return s, nil
}

// withDefaults fills the tunables a Config built by hand left zero.
func withDefaults(c Config) Config {
	if c.CoalesceWindow == 0 {
		c.CoalesceWindow = DefaultCoalesceWindow
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = ops.DefaultDrainTimeout
	}
	if c.Streams.MaxAge == 0 {
		c.Streams.MaxAge = events.DefaultMaxAge
	}
	if c.Streams.MaxBytes == 0 {
		c.Streams.MaxBytes = events.DefaultMaxBytes
	}
	if c.Streams.Replicas == 0 {
		c.Streams.Replicas = events.DefaultReplicas
	}
	if c.Env == nil {
		c.Env = os.LookupEnv
	}
	return c
}

// Handler serves every admin service and SnapshotService (Connect, gRPC and
// gRPC-Web) plus /healthz, /readyz and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Health is the replica's readiness, served on /readyz.
func (s *Server) Health() *ops.Health { return s.health }

// Registry holds the replica's metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Shutdown ends every Watch stream (routers reconnect elsewhere) so that the
// HTTP server can drain. Safe to call more than once.
func (s *Server) Shutdown() {
	s.closeOnce.Do(func() {
		s.health.SetNotReady("shutting down")
		close(s.closing)
	})
}

func (s *Server) buildHandler() (http.Handler, error) {
	validate, err := newValidateInterceptor()
	if err != nil {
		return nil, err
	}
	s.validate = validate
	auth := &authInterceptor{
		auth:  &authenticator{store: s.store, keys: s.keys, adminKey: s.cfg.AdminKey, now: s.now},
		rules: rules,
	}
	// Outermost first: metrics see the codes callers see; the error
	// boundary maps everything below it; auth runs before validation so
	// that strangers learn nothing about request rules.
	admin := connect.WithHandlerOptions(
		connect.WithReadMaxBytes(maxRequestBytes),
		connect.WithInterceptors(s.metrics.interceptor(), errorInterceptor(s.log), auth, validate),
	)
	internal := connect.WithHandlerOptions(
		connect.WithReadMaxBytes(maxRequestBytes),
		connect.WithInterceptors(s.metrics.interceptor(), errorInterceptor(s.log), internalAuth{token: s.cfg.InternalToken}, validate),
	)

	mux := http.NewServeMux()
	mux.Handle(adminv1connect.NewUserServiceHandler(userService{s}, admin))
	mux.Handle(adminv1connect.NewTokenServiceHandler(tokenService{s}, admin))
	mux.Handle(adminv1connect.NewChannelServiceHandler(channelService{s}, admin))
	mux.Handle(adminv1connect.NewModelServiceHandler(modelService{s}, admin))
	mux.Handle(adminv1connect.NewGroupServiceHandler(groupService{s}, admin))
	mux.Handle(adminv1connect.NewUsageServiceHandler(usageService{s}, admin))
	mux.Handle(adminv1connect.NewConfigServiceHandler(configService{s}, admin))
	mux.Handle(adminv1connect.NewFleetServiceHandler(fleetService{s}, admin))
	mux.Handle(snapshotv1connect.NewSnapshotServiceHandler(snapshotService{s}, internal))
	ops.Mount(mux, s.health, s.registry)
	return mux, nil
}
