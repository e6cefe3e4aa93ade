package cli

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ev(id string, at time.Duration, user, tok string, cost, upstream int64) *usagev1.UsageEvent {
	return &usagev1.UsageEvent{Id: id, Time: timestamppb.New(t0.Add(at)), User: user, Token: tok,
		CostNanoUsd: cost, UpstreamCostNanoUsd: upstream}
}

func entry(e *usagev1.UsageEvent) *adminv1.LedgerEntry {
	return &adminv1.LedgerEntry{EventId: e.Id, Time: e.Time, User: e.User, Token: e.Token,
		CostNanoUsd: e.CostNanoUsd, UpstreamCostNanoUsd: e.UpstreamCostNanoUsd}
}

func with(l *adminv1.LedgerEntry, f func(*adminv1.LedgerEntry)) *adminv1.LedgerEntry {
	f(l)
	return l
}

func TestReconcile(t *testing.T) {
	w := Window{Start: t0, End: t0.Add(time.Hour)}
	e1 := ev("e1", time.Minute, "alice", "laptop", 100, 80)
	e2 := ev("e2", 2*time.Minute, "bob", "ci", 50, 40)
	e3 := ev("e3", 3*time.Minute, "alice", "laptop", 7, 5)
	before := ev("e0", -time.Minute, "alice", "laptop", 30, 20) // outside the window
	atEnd := ev("e9", time.Hour, "bob", "ci", 11, 9)            // End is exclusive
	atStart := ev("e4", 0, "bob", "ci", 3, 2)                   // Start is inclusive
	balances := func(alice, laptop, bob, ci int64) Balances {
		return Balances{
			Users:  map[string]int64{"alice": alice, "bob": bob},
			Tokens: map[TokenRef]int64{{"alice", "laptop"}: laptop, {"bob", "ci"}: ci},
		}
	}

	tests := []struct {
		name        string
		events      []*usagev1.UsageEvent
		ledger      []*adminv1.LedgerEntry
		balances    Balances
		want        []Difference
		wantEvents  int
		wantEntries int
	}{
		{name: "consistent",
			events: []*usagev1.UsageEvent{e1, e2}, ledger: []*adminv1.LedgerEntry{entry(e1), entry(e2)},
			balances: balances(100, 100, 50, 50), wantEvents: 2, wantEntries: 2},
		{name: "event without ledger entry also leaves balances short",
			events: []*usagev1.UsageEvent{e1, e2}, ledger: []*adminv1.LedgerEntry{entry(e1)},
			balances: balances(100, 100, 50, 50), wantEvents: 2, wantEntries: 1,
			want: []Difference{
				{Kind: MissingLedgerEntry, EventID: "e2", User: "bob", Token: "ci", Expected: 50},
				{Kind: UserBalanceMismatch, User: "bob", Expected: 0, Actual: 50},
				{Kind: TokenBalanceMismatch, User: "bob", Token: "ci", Expected: 0, Actual: 50},
			}},
		{name: "ledger entry in the window without its event",
			events: []*usagev1.UsageEvent{e1}, ledger: []*adminv1.LedgerEntry{entry(e1), entry(e3)},
			balances: balances(107, 107, 0, 0), wantEvents: 1, wantEntries: 2,
			want: []Difference{{Kind: LedgerEntryWithoutEvent, EventID: "e3", User: "alice", Token: "laptop", Actual: 7}}},
		{name: "ledger entries outside the window only count for balances",
			events: []*usagev1.UsageEvent{e1}, ledger: []*adminv1.LedgerEntry{entry(before), entry(e1)},
			balances: balances(130, 130, 0, 0), wantEvents: 1, wantEntries: 1},
		{name: "events outside the window are not checked",
			events: []*usagev1.UsageEvent{before, e1, atEnd}, ledger: []*adminv1.LedgerEntry{entry(e1)},
			balances: balances(100, 100, 0, 0), wantEvents: 1, wantEntries: 1},
		{name: "window start is inclusive",
			events: []*usagev1.UsageEvent{atStart}, ledger: nil,
			balances: balances(0, 0, 0, 0), wantEvents: 1,
			want: []Difference{{Kind: MissingLedgerEntry, EventID: "e4", User: "bob", Token: "ci", Expected: 3}}},
		{name: "entry paired with an event just outside the window (clock skew)",
			events:   []*usagev1.UsageEvent{before},
			ledger:   []*adminv1.LedgerEntry{with(entry(before), func(l *adminv1.LedgerEntry) { l.Time = timestamppb.New(t0) })},
			balances: balances(30, 30, 0, 0), wantEvents: 0, wantEntries: 1},
		{name: "cost differs",
			events: []*usagev1.UsageEvent{e1}, ledger: []*adminv1.LedgerEntry{with(entry(e1), func(l *adminv1.LedgerEntry) { l.CostNanoUsd = 101 })},
			balances: balances(101, 101, 0, 0), wantEvents: 1, wantEntries: 1,
			want: []Difference{{Kind: CostMismatch, EventID: "e1", User: "alice", Token: "laptop", Expected: 100, Actual: 101}}},
		{name: "upstream cost differs",
			events: []*usagev1.UsageEvent{e1}, ledger: []*adminv1.LedgerEntry{with(entry(e1), func(l *adminv1.LedgerEntry) { l.UpstreamCostNanoUsd = 0 })},
			balances: balances(100, 100, 0, 0), wantEvents: 1, wantEntries: 1,
			want: []Difference{{Kind: UpstreamCostMismatch, EventID: "e1", User: "alice", Token: "laptop", Expected: 80, Actual: 0}}},
		{name: "charged to another token",
			events: []*usagev1.UsageEvent{e1}, ledger: []*adminv1.LedgerEntry{with(entry(e1), func(l *adminv1.LedgerEntry) { l.Token = "phone" })},
			balances:   Balances{Users: map[string]int64{"alice": 100}, Tokens: map[TokenRef]int64{{"alice", "laptop"}: 0, {"alice", "phone"}: 100}},
			wantEvents: 1, wantEntries: 1,
			want: []Difference{{Kind: OwnerMismatch, EventID: "e1", User: "alice", Token: "laptop"}}},
		{name: "two ledger entries for one event",
			events: []*usagev1.UsageEvent{e1}, ledger: []*adminv1.LedgerEntry{entry(e1), entry(e1)},
			balances: balances(100, 100, 0, 0), wantEvents: 1, wantEntries: 2,
			want: []Difference{
				{Kind: DuplicateLedgerEntry, EventID: "e1", User: "alice", Token: "laptop", Expected: 100, Actual: 200},
				{Kind: UserBalanceMismatch, User: "alice", Expected: 200, Actual: 100},
				{Kind: TokenBalanceMismatch, User: "alice", Token: "laptop", Expected: 200, Actual: 100},
			}},
		{name: "a republished duplicate is one event",
			events: []*usagev1.UsageEvent{e1, ev("e1", time.Minute, "alice", "laptop", 100, 80)}, ledger: []*adminv1.LedgerEntry{entry(e1)},
			balances: balances(100, 100, 0, 0), wantEvents: 1, wantEntries: 1},
		{name: "one id with two different costs",
			events: []*usagev1.UsageEvent{e1, ev("e1", time.Minute, "alice", "laptop", 999, 80)}, ledger: []*adminv1.LedgerEntry{entry(e1)},
			balances: balances(100, 100, 0, 0), wantEvents: 1, wantEntries: 1,
			want: []Difference{{Kind: ConflictingEvents, EventID: "e1", User: "alice", Token: "laptop", Expected: 100, Actual: 999}}},
		{name: "balance off with a complete ledger",
			events: []*usagev1.UsageEvent{e1, e2}, ledger: []*adminv1.LedgerEntry{entry(e1), entry(e2)},
			balances: balances(120, 100, 50, 49), wantEvents: 2, wantEntries: 2,
			want: []Difference{
				{Kind: UserBalanceMismatch, User: "alice", Expected: 100, Actual: 120},
				{Kind: TokenBalanceMismatch, User: "bob", Token: "ci", Expected: 50, Actual: 49},
			}},
		{name: "deleted users and tokens are skipped",
			events: []*usagev1.UsageEvent{e1, e2}, ledger: []*adminv1.LedgerEntry{entry(e1), entry(e2)},
			balances:   Balances{Users: map[string]int64{"alice": 100}, Tokens: map[TokenRef]int64{{"alice", "laptop"}: 100}},
			wantEvents: 2, wantEntries: 2},
		{name: "event without id",
			events:   []*usagev1.UsageEvent{ev("", time.Minute, "alice", "laptop", 5, 0)},
			balances: balances(0, 0, 0, 0),
			want:     []Difference{{Kind: EventWithoutID, User: "alice", Token: "laptop", Expected: 5}}},
		{name: "differences in a fixed order: by event time, then entries, then balances",
			events: []*usagev1.UsageEvent{e3, e1}, ledger: []*adminv1.LedgerEntry{entry(e2)},
			balances: balances(0, 0, 50, 50), wantEvents: 2, wantEntries: 1,
			want: []Difference{
				{Kind: MissingLedgerEntry, EventID: "e1", User: "alice", Token: "laptop", Expected: 100},
				{Kind: MissingLedgerEntry, EventID: "e3", User: "alice", Token: "laptop", Expected: 7},
				{Kind: LedgerEntryWithoutEvent, EventID: "e2", User: "bob", Token: "ci", Actual: 50},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reconcile(w, tt.events, tt.ledger, tt.balances)
			got := make([]Difference, len(r.Differences))
			for i, d := range r.Differences {
				d.Detail = "" // details are prose; the fields carry the facts
				got[i] = d
			}
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("differences:\n got %+v\nwant %+v", got, tt.want)
			}
			if r.Events != tt.wantEvents || r.WindowEntries != tt.wantEntries || r.LedgerEntries != len(tt.ledger) {
				t.Errorf("counts: events %d window entries %d ledger %d, want %d %d %d",
					r.Events, r.WindowEntries, r.LedgerEntries, tt.wantEvents, tt.wantEntries, len(tt.ledger))
			}
		})
	}
}

