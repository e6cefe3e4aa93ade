package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"time"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// Settle records a batch in one transaction. The single writer means no
// two settlements interleave, so there are no lock orders to keep and no
// deadlocks to retry; the ledger's primary key alone decides which events
// are new.
func (s *Store) Settle(ctx context.Context, events []*usagev1.UsageEvent) (store.SettleResult, error) {
	evs, dupInBatch, err := prepareEvents(events)
	if err != nil || len(evs) == 0 {
		return store.SettleResult{Duplicates: dupInBatch}, err
	}
	var res store.SettleResult
	rev, err := s.inTx(ctx, func(t *tx) error {
		fresh, err := t.insertLedger(ctx, evs)
		if err != nil {
			return err
		}
		res.Inserted, res.Duplicates = len(fresh), len(evs)-len(fresh)+dupInBatch
		if len(fresh) == 0 {
			return nil
		}
		return t.applyFresh(ctx, fresh)
	})
	if err != nil {
		return store.SettleResult{}, err
	}
	res.Revision = rev
	return res, nil
}

// prepareEvents validates the batch, drops repeats of an id within it and
// sorts by id, so that a batch writes in the same order however it came.
func prepareEvents(events []*usagev1.UsageEvent) ([]*usagev1.UsageEvent, int, error) {
	out := make([]*usagev1.UsageEvent, 0, len(events))
	seen := make(map[string]bool, len(events))
	dup := 0
	for i, e := range events {
		switch {
		case e.GetId() == "":
			return nil, 0, fmt.Errorf("%w: event %d has no id", store.ErrInvalidEvent, i)
		case e.GetTime() == nil:
			return nil, 0, fmt.Errorf("%w: event %q has no time", store.ErrInvalidEvent, e.GetId())
		case seen[e.GetId()]:
			dup++
			continue
		}
		seen[e.GetId()] = true
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *usagev1.UsageEvent) int { return cmp.Compare(a.GetId(), b.GetId()) })
	return out, dup, nil
}

// stmt prepares query for a loop over a batch; close it when done.
func (t *tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := t.q.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	return st, nil
}

