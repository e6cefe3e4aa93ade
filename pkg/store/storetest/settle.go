package storetest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// event is a usage event of the token tk (of user) costing cost, with
// every field set so that round trips are checked in full.
func event(id, user string, tk store.Token, cost int64) *usagev1.UsageEvent {
	return &usagev1.UsageEvent{
		Id: id, Time: timestamppb.New(baseTime), RouterId: "router-1",
		User: user, Token: tk.Token.GetName(), TokenId: tk.ID,
		Channel: "openai-main", KeyId: "k1", RequestedModel: "gpt-4o", UpstreamModel: "gpt-4o-2024-11-20",
		InboundProtocol: usagev1.Protocol_PROTOCOL_OPENAI, UpstreamProtocol: usagev1.Protocol_PROTOCOL_ANTHROPIC,
		Operation: "chat.completions", Stream: true, HttpStatus: 200,
		Usage:               &usagev1.Usage{InputUncached: 1000, InputCacheRead: 200, InputCacheWrite: 30, Output: 400, Reasoning: 100},
		PricingRevision:     42,
		CostNanoUsd:         cost,
		UpstreamCostNanoUsd: cost * 8 / 10,
		ServiceTier:         usagev1.ServiceTier_SERVICE_TIER_PRIORITY,
		Latency:             durationpb.New(1234567 * time.Nanosecond),
		TimeToFirstToken:    durationpb.New(150 * time.Millisecond),
		ClientIp:            "203.0.113.7", Attempts: 2, Group: "default",
	}
}

func userUsed(t *testing.T, s store.Store, name string) int64 {
	t.Helper()
	u, err := s.GetUser(ctxT(t), name)
	wantErr(t, "get user "+name, err, nil)
	return u.UsedNanoUsd
}

func tokenUsed(t *testing.T, s store.Store, user, name string) int64 {
	t.Helper()
	tk, err := s.GetToken(ctxT(t), user, name)
	wantErr(t, "get token", err, nil)
	return tk.Token.UsedNanoUsd
}

// allLedger pages through the whole ledger.
func allLedger(t *testing.T, s store.Store, f *adminv1.UsageFilter) []*adminv1.LedgerEntry {
	t.Helper()
	var out []*adminv1.LedgerEntry
	p := store.Page{Size: 97}
	for {
		page, err := s.ListLedger(ctxT(t), f, p)
		wantErr(t, "list ledger", err, nil)
		out = append(out, page...)
		if len(page) < p.Size {
			return out
		}
		p.After = store.LedgerCursor(page[len(page)-1])
	}
}

func testSettleBooksUsage(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	mustUser(t, s, "alice")
	tk := mustToken(t, s, "alice", "laptop")
	other := mustToken(t, s, "alice", "desk")
	before, err := s.Revision(ctx)
	wantErr(t, "revision", err, nil)

	evs := []*usagev1.UsageEvent{event("e2", "alice", tk, 700), event("e1", "alice", tk, 300), event("e3", "alice", other, 5)}
	res, err := s.Settle(ctx, evs)
	wantErr(t, "settle", err, nil)
	if res.Inserted != 3 || res.Duplicates != 0 || res.Revision <= before {
		t.Fatalf("settle: %+v, want 3 inserted, 0 duplicates, a revision after %d", res, before)
	}
	if got := userUsed(t, s, "alice"); got != 1005 {
		t.Fatalf("alice used %d, want 1005", got)
	}
	if a, b := tokenUsed(t, s, "alice", "laptop"), tokenUsed(t, s, "alice", "desk"); a != 1000 || b != 5 {
		t.Fatalf("token usage %d and %d, want 1000 and 5", a, b)
	}

	// The batch is one change carrying the new balances.
	rev, err := s.Revision(ctx)
	wantErr(t, "revision", err, nil)
	if rev != res.Revision {
		t.Fatalf("revision %d after settling, result says %d", rev, res.Revision)
	}
	d, err := s.ChangesSince(ctx, before)
	wantErr(t, "changes", err, nil)
	if d.To != res.Revision || len(d.Upserts.Users) != 1 || d.Upserts.Users[0].UsedNanoUsd != 1005 || len(d.Upserts.Tokens) != 2 {
		t.Fatalf("settlement delta: to %d, users %v, %d tokens", d.To, d.Upserts.Users, len(d.Upserts.Tokens))
	}
	for _, dt := range d.Upserts.Tokens {
		want := map[int64]int64{tk.ID: 1000, other.ID: 5}[dt.ID]
		if dt.Token.UsedNanoUsd != want {
			t.Fatalf("token %d in the delta used %d, want %d", dt.ID, dt.Token.UsedNanoUsd, want)
		}
	}

	// Request logs hold the events as they came.
	logs, err := s.ListRequestLogs(ctx, &adminv1.UsageFilter{}, store.Page{})
	wantErr(t, "logs", err, nil)
	if len(logs) != 3 {
		t.Fatalf("%d request logs, want 3", len(logs))
	}
	byID := map[string]*usagev1.UsageEvent{}
	for _, e := range evs {
		byID[e.Id] = e
	}
	for _, l := range logs {
		equalProto(t, "request log "+l.Id, byID[l.Id], l)
	}
	ledger := allLedger(t, s, &adminv1.UsageFilter{})
	if len(ledger) != 3 {
		t.Fatalf("%d ledger entries, want 3", len(ledger))
	}
	for _, e := range ledger {
		src := byID[e.EventId]
		if src == nil || e.User != "alice" || e.Token != src.Token || e.Model != "gpt-4o" ||
			e.CostNanoUsd != src.CostNanoUsd || e.UpstreamCostNanoUsd != src.UpstreamCostNanoUsd ||
			!e.Time.AsTime().Equal(baseTime) || e.SettleTime == nil {
			t.Fatalf("ledger entry %v does not match its event %v", e, src)
		}
	}

	// Zero-cost events (rejected requests) are logged but change no balance.
	zero := event("e4", "alice", tk, 0)
	zero.HttpStatus, zero.ErrorClass = 429, "rate_limited"
	res, err = s.Settle(ctx, []*usagev1.UsageEvent{zero})
	wantErr(t, "settle zero", err, nil)
	if res.Inserted != 1 || res.Revision != 0 {
		t.Fatalf("zero-cost settle: %+v, want 1 inserted and no revision", res)
	}
}

