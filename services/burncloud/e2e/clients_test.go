package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/protobuf/proto"

	"github.com/burncloud/burncloud/pkg/events"
	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

func (r *router) openai(key string, opts ...option.RequestOption) *openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(r.URL + "/v1/"),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(20 * time.Second),
	}
	c := openai.NewClient(append(base, opts...)...)
	return &c
}

type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}
func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}
func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

func (g *gateway) users() adminv1connect.UserServiceClient {
	return adminv1connect.NewUserServiceClient(http.DefaultClient, g.ctlURL, connect.WithInterceptors(bearer(adminKey)))
}

func (g *gateway) tokens() adminv1connect.TokenServiceClient {
	return adminv1connect.NewTokenServiceClient(http.DefaultClient, g.ctlURL, connect.WithInterceptors(bearer(adminKey)))
}

func (g *gateway) usage() adminv1connect.UsageServiceClient {
	return adminv1connect.NewUsageServiceClient(http.DefaultClient, g.ctlURL, connect.WithInterceptors(bearer(adminKey)))
}

// streamEvents reads every usage event in the stream, in order.
func (g *gateway) streamEvents() []*usagev1.UsageEvent {
	g.t.Helper()
	nc, err := nats.Connect(g.nats.URL())
	if err != nil {
		g.t.Fatalf("nats: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		g.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, events.StreamUsage)
	if err != nil {
		g.t.Fatalf("stream: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		g.t.Fatal(err)
	}
	var out []*usagev1.UsageEvent
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		ev := new(usagev1.UsageEvent)
		if err := proto.Unmarshal(m.Data, ev); err != nil {
			g.t.Fatalf("event %d: %v", seq, err)
		}
		out = append(out, ev)
	}
	return out
}

// waitEvent waits for the event with the given id to be on the stream.
func (g *gateway) waitEvent(id string) *usagev1.UsageEvent {
	g.t.Helper()
	var found *usagev1.UsageEvent
	eventually(g.t, 10*time.Second, "event "+id+" on the stream", func() (bool, string) {
		for _, ev := range g.streamEvents() {
			if ev.GetId() == id {
				found = ev
				return true, ""
			}
		}
		return false, "not yet"
	})
	return found
}

// ledger reads every ledger entry.
func (g *gateway) ledger() []*adminv1.LedgerEntry {
	g.t.Helper()
	var out []*adminv1.LedgerEntry
	token := ""
	for {
		resp, err := g.usage().ListLedgerEntries(context.Background(), connect.NewRequest(&adminv1.ListLedgerEntriesRequest{PageSize: 1000, PageToken: token}))
		if err != nil {
			g.t.Fatalf("ledger: %v", err)
		}
		out = append(out, resp.Msg.GetEntries()...)
		token = resp.Msg.GetNextPageToken()
		if token == "" {
			return out
		}
	}
}

func (g *gateway) userUsed(name string) int64 {
	g.t.Helper()
	resp, err := g.users().GetUser(context.Background(), connect.NewRequest(&adminv1.GetUserRequest{Name: name}))
	if err != nil {
		g.t.Fatalf("get user: %v", err)
	}
	return resp.Msg.GetUser().GetUsedNanoUsd()
}

// settled waits until the ledger holds exactly the given event ids once each
// and alice's balance equals the sum of their costs. With nil ids it checks
// against every event on the stream at each look, as late events keep coming.
// streamHolds waits until the usage stream holds n events: every
// authenticated request publishes one, some after the others are settled.
func (g *gateway) streamHolds(t *testing.T, n int) {
	t.Helper()
	eventually(t, 15*time.Second, "every request's event in the stream", func() (bool, string) {
		got := len(g.streamEvents())
		return got == n, fmt.Sprintf("%d events, want %d", got, n)
	})
}

func (g *gateway) settled(t *testing.T, want map[string]bool) {
	t.Helper()
	eventually(t, 15*time.Second, "ledger settles every event once", func() (bool, string) {
		ids := want
		if ids == nil {
			ids = map[string]bool{}
			for _, ev := range g.streamEvents() {
				ids[ev.GetId()] = true
			}
		}
		entries := g.ledger()
		seen := map[string]int{}
		var sum int64
		for _, e := range entries {
			seen[e.GetEventId()]++
			sum += e.GetCostNanoUsd()
		}
		if len(entries) != len(ids) {
			return false, "ledger rows differ from events"
		}
		for id := range ids {
			if seen[id] != 1 {
				return false, "event " + id + " not settled once"
			}
		}
		used := g.userUsed("alice")
		return used == sum, "balance differs from ledger"
	})
}
