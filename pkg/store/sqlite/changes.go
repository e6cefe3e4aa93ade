package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/store"
)

func (t *tx) revision(ctx context.Context) (int64, error) {
	var rev int64
	if err := t.q.QueryRowContext(ctx, "SELECT value FROM revision").Scan(&rev); err != nil {
		return 0, fmt.Errorf("sqlite: read revision: %w", err)
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
			return fmt.Errorf("sqlite: snapshot channels: %w", err)
		}
		if st.Models, err = t.selectModels(ctx, "ORDER BY name"); err != nil {
			return fmt.Errorf("sqlite: snapshot models: %w", err)
		}
		if st.Groups, err = t.selectGroups(ctx, "ORDER BY name"); err != nil {
			return fmt.Errorf("sqlite: snapshot groups: %w", err)
		}
		if st.Tokens, err = t.selectTokens(ctx, "ORDER BY id"); err != nil {
			return fmt.Errorf("sqlite: snapshot tokens: %w", err)
		}
		if st.Users, err = t.selectUsers(ctx, "ORDER BY name"); err != nil {
			return fmt.Errorf("sqlite: snapshot users: %w", err)
		}
		return nil
	})
	return st, err
}

func (s *Store) ChangesSince(ctx context.Context, from int64) (store.Delta, error) {
	d := store.Delta{From: from}
	err := s.readTx(ctx, func(t *tx) error {
		var floor int64
		if err := t.q.QueryRowContext(ctx, "SELECT r.value, f.pruned_through FROM revision r, change_floor f").
			Scan(&d.To, &floor); err != nil {
			return fmt.Errorf("sqlite: read revision: %w", err)
		}
		// A holder ahead of the counter holds another database's state.
		if from < floor || from > d.To {
			return fmt.Errorf("%w: revision %d, log covers %d..%d", store.ErrRevisionGone, from, floor, d.To)
		}
		d.Upserts.Revision = d.To
		rows, err := t.q.QueryContext(ctx, "SELECT DISTINCT kind, key FROM changes WHERE revision > ?", from)
		if err != nil {
			return fmt.Errorf("sqlite: read changes: %w", err)
		}
		keys := map[store.EntityKind][]string{}
		for rows.Next() {
			var (
				kind int64
				key  string
			)
			if err := rows.Scan(&kind, &key); err != nil {
				rows.Close()
				return fmt.Errorf("sqlite: read changes: %w", err)
			}
			keys[store.EntityKind(kind)] = append(keys[store.EntityKind(kind)], key)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("sqlite: read changes: %w", err)
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

// inJSON is the condition "col is one of the JSON array bound to ?", which
// needs no limit on the number of bound variables.
func inJSON(col string) string { return col + " IN (SELECT value FROM json_each(?))" }

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
		if d.Upserts.Channels, err = t.selectChannels(ctx, "WHERE "+inJSON("name")+" ORDER BY name", stringsText(names)); err != nil {
			return fmt.Errorf("sqlite: changed channels: %w", err)
		}
		for _, c := range d.Upserts.Channels {
			present[c.Channel.GetName()] = true
		}
		tomb(store.KindChannel)
	}
	if names := keys[store.KindModel]; len(names) > 0 {
		if d.Upserts.Models, err = t.selectModels(ctx, "WHERE "+inJSON("name")+" ORDER BY name", stringsText(names)); err != nil {
			return fmt.Errorf("sqlite: changed models: %w", err)
		}
		for _, m := range d.Upserts.Models {
			present[m.GetName()] = true
		}
		tomb(store.KindModel)
	}
	if names := keys[store.KindGroup]; len(names) > 0 {
		if d.Upserts.Groups, err = t.selectGroups(ctx, "WHERE "+inJSON("name")+" ORDER BY name", stringsText(names)); err != nil {
			return fmt.Errorf("sqlite: changed groups: %w", err)
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
				return fmt.Errorf("sqlite: change log holds token key %q", n)
			}
			ids = append(ids, id)
		}
		idsText, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		if d.Upserts.Tokens, err = t.selectTokens(ctx, "WHERE "+inJSON("id")+" ORDER BY id", string(idsText)); err != nil {
			return fmt.Errorf("sqlite: changed tokens: %w", err)
		}
		for _, tk := range d.Upserts.Tokens {
			present[strconv.FormatInt(tk.ID, 10)] = true
		}
		tomb(store.KindToken)
	}
	if names := keys[store.KindUser]; len(names) > 0 {
		if d.Upserts.Users, err = t.selectUsers(ctx, "WHERE "+inJSON("name")+" ORDER BY name", stringsText(names)); err != nil {
			return fmt.Errorf("sqlite: changed users: %w", err)
		}
		for _, u := range d.Upserts.Users {
			present[u.GetName()] = true
		}
		tomb(store.KindUser)
	}
	return nil
}

// PruneChanges needs no revision of its own: it changes no snapshot content.
func (s *Store) PruneChanges(ctx context.Context, keepAfter int64) error {
	_, err := s.inTx(ctx, func(t *tx) error {
		current, err := t.revision(ctx)
		if err != nil {
			return err
		}
		k := min(keepAfter, current)
		if _, err := t.q.ExecContext(ctx, "DELETE FROM changes WHERE revision <= ?", k); err != nil {
			return fmt.Errorf("sqlite: prune: %w", err)
		}
		if _, err := t.q.ExecContext(ctx,
			"UPDATE change_floor SET pruned_through = max(pruned_through, ?)", k); err != nil {
			return fmt.Errorf("sqlite: prune: %w", err)
		}
		return nil
	})
	return err
}

// pruneLoop samples the revision every PruneInterval and prunes the change
// log up to the newest sample older than ChangeRetention. Samples live in
// memory, so after a restart pruning resumes one retention later.
func (s *Store) pruneLoop(ctx context.Context, retention, interval time.Duration) {
	defer s.wg.Done()
	type sample struct {
		at  time.Time
		rev int64
	}
	var samples []sample
	tick := time.NewTicker(interval)
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
				if now.Sub(sm.at) >= retention {
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
