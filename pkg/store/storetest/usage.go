package storetest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// settledUsage settles 40 varied events over a day boundary, two by two
// at the same instant (to exercise the id tie-break), and returns them.
func settledUsage(t *testing.T, s store.Store) []*usagev1.UsageEvent {
	t.Helper()
	tokens := map[string]store.Token{}
	for _, u := range []string{"alice", "bob"} {
		mustUser(t, s, u)
		for _, n := range []string{"t0", "t1"} {
			tokens[u+"/"+n] = mustToken(t, s, u, n)
		}
	}
	var evs []*usagev1.UsageEvent
	for i := range 40 {
		user := []string{"alice", "bob"}[i%2]
		tk := tokens[user+"/"+[]string{"t0", "t1"}[i/2%2]]
		e := event(fmt.Sprintf("ev-%02d", (i*7)%40), user, tk, int64(1000*(i+1)))
		e.Time = timestamppb.New(baseTime.Add(time.Duration(i/2) * 37 * time.Minute))
		e.RequestedModel = []string{"gpt-4o", "claude"}[i/3%2]
		e.Channel = []string{"c1", "c2", ""}[i%3]
		if i%5 == 0 {
			e.HttpStatus, e.ErrorClass, e.CostNanoUsd, e.UpstreamCostNanoUsd = 429, "rate_limited", 0, 0
		}
		e.Usage.Output = int64(10 * i)
		evs = append(evs, e)
	}
	_, err := s.Settle(ctxT(t), evs)
	wantErr(t, "settle", err, nil)
	return evs
}

func matches(e *usagev1.UsageEvent, f *adminv1.UsageFilter, withStatus bool) bool {
	at := e.Time.AsTime()
	return (f.User == "" || e.User == f.User) && (f.Token == "" || e.Token == f.Token) &&
		(f.Model == "" || e.RequestedModel == f.Model) && (f.Channel == "" || e.Channel == f.Channel) &&
		(!withStatus || f.HttpStatus == nil || e.HttpStatus == f.GetHttpStatus()) &&
		(f.StartTime == nil || !at.Before(f.StartTime.AsTime())) && (f.EndTime == nil || at.Before(f.EndTime.AsTime()))
}

// newestFirst orders events as the listings do: by time, then id, descending.
func newestFirst(evs []*usagev1.UsageEvent) []string {
	sorted := append([]*usagev1.UsageEvent(nil), evs...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i].Time.AsTime(), sorted[j].Time.AsTime()
		if !a.Equal(b) {
			return a.After(b)
		}
		return sorted[i].Id > sorted[j].Id
	})
	ids := make([]string, len(sorted))
	for i, e := range sorted {
		ids[i] = e.Id
	}
	return ids
}

func filtered(evs []*usagev1.UsageEvent, f *adminv1.UsageFilter, withStatus bool) []*usagev1.UsageEvent {
	var out []*usagev1.UsageEvent
	for _, e := range evs {
		if matches(e, f, withStatus) {
			out = append(out, e)
		}
	}
	return out
}

var usageFilters = map[string]*adminv1.UsageFilter{
	"none":          {},
	"user":          {User: "alice"},
	"token":         {Token: "t1"},
	"model":         {Model: "claude"},
	"channel":       {Channel: "c2"},
	"status":        {HttpStatus: proto.Int32(429)},
	"hour window":   {StartTime: timestamppb.New(baseTime.Add(90 * time.Minute)), EndTime: timestamppb.New(baseTime.Add(7*time.Hour + 30*time.Minute))},
	"odd window":    {StartTime: timestamppb.New(baseTime.Add(74 * time.Minute)), EndTime: timestamppb.New(baseTime.Add(5 * time.Hour))},
	"user and time": {User: "bob", Model: "gpt-4o", StartTime: timestamppb.New(baseTime.Add(2 * time.Hour))},
}

