package postgres

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/store"
)

// readTx runs fn in one REPEATABLE READ read-only transaction: every query
// in it sees the same committed state.
func (s *Store) readTx(ctx context.Context, fn func(*tx) error) error {
	pt, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer pt.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	if err := fn(&tx{q: pt}); err != nil {
		return err
	}
	return pt.Commit(ctx)
}

func (t *tx) revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := t.q.QueryRow(ctx, "SELECT value FROM revision").Scan(&rev); err != nil {
		return 0, fmt.Errorf("postgres: read revision: %w", err)
	}
	return rev, nil
}

func (s *Store) Revision(ctx context.Context) (int64, error) { return s.reader().revision(ctx) }

func (s *Store) Snapshot(ctx context.Context) (store.State, error) {
	var st store.State
	err := s.readTx(ctx, func(t *tx) error {
		var err error
		if st.Revision, err = t.revision(ctx); err != nil {
			return err
		}
		if st.Channels, err = t.selectChannels(ctx, "ORDER BY name"); err != nil {
			return fmt.Errorf("postgres: snapshot channels: %w", err)
		}
		if st.Models, err = t.selectModels(ctx, "ORDER BY name"); err != nil {
			return fmt.Errorf("postgres: snapshot models: %w", err)
		}
		if st.Groups, err = t.selectGroups(ctx, "ORDER BY name"); err != nil {
			return fmt.Errorf("postgres: snapshot groups: %w", err)
		}
		if st.Tokens, err = t.selectTokens(ctx, "ORDER BY id"); err != nil {
			return fmt.Errorf("postgres: snapshot tokens: %w", err)
		}
		if st.Users, err = t.selectUsers(ctx, "ORDER BY name"); err != nil {
			return fmt.Errorf("postgres: snapshot users: %w", err)
		}
		return nil
	})
	return st, err
}

