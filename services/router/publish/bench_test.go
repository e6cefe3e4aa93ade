package publish

import (
	"testing"
	"time"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

func benchEvents(prefix string, n int) []*usagev1.UsageEvent {
	evs := make([]*usagev1.UsageEvent, n)
	for i := range evs {
		evs[i] = testEvent(prefix, i)
	}
	return evs
}

// BenchmarkPublish is the cost on the request path: marshal and hand to
// the spool. Every 4096 events the timer stops until JetStream has them,
// so the spool never fills.
func BenchmarkPublish(b *testing.B) {
	prefix := testPrefix(b)
	nc := connect(b, sharedNATS)
	cfg := testConfig(prefix)
	cfg.MaxInFlight = 1024
	ensureStreams(b, nc, cfg.Events)
	p := newPublisher(b, nc, b.TempDir(), cfg, nil)
	evs := benchEvents(prefix, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p.Publish(evs[i%len(evs)])
		if i%4096 == 4095 {
			b.StopTimer()
			waitFor(b, 30*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "drain")
			b.StartTimer()
		}
	}
}

// BenchmarkPublishThroughput is events per second from Publish to
// JetStream's ack, through the spool's fsync.
func BenchmarkPublishThroughput(b *testing.B) {
	prefix := testPrefix(b)
	nc := connect(b, sharedNATS)
	cfg := testConfig(prefix)
	cfg.MaxInFlight = 1024
	ensureStreams(b, nc, cfg.Events)
	p := newPublisher(b, nc, b.TempDir(), cfg, nil)
	evs := benchEvents(prefix, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		p.Publish(evs[i%len(evs)])
		if i%16384 == 16383 { // stay under the spool's memory bound
			for p.sp.Stats().MemoryRecords > 4096 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	waitFor(b, 60*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "drain")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
