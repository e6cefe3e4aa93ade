package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/burncloud/burncloud/pkg/store"
)

// querier is what both a pool (single reads) and a transaction offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// tx implements store.Tx over a querier. Writers record the keys they
// change in changed; readers on the pool leave it nil.
type tx struct {
	q       querier
	changed map[store.EntityKey]struct{}
	// now stamps create and update times: the transaction's start, as
	// Postgres's now() is.
	now int64
}

var _ store.Tx = (*tx)(nil)

func (t *tx) touch(kind store.EntityKind, key string) {
	t.changed[store.EntityKey{Kind: kind, Key: key}] = struct{}{}
}

func (t *tx) touchToken(id int64) { t.touch(store.KindToken, strconv.FormatInt(id, 10)) }

// stamp records the changes under a new revision; 0 when nothing changed.
// The single write connection serializes transactions, so the counter is
// bumped in commit order.
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
	var rev int64
	if err := t.q.QueryRowContext(ctx, "UPDATE revision SET value = value + 1 RETURNING value").Scan(&rev); err != nil {
		return 0, fmt.Errorf("sqlite: allocate revision: %w", err)
	}
	var b strings.Builder
	args := make([]any, 0, 3*len(keys))
	b.WriteString("INSERT INTO changes (revision, kind, key) VALUES ")
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?)")
		args = append(args, rev, int64(k.Kind), k.Key)
	}
	if _, err := t.q.ExecContext(ctx, b.String(), args...); err != nil {
		return 0, fmt.Errorf("sqlite: record changes: %w", err)
	}
	return rev, nil
}

// InTx runs fn in one transaction; fn's error rolls everything back.
//
// fn must use the Tx it is given: a write through the Store itself would
// wait for the single write connection that fn holds.
func (s *Store) InTx(ctx context.Context, fn func(store.Tx) error) error {
	_, err := s.inTx(ctx, func(t *tx) error { return fn(t) })
	return err
}

func (s *Store) inTx(ctx context.Context, fn func(*tx) error) (int64, error) {
	st, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: begin: %w", err)
	}
	defer st.Rollback() //nolint:errcheck // a no-op after Commit
	t := &tx{q: st, changed: map[store.EntityKey]struct{}{}, now: time.Now().UnixNano()}
	if err := fn(t); err != nil {
		return 0, err
	}
	rev, err := t.stamp(ctx)
	if err != nil {
		return 0, err
	}
	if err := st.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: commit: %w", err)
	}
	if rev > 0 {
		s.hub.wake()
	}
	return rev, nil
}

// reader serves single reads straight from the read pool.
func (s *Store) reader() *tx { return &tx{q: s.r} }

// readTx runs fn in one read transaction: in WAL mode every query in it
// sees the snapshot its first query saw.
func (s *Store) readTx(ctx context.Context, fn func(*tx) error) error {
	rt, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer rt.Rollback() //nolint:errcheck // read-only
	if err := fn(&tx{q: rt}); err != nil {
		return err
	}
	return rt.Commit()
}

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// mapErr turns constraint violations that slipped past the checks into the
// store's errors; fk is what a foreign-key violation means here.
func mapErr(err error, what string, fk error) error {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %s", store.ErrAlreadyExists, what)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %s", fk, what)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// exists reports whether a query returning at most one row returns one.
func (t *tx) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var ok bool
	err := t.q.QueryRowContext(ctx, "SELECT EXISTS ("+query+")", args...).Scan(&ok)
	return ok, err
}

// hub fans wake-ups out to subscribers. Each has a buffer of one and sends
// never block, so a slow subscriber sees many commits as one wake-up.
type hub struct {
	mu   sync.Mutex
	next int
	subs map[int]chan struct{}
}

func (h *hub) wake() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Subscribe wakes the caller after each commit that changed snapshot
// content. The channel is never closed; cancel stops the wake-ups.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.hub.mu.Lock()
	id := s.hub.next
	s.hub.next++
	s.hub.subs[id] = ch
	s.hub.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.hub.mu.Lock()
			delete(s.hub.subs, id)
			s.hub.mu.Unlock()
		})
	}
}