func testSettleIdempotent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	mustUser(t, s, "alice")
	tk := mustToken(t, s, "alice", "laptop")
	e := event("e1", "alice", tk, 250)

	res, err := s.Settle(ctx, []*usagev1.UsageEvent{e, e})
	wantErr(t, "settle twice in a batch", err, nil)
	if res.Inserted != 1 || res.Duplicates != 1 {
		t.Fatalf("same event twice in a batch: %+v, want 1 inserted, 1 duplicate", res)
	}
	rev, _ := s.Revision(ctx)
	res, err = s.Settle(ctx, []*usagev1.UsageEvent{e})
	wantErr(t, "settle again", err, nil)
	if res.Inserted != 0 || res.Duplicates != 1 || res.Revision != 0 {
		t.Fatalf("replayed event: %+v, want 0 inserted, 1 duplicate, no revision", res)
	}
	if r, _ := s.Revision(ctx); r != rev {
		t.Fatalf("a replay moved the revision %d -> %d", rev, r)
	}
	res, err = s.Settle(ctx, []*usagev1.UsageEvent{event("e2", "alice", tk, 50), e})
	wantErr(t, "settle new with old", err, nil)
	if res.Inserted != 1 || res.Duplicates != 1 {
		t.Fatalf("new and old event: %+v, want 1 inserted, 1 duplicate", res)
	}
	if u, tu := userUsed(t, s, "alice"), tokenUsed(t, s, "alice", "laptop"); u != 300 || tu != 300 {
		t.Fatalf("usage after replays: user %d, token %d, want 300", u, tu)
	}
	if n := len(allLedger(t, s, &adminv1.UsageFilter{})); n != 2 {
		t.Fatalf("%d ledger rows, want 2", n)
	}
	logs, err := s.ListRequestLogs(ctx, &adminv1.UsageFilter{}, store.Page{})
	wantErr(t, "logs", err, nil)
	if len(logs) != 2 {
		t.Fatalf("%d request logs, want 2", len(logs))
	}
	res, err = s.Settle(ctx, nil)
	wantErr(t, "settle nothing", err, nil)
	if res != (store.SettleResult{}) {
		t.Fatalf("empty batch: %+v", res)
	}
}

func testSettleUnknownOwner(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	mustUser(t, s, "alice")
	tk := mustToken(t, s, "alice", "laptop")
	gone := store.Token{ID: tk.ID + 1000, Token: &adminv1.Token{Name: "gone"}}
	res, err := s.Settle(ctx, []*usagev1.UsageEvent{event("e1", "ghost", gone, 70), event("e2", "alice", gone, 30)})
	wantErr(t, "settle", err, nil)
	if res.Inserted != 2 {
		t.Fatalf("events of unknown owners: %+v, want both in the ledger", res)
	}
	if u := userUsed(t, s, "alice"); u != 30 {
		t.Fatalf("alice used %d, want 30", u)
	}
	ledger := allLedger(t, s, &adminv1.UsageFilter{User: "ghost"})
	if len(ledger) != 1 || ledger[0].CostNanoUsd != 70 {
		t.Fatalf("ghost's ledger %v, want one entry of 70", ledger)
	}
}

