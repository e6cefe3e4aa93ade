package cli

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// TokenRef names a token: its user and its name.
type TokenRef struct{ User, Name string }

func (t TokenRef) String() string { return t.User + "/" + t.Name }

// Balances are the settled spend (used_nano_usd) the store shows.
type Balances struct {
	Users  map[string]int64
	Tokens map[TokenRef]int64
}

// Window is the span of event time an audit covers: [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

func (w Window) contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// DifferenceKind classifies a difference found by Reconcile.
type DifferenceKind string

// The differences Reconcile reports.
const (
	// An event in the stream has no ledger entry.
	MissingLedgerEntry DifferenceKind = "missing-ledger-entry"
	// A ledger entry in the window has no event in the stream.
	LedgerEntryWithoutEvent DifferenceKind = "ledger-entry-without-event"
	// An event has more than one ledger entry.
	DuplicateLedgerEntry DifferenceKind = "duplicate-ledger-entry"
	// The ledger entry's cost differs from the event's.
	CostMismatch DifferenceKind = "cost-mismatch"
	// The ledger entry's upstream cost differs from the event's.
	UpstreamCostMismatch DifferenceKind = "upstream-cost-mismatch"
	// The ledger entry names another user or token than the event.
	OwnerMismatch DifferenceKind = "owner-mismatch"
	// One event id was published with different contents.
	ConflictingEvents DifferenceKind = "conflicting-events"
	// An event in the window has no id.
	EventWithoutID DifferenceKind = "event-without-id"
	// A user's used_nano_usd differs from the sum of its ledger entries.
	UserBalanceMismatch DifferenceKind = "user-balance"
	// A token's used_nano_usd differs from the sum of its ledger entries.
	TokenBalanceMismatch DifferenceKind = "token-balance"
)

// Difference is one disagreement between the stream, the ledger and the
// balances. Expected is what the source of truth says (the event, or the sum
// of the ledger for balances), Actual what the other side holds.
type Difference struct {
	Kind     DifferenceKind `json:"kind"`
	EventID  string         `json:"eventId,omitempty"`
	User     string         `json:"user,omitempty"`
	Token    string         `json:"token,omitempty"`
	Expected int64          `json:"expectedNanoUsd"`
	Actual   int64          `json:"actualNanoUsd"`
	Detail   string         `json:"detail,omitempty"`
}

func (d Difference) String() string {
	s := string(d.Kind)
	if d.EventID != "" {
		s += " event " + d.EventID
	}
	switch {
	case d.Token != "":
		s += " token " + d.User + "/" + d.Token
	case d.User != "":
		s += " user " + d.User
	}
	switch d.Kind {
	case CostMismatch, UpstreamCostMismatch:
		s += fmt.Sprintf(": stream %s USD, ledger %s USD", pricing.FormatUSD(d.Expected), pricing.FormatUSD(d.Actual))
	case UserBalanceMismatch, TokenBalanceMismatch:
		s += fmt.Sprintf(": ledger sum %s USD, balance %s USD (off by %s USD)", pricing.FormatUSD(d.Expected),
			pricing.FormatUSD(d.Actual), pricing.FormatUSD(d.Actual-d.Expected))
	case MissingLedgerEntry, LedgerEntryWithoutEvent:
		s += fmt.Sprintf(": cost %s USD", pricing.FormatUSD(cmp.Or(d.Expected, d.Actual)))
	}
	if d.Detail != "" {
		s += " (" + d.Detail + ")"
	}
	return s
}

// AuditReport is the outcome of Reconcile.
type AuditReport struct {
	Window Window `json:"window"`
	// Events are the distinct events of the stream in the window.
	Events int `json:"events"`
	// WindowEntries are the ledger entries in the window; LedgerEntries all of them.
	WindowEntries int          `json:"windowEntries"`
	LedgerEntries int          `json:"ledgerEntries"`
	Users         int          `json:"users"`
	Tokens        int          `json:"tokens"`
	Differences   []Difference `json:"differences"`
}

