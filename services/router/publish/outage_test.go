package publish

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/burncloud/burncloud/services/router/spool"
)

// publishTimed publishes events from..to-1 and returns each call's duration.
func publishTimed(p *Publisher, prefix string, from, to int) []time.Duration {
	d := make([]time.Duration, 0, to-from)
	for i := from; i < to; i++ {
		ev := testEvent(prefix, i)
		start := time.Now()
		p.Publish(ev)
		d = append(d, time.Since(start))
	}
	return d
}

// checkFast fails when Publish waited on anything: the worst call must be
// far below one fsync or network round trip.
func checkFast(t *testing.T, d []time.Duration) {
	t.Helper()
	slices.Sort(d)
	p50, worst := d[len(d)/2], d[len(d)-1]
	t.Logf("Publish: p50 %s, max %s over %d calls", p50, worst, len(d))
	if p50 > 500*time.Microsecond || worst > 100*time.Millisecond {
		t.Fatalf("Publish blocked: p50 %s, max %s", p50, worst)
	}
}

func TestNATSOutage(t *testing.T) {
	srv := startPrivateNATS(t)
	prefix := testPrefix(t)
	nc := connect(t, srv.url())
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	m := NewMetrics(nil)
	p := newPublisher(t, nc, t.TempDir(), cfg, m)

	checkFast(t, publishTimed(p, prefix, 0, 100))
	waitFor(t, 10*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "published while NATS is up")

	srv.stop()
	waitFor(t, 5*time.Second, func() bool { return !nc.IsConnected() }, "client notices the outage")
	const n = 1000
	checkFast(t, publishTimed(p, prefix, 100, n))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // a few retry rounds
	if st := p.sp.Stats(); st.Records != n-100 {
		t.Fatalf("spool holds %d events during the outage, want %d", st.Records, n-100)
	}

	srv.start()
	waitFor(t, 30*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "spool drained after NATS came back")
	checkExactlyOnce(t, streamContent(t, js, cfg.Events), prefix, n)
	acked := testutil.ToFloat64(m.published.WithLabelValues(resultStored)) + testutil.ToFloat64(m.published.WithLabelValues(resultDuplicate))
	if acked < n {
		t.Fatalf("%v acknowledgements for %d events", acked, n)
	}
}

// TestNATSRestartMidStream stops and restarts NATS while events are being
// published; every event still ends up in the stream exactly once.
func TestNATSRestartMidStream(t *testing.T) {
	srv := startPrivateNATS(t)
	prefix := testPrefix(t)
	nc := connect(t, srv.url())
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	m := NewMetrics(nil)
	p := newPublisher(t, nc, t.TempDir(), cfg, m)

	stop := make(chan struct{})
	produced := make(chan int)
	go func() {
		i := 0
		for {
			select {
			case <-stop:
				produced <- i
				return
			default:
			}
			publishTimed(p, prefix, i, i+20)
			i += 20
			time.Sleep(200 * time.Microsecond)
		}
	}()
	waitFor(t, 10*time.Second, func() bool { return testutil.ToFloat64(m.published.WithLabelValues(resultStored)) > 0 }, "first acks")
	srv.stop()
	time.Sleep(200 * time.Millisecond)
	srv.start()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	n := <-produced
	waitFor(t, 30*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "every event acknowledged")
	checkExactlyOnce(t, streamContent(t, js, cfg.Events), prefix, n)
	t.Logf("%d events, %v failed publishes retried", n, testutil.ToFloat64(m.errors))
}

func TestCloseLeavesRestOnDisk(t *testing.T) {
	srv := startPrivateNATS(t)
	c := newCloseCase(t, srv.url())
	p, prefix, dir := c.p, c.prefix, c.dir
	srv.stop()
	const n = 200
	publishTimed(p, prefix, 0, n)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %s with a 300ms deadline", d)
	}
	sp := openSpool(t, dir)
	if got := sp.Stats().Records; got != n {
		t.Fatalf("%d events on disk after Close, want %d", got, n)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}

	srv.start()
	p2 := newPublisher(t, c.nc, dir, c.cfg, nil)
	waitFor(t, 30*time.Second, func() bool { return p2.sp.Stats().Records == 0 }, "next start publishes the rest")
	checkExactlyOnce(t, streamContent(t, c.js, c.cfg.Events), prefix, n)
}

// TestSpoolFullNeverBlocks fills a tiny spool while NATS is down: Publish
// keeps returning at once and drops with a count beyond the bounds, and
// everything accepted is published once NATS is back.
func TestSpoolFullNeverBlocks(t *testing.T) {
	srv := startPrivateNATS(t)
	prefix := testPrefix(t)
	nc := connect(t, srv.url())
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	sm := spool.NewMetrics(nil)
	sp, err := spool.Open(spool.Options{
		Dir: t.TempDir(), MaxRecordBytes: 1024, MaxSegmentBytes: 8 << 10, MaxBytes: 32 << 10,
		MaxMemoryBytes: 16 << 10, Metrics: sm,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(nil)
	p, err := New(nc, sp, cfg, nil, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	srv.stop()

	// Until the disk budget is spent, each event waits for the writer to
	// take it, however slow the machine: what overflows is the disk budget,
	// then the memory bound. The drop counter tells which were kept.
	const n = 400
	var durations []time.Duration
	var accepted []string
	dropped := func() float64 { return testutil.ToFloat64(m.dropped.WithLabelValues(dropSpoolFull)) }
	full := false
	for i := range n {
		before := dropped()
		durations = append(durations, publishTimed(p, prefix, i, i+1)...)
		if dropped() == before {
			accepted = append(accepted, testEvent(prefix, i).Id)
		}
		if !full {
			waitFor(t, 10*time.Second, func() bool {
				st := sp.Stats()
				return st.Full || st.MemoryRecords == 0
			}, "the writer takes the event or finds the disk budget spent")
			full = sp.Stats().Full
		}
	}
	checkFast(t, durations)
	st := sp.Stats()
	if !st.Full || st.MemoryRecords == 0 || dropped() == 0 {
		t.Fatalf("want a full spool holding events in memory and dropping the rest: %+v, dropped %v", st, dropped())
	}
	if st.Records != int64(len(accepted)) {
		t.Fatalf("spool holds %d, accepted %d", st.Records, len(accepted))
	}

	srv.start()
	waitFor(t, 30*time.Second, func() bool { return sp.Stats().Records == 0 }, "spool drained")
	checkExactlyOnceIDs(t, streamContent(t, js, cfg.Events), accepted)
}
