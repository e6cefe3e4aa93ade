package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/pkg/store/storetest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func openOn(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	s, err := Open(testCtx(t), dsn, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// migratedDSN is a fresh migrated database (what pgtest.DSN gives other packages).
func migratedDSN(t testing.TB) string {
	return storetest.PostgresClone(t, "bctest_tpl_"+SchemaID(), Migrate)
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(testCtx(t), migratedDSN(t), Options{Logger: zap.NewNop()})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	})
}

func TestMigrateIdempotent(t *testing.T) {
	ctx := testCtx(t)
	dsn := storetest.PostgresDSN(t)
	if _, err := Open(ctx, dsn, Options{}); !errors.Is(err, ErrSchemaBehind) {
		t.Fatalf("open of an empty database: %v, want ErrSchemaBehind", err)
	}
	for i := range 3 {
		if err := Migrate(ctx, dsn); err != nil {
			t.Fatalf("migrate %d: %v", i, err)
		}
	}
	s := openOn(t, dsn, Options{})
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", applied, len(ms))
	}
	if rev, err := s.Revision(ctx); err != nil || rev != 1 {
		t.Fatalf("revision of a new store: %d, %v; want 1", rev, err)
	}
}

func TestConcurrentMigrations(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]*Store, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(testCtx(t), dsn, Options{Migrate: true, Logger: zap.NewNop()})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		t.Cleanup(stores[i].Close)
	}
	groups, err := stores[0].ListGroups(testCtx(t), store.Page{})
	if err != nil || len(groups) != 1 || groups[0].Name != "default" {
		t.Fatalf("groups after concurrent migrations: %v, %v; want only default", groups, err)
	}
}

func TestMigrationNames(t *testing.T) {
	tests := []struct {
		name    string
		version int
		ok      bool
	}{
		{"0001_init.sql", 1, true},
		{"0012_add_thing.sql", 12, true},
		{"init.sql", 0, false},
		{"0000_zero.sql", 0, false},
		{"0003_x.txt", 0, false},
		{"x_y.sql", 0, false},
	}
	for _, tc := range tests {
		v, err := migrationVersion(tc.name)
		if (err == nil) != tc.ok || v != tc.version {
			t.Errorf("migrationVersion(%q) = %d, %v; want %d, ok=%v", tc.name, v, err, tc.version, tc.ok)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func expectWake(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no wake-up after %s", what)
	}
}

func user(name string) *adminv1.User {
	return &adminv1.User{Name: name, Role: adminv1.Role_ROLE_USER, Status: adminv1.Status_STATUS_ACTIVE}
}

func TestListenAcrossStores(t *testing.T) {
	dsn := migratedDSN(t)
	a := openOn(t, dsn, Options{})
	b := openOn(t, dsn, Options{})
	waitFor(t, "b to listen", func() bool { return b.listenConnects.Load() > 0 })
	wake, cancel := b.Subscribe()
	defer cancel()
	drain(wake)
	if _, err := a.CreateUser(testCtx(t), user("alice")); err != nil {
		t.Fatal(err)
	}
	expectWake(t, "a commit on another store", wake)
}

func TestMissedNotificationNotLost(t *testing.T) {
	ctx := testCtx(t)
	dsn := migratedDSN(t)
	a := openOn(t, dsn, Options{})
	// A long first backoff keeps b deaf while a commits.
	b := openOn(t, dsn, Options{ListenBackoff: 500 * time.Millisecond, Logger: zap.NewNop()})
	waitFor(t, "b to listen", func() bool { return b.listenPID.Load() != 0 })
	from, err := b.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wake, cancel := b.Subscribe()
	defer cancel()

	if _, err := a.pool.Exec(ctx, "SELECT pg_terminate_backend($1)", b.listenPID.Load()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to notice the lost connection", func() bool { return b.listenPID.Load() == 0 })
	drain(wake)
	if _, err := a.CreateUser(ctx, user("alice")); err != nil {
		t.Fatal(err)
	}
	if b.listenPID.Load() != 0 {
		t.Fatal("b listened again before the commit: the test proves nothing")
	}
	expectWake(t, "b reconnected", wake)
	waitFor(t, "b's second connection", func() bool { return b.listenConnects.Load() == 2 })
	d, err := b.ChangesSince(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Upserts.Users) != 1 || d.Upserts.Users[0].Name != "alice" {
		t.Fatalf("changes after the missed notification: %v, want alice", d.Upserts.Users)
	}
}

func TestListenPingKeepsConnection(t *testing.T) {
	dsn := migratedDSN(t)
	a := openOn(t, dsn, Options{})
	b := openOn(t, dsn, Options{ListenPing: 20 * time.Millisecond})
	waitFor(t, "b to listen", func() bool { return b.listenConnects.Load() > 0 })
	time.Sleep(200 * time.Millisecond) // several idle timeouts and pings
	if n := b.listenConnects.Load(); n != 1 {
		t.Fatalf("idle listener reconnected: %d connections", n)
	}
	wake, cancel := b.Subscribe()
	defer cancel()
	drain(wake)
	if _, err := a.CreateUser(testCtx(t), user("alice")); err != nil {
		t.Fatal(err)
	}
	expectWake(t, "a commit after idle pings", wake)
}

func TestPruneLoop(t *testing.T) {
	s := openOn(t, migratedDSN(t), Options{ChangeRetention: time.Millisecond, PruneInterval: 20 * time.Millisecond})
	ctx := testCtx(t)
	if _, err := s.CreateUser(ctx, user("alice")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the change log to be pruned", func() bool {
		_, err := s.ChangesSince(ctx, 1)
		return errors.Is(err, store.ErrRevisionGone)
	})
}

func TestOptionsValidation(t *testing.T) {
	_, err := Open(context.Background(), "postgres://127.0.0.1:1/x", Options{
		PruneInterval: -1, ListenBackoff: -1, MaxConns: -1,
	})
	if err == nil {
		t.Fatal("negative options accepted")
	}
	for _, want := range []string{"PruneInterval", "ListenBackoff", "MaxConns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func FuzzMigrationVersion(f *testing.F) {
	for _, s := range []string{"0001_init.sql", "init.sql", "0_x.sql", "-1_x.sql", "99999999999999999999_x.sql"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, err := migrationVersion(name)
		if err == nil && (v <= 0 || !strings.HasSuffix(name, ".sql") || !strings.Contains(name, "_")) {
			t.Fatalf("migrationVersion(%q) = %d accepted a bad name", name, v)
		}
		if err != nil && v != 0 {
			t.Fatalf("migrationVersion(%q) = %d with error %v", name, v, err)
		}
	})
}
