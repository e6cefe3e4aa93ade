package router

import (
	"sync"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/prometheus/client_golang/prometheus"
)

// Upstream error kinds of burncloud_router_upstream_errors_total.
const (
	upErrConnect   = "connect"
	upErrTimeout   = "timeout"
	upErrStatus5xx = "status_5xx"
	upErrStatus429 = "status_429"
	upErrAuth      = "status_auth"
	upErrNotFound  = "status_404"
	upErrCut       = "cut"
	upErrForbidden = "forbidden_address"
	// untranslatable: a 2xx answer the client's protocol cannot be given.
	upErrUntranslatable = "untranslatable"
)

// Reasons of burncloud_router_unauthenticated_total.
var unauthReasons = []string{"missing", "invalid", "expired", "disabled"}

type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	ttft         *prometheus.HistogramVec
	tokens       *prometheus.CounterVec
	upstreamErrs *prometheus.CounterVec
	breaker      *prometheus.GaugeVec
	unauth       *prometheus.CounterVec
	inFlight     prometheus.Gauge

	// channels whose per-channel series exist, so dashboards and alerts see
	// them at zero before the first fault.
	mu       sync.RWMutex
	channels map[string]struct{}
}

func newMetrics(reg prometheus.Registerer) *metrics {
	// LLM answers take from under a second to many minutes.
	latency := []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_requests_total",
			Help: "Requests handled, by operation, requested model, channel and HTTP status.",
		}, []string{"gen_ai_operation_name", "gen_ai_request_model", "channel", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "burncloud_gen_ai_server_request_duration_seconds",
			Help:    "Time from a request's arrival to its last byte (OpenTelemetry gen_ai.server.request.duration).",
			Buckets: latency,
		}, []string{"gen_ai_operation_name", "gen_ai_request_model"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "burncloud_gen_ai_server_time_to_first_token_seconds",
			Help:    "Time from a request's arrival to its first generated output (OpenTelemetry gen_ai.server.time_to_first_token).",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60},
		}, []string{"gen_ai_operation_name", "gen_ai_request_model"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_gen_ai_client_token_usage_total",
			Help: "Tokens billed, by requested model and type (input, output).",
		}, []string{"gen_ai_request_model", "gen_ai_token_type"}),
		upstreamErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_upstream_errors_total",
			Help: "Failed upstream attempts, by channel and kind.",
		}, []string{"channel", "kind"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "burncloud_router_circuit_breaker_state",
			Help: "Circuit breaker state by channel and key (key empty for the channel's own): 0 closed, 1 open, 2 half-open.",
		}, []string{"channel", "key"}),
		unauth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_unauthenticated_total",
			Help: "Requests refused before a key was recognised, by reason.",
		}, []string{"reason"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_requests_in_flight",
			Help: "Requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.ttft, m.tokens, m.upstreamErrs, m.breaker, m.unauth, m.inFlight)
	for _, r := range unauthReasons {
		m.unauth.WithLabelValues(r)
	}
	m.channels = map[string]struct{}{}
	return m
}

var upstreamErrorKinds = []string{upErrConnect, upErrTimeout, upErrStatus5xx, upErrStatus429, upErrAuth,
	upErrNotFound, upErrCut, upErrForbidden, upErrUntranslatable}

// channelSeen creates a channel's series the first time it is tried.
func (m *metrics) channelSeen(channel string) {
	m.mu.RLock()
	_, ok := m.channels[channel]
	m.mu.RUnlock()
	if ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.channels[channel]; ok {
		return
	}
	m.channels[channel] = struct{}{}
	for _, k := range upstreamErrorKinds {
		m.upstreamErrs.WithLabelValues(channel, k)
	}
	// Creates the channel breaker's gauge at 0 (closed) unless a state
	// change already set it.
	m.breaker.WithLabelValues(channel, "")
}

func (m *metrics) breakerChanged(channel, key string, s circuitbreaker.State) {
	v := 0.0
	switch s {
	case circuitbreaker.OpenState:
		v = 1
	case circuitbreaker.HalfOpenState:
		v = 2
	}
	m.breaker.WithLabelValues(channel, key).Set(v)
}