func testSettleInvalidEvent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	mustUser(t, s, "alice")
	tk := mustToken(t, s, "alice", "laptop")
	noID := event("", "alice", tk, 10)
	noTime := event("e3", "alice", tk, 10)
	noTime.Time = nil
	for name, bad := range map[string]*usagev1.UsageEvent{"no id": noID, "no time": noTime} {
		_, err := s.Settle(ctx, []*usagev1.UsageEvent{event("e1", "alice", tk, 10), bad})
		wantErr(t, name, err, store.ErrInvalidEvent)
	}
	if n := len(allLedger(t, s, &adminv1.UsageFilter{})); n != 0 {
		t.Fatalf("a refused batch left %d ledger rows", n)
	}
	if u := userUsed(t, s, "alice"); u != 0 {
		t.Fatalf("a refused batch charged %d", u)
	}
}

// testSettleConcurrentOverlapping: several settlers (as billing replicas
// after redeliveries) settle the same events in different batches and
// orders; each event counts once and ledger, usage and balances agree.
func testSettleConcurrentOverlapping(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const (
		settlers = 6
		nEvents  = 600
	)
	type owner struct {
		user string
		tk   store.Token
	}
	var owners []owner
	for u := range 3 {
		name := fmt.Sprintf("u%d", u)
		mustUser(t, s, name)
		for k := range 3 {
			owners = append(owners, owner{name, mustToken(t, s, name, fmt.Sprintf("t%d", k))})
		}
	}
	rng := rand.New(rand.NewPCG(3, 5))
	events := make([]*usagev1.UsageEvent, nEvents)
	wantUser := map[string]int64{}
	wantToken := map[int64]int64{}
	var total int64
	for i := range events {
		o := owners[rng.IntN(len(owners))]
		cost := rng.Int64N(1_000_000_000)
		events[i] = event("ev-"+strconv.Itoa(i), o.user, o.tk, cost)
		events[i].Time = timestamppb.New(baseTime.Add(time.Duration(i) * time.Second))
		wantUser[o.user] += cost
		wantToken[o.tk.ID] += cost
		total += cost
	}

	var (
		wg                  sync.WaitGroup
		mu                  sync.Mutex
		inserted, duplicate int
		errs                []error
	)
	for w := range settlers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			order := r.Perm(nEvents)
			for len(order) > 0 {
				n := min(1+r.IntN(80), len(order))
				batch := make([]*usagev1.UsageEvent, n)
				for i, j := range order[:n] {
					batch[i] = events[j]
				}
				order = order[n:]
				res, err := s.Settle(ctx, batch)
				mu.Lock()
				inserted += res.Inserted
				duplicate += res.Duplicates
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d settlements failed, first: %v", len(errs), errs[0])
	}
	if inserted != nEvents || duplicate != (settlers-1)*nEvents {
		t.Fatalf("inserted %d, duplicates %d; want %d and %d", inserted, duplicate, nEvents, (settlers-1)*nEvents)
	}
	var usersSum int64
	for u, want := range wantUser {
		got := userUsed(t, s, u)
		if got != want {
			t.Fatalf("user %s used %d, want %d", u, got, want)
		}
		usersSum += got
	}
	for _, o := range owners {
		if got := tokenUsed(t, s, o.user, o.tk.Token.Name); got != wantToken[o.tk.ID] {
			t.Fatalf("token %s/%s used %d, want %d", o.user, o.tk.Token.Name, got, wantToken[o.tk.ID])
		}
	}
	ledger := allLedger(t, s, &adminv1.UsageFilter{})
	seen := map[string]bool{}
	var ledgerSum int64
	for _, e := range ledger {
		if seen[e.EventId] {
			t.Fatalf("event %s twice in the ledger", e.EventId)
		}
		seen[e.EventId] = true
		ledgerSum += e.CostNanoUsd
	}
	if len(ledger) != nEvents || ledgerSum != total || usersSum != total {
		t.Fatalf("ledger %d rows summing %d, users sum %d; want %d rows, all %d", len(ledger), ledgerSum, usersSum, nEvents, total)
	}
	agg, err := s.AggregateUsage(ctx, &adminv1.UsageFilter{}, nil)
	wantErr(t, "aggregate", err, nil)
	if len(agg) != 1 || agg[0].CostNanoUsd != total || agg[0].Requests != nEvents {
		t.Fatalf("aggregate %v, want %d requests costing %d", agg, nEvents, total)
	}
}
