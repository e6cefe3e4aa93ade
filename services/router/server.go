package router

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1/snapshotv1connect"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/services/router/egress"
	"github.com/burncloud/burncloud/services/router/gcpauth"
	"github.com/burncloud/burncloud/services/router/limits"
	"github.com/burncloud/burncloud/services/router/route"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

// Version is reported to control in the Watch request.
const Version = "0.1.0"

// ErrNoSink is returned by New without an EventSink.
var ErrNoSink = errors.New("router: an EventSink is required")

// Deps are what a Server is built from besides its Config. Only Sink is
// required.
type Deps struct {
	Logger *zap.Logger
	Sink   EventSink
	// Registry receives the router's metrics; nil makes one with the Go
	// and process collectors.
	Registry *prometheus.Registry
	// Health is the readiness New's Handler reports; nil makes one.
	Health *ops.Health
	// Keyring nil derives one from Config.Secret.
	Keyring *secrets.Keyring
	// Store nil makes one kept current by a Watcher on SnapshotClient. A
	// Store given without a SnapshotClient is fed by the caller.
	Store          *snapshot.Store
	SnapshotClient snapshotv1connect.SnapshotServiceClient
	// Transport nil makes the shared egress transport.
	Transport http.RoundTripper
	// Limiter enforces rate, concurrency, quota and channel limits. nil
	// makes a local-only one from Config, which Sync then runs.
	Limiter *limits.Limiter
}

// Server serves the LLM APIs of one router.
type Server struct {
	cfg Config
	log *zap.Logger
	// reqLog writes the one line per request; its caller is always the
	// same, so it is not looked up.
	reqLog    *zap.Logger
	keys      *secrets.Keyring
	store     *snapshot.Store
	health    *ops.Health
	reg       *prometheus.Registry
	m         *metrics
	routes    *route.Health
	transport http.RoundTripper
	sink      EventSink
	lim       *limits.Limiter
	// vertex issues access tokens for Vertex channels' service accounts.
	vertex *gcpauth.Sources
	// ownLim: New built lim, so Sync runs it.
	ownLim  bool
	watcher *snapshot.Watcher
	mux     *http.ServeMux
	calls   sync.Pool
}

// New builds a server. It starts nothing: Sync keeps the snapshot current
// and Handler serves requests.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Sink == nil {
		return nil, ErrNoSink
	}
	s := &Server{cfg: cfg, log: deps.Logger, keys: deps.Keyring, store: deps.Store, health: deps.Health,
		reg: deps.Registry, transport: deps.Transport, sink: deps.Sink, lim: deps.Limiter}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.reqLog = s.log.WithOptions(zap.WithCaller(false))
	if s.reg == nil {
		s.reg = ops.NewRegistry()
	}
	if s.health == nil {
		s.health = new(ops.Health)
	}
	s.health.SetNotReady("no snapshot yet")
	if s.keys == nil {
		k, err := secrets.New([]byte(cfg.Secret))
		if err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
		s.keys = k
	}
	if s.transport == nil {
		s.transport = egress.NewTransport(egress.Options{
			AllowPrivate: cfg.AllowPrivateUpstreams, ConnectTimeout: cfg.ConnectTimeout,
		})
	}
	s.m = newMetrics(s.reg)
	vertex, err := gcpauth.NewSources(&http.Client{Transport: s.transport}, gcpauth.Options{TokenURL: cfg.GoogleTokenURL})
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	s.vertex = vertex
	if s.lim == nil {
		fallback, err := limits.ParseFallback(cfg.LimitsFallback)
		if err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
		lim, err := limits.New(limitsConfig(cfg, fallback), limits.Deps{Logger: s.log.Named("limits"), Registry: s.reg})
		if err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
		s.lim, s.ownLim = lim, true
	}
	s.routes = route.NewHealth(route.Options{
		FailureThreshold: uint(cfg.BreakerFailures), FailureWindow: uint(cfg.BreakerWindow),
		OpenDelay: cfg.BreakerOpenDelay, AuthCooldown: cfg.AuthCooldown, RateLimitCooldown: cfg.RateLimitCooldown,
		OnStateChange: s.m.breakerChanged,
	})
	client := deps.SnapshotClient
	if s.store == nil {
		s.store = snapshot.NewStore()
		if client == nil {
			client = snapshotv1connect.NewSnapshotServiceClient(&http.Client{}, cfg.ControlURL)
		}
	}
	if client != nil {
		var cache *snapshot.Cache
		if cfg.SnapshotCache != "" {
			cache = snapshot.NewCache(cfg.SnapshotCache, s.keys)
		}
		s.watcher = snapshot.NewWatcher(snapshot.WatcherOptions{
			Client: client, InternalToken: cfg.InternalToken, RouterID: cfg.RouterID, Version: Version,
			Store: s.store, Cache: cache, CacheGrace: cfg.CacheGrace,
			Logger: s.log, Metrics: snapshot.NewMetrics(s.reg),
		})
	}
	s.calls.New = func() any { return new(call) }
	s.mux = http.NewServeMux()
	s.routesOn(s.mux)
	ops.Mount(s.mux, s.health, s.reg)
	return s, nil
}

