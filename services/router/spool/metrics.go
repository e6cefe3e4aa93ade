package spool

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Drop reasons of burncloud_router_spool_dropped_records_total.
const (
	dropFull     = "full"      // disk budget and memory buffer both exhausted
	dropTooLarge = "too_large" // above MaxRecordBytes
	dropClosed   = "closed"    // appended after Close, or still in memory when Close gave up
	dropCorrupt  = "corrupt"   // durable but unreadable (damaged on disk)
)

// Metrics are the spool's series. One Metrics may serve successive spools
// (a reopened spool keeps its series).
type Metrics struct {
	records     prometheus.Gauge
	diskBytes   prometheus.Gauge
	memoryBytes prometheus.Gauge
	segments    prometheus.Gauge
	full        prometheus.Gauge
	fsync       prometheus.Histogram
	commitSize  prometheus.Histogram
	dropped     *prometheus.CounterVec
	writeErrors prometheus.Counter
	truncated   prometheus.Counter

	// oldest is the creation time of the oldest segment on disk, Unix ns,
	// 0 when there is none.
	oldest atomic.Int64
}

// NewMetrics creates the spool's series and registers them on reg; a nil
// reg leaves them unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		records: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_spool_records",
			Help: "Usage events in the spool not yet acknowledged by JetStream, on disk and in memory.",
		}),
		diskBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_spool_bytes",
			Help: "Bytes of spool segment files on disk.",
		}),
		memoryBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_spool_memory_bytes",
			Help: "Bytes of events held in memory, not yet written (grows when the spool is full).",
		}),
		segments: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_spool_segments",
			Help: "Spool segment files on disk.",
		}),
		full: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_router_spool_full",
			Help: "1 while the spool has reached its byte limit and holds new events in memory.",
		}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "burncloud_router_spool_fsync_duration_seconds",
			Help:    "Time to write and fsync one group commit, or to fsync what was written since the last sync (sync interval set).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		commitSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "burncloud_router_spool_commit_records",
			Help:    "Records made durable by one fsync (group commit size).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_router_spool_dropped_records_total",
			Help: "Events the spool refused or lost, by reason: full, too_large, closed, corrupt.",
		}, []string{"reason"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_router_spool_write_errors_total",
			Help: "Failed segment writes or fsyncs (retried with backoff).",
		}),
		truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_router_spool_recovery_truncated_bytes_total",
			Help: "Bytes of torn or corrupt records cut off when the spool was opened.",
		}),
	}
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "burncloud_router_spool_oldest_record_age_seconds",
		Help: "Age of the oldest event still on disk (0 when the spool is empty).",
	}, func() float64 {
		ns := m.oldest.Load()
		if ns == 0 {
			return 0
		}
		return time.Since(time.Unix(0, ns)).Seconds()
	})
	for _, r := range []string{dropFull, dropTooLarge, dropClosed, dropCorrupt} {
		m.dropped.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.records, m.diskBytes, m.memoryBytes, m.segments, m.full,
			m.fsync, m.commitSize, m.dropped, m.writeErrors, m.truncated, oldest)
	}
	return m
}
