package publish

import "github.com/prometheus/client_golang/prometheus"

// Drop reasons of burncloud_router_usage_events_dropped_total.
const (
	dropClosed    = "closed"     // published after Close
	dropInvalid   = "invalid"    // no event id
	dropMarshal   = "marshal"    // protobuf marshalling failed
	dropSpoolFull = "spool_full" // spool and its memory buffer full
	dropTooLarge  = "too_large"  // above the spool's record limit
	dropSpool     = "spool"      // any other spool refusal
)

// Ack results of burncloud_router_usage_published_total.
const (
	resultStored    = "stored"
	resultDuplicate = "duplicate" // JetStream had it already: an ack all the same
)

// Metrics are the publisher's series.
type Metrics struct {
	published *prometheus.CounterVec
	errors    prometheus.Counter
	latency   prometheus.Histogram
	inFlight  prometheus.Gauge
	dropped   *prometheus.CounterVec
}

// NewMetrics creates the publisher's series and registers them on reg; a
// nil reg leaves them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_usage_published_total",
			Help: "Usage events acknowledged by JetStream, by result: stored, duplicate.",
		}, []string{"result"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_router_usage_publish_errors_total",
			Help: "Failed JetStream publishes of usage events (the events stay spooled and are retried).",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "burncloud_router_usage_publish_duration_seconds",
			Help:    "Time from publishing a usage event to JetStream's acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16),
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_usage_publish_in_flight",
			Help: "Usage events published and not yet acknowledged.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_usage_events_dropped_total",
			Help: "Usage events never spooled, by reason: closed, invalid, marshal, spool_full, too_large, spool.",
		}, []string{"reason"}),
	}
	for _, r := range []string{resultStored, resultDuplicate} {
		m.published.WithLabelValues(r)
	}
	for _, r := range []string{dropClosed, dropInvalid, dropMarshal, dropSpoolFull, dropTooLarge, dropSpool} {
		m.dropped.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.published, m.errors, m.latency, m.inFlight, m.dropped)
	}
	return m
}