// limitsConfig is the limiter's configuration for cfg. An admission may be
// held as long as the longest upstream attempt allows, plus a margin.
func limitsConfig(cfg Config, fallback limits.Fallback) limits.Config {
	lc := limits.Config{
		FleetSize: cfg.FleetSize, Window: cfg.LimitsWindow, ReservationTTL: cfg.LimitsReservationTTL,
		RateFallback: fallback, ConcurrencyFallback: fallback, QuotaFallback: fallback,
		GrantMax: cfg.LimitsGrantMax, CallTimeout: cfg.LimitsCallTimeout,
		AdaptiveOff: !cfg.LimitsAdaptive, AdaptiveBackoff: float64(cfg.LimitsAdaptiveBackoffPercent) / 100,
		AdaptiveGap: cfg.LimitsAdaptiveGap, AdaptiveForget: cfg.LimitsAdaptiveForget,
	}
	if cfg.TotalTimeout > 0 {
		lc.MaxHold = cfg.TotalTimeout + time.Minute
	}
	return lc
}

// Limiter is the limiter requests go through.
func (s *Server) Limiter() *limits.Limiter { return s.lim }

func (s *Server) routesOn(mux *http.ServeMux) {
	mux.Handle("POST /v1/chat/completions", s.handle(opChat))
	mux.Handle("POST /v1/completions", s.handle(opCompletions))
	mux.Handle("POST /v1/embeddings", s.handle(opEmbeddings))
	mux.Handle("POST /v1/responses", s.handle(opResponses))
	mux.Handle("GET /v1/models", s.handle(opModels))
	mux.Handle("POST /v1/messages", s.handle(opMessages))
	mux.Handle("POST /v1/messages/count_tokens", s.handle(opCountTokens))
	mux.HandleFunc("POST /v1beta/models/{target}", s.gemini)
	mux.Handle("GET /v1beta/models", s.handle(opGeminiModels))
	mux.HandleFunc("/v1/", s.unknownPath)
	mux.HandleFunc("/v1beta/", s.unknownPath)
}

// Handler serves the LLM APIs and /healthz, /readyz and /metrics. A stream
// the upstream breaks after the client got part of it ends with a panic of
// http.ErrAbortHandler, which cuts the client's connection so the partial
// answer is not taken for a whole one: middleware must let it through.
func (s *Server) Handler() http.Handler { return s.mux }

// Store is the snapshot store requests read.
func (s *Server) Store() *snapshot.Store { return s.store }

// Health is the server's readiness.
func (s *Server) Health() *ops.Health { return s.health }

// Registry holds the server's metrics.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Sync keeps the snapshot current until ctx ends, and marks the server
// ready once it holds one.
func (s *Server) Sync(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-s.store.Ready():
			s.health.SetReady(true)
		case <-ctx.Done():
		}
	})
	if s.ownLim {
		wg.Go(func() { _ = s.lim.Run(ctx) })
	}
	wg.Go(func() { s.pruneHealth(ctx, pruneEvery) })
	var err error
	if s.watcher != nil {
		err = s.watcher.Run(ctx)
	} else {
		<-ctx.Done()
	}
	wg.Wait()
	s.vertex.Close()
	return err
}

// pruneEvery is how often breaker state of removed channels and keys is
// dropped.
const pruneEvery = time.Minute

// pruneHealth drops, every period, the breakers and cooldowns of channels
// and keys the snapshot no longer has.
func (s *Server) pruneHealth(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if idx := s.store.Load(); idx != nil {
				s.routes.Prune(idx.HasChannelKey)
			}
		}
	}
}

func (s *Server) unknownPath(w http.ResponseWriter, r *http.Request) {
	w.Header()[hdrRequestID] = []string{uuid.Must(uuid.NewV7()).String()}
	writeAPIError(w, surfaceOfPath(r), apiErrorOf(errUnknownPath))
}