func testRequestLogs(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	evs := settledUsage(t, s)
	byID := map[string]*usagev1.UsageEvent{}
	for _, e := range evs {
		byID[e.Id] = e
	}
	for name, f := range usageFilters {
		want := newestFirst(filtered(evs, f, true))
		for _, size := range []int{0, 1, 7} {
			var got []string
			p := store.Page{Size: size}
			for pages := 0; ; pages++ {
				if pages > len(evs)+1 {
					t.Fatalf("%s: pagination does not end", name)
				}
				page, err := s.ListRequestLogs(ctx, f, p)
				wantErr(t, name, err, nil)
				for _, l := range page {
					equalProto(t, name+": log", byID[l.Id], l)
					got = append(got, l.Id)
				}
				if len(page) == 0 || len(page) < store.PageSize(p) {
					break
				}
				p.After = store.RequestLogCursor(page[len(page)-1])
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("%s by %d:\n got  %v\n want %v", name, size, got, want)
			}
		}
	}
	// A nil filter is no filter, for every usage query.
	logs, err := s.ListRequestLogs(ctx, nil, store.Page{Size: 1000})
	wantErr(t, "logs without a filter", err, nil)
	ledger, err := s.ListLedger(ctx, nil, store.Page{Size: 1000})
	wantErr(t, "ledger without a filter", err, nil)
	agg, err := s.AggregateUsage(ctx, nil, nil)
	wantErr(t, "aggregate without a filter", err, nil)
	if len(logs) != len(evs) || len(ledger) != len(evs) || len(agg) != 1 || agg[0].Requests != int64(len(evs)) {
		t.Fatalf("nil filter: %d logs, %d ledger entries, aggregate %v; want %d each", len(logs), len(ledger), agg, len(evs))
	}
	_, err = s.ListRequestLogs(ctx, &adminv1.UsageFilter{}, store.Page{After: "!!not a cursor"})
	wantErr(t, "bad cursor", err, store.ErrBadPage)
}

func testLedger(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	evs := settledUsage(t, s)
	for name, f := range usageFilters {
		// The ledger has no status: the filter's status is ignored.
		want := newestFirst(filtered(evs, f, false))
		for _, size := range []int{0, 3} {
			var got []string
			p := store.Page{Size: size}
			for {
				page, err := s.ListLedger(ctx, f, p)
				wantErr(t, name, err, nil)
				for _, e := range page {
					got = append(got, e.EventId)
				}
				if len(page) == 0 || len(page) < store.PageSize(p) {
					break
				}
				p.After = store.LedgerCursor(page[len(page)-1])
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("%s by %d:\n got  %v\n want %v", name, size, got, want)
			}
		}
	}
	_, err := s.ListLedger(ctx, &adminv1.UsageFilter{}, store.Page{After: "bm8tc2VwYXJhdG9y"})
	wantErr(t, "bad cursor", err, store.ErrBadPage)
}

func testAggregateUsage(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	evs := settledUsage(t, s)
	user, model := adminv1.UsageDimension_USAGE_DIMENSION_USER, adminv1.UsageDimension_USAGE_DIMENSION_MODEL
	channel, day := adminv1.UsageDimension_USAGE_DIMENSION_CHANNEL, adminv1.UsageDimension_USAGE_DIMENSION_DAY
	dimSets := [][]adminv1.UsageDimension{nil, {user}, {model, day}, {day, channel}, {channel, user, model, day}}
	for name, f := range usageFilters {
		for _, by := range dimSets {
			want := aggregate(filtered(evs, f, true), by)
			got, err := s.AggregateUsage(ctx, f, by)
			wantErr(t, name, err, nil)
			if len(got) != len(want) {
				t.Fatalf("%s by %v: %d rows, want %d:\n got  %v\n want %v", name, by, len(got), len(want), got, want)
			}
			for i := range want {
				equalProto(t, fmt.Sprintf("%s by %v row %d", name, by, i), want[i], got[i])
			}
		}
	}
	empty, err := s.AggregateUsage(ctx, &adminv1.UsageFilter{User: "nobody"}, nil)
	wantErr(t, "aggregate nothing", err, nil)
	if len(empty) != 1 || empty[0].Requests != 0 || empty[0].CostNanoUsd != 0 {
		t.Fatalf("total of nothing: %v, want one zero row", empty)
	}
}

