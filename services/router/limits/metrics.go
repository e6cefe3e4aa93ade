package limits

import "github.com/prometheus/client_golang/prometheus"

// Decision results.
const (
	resultAdmitted     = "admitted"
	resultRefused      = "refused"
	resultFailedOpen   = "failed_open"
	resultFailedClosed = "failed_closed"
)

type metrics struct {
	degraded       prometheus.Gauge
	decisions      *prometheus.CounterVec
	redisSeconds   prometheus.Histogram
	redisErrors    prometheus.Counter
	pending        prometheus.Gauge
	pendingDropped prometheus.Counter
	abandoned      prometheus.Counter
	learned        *prometheus.GaugeVec
	decreases      *prometheus.CounterVec

	admitted, channelAdmitted prometheus.Counter
	grants, grantAdmitted     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		degraded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_limits_degraded", Help: "1 while Redis is unreachable and limits are decided locally.",
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_limits_decisions_total",
			Help: "Limit decisions: admitted (limit all or channel), refused by a limit, or a limit kind failed open or closed without Redis.",
		}, []string{"limit", "result"}),
		redisSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "burncloud_limits_redis_duration_seconds",
			Help:    "Duration of one limits script call to Redis.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1},
		}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_limits_redis_errors_total", Help: "Limits calls to Redis that failed or timed out.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_limits_pending_settlements", Help: "Settlements waiting for Redis to return.",
		}),
		pendingDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_limits_pending_dropped_total", Help: "Settlements dropped because the queue was full; their reservations expire by TTL.",
		}),
		abandoned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_limits_abandoned_total", Help: "Admissions released because they were held longer than the maximum.",
		}),
	}
	m.learned = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "burncloud_limits_channel_learned_concurrency",
		Help: "Concurrency this router learned for a channel from upstream 429s and rate-limit headers; 0 while none is learned.",
	}, []string{"channel"})
	m.decreases = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "burncloud_limits_channel_limit_decreases_total",
		Help: "Cuts of a channel's learned concurrency, by congestion signal: status_429 or headers (the provider's budget nearly spent).",
	}, []string{"channel", "signal"})
	m.grants = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "burncloud_limits_grants_total",
		Help: "Grants Redis gave this router: batches of admissions counted at once for a key far from its limits.",
	})
	m.grantAdmitted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "burncloud_limits_grant_admissions_total",
		Help: "Requests admitted from a grant, without a call to Redis.",
	})
	reg.MustRegister(m.grants, m.grantAdmitted, m.degraded, m.decisions, m.redisSeconds, m.redisErrors, m.pending, m.pendingDropped, m.abandoned,
		m.learned, m.decreases)
	m.admitted = m.decisions.WithLabelValues(string(limitAll), resultAdmitted)
	m.channelAdmitted = m.decisions.WithLabelValues(string(limitChannel), resultAdmitted)
	for _, l := range limitCodes {
		m.decisions.WithLabelValues(string(l), resultRefused)
	}
	for _, l := range []Limit{ChannelRPM, ChannelTPM, ChannelConcurrency, ChannelAdaptive, limitTokenQuotaLease, limitUserQuotaLease} {
		m.decisions.WithLabelValues(string(l), resultRefused)
	}
	for _, l := range []Limit{limitRate, limitConcurrencyKind, limitQuotaKind} {
		m.decisions.WithLabelValues(string(l), resultFailedOpen)
		m.decisions.WithLabelValues(string(l), resultFailedClosed)
	}
	return m
}

func (m *metrics) decision(l Limit, result string) {
	m.decisions.WithLabelValues(string(l), result).Inc()
}
