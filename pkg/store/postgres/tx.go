package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/burncloud/burncloud/pkg/store"
)

// notifyChannel is the LISTEN/NOTIFY channel carrying committed revisions.
const notifyChannel = "burncloud_changes"

// querier is what both the pool (single reads) and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// tx implements store.Tx over a querier. Writers record the keys they
// change in changed; readers on the pool leave it nil.
type tx struct {
	q       querier
	changed map[store.EntityKey]struct{}
}

var _ store.Tx = (*tx)(nil)

func (t *tx) touch(kind store.EntityKind, key string) {
	t.changed[store.EntityKey{Kind: kind, Key: key}] = struct{}{}
}

func (t *tx) touchToken(id int64) { t.touch(store.KindToken, strconv.FormatInt(id, 10)) }

// stampSQL allocates the transaction's revision, appends its change rows
// and queues the notification, in one round trip.
//
// Why revisions appear in commit order: the UPDATE takes the row lock of the
// single revision row and holds it until COMMIT, so a second writer's UPDATE
// waits, then (READ COMMITTED) re-reads the committed value and continues
// from it. Revision N+1 therefore cannot exist before N has committed, and a
// reader that sees the counter at N also sees every change up to N. Running
// it as the last statement keeps the lock for one round trip and the commit
// only, and makes it the last lock any transaction takes, so it cannot
// close a deadlock cycle with row locks taken earlier.
//
// NOTIFY inside the transaction is delivered at commit and dropped on
// rollback. The CTE n is referenced so that pg_notify runs.
const stampSQL = `
WITH r AS (UPDATE revision SET value = value + 1 RETURNING value),
c AS (INSERT INTO changes (revision, kind, key)
      SELECT r.value, k.kind, k.key FROM r, unnest($1::smallint[], $2::text[]) AS k(kind, key)),
n AS (SELECT pg_notify('` + notifyChannel + `', r.value::text) FROM r)
SELECT r.value FROM r, n`

// stamp records the changes under a new revision; 0 when nothing changed.
func (t *tx) stamp(ctx context.Context) (int64, error) {
	if len(t.changed) == 0 {
		return 0, nil
	}
	keys := make([]store.EntityKey, 0, len(t.changed))
	for k := range t.changed {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Kind != keys[j].Kind {
			return keys[i].Kind < keys[j].Kind
		}
		return keys[i].Key < keys[j].Key
	})
	kinds := make([]int16, len(keys))
	names := make([]string, len(keys))
	for i, k := range keys {
		kinds[i] = int16(k.Kind)
		names[i] = k.Key
	}
	var rev int64
	if err := t.q.QueryRow(ctx, stampSQL, kinds, names).Scan(&rev); err != nil {
		return 0, fmt.Errorf("postgres: allocate revision: %w", err)
	}
	return rev, nil
}

// InTx runs fn in one transaction; fn's error rolls everything back.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	_, err := s.inTx(ctx, func(t *tx) error { return fn(t) })
	return err
}

func (s *Store) inTx(ctx context.Context, fn func(*tx) error) (int64, error) {
	pt, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: begin: %w", err)
	}
	// A no-op after Commit; after a cancelled ctx it must still run.
	defer pt.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // nothing to do about it
	t := &tx{q: pt, changed: map[store.EntityKey]struct{}{}}
	if err := fn(t); err != nil {
		return 0, err
	}
	rev, err := t.stamp(ctx)
	if err != nil {
		return 0, err
	}
	if err := pt.Commit(ctx); err != nil {
		return 0, fmt.Errorf("postgres: commit: %w", err)
	}
	if rev > 0 {
		// Local subscribers need not wait for the NOTIFY round trip.
		s.hub.wake()
	}
	return rev, nil
}

// reader serves single reads straight from the pool.
func (s *Store) reader() *tx { return &tx{q: s.pool} }

// SQLSTATE codes mapped to the store's errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeDeadlock            = "40P01"
	codeSerialization       = "40001"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// mapErr turns constraint violations that slipped past the checks (races)
// into the store's errors; fk is what a foreign-key violation means here.
func mapErr(err error, what string, fk error) error {
	switch pgCode(err) {
	case codeUniqueViolation:
		return fmt.Errorf("%w: %s", store.ErrAlreadyExists, what)
	case codeForeignKeyViolation:
		return fmt.Errorf("%w: %s", fk, what)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// exists reports whether a query returning at most one row returns one.
func (t *tx) exists(ctx context.Context, sql string, args ...any) (bool, error) {
	var ok bool
	err := t.q.QueryRow(ctx, "SELECT EXISTS ("+sql+")", args...).Scan(&ok)
	return ok, err
}
