package ops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// Defaults used when the matching option is zero.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMaxHeaderBytes    = 64 << 10
	// DefaultDrainTimeout leaves room for a few seconds of readiness delay
	// inside Kubernetes' default 30s termination grace period.
	DefaultDrainTimeout = 25 * time.Second
)

// ErrDrainTimeout is returned by Serve when in-flight requests were still
// running at the drain deadline and their connections were closed.
var ErrDrainTimeout = errors.New("drain deadline passed, connections closed")

// ServerOptions tunes NewHTTPServer. Zero fields take the defaults above.
type ServerOptions struct {
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// UnencryptedHTTP2 also accepts HTTP/2 without TLS (h2c), which gRPC
	// clients need when TLS ends in front of the service.
	UnencryptedHTTP2 bool
	// Logger receives the server's own errors (bad handshakes, handler
	// panics). Nil leaves net/http's default.
	Logger *zap.Logger
}

// NewHTTPServer returns a server with timeouts suited to an LLM gateway.
//
// WriteTimeout and ReadTimeout stay zero on purpose: they bound the whole
// response and the whole request body, and a streamed completion or a large
// multimodal upload legitimately takes minutes. Handlers that need a
// deadline set their own with http.ResponseController. ReadHeaderTimeout and
// IdleTimeout still stop slow-header and idle-connection exhaustion.
func NewHTTPServer(handler http.Handler, opts ServerOptions) *http.Server {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: orDefault(opts.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		IdleTimeout:       orDefault(opts.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    orDefault(opts.MaxHeaderBytes, DefaultMaxHeaderBytes),
	}
	if opts.UnencryptedHTTP2 {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	if opts.Logger != nil {
		srv.ErrorLog = zap.NewStdLog(opts.Logger.Named("http"))
	}
	return srv
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Listen opens a TCP listener on addr (host:port; port 0 picks a free one).
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// ServeOptions tunes Serve's shutdown.
type ServeOptions struct {
	// Health is marked not ready as soon as shutdown begins. May be nil.
	Health *Health
	// ReadinessDelay keeps serving, with /readyz failing, for this long
	// before the listener closes, so load balancers stop sending new
	// requests first. Zero skips the wait (tests).
	ReadinessDelay time.Duration
	// DrainTimeout bounds how long in-flight requests (streams included) may
	// run after the listener closes; then connections are closed. Zero means
	// DefaultDrainTimeout.
	DrainTimeout time.Duration
	// OnShutdown runs when draining begins, for handlers that never end by
	// themselves (long-lived watch streams) to be told to finish.
	OnShutdown func()
	// Logger may be nil.
	Logger *zap.Logger
}

// Serve serves srv on ln until ctx is done, then shuts down gracefully:
// readiness fails first, after ReadinessDelay the listener closes and
// in-flight requests drain up to DrainTimeout, after which the remaining
// connections are closed and ErrDrainTimeout is returned. A clean shutdown
// returns nil. If serving fails before ctx is done, that error is returned.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, opts ServeOptions) error {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if opts.OnShutdown != nil {
		srv.RegisterOnShutdown(opts.OnShutdown)
	}
	addr := ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving", zap.String("addr", addr))

	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil // someone else shut the server down
		}
		return fmt.Errorf("serve on %s: %w", addr, err)
	case <-ctx.Done():
	}

	if opts.Health != nil {
		opts.Health.SetNotReady("shutting down")
	}
	if opts.ReadinessDelay > 0 {
		log.Info("failing readiness before closing the listener", zap.Duration("delay", opts.ReadinessDelay))
		t := time.NewTimer(opts.ReadinessDelay)
		<-t.C
	}

	drain := orDefault(opts.DrainTimeout, DefaultDrainTimeout)
	log.Info("draining", zap.Duration("deadline", drain))
	start := time.Now()
	// The parent is already cancelled; the drain gets its own deadline.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		_ = srv.Close()
	}
	serveErr := <-served

	switch {
	case errors.Is(shutdownErr, context.DeadlineExceeded):
		log.Warn("drain deadline passed, closed remaining connections", zap.Duration("deadline", drain))
		return fmt.Errorf("%w after %s", ErrDrainTimeout, drain)
	case shutdownErr != nil:
		return fmt.Errorf("shut down %s: %w", addr, shutdownErr)
	case serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed):
		return fmt.Errorf("serve on %s: %w", addr, serveErr)
	}
	log.Info("drained", zap.Duration("took", time.Since(start)))
	return nil
}
