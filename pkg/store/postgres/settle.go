package postgres

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// settleAttempts bounds retries of a batch that lost a deadlock or
// serialization race; the ledger makes a retry harmless.
const settleAttempts = 5

// Settle records a batch in one transaction. Lock order, the same in every
// settling transaction: ledger rows by event id, rollup rows by key, users
// by name, tokens by id, then the revision row. Replicas settling
// overlapping batches therefore wait for each other instead of
// deadlocking; admin writes take users before tokens too (DeleteUser).
func (s *Store) Settle(ctx context.Context, events []*usagev1.UsageEvent) (store.SettleResult, error) {
	evs, dupInBatch, err := prepareEvents(events)
	if err != nil || len(evs) == 0 {
		return store.SettleResult{Duplicates: dupInBatch}, err
	}
	for attempt := 1; ; attempt++ {
		res, err := s.settleOnce(ctx, evs)
		if err == nil {
			res.Duplicates += dupInBatch
			return res, nil
		}
		if code := pgCode(err); (code != codeDeadlock && code != codeSerialization) || attempt == settleAttempts {
			return store.SettleResult{}, err
		}
		select {
		case <-ctx.Done():
			return store.SettleResult{}, ctx.Err()
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
	}
}

// prepareEvents validates the batch, drops repeats of an id within it and
// sorts by id (the ledger's lock order).
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
	sort.Slice(out, func(i, j int) bool { return out[i].GetId() < out[j].GetId() })
	return out, dup, nil
}

func (s *Store) settleOnce(ctx context.Context, evs []*usagev1.UsageEvent) (store.SettleResult, error) {
	var res store.SettleResult
	rev, err := s.inTx(ctx, func(t *tx) error {
		rows, err := t.q.Query(ctx, settleSQL, settleArgs(evs)...)
		if err != nil {
			return fmt.Errorf("postgres: settle: %w", err)
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("postgres: settle: %w", err)
		}
		res.Inserted, res.Duplicates = len(inserted), len(evs)-len(inserted)
		if len(inserted) == 0 {
			return nil
		}
		isNew := make(map[string]bool, len(inserted))
		for _, id := range inserted {
			isNew[id] = true
		}
		fresh := evs
		if len(inserted) < len(evs) {
			fresh = make([]*usagev1.UsageEvent, 0, len(inserted))
			for _, e := range evs {
				if isNew[e.GetId()] {
					fresh = append(fresh, e)
				}
			}
		}
		return t.applyFresh(ctx, fresh)
	})
	if err != nil {
		return store.SettleResult{}, err
	}
	res.Revision = rev
	return res, nil
}

// applyFresh books the newly settled events into rollups and balances.
func (t *tx) applyFresh(ctx context.Context, fresh []*usagev1.UsageEvent) error {
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
	tokenIDs, tokenAdd := sortedDeltas(tokenCost, func(a, b int64) bool { return a < b })
	userNames, userAdd := sortedDeltas(userCost, func(a, b string) bool { return a < b })

	b := &pgx.Batch{}
	queueRollups(b, fresh)
	if len(userNames) > 0 {
		b.Queue("SELECT name FROM users WHERE name = ANY($1) ORDER BY name FOR NO KEY UPDATE", userNames)
		b.Queue(`UPDATE users u SET used_nano_usd = u.used_nano_usd + d.cost
			FROM unnest($1::text[], $2::bigint[]) AS d(name, cost) WHERE u.name = d.name RETURNING u.name`,
			userNames, userAdd).Query(func(rows pgx.Rows) error {
			var name string
			_, err := pgx.ForEachRow(rows, []any{&name}, func() error { t.touch(store.KindUser, name); return nil })
			return err
		})
	}
	if len(tokenIDs) > 0 {
		b.Queue("SELECT id FROM tokens WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE", tokenIDs)
		b.Queue(`UPDATE tokens t SET used_nano_usd = t.used_nano_usd + d.cost
			FROM unnest($1::bigint[], $2::bigint[]) AS d(id, cost) WHERE t.id = d.id RETURNING t.id`,
			tokenIDs, tokenAdd).Query(func(rows pgx.Rows) error {
			var id int64
			_, err := pgx.ForEachRow(rows, []any{&id}, func() error { t.touchToken(id); return nil })
			return err
		})
	}
	if err := t.q.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: settle: %w", err)
	}
	return nil
}

// sortedDeltas lists the non-zero sums in key order.
func sortedDeltas[K comparable](m map[K]int64, less func(a, b K) bool) ([]K, []int64) {
	keys := make([]K, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	vals := make([]int64, len(keys))
	for i, k := range keys {
		vals[i] = m[k]
	}
	return keys, vals
}
