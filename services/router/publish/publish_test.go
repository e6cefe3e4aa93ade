package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"

	"github.com/burncloud/burncloud/pkg/events"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

func TestPublishExactlyOnce(t *testing.T) {
	prefix := testPrefix(t)
	nc := connect(t, sharedNATS)
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	m := NewMetrics(prometheus.NewRegistry())
	dir := t.TempDir()
	p := newPublisher(t, nc, dir, cfg, m)

	const goroutines, each = 8, 100
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				p.Publish(testEvent(prefix, g*each+i))
			}
		})
	}
	wg.Wait()
	n := goroutines * each
	waitFor(t, 20*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "spool drained")
	checkExactlyOnce(t, streamContent(t, js, cfg.Events), prefix, n)
	if got := testutil.ToFloat64(m.published.WithLabelValues(resultStored)); got != float64(n) {
		t.Fatalf("published metric %v, want %d", got, n)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Fatalf("in-flight gauge %v after draining", got)
	}
	if testutil.CollectAndCount(m.latency) != 1 {
		t.Fatal("publish latency not observed")
	}
	waitFor(t, 5*time.Second, func() bool {
		segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		return len(segs) == 0
	}, "acknowledged segments deleted")
}

func TestPublishedBodyIsTheEvent(t *testing.T) {
	prefix := testPrefix(t)
	nc := connect(t, sharedNATS)
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	p := newPublisher(t, nc, t.TempDir(), cfg, nil)
	want := testEvent(prefix, 1)
	p.Publish(proto.Clone(want).(*usagev1.UsageEvent))
	waitFor(t, 10*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "published")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, cfg.Events.UsageStream())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetLastMsgForSubject(ctx, cfg.Events.UsageSubject(testRouter))
	if err != nil {
		t.Fatal(err)
	}
	var got usagev1.UsageEvent
	if err := proto.Unmarshal(msg.Data, &got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&got, want) {
		t.Fatalf("stream holds %v, want %v", &got, want)
	}
}