func TestDifferenceString(t *testing.T) {
	tests := []struct {
		d    Difference
		want string
	}{
		{Difference{Kind: CostMismatch, EventID: "e1", User: "alice", Token: "laptop", Expected: 750_000, Actual: 800_000},
			"cost-mismatch event e1 token alice/laptop: stream 0.00075 USD, ledger 0.0008 USD"},
		{Difference{Kind: UserBalanceMismatch, User: "bob", Expected: 1_000_000_000, Actual: 1_500_000_000},
			"user-balance user bob: ledger sum 1 USD, balance 1.5 USD (off by 0.5 USD)"},
		{Difference{Kind: MissingLedgerEntry, EventID: "e2", User: "bob", Token: "ci", Expected: 50},
			"missing-ledger-entry event e2 token bob/ci: cost 0.00000005 USD"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	var b strings.Builder
	r := AuditReport{Window: Window{Start: t0, End: t0.Add(time.Hour)}, Events: 2, Differences: []Difference{tests[0].d}}
	if err := writeAuditReport(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), tests[0].want+"\n") || !strings.Contains(b.String(), ": 1 difference(s)\n") {
		t.Errorf("report:\n%s", b.String())
	}
}

// BenchmarkReconcile audits a day of a busy gateway: 100k events, each settled.
func BenchmarkReconcile(b *testing.B) {
	const n = 100_000
	w := Window{Start: t0, End: t0.Add(24 * time.Hour)}
	events := make([]*usagev1.UsageEvent, n)
	ledger := make([]*adminv1.LedgerEntry, n)
	bal := Balances{Users: map[string]int64{}, Tokens: map[TokenRef]int64{}}
	for i := range n {
		user := fmt.Sprintf("user-%d", i%500)
		tok := fmt.Sprintf("tok-%d", i%3)
		events[i] = ev(fmt.Sprintf("ev-%07d", i), time.Duration(i)*time.Second/2, user, tok, int64(i), int64(i/2))
		ledger[i] = entry(events[i])
		bal.Users[user] += int64(i)
		bal.Tokens[TokenRef{user, tok}] += int64(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := Reconcile(w, events, ledger, bal); len(r.Differences) != 0 {
			b.Fatalf("differences: %v", r.Differences[:1])
		}
	}
}
