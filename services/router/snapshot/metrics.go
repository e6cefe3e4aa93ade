package snapshot

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the watch client's series.
type Metrics struct {
	revision   prometheus.Gauge
	connected  prometheus.Gauge
	updated    prometheus.Gauge
	updates    *prometheus.CounterVec
	reconnects prometheus.Counter
	cacheSaves *prometheus.CounterVec
}

// NewMetrics registers the series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		revision: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_snapshot_revision", Help: "Revision of the snapshot the router serves from.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_snapshot_connected", Help: "1 while the Watch stream to control is open.",
		}),
		updated: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_snapshot_last_update_timestamp_seconds", Help: "When the served snapshot last changed.",
		}),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_snapshot_updates_total", Help: "Snapshots applied, by kind (full, changes, cache).",
		}, []string{"kind"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_router_snapshot_reconnects_total", Help: "Watch streams that ended and were retried.",
		}),
		cacheSaves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_snapshot_cache_writes_total", Help: "Writes of the on-disk snapshot cache, by result.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.revision, m.connected, m.updated, m.updates, m.reconnects, m.cacheSaves)
	for _, k := range []string{"full", "changes", "cache"} {
		m.updates.WithLabelValues(k)
	}
	for _, r := range []string{"ok", "error"} {
		m.cacheSaves.WithLabelValues(r)
	}
	return m
}
