package control

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are control's own series, registered at start so dashboards find
// them before the first request.
type metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	watchers       prometheus.Gauge
	watchMessages  *prometheus.CounterVec
	revision       prometheus.Gauge
	snapshotErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, procedures []string) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_control_requests_total",
			Help: "Admin and snapshot RPCs handled, by procedure and Connect code.",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "burncloud_control_request_duration_seconds",
			Help:    "Time to handle a unary RPC, by procedure.",
			Buckets: prometheus.DefBuckets,
		}, []string{"procedure"}),
		watchers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_control_watchers",
			Help: "Routers watching snapshots on this replica.",
		}),
		watchMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "burncloud_control_watch_messages_total",
			Help: "Messages sent to watching routers, by kind (page, changes, heartbeat).",
		}, []string{"kind"}),
		revision: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "burncloud_control_snapshot_revision",
			Help: "Latest snapshot revision this replica sent.",
		}),
		snapshotErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "burncloud_control_watch_errors_total",
			Help: "Watch streams ended by an error of control (not by the router leaving).",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.watchers, m.watchMessages, m.revision, m.snapshotErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, p := range procedures {
		m.requests.WithLabelValues(p, "ok")
		m.duration.WithLabelValues(p)
	}
	for _, k := range []string{"page", "changes", "heartbeat"} {
		m.watchMessages.WithLabelValues(k)
	}
	return m, nil
}

func codeLabel(err error) string {
	if err == nil {
		return "ok"
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Code().String()
	}
	return connect.CodeUnknown.String()
}

// interceptor counts every call; it sits outside the error boundary so it
// sees the codes callers see.
func (m *metrics) interceptor() connect.Interceptor { return metricsInterceptor{m} }

type metricsInterceptor struct{ m *metrics }

func (i metricsInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		start := time.Now()
		res, err := next(ctx, req)
		p := req.Spec().Procedure
		i.m.duration.WithLabelValues(p).Observe(time.Since(start).Seconds())
		i.m.requests.WithLabelValues(p, codeLabel(err)).Inc()
		return res, err
	}
}

func (i metricsInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (i metricsInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		err := next(ctx, conn)
		i.m.requests.WithLabelValues(conn.Spec().Procedure, codeLabel(err)).Inc()
		return err
	}
}