// aggregate is the reference: rows sorted by the dimensions' values in order.
func aggregate(evs []*usagev1.UsageEvent, by []adminv1.UsageDimension) []*adminv1.UsageAggregate {
	rows := map[string]*adminv1.UsageAggregate{}
	var keys []string
	for _, e := range evs {
		a := &adminv1.UsageAggregate{}
		var parts []string
		for _, d := range by {
			switch d {
			case adminv1.UsageDimension_USAGE_DIMENSION_USER:
				a.User = e.User
				parts = append(parts, e.User)
			case adminv1.UsageDimension_USAGE_DIMENSION_MODEL:
				a.Model = e.RequestedModel
				parts = append(parts, e.RequestedModel)
			case adminv1.UsageDimension_USAGE_DIMENSION_CHANNEL:
				a.Channel = e.Channel
				parts = append(parts, e.Channel)
			case adminv1.UsageDimension_USAGE_DIMENSION_DAY:
				a.Day = e.Time.AsTime().UTC().Format("2006-01-02")
				parts = append(parts, a.Day)
			}
		}
		k := strings.Join(parts, "\x00")
		if rows[k] == nil {
			a.Usage = &usagev1.Usage{}
			rows[k] = a
			keys = append(keys, k)
		}
		r := rows[k]
		r.Requests++
		r.Usage.InputUncached += e.Usage.InputUncached
		r.Usage.InputCacheRead += e.Usage.InputCacheRead
		r.Usage.InputCacheWrite += e.Usage.InputCacheWrite
		r.Usage.Output += e.Usage.Output
		r.Usage.Reasoning += e.Usage.Reasoning
		r.CostNanoUsd += e.CostNanoUsd
		r.UpstreamCostNanoUsd += e.UpstreamCostNanoUsd
		r.MarginNanoUsd = r.CostNanoUsd - r.UpstreamCostNanoUsd
	}
	if len(by) == 0 && len(keys) == 0 {
		return []*adminv1.UsageAggregate{{Usage: &usagev1.Usage{}}}
	}
	// Component-wise order; "\x00" sorts below every other byte.
	sort.Strings(keys)
	out := make([]*adminv1.UsageAggregate, len(keys))
	for i, k := range keys {
		out[i] = rows[k]
	}
	return out
}

func testDeleteRequestLogsBefore(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	evs := settledUsage(t, s)
	cut := baseTime.Add(4 * time.Hour)
	var older int64
	for _, e := range evs {
		if e.Time.AsTime().Before(cut) {
			older++
		}
	}
	n, err := s.DeleteRequestLogsBefore(ctx, cut)
	wantErr(t, "delete", err, nil)
	if n != older || older == 0 {
		t.Fatalf("deleted %d request logs, want %d", n, older)
	}
	logs, err := s.ListRequestLogs(ctx, &adminv1.UsageFilter{}, store.Page{Size: 1000})
	wantErr(t, "logs", err, nil)
	if int64(len(logs)) != int64(len(evs))-older {
		t.Fatalf("%d request logs left, want %d", len(logs), int64(len(evs))-older)
	}
	for _, l := range logs {
		if l.Time.AsTime().Before(cut) {
			t.Fatalf("log %s at %v survived the cut at %v", l.Id, l.Time.AsTime(), cut)
		}
	}
	if got := len(allLedger(t, s, &adminv1.UsageFilter{})); got != len(evs) {
		t.Fatalf("the ledger lost rows with the request logs: %d, want %d", got, len(evs))
	}
	n, err = s.DeleteRequestLogsBefore(ctx, cut)
	wantErr(t, "delete again", err, nil)
	if n != 0 {
		t.Fatalf("second delete removed %d", n)
	}
}

func testRouters(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	routers, err := s.ListRouters(ctx)
	wantErr(t, "list empty", err, nil)
	if len(routers) != 0 {
		t.Fatalf("new store lists routers %v", routers)
	}
	r1 := &adminv1.Router{Id: "r1", Version: "v1", Revision: 5, LastSeenTime: timestamppb.New(baseTime),
		ControlReplica: "control-0", Connected: true}
	r2 := &adminv1.Router{Id: "r0", Version: "v1", Revision: 3, LastSeenTime: timestamppb.New(baseTime), ControlReplica: "control-1"}
	for _, r := range []*adminv1.Router{r1, r2} {
		wantErr(t, "record", s.RecordRouter(ctx, r), nil)
	}
	r1 = proto.Clone(r1).(*adminv1.Router)
	r1.Version, r1.Revision, r1.Connected = "v2", 9, false
	r1.LastSeenTime = timestamppb.New(baseTime.Add(time.Minute))
	wantErr(t, "record again", s.RecordRouter(ctx, r1), nil)
	routers, err = s.ListRouters(ctx)
	wantErr(t, "list", err, nil)
	if len(routers) != 2 {
		t.Fatalf("routers %v, want r0 and r1", routers)
	}
	equalProto(t, "router r0", r2, routers[0])
	equalProto(t, "router r1", r1, routers[1])
}
