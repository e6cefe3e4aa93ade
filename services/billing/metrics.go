package billing

import "github.com/prometheus/client_golang/prometheus"

// Metrics are billing's series, all registered at start.
type Metrics struct {
	events          *prometheus.CounterVec
	batches         *prometheus.CounterVec
	batchDuration   prometheus.Histogram
	settleDelay     prometheus.Histogram
	pending         prometheus.Gauge
	retentionDelete prometheus.Counter
}

// Event results.
const (
	resultSettled   = "settled"
	resultDuplicate = "duplicate"
	resultDLQ       = "dead_lettered"
)

// NewMetrics registers billing's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_billing_events_total",
			Help: "Usage events handled, by result: settled, duplicate (already in the ledger), dead_lettered.",
		}, []string{"result"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_billing_batches_total",
			Help: "Settlement transactions, by result: ok or error.",
		}, []string{"result"}),
		batchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "burncloud_billing_batch_duration_seconds",
			Help:    "Time to settle one batch, commit included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		settleDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "burncloud_billing_settlement_delay_seconds",
			Help:    "Time from a request's event to its settlement.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 16),
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_billing_pending_events",
			Help: "Events in the stream not yet acknowledged by billing (pending + in flight).",
		}),
		retentionDelete: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_billing_request_logs_deleted_total",
			Help: "Request log rows dropped by retention.",
		}),
	}
	for _, r := range []string{resultSettled, resultDuplicate, resultDLQ} {
		m.events.WithLabelValues(r)
	}
	m.batches.WithLabelValues("ok")
	m.batches.WithLabelValues("error")
	reg.MustRegister(m.events, m.batches, m.batchDuration, m.settleDelay, m.pending, m.retentionDelete)
	return m
}
