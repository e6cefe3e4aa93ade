package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/http/pprof"
	"net/url"
	"runtime"
	"time"
)

// ProxyConfig configures the bare reverse proxy, the yardstick of DESIGN §7.
type ProxyConfig struct {
	// Addr is where the proxy listens.
	Addr string
	// Target is the upstream's root URL; request paths are kept.
	Target string
	// StatsAddr serves GET /stats (the process's allocation counters),
	// GET /healthz and GET /debug/pprof/trace (an execution trace, for
	// profiling runs), away from the proxied traffic.
	StatsAddr string
}

// ErrBadProxyConfig is returned by RunProxy for a missing or malformed field.
var ErrBadProxyConfig = errors.New("bench: bad proxy configuration")

// Stats are a process's cumulative heap allocation counters.
type Stats struct {
	Mallocs    uint64 `json:"mallocs"`
	TotalAlloc uint64 `json:"total_alloc"`
}

// RunProxy serves a plain httputil.ReverseProxy to cfg.Target until ctx
// ends: no auth, no limits, no accounting, with the same idle-connection
// pool size as the router's egress transport so both reuse connections
// alike.
func RunProxy(ctx context.Context, cfg ProxyConfig) error {
	target, err := url.Parse(cfg.Target)
	if err != nil || target.Host == "" {
		return fmt.Errorf("%w: target %q", ErrBadProxyConfig, cfg.Target)
	}
	if cfg.Addr == "" || cfg.StatsAddr == "" {
		return fmt.Errorf("%w: addr and stats addr are required", ErrBadProxyConfig)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConns = 2048
	tr.MaxIdleConnsPerHost = 512
	rp := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     tr,
		FlushInterval: -1, // flush every write, as a streaming gateway must
	}
	// The transport may still be reading the request body (checking that
	// nothing follows its Content-Length) when a fast upstream's answer
	// starts; an HTTP/1 server closes the request body at that moment
	// unless full duplex is on, and the transport then drops the upstream
	// connection mid-answer.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}

	stats := http.NewServeMux()
	stats.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	stats.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Stats{Mallocs: ms.Mallocs, TotalAlloc: ms.TotalAlloc})
	})
	stats.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	statsSrv := &http.Server{Handler: stats, ReadHeaderTimeout: 10 * time.Second}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	sln, err := net.Listen("tcp", cfg.StatsAddr)
	if err != nil {
		ln.Close()
		return err
	}
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(ln) }()
	go func() { errs <- statsSrv.Serve(sln) }()
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = statsSrv.Shutdown(sctx)
	if e := srv.Shutdown(sctx); e != nil {
		_ = srv.Close() // idle streams do not drain by themselves
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
