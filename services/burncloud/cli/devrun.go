package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/events"
	"github.com/burncloud/burncloud/pkg/fakeupstream"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/services/billing"
	"github.com/burncloud/burncloud/services/control"
	"github.com/burncloud/burncloud/services/router"
	"github.com/burncloud/burncloud/services/router/egress"
	usagepub "github.com/burncloud/burncloud/services/router/publish"
	"github.com/burncloud/burncloud/services/router/spool"
)

// devParts are the services of one dev gateway, built and not yet running.
type devParts struct {
	store     store.Store
	control   *control.Server
	router    *router.Server
	routerCfg router.Config
	publisher *usagepub.Publisher
	reg       *prometheus.Registry
	// health is the gateway's readiness: set once every part is ready,
	// failed first at shutdown.
	health        *ops.Health
	billingHealth *ops.Health
	fake          *fakeupstream.Running
	handler       http.Handler
}

func (p *devParts) closeFake() {
	if p.fake != nil {
		_ = p.fake.Close()
	}
}

// build makes control (with the catalogue, the bootstrap file and the
// demo applied), the router with its spool and publisher, and the handler
// that serves both on one port. On error what it started is stopped.
func (g *devGateway) build(ctx context.Context, st store.Store, env Lookup) (p *devParts, err error) {
	p = &devParts{store: st, reg: ops.NewRegistry(), health: new(ops.Health), billingHealth: new(ops.Health)}
	p.health.SetNotReady("starting")
	p.billingHealth.SetNotReady("waiting for the usage stream")
	defer func() {
		if err != nil {
			p.closeFake()
			if p.publisher != nil {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), devStopTimeout)
				_ = p.publisher.Close(cctx)
				cancel()
			}
		}
	}()

	p.control, err = control.New(ctx, controlConfig(g.secrets, env), control.Deps{
		Store: st, Logger: g.log.Named("control"), JetStream: g.nats.js, Registry: p.reg,
	})
	if err != nil {
		return p, err
	}
	if err := p.control.SeedCatalogue(ctx); err != nil {
		return p, err
	}
	if path, ok := env(EnvBootstrapFile); ok && path != "" {
		if err := p.control.ApplyFile(ctx, path); err != nil {
			return p, err
		}
	}
	if p.routerCfg, err = g.routerConfig(env); err != nil {
		return p, usageError{err}
	}
	var transport http.RoundTripper
	if g.demo {
		if p.fake, err = startDemoUpstream(); err != nil {
			return p, fmt.Errorf("fake upstream: %w", err)
		}
		if _, err := applyDemo(ctx, st, g.secrets.Secret, p.fake.BaseURL(""), g.secrets.DemoKey, g.log.Named("demo")); err != nil {
			return p, err
		}
		transport = g.demoTransport(p.routerCfg, p.fake)
	}
	sp, err := spool.Open(spool.Options{Dir: p.routerCfg.SpoolDir, Logger: g.log.Named("spool"), Metrics: spool.NewMetrics(p.reg)})
	if err != nil {
		return p, err
	}
	p.publisher, err = usagepub.New(g.nats.nc, sp, usagepub.Config{RouterID: p.routerCfg.RouterID}, g.log.Named("publish"), usagepub.NewMetrics(p.reg))
	if err != nil {
		_ = sp.Close()
		return p, err
	}
	p.router, err = router.New(p.routerCfg, router.Deps{
		Logger: g.log.Named("router"), Sink: p.publisher, Registry: p.reg, Transport: transport,
	})
	if err != nil {
		return p, err
	}
	p.handler = devHandler(g.baseURL, p)
	return p, nil
}

// demoTransport lets the router reach the fake upstream's loopback address
// and nothing else private unless the operator allowed it.
func (g *devGateway) demoTransport(cfg router.Config, fake *fakeupstream.Running) http.RoundTripper {
	return &egressDispatch{
		host:    strings.TrimPrefix(fake.URL, "http://"),
		allowed: egress.NewTransport(egress.Options{AllowPrivate: true, ConnectTimeout: cfg.ConnectTimeout}),
		guarded: egress.NewTransport(egress.Options{AllowPrivate: cfg.AllowPrivateUpstreams, ConnectTimeout: cfg.ConnectTimeout}),
	}
}

