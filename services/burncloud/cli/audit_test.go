package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/burncloud/burncloud/pkg/events"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

func testNATSURL() string {
	if u := os.Getenv(EnvNATSURL); u != "" {
		return u
	}
	return DefaultNATSURL
}

// testStream creates usage streams of their own on the machine's NATS and
// returns a way to publish to them.
func testStream(t *testing.T) (jetstream.JetStream, events.Options) {
	t.Helper()
	nc, err := nats.Connect(testNATSURL())
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	o := events.Options{Prefix: fmt.Sprintf("T%d_", time.Now().UnixNano()), MaxAge: time.Hour, MaxBytes: 1 << 20}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := events.EnsureStreams(ctx, js, o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = js.DeleteStream(context.Background(), o.UsageStream())
		_ = js.DeleteStream(context.Background(), o.DLQStream())
	})
	return js, o
}

func publish(t *testing.T, js jetstream.JetStream, o events.Options, evs ...*usagev1.UsageEvent) {
	t.Helper()
	for _, e := range evs {
		b, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(t.Context(), o.UsageSubject("r1"), b, jetstream.WithMsgID(e.Id)); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

func usageEvent(id string, at time.Time, tokenID, cost int64) *usagev1.UsageEvent {
	return &usagev1.UsageEvent{Id: id, Time: timestamppb.New(at), RouterId: "r1", User: "alice", Token: "laptop", TokenId: tokenID,
		RequestedModel: "gpt-4o", Channel: "openai-main", HttpStatus: 200, CostNanoUsd: cost, UpstreamCostNanoUsd: cost / 2}
}

func TestReadUsageEvents(t *testing.T) {
	js, o := testStream(t)
	empty, err := readUsageEvents(t.Context(), js, o.UsageStream(), time.Now().Add(-time.Hour))
	if err != nil || len(empty.events) != 0 || !empty.trimmedTo.IsZero() {
		t.Fatalf("empty stream: %+v, %v", empty, err)
	}
	now := time.Now()
	publish(t, js, o, usageEvent("a1", now, 1, 10), usageEvent("a2", now, 1, 20))
	time.Sleep(50 * time.Millisecond)
	mid := time.Now()
	time.Sleep(50 * time.Millisecond)
	publish(t, js, o, usageEvent("b1", now, 1, 30))
	if _, err := js.Publish(t.Context(), o.UsageSubject("r1"), []byte{0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	publish(t, js, o, usageEvent("b2", now, 1, 40))

	tests := []struct {
		name        string
		start       time.Time
		want        []string
		undecodable int
	}{
		{name: "from before the first", start: now.Add(-time.Minute), want: []string{"a1", "a2", "b1", "b2"}, undecodable: 1},
		{name: "from the middle", start: mid, want: []string{"b1", "b2"}, undecodable: 1},
		{name: "after the last", start: time.Now().Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readUsageEvents(t.Context(), js, o.UsageStream(), tt.start)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range got.events {
				ids = append(ids, e.Id)
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") || len(got.undecodable) != tt.undecodable {
				t.Errorf("read %v and %d undecodable, want %v and %d", ids, len(got.undecodable), tt.want, tt.undecodable)
			}
			if !got.trimmedTo.IsZero() {
				t.Errorf("a stream that lost nothing reads as trimmed to %v", got.trimmedTo)
			}
		})
	}
	if _, err := readUsageEvents(t.Context(), js, "NO_SUCH_STREAM", now); err == nil {
		t.Error("reading a missing stream succeeded")
	}
}

// TestAuditAgainstControl settles events through the store as billing
// would, then audits: clean first, then with an event billing never saw.
func TestAuditAgainstControl(t *testing.T) {
	f := startControl(t)
	js, o := testStream(t)
	f.cli(t, 0, "user", "create", "alice")
	f.cli(t, 0, "token", "create", "alice", "laptop")
	tok, err := f.store.GetToken(t.Context(), "alice", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	settled := []*usagev1.UsageEvent{usageEvent("ev-1", now, tok.ID, 750_000), usageEvent("ev-2", now, tok.ID, 1_250_000),
		usageEvent("ev-3", now, tok.ID, 0)}
	publish(t, js, o, settled...)
	// A republished duplicate is one event.
	publish(t, js, o, settled[0])
	if _, err := f.store.Settle(t.Context(), settled); err != nil {
		t.Fatalf("settle: %v", err)
	}
	audit := []string{"audit", "--nats-url", testNATSURL(), "--stream", o.UsageStream(), "--since", "1h", "--settle-lag", "0s"}

	out := f.cli(t, 0, audit...)
	mustContain(t, "clean audit", out, ": 3 events, 3 ledger entries in the window, 3 in all, 1 users, 1 tokens: OK")

	// An event billing never settled.
	publish(t, js, o, usageEvent("ev-4", now, tok.ID, 5_000))
	stdout, stderr, code := run(t, f.env, append(audit, "-o", "json")...)
	if code != ExitError || !strings.Contains(stderr, "audit found 1 difference(s)") {
		t.Fatalf("audit with a missing entry: exit %d\n%s%s", code, stdout, stderr)
	}
	var report AuditReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if len(report.Differences) != 1 || report.Differences[0].Kind != MissingLedgerEntry || report.Differences[0].EventID != "ev-4" ||
		report.Events != 4 {
		t.Errorf("report: %+v", report)
	}
	// A window that ends before the events leaves them out.
	mustContain(t, "earlier window", f.cli(t, 0, append(audit, "--until", "30m")...), ": 0 events, 0 ledger entries in the window, 3 in all")
}

// A stream that lost its oldest messages says from when it is complete.
func TestReadUsageEventsTrimmedStream(t *testing.T) {
	js, o := testStream(t)
	name := o.Prefix + "TRIMMED"
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{o.Prefix + "trimmed.>"},
		MaxMsgs: 2, Discard: jetstream.DiscardOld, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
	now := time.Now()
	for _, id := range []string{"x1", "x2", "x3"} {
		b, _ := proto.Marshal(usageEvent(id, now, 1, 1))
		if _, err := js.Publish(t.Context(), o.Prefix+"trimmed.r1", b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readUsageEvents(t.Context(), js, name, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.events) != 2 || got.events[0].Id != "x2" || got.trimmedTo.IsZero() || got.trimmedTo.Before(now) {
		t.Errorf("read %d events, trimmed to %v", len(got.events), got.trimmedTo)
	}
}
