package billing

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/burncloud/burncloud/pkg/events"
	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/pkg/store/postgres"
	"github.com/burncloud/burncloud/pkg/store/storetest"
)

// rig is one billing test's world: a fresh database, private streams on the
// machine's NATS, and a user with a token.
type rig struct {
	t    *testing.T
	st   store.Store
	js   jetstream.JetStream
	eopt events.Options
	opts ConsumerOptions
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, storetest.PostgresDSN(t), postgres.Options{Logger: zaptest.NewLogger(t), Migrate: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	nc, err := nats.Connect(natsURL())
	if err != nil {
		t.Fatalf("connect NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	eopt := events.Options{Prefix: fmt.Sprintf("T%s_", uuid.NewString()[:8]), MaxBytes: 64 << 20}
	if err := events.EnsureStreams(ctx, js, eopt); err != nil {
		t.Fatalf("streams: %v", err)
	}
	t.Cleanup(func() {
		_ = js.DeleteStream(context.Background(), eopt.UsageStream())
		_ = js.DeleteStream(context.Background(), eopt.DLQStream())
	})
	if _, err := st.CreateUser(ctx, &adminv1.User{Name: "alice", Role: adminv1.Role_ROLE_USER, Status: adminv1.Status_STATUS_ACTIVE}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return &rig{t: t, st: st, js: js, eopt: eopt, opts: ConsumerOptions{
		Durable: "billing", BatchSize: 100, BatchWait: 50 * time.Millisecond,
		AckWait: time.Second, MaxDeliver: 10, MaxAckPending: 1000,
		Stream: eopt.UsageStream(), DLQSubject: eopt.DLQSubject(),
	}}
}

func natsURL() string { return "nats://127.0.0.1:4222" }

func event(cost int64) *usagev1.UsageEvent {
	id, _ := uuid.NewV7()
	return &usagev1.UsageEvent{
		Id: id.String(), Time: timestamppb.Now(), RouterId: "r1", User: "alice",
		RequestedModel: "gpt-4o", HttpStatus: 200, CostNanoUsd: cost, UpstreamCostNanoUsd: cost / 2,
		Usage: &usagev1.Usage{InputUncached: 10, Output: 5},
	}
}

// publish sends ev as a router would; msgID "" leaves deduplication to the ledger.
func (r *rig) publish(ev *usagev1.UsageEvent, msgID string) {
	r.t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		r.t.Fatal(err)
	}
	msg := nats.NewMsg(r.eopt.UsageSubject(ev.GetRouterId()))
	msg.Data = data
	if msgID != "" {
		msg.Header.Set(jetstream.MsgIDHeader, msgID)
	}
	if _, err := r.js.PublishMsg(context.Background(), msg); err != nil {
		r.t.Fatalf("publish: %v", err)
	}
}

func (r *rig) publishRaw(data []byte) {
	r.t.Helper()
	if _, err := r.js.Publish(context.Background(), r.eopt.UsageSubject("r1"), data); err != nil {
		r.t.Fatalf("publish: %v", err)
	}
}

// run starts a consumer with opts until the returned stop is called.
func (r *rig) run(opts ConsumerOptions) (stop func() error) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := NewConsumer(ctx, r.js, r.st, opts, zaptest.NewLogger(r.t), NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		cancel()
		r.t.Fatalf("consumer: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	r.t.Cleanup(func() { _ = stop() })
	return stop
}

// totals reads what the ledger and the balances say.
func (r *rig) totals() (ledgerRows int, ledgerSum, userUsed int64) {
	r.t.Helper()
	ctx := context.Background()
	after := ""
	for {
		page, err := r.st.ListLedger(ctx, &adminv1.UsageFilter{}, store.Page{Size: 1000, After: after})
		if err != nil {
			r.t.Fatalf("ledger: %v", err)
		}
		for _, e := range page {
			ledgerRows++
			ledgerSum += e.GetCostNanoUsd()
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].GetEventId()
	}
	u, err := r.st.GetUser(ctx, "alice")
	if err != nil {
		r.t.Fatal(err)
	}
	return ledgerRows, ledgerSum, u.GetUsedNanoUsd()
}

// waitTotals polls until the ledger holds want rows summing to sum, and the
// balance agrees.
func (r *rig) waitTotals(rows int, sum int64) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, s, used := r.totals()
		if n == rows && s == sum && used == sum {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("ledger rows=%d sum=%d used=%d; want rows=%d sum=%d used=%d", n, s, used, rows, sum, sum)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stable asserts the totals do not move for a while (late duplicates).
func (r *rig) stable(rows int, sum int64, d time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		n, s, used := r.totals()
		if n != rows || s != sum || used != sum {
			r.t.Fatalf("totals moved: rows=%d sum=%d used=%d; want rows=%d sum=%d", n, s, used, rows, sum)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDuplicateEventSettledOnce(t *testing.T) {
	r := newRig(t)
	r.run(r.opts)
	ev := event(1000)
	// Different message ids defeat JetStream's duplicate window: the ledger
	// is the real guard.
	r.publish(ev, "a")
	r.publish(ev, "b")
	r.publish(event(7), "")
	r.waitTotals(2, 1007)
	r.stable(2, 1007, 500*time.Millisecond)
}

func TestCrashBetweenCommitAndAck(t *testing.T) {
	r := newRig(t)
	var crashed atomic.Bool
	opts := r.opts
	opts.AfterCommit = func() error {
		if crashed.CompareAndSwap(false, true) {
			return errors.New("simulated crash")
		}
		return nil
	}
	stop := r.run(opts)
	for i := 0; i < 5; i++ {
		r.publish(event(100), "")
	}
	r.waitTotals(5, 500)
	if err := stop(); !errors.Is(err, errStopped) {
		t.Fatalf("Run = %v, want the simulated crash", err)
	}
	// The unacknowledged batch comes back after AckWait to a new consumer.
	r.run(r.opts)
	r.publish(event(1), "")
	r.waitTotals(6, 501)
	r.stable(6, 501, 1500*time.Millisecond)
	info, err := r.js.Consumer(context.Background(), r.eopt.UsageStream(), "billing")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ci, err := info.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ci.NumAckPending == 0 && ci.NumPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events left unacknowledged: pending=%d ackPending=%d", ci.NumPending, ci.NumAckPending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestReplayIntoFreshConsumerChangesNothing(t *testing.T) {
	r := newRig(t)
	stop := r.run(r.opts)
	var sum int64
	for i := int64(1); i <= 20; i++ {
		r.publish(event(i*10), "")
		sum += i * 10
	}
	r.waitTotals(20, sum)
	_ = stop()
	replay := r.opts
	replay.Durable = "replay"
	r.run(replay)
	// Wait for the replay consumer to reach the end of the stream.
	c, err := r.js.Consumer(context.Background(), r.eopt.UsageStream(), "replay")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ci, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ci.AckFloor.Stream >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay stuck at %d", ci.AckFloor.Stream)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.stable(20, sum, 300*time.Millisecond)
}

func TestInvalidEventGoesToDLQAndNeighboursSettle(t *testing.T) {
	r := newRig(t)
	bad := event(5)
	bad.User = ""
	r.publish(event(10), "")
	r.publish(bad, "")
	r.publishRaw([]byte("not protobuf \xff\xff"))
	r.publish(event(20), "")
	r.run(r.opts)
	r.waitTotals(2, 30)

	dlq, err := r.js.Stream(context.Background(), r.eopt.DLQStream())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		si, err := dlq.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if si.State.Msgs == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DLQ holds %d events, want 2", si.State.Msgs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	msg, err := dlq.GetMsg(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if reason := msg.Header.Get(HeaderDLQReason); reason == "" {
		t.Fatal("dead-lettered event carries no reason")
	}
}