// Reconcile compares the usage events read from the stream, the ledger and
// the balances:
//   - every event in the window has exactly one ledger entry, with the same
//     cost, upstream cost, user and token;
//   - every ledger entry in the window has its event in the stream;
//   - for every user and token in balances, used_nano_usd equals the sum of
//     its ledger entries. ledger must be the whole ledger for this, not only
//     the window; users and tokens absent from balances (deleted) are skipped.
//
// Events outside the window are not checked themselves but still pair with
// ledger entries in it, so a skew between the two clocks at the window's
// edges reports nothing. The differences come in a fixed order.
func Reconcile(w Window, events []*usagev1.UsageEvent, ledger []*adminv1.LedgerEntry, b Balances) AuditReport {
	r := AuditReport{Window: w, LedgerEntries: len(ledger), Users: len(b.Users), Tokens: len(b.Tokens)}
	var diffs []Difference

	byID := make(map[string]*usagev1.UsageEvent, len(events))
	var inWindow []*usagev1.UsageEvent
	conflicted := map[string]bool{}
	for _, e := range events {
		if !w.contains(e.GetTime().AsTime()) {
			if e.GetId() != "" && byID[e.GetId()] == nil {
				byID[e.GetId()] = e
			}
			continue
		}
		if e.GetId() == "" {
			diffs = append(diffs, Difference{Kind: EventWithoutID, User: e.GetUser(), Token: e.GetToken(),
				Expected: e.GetCostNanoUsd(), Detail: "time " + e.GetTime().AsTime().UTC().Format(time.RFC3339Nano)})
			continue
		}
		first, seen := byID[e.Id]
		if !seen {
			byID[e.Id] = e
			inWindow = append(inWindow, e)
			continue
		}
		if !sameCharge(first, e) && !conflicted[e.Id] {
			conflicted[e.Id] = true
			diffs = append(diffs, Difference{Kind: ConflictingEvents, EventID: e.Id, User: e.User, Token: e.Token,
				Expected: first.CostNanoUsd, Actual: e.CostNanoUsd, Detail: "the id was published with different user, token or costs"})
		}
	}
	r.Events = len(inWindow)

	// first holds each event's first ledger entry; dups the further ones.
	first := make(map[string]*adminv1.LedgerEntry, len(ledger))
	dups := map[string][]*adminv1.LedgerEntry{}
	userSum := map[string]int64{}
	tokenSum := map[TokenRef]int64{}
	for _, l := range ledger {
		if _, seen := first[l.GetEventId()]; seen {
			dups[l.GetEventId()] = append(dups[l.GetEventId()], l)
		} else {
			first[l.GetEventId()] = l
		}
		userSum[l.GetUser()] += l.GetCostNanoUsd()
		tokenSum[TokenRef{l.GetUser(), l.GetToken()}] += l.GetCostNanoUsd()
	}

	for _, e := range byTime(inWindow, func(e *usagev1.UsageEvent) (time.Time, string) { return e.Time.AsTime(), e.Id }) {
		got, ok := first[e.Id]
		if !ok {
			diffs = append(diffs, Difference{Kind: MissingLedgerEntry, EventID: e.Id, User: e.User, Token: e.Token, Expected: e.CostNanoUsd})
			continue
		}
		diffs = append(diffs, compareEntry(e, got)...)
	}

	var orphans []*adminv1.LedgerEntry
	for _, l := range ledger {
		if w.contains(l.GetTime().AsTime()) {
			r.WindowEntries++
			if byID[l.GetEventId()] == nil {
				orphans = append(orphans, l)
			}
		}
	}
	for _, l := range byTime(orphans, func(l *adminv1.LedgerEntry) (time.Time, string) { return l.Time.AsTime(), l.EventId }) {
		diffs = append(diffs, Difference{Kind: LedgerEntryWithoutEvent, EventID: l.EventId, User: l.User, Token: l.Token, Actual: l.CostNanoUsd})
	}

	for _, id := range sortedKeys(dups, cmp.Compare[string]) {
		f := first[id]
		diffs = append(diffs, Difference{Kind: DuplicateLedgerEntry, EventID: id, User: f.User, Token: f.Token,
			Expected: f.CostNanoUsd, Actual: f.CostNanoUsd + sumCost(dups[id]), Detail: fmt.Sprintf("%d entries", len(dups[id])+1)})
	}

	for _, u := range sortedKeys(b.Users, cmp.Compare[string]) {
		if sum, used := userSum[u], b.Users[u]; sum != used {
			diffs = append(diffs, Difference{Kind: UserBalanceMismatch, User: u, Expected: sum, Actual: used})
		}
	}
	for _, t := range sortedKeys(b.Tokens, func(a, b TokenRef) int { return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Name, b.Name)) }) {
		if sum, used := tokenSum[t], b.Tokens[t]; sum != used {
			diffs = append(diffs, Difference{Kind: TokenBalanceMismatch, User: t.User, Token: t.Name, Expected: sum, Actual: used})
		}
	}
	r.Differences = diffs
	return r
}

func sameCharge(a, b *usagev1.UsageEvent) bool {
	return a.User == b.User && a.Token == b.Token && a.CostNanoUsd == b.CostNanoUsd && a.UpstreamCostNanoUsd == b.UpstreamCostNanoUsd
}

func compareEntry(e *usagev1.UsageEvent, l *adminv1.LedgerEntry) []Difference {
	var out []Difference
	if l.CostNanoUsd != e.CostNanoUsd {
		out = append(out, Difference{Kind: CostMismatch, EventID: e.Id, User: e.User, Token: e.Token, Expected: e.CostNanoUsd, Actual: l.CostNanoUsd})
	}
	if l.UpstreamCostNanoUsd != e.UpstreamCostNanoUsd {
		out = append(out, Difference{Kind: UpstreamCostMismatch, EventID: e.Id, User: e.User, Token: e.Token,
			Expected: e.UpstreamCostNanoUsd, Actual: l.UpstreamCostNanoUsd})
	}
	if l.User != e.User || l.Token != e.Token {
		out = append(out, Difference{Kind: OwnerMismatch, EventID: e.Id, User: e.User, Token: e.Token,
			Detail: fmt.Sprintf("ledger says %s/%s", l.User, l.Token)})
	}
	return out
}

func sumCost(es []*adminv1.LedgerEntry) int64 {
	var s int64
	for _, e := range es {
		s += e.CostNanoUsd
	}
	return s
}

// byTime returns items ordered by time, then id; the keys are computed once.
func byTime[T any](items []T, key func(T) (time.Time, string)) []T {
	type keyed struct {
		t    time.Time
		id   string
		item T
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		t, id := key(it)
		ks[i] = keyed{t, id, it}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.id, b.id)) })
	out := make([]T, len(ks))
	for i, k := range ks {
		out[i] = k.item
	}
	return out
}

func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	return keys
}