// serve runs the gateway until ctx ends, then stops it in order: the HTTP
// server drains (readiness fails first, Watch streams end), the router stops
// watching, the publisher flushes its spool to JetStream, billing settles
// what is left and stops. NATS and the store are closed by the caller.
func (g *devGateway) serve(ctx context.Context, p *devParts, ln net.Listener, s *session) error {
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	var wg sync.WaitGroup
	syncCtx, stopSync := context.WithCancel(bg)
	var syncErr, billErr error
	wg.Go(func() { syncErr = p.router.Sync(syncCtx) })
	billCtx, stopBilling := context.WithCancel(bg)
	var billWG sync.WaitGroup
	billWG.Go(func() {
		billErr = billing.Start(billCtx, billingConfig(), billing.Deps{
			Store: p.store, JS: g.nats.js, Logger: g.log.Named("billing"), Registry: p.reg, Health: p.billingHealth,
		})
	})
	annCtx, stopAnnounce := context.WithCancel(ctx)
	defer stopAnnounce()
	go g.announce(annCtx, p, s.out)

	httpSrv := ops.NewHTTPServer(p.handler, ops.ServerOptions{
		UnencryptedHTTP2: true, Logger: g.log,
		ReadHeaderTimeout: p.routerCfg.ReadHeaderTimeout, MaxHeaderBytes: p.routerCfg.MaxHeaderBytes,
	})
	// The router stops watching before control ends the Watch streams: it
	// keeps the snapshot it holds for the requests still draining.
	serveErr := ops.Serve(ctx, httpSrv, ln, ops.ServeOptions{
		Health: p.health, DrainTimeout: p.routerCfg.DrainTimeout, Logger: g.log,
		OnShutdown: func() {
			stopSync()
			wg.Wait()
			p.control.Shutdown()
		},
	})
	stopAnnounce()
	stopSync()
	wg.Wait()
	p.control.Shutdown() // when serving failed, OnShutdown never ran
	stopCtx, cancel := context.WithTimeout(bg, devStopTimeout)
	defer cancel()
	pubErr := p.publisher.Close(stopCtx)
	if err := waitSettled(stopCtx, g.nats); err != nil {
		g.log.Warn("billing has not settled every usage event; the rest is settled at the next start", zap.Error(err))
	}
	stopBilling()
	billWG.Wait()
	g.log.Info("dev gateway stopped")
	return errors.Join(serveErr, ignoreCanceled(syncErr), pubErr, ignoreCanceled(billErr))
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// announce waits until every part is ready, marks the gateway ready, writes
// the endpoint files for the CLI and prints how to use the gateway.
func (g *devGateway) announce(ctx context.Context, p *devParts, out io.Writer) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	warnAt := time.Now().Add(10 * time.Second)
	for {
		ready, reason := p.partsReady()
		if ready {
			break
		}
		if time.Now().After(warnAt) {
			g.log.Warn("dev gateway not ready yet", zap.String("waiting_for", reason))
			warnAt = time.Now().Add(30 * time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	if ctx.Err() != nil {
		return
	}
	if err := WriteEndpointFiles(g.dir, g.baseURL, g.secrets.AdminKey); err != nil {
		g.log.Error("cannot write the endpoint files; the CLI will not find this gateway", zap.Error(err))
	}
	if err := writeDataFile(g.dir, NATSURLFile, g.nats.URL()); err != nil {
		g.log.Warn("cannot write the NATS URL file", zap.Error(err))
	}
	p.health.SetReady(true)
	g.printBanner(out)
}

func (p *devParts) partsReady() (bool, string) {
	parts := []struct {
		name string
		h    *ops.Health
	}{{"control", p.control.Health()}, {"router", p.router.Health()}, {"billing", p.billingHealth}}
	for _, part := range parts {
		if ok, reason := part.h.Status(); !ok {
			return false, part.name + ": " + reason
		}
	}
	return true, ""
}

// waitSettled waits until billing's consumer has nothing pending.
func waitSettled(ctx context.Context, n *embeddedNATS) error {
	for {
		c, err := n.js.Consumer(ctx, events.StreamUsage, billingConfig().Consumer.Durable)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d events pending: %w", info.NumPending+uint64(info.NumAckPending), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// devHandler serves the LLM APIs from the router and everything else (the
// Connect admin API and SnapshotService) from control, plus the gateway's
// own /healthz, /readyz, /metrics and a landing text at /.
func devHandler(baseURL string, p *devParts) http.Handler {
	mux := http.NewServeMux()
	rt := p.router.Handler()
	mux.Handle("/v1/", rt)
	mux.Handle("/v1beta/", rt)
	ops.Mount(mux, p.health, p.reg)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "BurnCloud dev gateway\n\n"+
			"OpenAI API:   %[1]s/v1   (Authorization: Bearer <key>)\n"+
			"Gemini API:   %[1]s/v1beta\n"+
			"Admin API:    %[1]s/burncloud.admin.v1.*   (Connect, gRPC, gRPC-Web)\n"+
			"Operations:   %[1]s/healthz  %[1]s/readyz  %[1]s/metrics\n", baseURL)
	})
	mux.Handle("/", p.control.Handler())
	return mux
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && ops.IsTerminal(f)
}