// insertLedger writes the ledger rows and returns the events whose row is
// new; the others were settled before and change nothing.
func (t *tx) insertLedger(ctx context.Context, evs []*usagev1.UsageEvent) ([]*usagev1.UsageEvent, error) {
	st, err := t.stmt(ctx, `INSERT INTO ledger (event_id, time, user_name, token_name, token_id, model, channel,
		cost_nano_usd, upstream_cost_nano_usd, settle_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (event_id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	fresh := make([]*usagev1.UsageEvent, 0, len(evs))
	for _, e := range evs {
		n, err := affected(st.ExecContext(ctx, e.GetId(), e.GetTime().AsTime().UnixNano(), e.GetUser(), e.GetToken(),
			e.GetTokenId(), e.GetRequestedModel(), e.GetChannel(), e.GetCostNanoUsd(), e.GetUpstreamCostNanoUsd(), t.now))
		if err != nil {
			return nil, fmt.Errorf("sqlite: insert ledger: %w", err)
		}
		if n > 0 {
			fresh = append(fresh, e)
		}
	}
	return fresh, nil
}

// applyFresh books the newly settled events: usage, request logs, rollups.
func (t *tx) applyFresh(ctx context.Context, fresh []*usagev1.UsageEvent) error {
	if err := t.insertLogs(ctx, fresh); err != nil {
		return err
	}
	if err := t.upsertRollups(ctx, fresh); err != nil {
		return err
	}
	tokenCost := map[int64]int64{}
	userCost := map[string]int64{}
	for _, e := range fresh {
		if e.GetTokenId() != 0 {
			tokenCost[e.GetTokenId()] += e.GetCostNanoUsd()
		}
		if e.GetUser() != "" {
			userCost[e.GetUser()] += e.GetCostNanoUsd()
		}
	}
	if err := addUsage(ctx, t, "tokens", "id", tokenCost, t.touchToken); err != nil {
		return err
	}
	return addUsage(ctx, t, "users", "name", userCost, func(name string) { t.touch(store.KindUser, name) })
}

// addUsage adds the non-zero sums to used_nano_usd of the rows that still
// exist, and touches each so the change reaches the snapshot holders.
func addUsage[K cmp.Ordered](ctx context.Context, t *tx, table, key string, sums map[K]int64, touch func(K)) error {
	keys := make([]K, 0, len(sums))
	for k, v := range sums {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	st, err := t.stmt(ctx, "UPDATE "+table+" SET used_nano_usd = used_nano_usd + ? WHERE "+key+" = ?")
	if err != nil {
		return err
	}
	defer st.Close()
	for _, k := range keys {
		n, err := affected(st.ExecContext(ctx, sums[k], k))
		if err != nil {
			return fmt.Errorf("sqlite: add usage to %s: %w", table, err)
		}
		if n > 0 {
			touch(k)
		}
	}
	return nil
}

func (t *tx) insertLogs(ctx context.Context, evs []*usagev1.UsageEvent) error {
	st, err := t.stmt(ctx, `INSERT INTO request_logs (`+logCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, e := range evs {
		u := e.GetUsage()
		if _, err := st.ExecContext(ctx, e.GetTime().AsTime().UnixNano(), e.GetId(), e.GetRouterId(), e.GetUser(),
			e.GetToken(), e.GetTokenId(), e.GetChannel(), e.GetKeyId(), e.GetRequestedModel(), e.GetUpstreamModel(),
			int32(e.GetInboundProtocol()), int32(e.GetUpstreamProtocol()), e.GetOperation(), e.GetStream(),
			e.GetHttpStatus(), e.GetErrorClass(), u.GetInputUncached(), u.GetInputCacheRead(),
			u.GetInputCacheWrite(), u.GetOutput(), u.GetReasoning(), e.GetUsageEstimated(),
			e.GetPricingRevision(), e.GetCostNanoUsd(), e.GetUpstreamCostNanoUsd(), int32(e.GetServiceTier()),
			durationNanos(e.GetLatency()), durationNanos(e.GetTimeToFirstToken()), e.GetClientIp(),
			e.GetAttempts(), e.GetGroup()); err != nil {
			return fmt.Errorf("sqlite: insert request log: %w", err)
		}
	}
	return nil
}

type rollupKey struct {
	bucket               int64
	user, model, channel string
}

// rollupSums are the summed columns of usage_rollups, in column order.
type rollupSums [8]int64

// upsertRollups sums the events per UTC hour, user, requested model and
// channel and adds the sums to the rollup rows.
func (t *tx) upsertRollups(ctx context.Context, evs []*usagev1.UsageEvent) error {
	sums := map[rollupKey]*rollupSums{}
	for _, e := range evs {
		k := rollupKey{e.GetTime().AsTime().Truncate(time.Hour).UnixNano(), e.GetUser(), e.GetRequestedModel(), e.GetChannel()}
		s := sums[k]
		if s == nil {
			s = &rollupSums{}
			sums[k] = s
		}
		u := e.GetUsage()
		for i, v := range [8]int64{1, u.GetInputUncached(), u.GetInputCacheRead(), u.GetInputCacheWrite(),
			u.GetOutput(), u.GetReasoning(), e.GetCostNanoUsd(), e.GetUpstreamCostNanoUsd()} {
			s[i] += v
		}
	}
	keys := make([]rollupKey, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.bucket != b.bucket:
			return a.bucket < b.bucket
		case a.user != b.user:
			return a.user < b.user
		case a.model != b.model:
			return a.model < b.model
		}
		return a.channel < b.channel
	})
	st, err := t.stmt(ctx, `INSERT INTO usage_rollups (bucket, user_name, model, channel, requests, input_uncached,
		input_cache_read, input_cache_write, output, reasoning, cost_nano_usd, upstream_cost_nano_usd)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (bucket, user_name, model, channel) DO UPDATE SET
			requests = requests + excluded.requests,
			input_uncached = input_uncached + excluded.input_uncached,
			input_cache_read = input_cache_read + excluded.input_cache_read,
			input_cache_write = input_cache_write + excluded.input_cache_write,
			output = output + excluded.output,
			reasoning = reasoning + excluded.reasoning,
			cost_nano_usd = cost_nano_usd + excluded.cost_nano_usd,
			upstream_cost_nano_usd = upstream_cost_nano_usd + excluded.upstream_cost_nano_usd`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, k := range keys {
		s := sums[k]
		if _, err := st.ExecContext(ctx, k.bucket, k.user, k.model, k.channel,
			s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]); err != nil {
			return fmt.Errorf("sqlite: upsert rollup: %w", err)
		}
	}
	return nil
}