// TestRefusedPublishRetried lets a stream refuse events (full, DiscardNew):
// they stay spooled, are retried, and land once the stream has room.
func TestRefusedPublishRetried(t *testing.T) {
	prefix := testPrefix(t)
	nc := connect(t, sharedNATS)
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	setMaxMsgs := func(n int64) {
		t.Helper()
		s, err := js.Stream(ctx, cfg.Events.UsageStream())
		if err != nil {
			t.Fatal(err)
		}
		sc := s.CachedInfo().Config
		sc.MaxMsgs = n
		if _, err := js.UpdateStream(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	setMaxMsgs(50)
	m := NewMetrics(nil)
	p := newPublisher(t, nc, t.TempDir(), cfg, m)
	const n = 200
	for i := range n {
		p.Publish(testEvent(prefix, i))
	}
	waitFor(t, 10*time.Second, func() bool { return testutil.ToFloat64(m.errors) > 0 }, "the full stream refuses events")
	waitFor(t, 10*time.Second, func() bool { return p.sp.Stats().Records == n-50 }, "refused events stay spooled")
	setMaxMsgs(-1)
	waitFor(t, 20*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "refused events published once there is room")
	checkExactlyOnce(t, streamContent(t, js, cfg.Events), prefix, n)
}

func TestDuplicateAckCountsAsAck(t *testing.T) {
	prefix := testPrefix(t)
	nc := connect(t, sharedNATS)
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	m := NewMetrics(nil)
	p := newPublisher(t, nc, t.TempDir(), cfg, m)
	p.Publish(testEvent(prefix, 0))
	waitFor(t, 10*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "first copy published")
	// The same event again, as a replay after a lost ack would send it.
	p.Publish(testEvent(prefix, 0))
	waitFor(t, 10*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "duplicate acknowledged and removed")
	if got := testutil.ToFloat64(m.published.WithLabelValues(resultDuplicate)); got != 1 {
		t.Fatalf("duplicate acks %v, want 1", got)
	}
	checkExactlyOnce(t, streamContent(t, js, cfg.Events), prefix, 1)
}

// TestCloseDrains: Close sends what is spooled before it returns, and does
// not wait out the lingers that batch a running router's sends.
func TestCloseDrains(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events int
		within time.Duration // 0: no bound
	}{
		{name: "many events", events: 300},
		// Waiting out both lingers would take their sum.
		{name: "one event, no linger", events: 1, within: publishLinger + ackLinger/2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloseCase(t, sharedNATS)
			p, prefix := c.p, c.prefix
			for i := range tc.events {
				p.Publish(testEvent(prefix, i))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			if err := p.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if took := time.Since(start); tc.within > 0 && took >= tc.within {
				t.Fatalf("Close took %s, want under %s", took, tc.within)
			}
			checkExactlyOnce(t, streamContent(t, c.js, c.cfg.Events), prefix, tc.events)
			sp := openSpool(t, c.dir)
			defer sp.Close()
			if st := sp.Stats(); st.Records != 0 {
				t.Fatalf("%d records left after a Close with NATS up", st.Records)
			}
			if err := p.Close(ctx); !errors.Is(err, ErrClosed) {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

func TestPublishRejects(t *testing.T) {
	nc := connect(t, sharedNATS)
	m := NewMetrics(nil)
	p := newPublisher(t, nc, t.TempDir(), testConfig(testPrefix(t)), m)
	p.Publish(&usagev1.UsageEvent{User: "no id"})
	if got := testutil.ToFloat64(m.dropped.WithLabelValues(dropInvalid)); got != 1 {
		t.Fatalf("invalid drops %v, want 1", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	p.Publish(testEvent("x", 1))
	if got := testutil.ToFloat64(m.dropped.WithLabelValues(dropClosed)); got != 1 {
		t.Fatalf("closed drops %v, want 1", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		errs int
	}{
		{"ok", Config{RouterID: "r1"}, 0},
		{"no router", Config{}, 1},
		{"router with dot", Config{RouterID: "a.b"}, 1},
		{"router with space", Config{RouterID: "a b"}, 1},
		{"bad prefix", Config{RouterID: "r", Events: events.Options{Prefix: "a.b"}}, 1},
		{"all wrong", Config{RouterID: "*", MaxInFlight: -1, AckTimeout: -1, MinBackoff: time.Second, MaxBackoff: time.Millisecond}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			var n int
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				n = len(j.Unwrap())
			}
			if n != tt.errs {
				t.Fatalf("Validate() = %v: %d problems, want %d", err, n, tt.errs)
			}
			if n > 0 && !errors.Is(err, ErrConfig) {
				t.Fatalf("%v is not ErrConfig", err)
			}
		})
	}
}

func TestEventID(t *testing.T) {
	full, _ := proto.Marshal(testEvent("p-", 3))
	noID, _ := proto.Marshal(&usagev1.UsageEvent{User: "u", HttpStatus: 200})
	twice := append(append([]byte{}, full...), full[:len(full)/2]...)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"event", full, "p-event-000003"},
		{"no id", noID, ""},
		{"empty", nil, ""},
		{"torn", full[:len(full)-1], ""},
		{"garbage", []byte{0xff, 0xff, 0xff}, ""},
		{"id appended later wins", append(append([]byte{}, noID...), 0x0a, 2, 'i', 'd'), "id"},
		{"cut inside a later field", twice, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eventID(tt.in); got != tt.want {
				t.Fatalf("eventID = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzEventID(f *testing.F) {
	full, _ := proto.Marshal(testEvent("p-", 3))
	f.Add(full)
	f.Add(full[:10])
	f.Add([]byte{0x0a, 0x05, 'a'})
	f.Add([]byte{0x08, 0x96, 0x01, 0x0a, 0x01, 'z'})
	f.Fuzz(func(t *testing.T, b []byte) {
		id := eventID(b)
		var ev usagev1.UsageEvent
		if err := proto.Unmarshal(b, &ev); err == nil && id != ev.Id {
			t.Fatalf("eventID %q, protobuf says %q", id, ev.Id)
		}
	})
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	os.Exit(m.Run())
}

// An event whose acknowledgement never comes (here a plain subscriber takes
// the subject before any stream does, so nobody answers) times out after
// AckTimeout, stays spooled and is sent again until JetStream stores it.
func TestUnansweredPublishTimesOut(t *testing.T) {
	prefix := testPrefix(t)
	nc := connect(t, sharedNATS)
	cfg := testConfig(prefix)
	cfg.AckTimeout = 200 * time.Millisecond
	swallowed := make(chan *nats.Msg, 64)
	sub, err := nc.ChanSubscribe(cfg.Events.UsageSubject(cfg.RouterID), swallowed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	m := NewMetrics(nil)
	p := newPublisher(t, nc, t.TempDir(), cfg, m)
	p.Publish(testEvent(prefix, 0))
	select {
	case <-swallowed:
	case <-time.After(10 * time.Second):
		t.Fatal("the event was never sent")
	}
	waitFor(t, 10*time.Second, func() bool { return testutil.ToFloat64(m.errors) > 0 }, "the unanswered publish times out")
	if got := p.sp.Stats().Records; got != 1 {
		t.Fatalf("%d events spooled after the timeout, want 1", got)
	}
	js := ensureStreams(t, nc, cfg.Events)
	waitFor(t, 20*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "the event stored once a stream answers")
	checkExactlyOnce(t, streamContent(t, js, cfg.Events), prefix, 1)
}
