package publish

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/burncloud/burncloud/pkg/events"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/services/router/spool"
)

// sharedNATS is the machine's server, for tests that do not stop it.
const sharedNATS = "nats://127.0.0.1:4222"

const testRouter = "router-test-1"

// testPrefix keeps a test's streams apart from everyone else's.
func testPrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "T" + hex.EncodeToString(b[:]) + "_"
}

func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url,
		nats.MaxReconnects(-1),
		nats.ReconnectWait(20*time.Millisecond),
		nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// ensureStreams creates the test's streams and removes them afterwards.
func ensureStreams(t testing.TB, nc *nats.Conn, o events.Options) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	o.MaxBytes = 64 << 20
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := events.EnsureStreams(ctx, js, o); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, o.UsageStream())
		_ = js.DeleteStream(ctx, o.DLQStream())
	})
	return js
}

func testConfig(prefix string) Config {
	return Config{
		RouterID:    testRouter,
		Events:      events.Options{Prefix: prefix},
		MaxInFlight: 64,
		AckTimeout:  time.Second,
		MinBackoff:  20 * time.Millisecond,
		MaxBackoff:  200 * time.Millisecond,
	}
}

// openSpool opens the spool in dir; t may be nil in a crash child.
func openSpool(t testing.TB, dir string) *spool.Spool {
	sp, err := spool.Open(spool.Options{Dir: dir, MaxSegmentBytes: 64 << 10, MaxRecordBytes: 16 << 10, MaxBytes: 16 << 20})
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatalf("spool.Open: %v", err)
	}
	return sp
}

// newPublisher starts a publisher over the spool in dir; closed at cleanup
// unless the test closed it.
func newPublisher(t testing.TB, nc *nats.Conn, dir string, cfg Config, m *Metrics) *Publisher {
	t.Helper()
	p, err := New(nc, openSpool(t, dir), cfg, nil, m)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

// closeCase is a publisher over a fresh spool and streams on the NATS at
// url, which the test closes itself.
type closeCase struct {
	nc     *nats.Conn
	prefix string
	cfg    Config
	js     jetstream.JetStream
	dir    string
	p      *Publisher
}

func newCloseCase(t testing.TB, url string) closeCase {
	t.Helper()
	prefix := testPrefix(t)
	nc := connect(t, url)
	cfg := testConfig(prefix)
	js := ensureStreams(t, nc, cfg.Events)
	dir := t.TempDir()
	p, err := New(nc, openSpool(t, dir), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return closeCase{nc: nc, prefix: prefix, cfg: cfg, js: js, dir: dir, p: p}
}

func testEvent(prefix string, i int) *usagev1.UsageEvent {
	return &usagev1.UsageEvent{
		Id:               fmt.Sprintf("%sevent-%06d", prefix, i),
		Time:             timestamppb.New(time.Unix(1_800_000_000, int64(i))),
		RouterId:         testRouter,
		User:             "alice",
		Token:            "laptop",
		TokenId:          42,
		Channel:          "openai-main",
		KeyId:            "k1",
		RequestedModel:   "gpt-4o",
		UpstreamModel:    "gpt-4o-2024-11-20",
		InboundProtocol:  usagev1.Protocol(1),
		UpstreamProtocol: usagev1.Protocol(1),
		Stream:           i%2 == 0,
		HttpStatus:       200,
		Usage:            &usagev1.Usage{InputUncached: 1200, InputCacheRead: 300, Output: 250, Reasoning: 40},
		PricingRevision:  7,
		CostNanoUsd:      int64(i) * 1000,
		Latency:          durationpb.New(1500 * time.Millisecond),
		TimeToFirstToken: durationpb.New(200 * time.Millisecond),
		ClientIp:         "203.0.113.9",
	}
}

// streamContent returns how often each event id is in the usage stream,
// checking every message's subject, header and body on the way.
func streamContent(t testing.TB, js jetstream.JetStream, o events.Options) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, o.UsageStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	if info.State.Msgs == 0 {
		return seen
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("GetMsg %d: %v", seq, err)
		}
		var ev usagev1.UsageEvent
		if err := proto.Unmarshal(msg.Data, &ev); err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		if got := msg.Header.Get(jetstream.MsgIDHeader); got != ev.Id {
			t.Fatalf("message %d: Nats-Msg-Id %q, event id %q", seq, got, ev.Id)
		}
		if want := o.UsageSubject(testRouter); msg.Subject != want {
			t.Fatalf("message %d on subject %q, want %q", seq, msg.Subject, want)
		}
		seen[ev.Id]++
	}
	return seen
}

// checkExactlyOnce fails unless the stream holds events 0..n-1 of prefix,
// each exactly once, and nothing else.
func checkExactlyOnce(t testing.TB, seen map[string]int, prefix string, n int) {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = testEvent(prefix, i).Id
	}
	checkExactlyOnceIDs(t, seen, ids)
}

// checkExactlyOnceIDs fails unless the stream holds exactly ids, once each.
func checkExactlyOnceIDs(t testing.TB, seen map[string]int, ids []string) {
	t.Helper()
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("event %s is in the stream %d times, want once", id, seen[id])
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("stream holds %d distinct events, want %d", len(seen), len(ids))
	}
}

func waitFor(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// privateNATS is an in-process nats-server with JetStream that a test may
// stop and restart on the same port and store.
type privateNATS struct {
	t    testing.TB
	dir  string
	port int
	srv  *server.Server
}

func startPrivateNATS(t testing.TB) *privateNATS {
	t.Helper()
	n := &privateNATS{t: t, dir: t.TempDir(), port: server.RANDOM_PORT}
	n.start()
	n.port = n.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(n.stop)
	return n
}

func (n *privateNATS) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *privateNATS) start() {
	n.t.Helper()
	srv, err := server.NewServer(&server.Options{
		ServerName: "private",
		Host:       "127.0.0.1",
		Port:       n.port,
		JetStream:  true,
		StoreDir:   n.dir,
		NoLog:      true,
		NoSigs:     true,
	})
	if err != nil {
		n.t.Fatalf("nats-server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		n.t.Fatal("nats-server did not start")
	}
	n.srv = srv
}

func (n *privateNATS) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}