func (s *Store) ChangesSince(ctx context.Context, from int64) (store.Delta, error) {
	d := store.Delta{From: from}
	err := s.readTx(ctx, func(t *tx) error {
		var floor int64
		if err := t.q.QueryRow(ctx, "SELECT r.value, f.pruned_through FROM revision r, change_floor f").
			Scan(&d.To, &floor); err != nil {
			return fmt.Errorf("postgres: read revision: %w", err)
		}
		// A holder ahead of the counter holds another database's state.
		if from < floor || from > d.To {
			return fmt.Errorf("%w: revision %d, log covers %d..%d", store.ErrRevisionGone, from, floor, d.To)
		}
		d.Upserts.Revision = d.To
		rows, err := t.q.Query(ctx, "SELECT DISTINCT kind, key FROM changes WHERE revision > $1", from)
		if err != nil {
			return fmt.Errorf("postgres: read changes: %w", err)
		}
		keys := map[store.EntityKind][]string{}
		var (
			kind int16
			key  string
		)
		if _, err := pgx.ForEachRow(rows, []any{&kind, &key}, func() error {
			keys[store.EntityKind(kind)] = append(keys[store.EntityKind(kind)], key)
			return nil
		}); err != nil {
			return fmt.Errorf("postgres: read changes: %w", err)
		}
		return t.fillDelta(ctx, &d, keys)
	})
	if err != nil {
		return store.Delta{}, err
	}
	sort.Slice(d.Tombstones, func(i, j int) bool {
		a, b := d.Tombstones[i], d.Tombstones[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Key < b.Key
	})
	return d, nil
}

// fillDelta reads the current rows of the changed keys: what exists is an
// upsert, what does not a tombstone.
func (t *tx) fillDelta(ctx context.Context, d *store.Delta, keys map[store.EntityKind][]string) error {
	present := map[string]bool{}
	tomb := func(kind store.EntityKind) {
		for _, k := range keys[kind] {
			if !present[k] {
				d.Tombstones = append(d.Tombstones, store.EntityKey{Kind: kind, Key: k})
			}
		}
		clear(present)
	}
	var err error
	if names := keys[store.KindChannel]; len(names) > 0 {
		if d.Upserts.Channels, err = t.selectChannels(ctx, "WHERE name = ANY($1) ORDER BY name", names); err != nil {
			return fmt.Errorf("postgres: changed channels: %w", err)
		}
		for _, c := range d.Upserts.Channels {
			present[c.Channel.GetName()] = true
		}
		tomb(store.KindChannel)
	}
	if names := keys[store.KindModel]; len(names) > 0 {
		if d.Upserts.Models, err = t.selectModels(ctx, "WHERE name = ANY($1) ORDER BY name", names); err != nil {
			return fmt.Errorf("postgres: changed models: %w", err)
		}
		for _, m := range d.Upserts.Models {
			present[m.GetName()] = true
		}
		tomb(store.KindModel)
	}
	if names := keys[store.KindGroup]; len(names) > 0 {
		if d.Upserts.Groups, err = t.selectGroups(ctx, "WHERE name = ANY($1) ORDER BY name", names); err != nil {
			return fmt.Errorf("postgres: changed groups: %w", err)
		}
		for _, g := range d.Upserts.Groups {
			present[g.GetName()] = true
		}
		tomb(store.KindGroup)
	}
	if names := keys[store.KindToken]; len(names) > 0 {
		ids := make([]int64, 0, len(names))
		for _, n := range names {
			id, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return fmt.Errorf("postgres: change log holds token key %q", n)
			}
			ids = append(ids, id)
		}
		if d.Upserts.Tokens, err = t.selectTokens(ctx, "WHERE id = ANY($1) ORDER BY id", ids); err != nil {
			return fmt.Errorf("postgres: changed tokens: %w", err)
		}
		for _, tk := range d.Upserts.Tokens {
			present[strconv.FormatInt(tk.ID, 10)] = true
		}
		tomb(store.KindToken)
	}
	if names := keys[store.KindUser]; len(names) > 0 {
		if d.Upserts.Users, err = t.selectUsers(ctx, "WHERE name = ANY($1) ORDER BY name", names); err != nil {
			return fmt.Errorf("postgres: changed users: %w", err)
		}
		for _, u := range d.Upserts.Users {
			present[u.GetName()] = true
		}
		tomb(store.KindUser)
	}
	return nil
}

func (s *Store) PruneChanges(ctx context.Context, keepAfter int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(pt pgx.Tx) error {
		// Read without locking the counter: pruning must not stall writers.
		var current int64
		if err := pt.QueryRow(ctx, "SELECT value FROM revision").Scan(&current); err != nil {
			return fmt.Errorf("postgres: prune: %w", err)
		}
		k := min(keepAfter, current)
		b := &pgx.Batch{}
		b.Queue("DELETE FROM changes WHERE revision <= $1", k)
		b.Queue("UPDATE change_floor SET pruned_through = greatest(pruned_through, $1)", k)
		if err := pt.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("postgres: prune: %w", err)
		}
		return nil
	})
}

// pruneLoop samples the revision every PruneInterval and prunes the change
// log up to the newest sample older than ChangeRetention. Samples live in
// memory, so after a restart pruning resumes one retention later; several
// replicas pruning is harmless.
func (s *Store) pruneLoop(ctx context.Context) {
	defer s.wg.Done()
	type sample struct {
		at  time.Time
		rev int64
	}
	var samples []sample
	tick := time.NewTicker(s.opts.PruneInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			rev, err := s.Revision(ctx)
			if err != nil {
				s.log.Warn("change log pruning: read revision", zap.Error(err))
				continue
			}
			samples = append(samples, sample{now, rev})
			cut := -1
			for i, sm := range samples {
				if now.Sub(sm.at) >= s.opts.ChangeRetention {
					cut = i
				}
			}
			if cut < 0 {
				continue
			}
			keep := samples[cut].rev
			samples = samples[cut+1:]
			if err := s.PruneChanges(ctx, keep); err != nil {
				s.log.Warn("change log pruning", zap.Error(err))
				continue
			}
			s.log.Debug("pruned change log", zap.Int64("through", keep))
		}
	}
}
