package ops

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health holds whether the service is ready for traffic. The zero value is
// not ready, with reason "starting". Safe for concurrent use.
type Health struct {
	state atomic.Pointer[healthState]
}

type healthState struct {
	ready  bool
	reason string
}

// SetReady marks the service ready or not ready (reason "not ready").
func (h *Health) SetReady(ready bool) {
	if ready {
		h.state.Store(&healthState{ready: true})
		return
	}
	h.SetNotReady("not ready")
}

// SetNotReady marks the service not ready; /readyz answers with reason.
func (h *Health) SetNotReady(reason string) {
	h.state.Store(&healthState{reason: reason})
}

// Ready reports whether the service is ready.
func (h *Health) Ready() bool {
	ready, _ := h.Status()
	return ready
}

// Status returns readiness and, when not ready, why.
func (h *Health) Status() (ready bool, reason string) {
	s := h.state.Load()
	if s == nil {
		return false, "starting"
	}
	return s.ready, s.reason
}

// OpsHandler serves /healthz, /readyz and /metrics on a mux of its own.
func OpsHandler(h *Health, g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	Mount(mux, h, g)
	return mux
}

// Mount adds GET /healthz, /readyz and /metrics to mux, for a service that
// serves them on its main port next to its API.
//
// /healthz answers 200 while the process can answer at all; it does not
// fail during shutdown, so the orchestrator does not kill a draining
// process. /readyz answers 503 with the reason whenever h is not ready.
func Mount(mux *http.ServeMux, h *Health, g prometheus.Gatherer) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ready, reason := h.Status()
		if !ready {
			writePlain(w, http.StatusServiceUnavailable, reason)
			return
		}
		writePlain(w, http.StatusOK, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// A failing collector should not hide every other series.
		ErrorHandling: promhttp.ContinueOnError,
	}))
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body + "\n"))
}
