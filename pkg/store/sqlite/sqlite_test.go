package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/pkg/store/sqlite"
	"github.com/burncloud/burncloud/pkg/store/storetest"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// openAt opens the file at path; the caller closes the store.
func openAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(ctxT(t), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "burncloud.db"))
	})
}

func TestOptionsRejectedAtOnce(t *testing.T) {
	_, err := sqlite.Open(ctxT(t), filepath.Join(t.TempDir(), "x.db"),
		sqlite.Options{BusyTimeout: -1, ReadConns: -1, PruneInterval: -1})
	if err == nil {
		t.Fatal("negative options accepted")
	}
	for _, field := range []string{"BusyTimeout", "ReadConns", "PruneInterval"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
	if _, err := sqlite.Open(ctxT(t), "", sqlite.Options{}); err == nil {
		t.Fatal("empty path accepted")
	}
}

// TestSchemaAhead: a file migrated by a newer binary is refused, not
// written to.
func TestSchemaAhead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	openAt(t, path).Close()
	db, err := sql.Open("sqlite", path)
	must(t, err)
	_, err = db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)")
	must(t, err)
	must(t, db.Close())
	_, err = sqlite.Open(ctxT(t), path, sqlite.Options{})
	if !errors.Is(err, sqlite.ErrSchemaAhead) {
		t.Fatalf("open a newer file: %v, want ErrSchemaAhead", err)
	}
}

// TestReopen: everything written is there after closing and opening the
// file again, migrations are not applied twice, and revisions continue.
func TestReopen(t *testing.T) {
	// A '?' and a space in the name must not cut the path short.
	path := filepath.Join(t.TempDir(), "data dir?x", "burn cloud.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	s := openAt(t, path)
	_, err := s.CreateUser(ctx, &adminv1.User{Name: "alice", Role: adminv1.Role_ROLE_USER, Status: adminv1.Status_STATUS_ACTIVE})
	must(t, err)
	tk, err := s.CreateToken(ctx, store.Token{Token: &adminv1.Token{User: "alice", Name: "laptop"}, Digest: []byte("d1")})
	must(t, err)
	_, err = s.CreateChannel(ctx, store.Channel{
		Channel: &adminv1.Channel{Name: "c1", Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI, BaseUrl: "https://x"},
		Keys:    []store.SealedKey{{ID: "k", Sealed: []byte{0, 1}, Masked: "m"}},
	})
	must(t, err)
	res, err := s.Settle(ctx, []*usagev1.UsageEvent{ev("e1", "alice", tk.ID, 500)})
	must(t, err)
	must(t, s.RecordRouter(ctx, &adminv1.Router{Id: "r1", LastSeenTime: timestamppb.New(time.Unix(100, 0))}))
	before, err := s.Snapshot(ctx)
	must(t, err)
	s.Close()

	s = openAt(t, path)
	defer s.Close()
	after, err := s.Snapshot(ctx)
	must(t, err)
	if after.Revision != before.Revision || after.Revision != res.Revision {
		t.Fatalf("revision %d after reopening, want %d", after.Revision, before.Revision)
	}
	if len(after.Users) != 1 || after.Users[0].UsedNanoUsd != 500 || !proto.Equal(before.Users[0], after.Users[0]) {
		t.Fatalf("users after reopening: %v, want %v", after.Users, before.Users)
	}
	if len(after.Tokens) != 1 || after.Tokens[0].ID != tk.ID || !proto.Equal(before.Tokens[0].Token, after.Tokens[0].Token) {
		t.Fatalf("tokens after reopening: %v", after.Tokens)
	}
	if len(after.Channels) != 1 || string(after.Channels[0].Keys[0].Sealed) != "\x00\x01" {
		t.Fatalf("channels after reopening: %v", after.Channels)
	}
	again, err := s.Settle(ctx, []*usagev1.UsageEvent{ev("e1", "alice", tk.ID, 500)})
	must(t, err)
	if again.Inserted != 0 || again.Duplicates != 1 {
		t.Fatalf("replayed event after reopening: %+v", again)
	}
	routers, err := s.ListRouters(ctx)
	must(t, err)
	if len(routers) != 1 || routers[0].GetId() != "r1" {
		t.Fatalf("routers after reopening: %v", routers)
	}
	d, err := s.ChangesSince(ctx, 0)
	must(t, err)
	if d.To != after.Revision || len(d.Upserts.Users) != 1 || len(d.Upserts.Groups) != 1 {
		t.Fatalf("change log after reopening: %+v", d)
	}
	_, err = s.CreateUser(ctx, &adminv1.User{Name: "bob"})
	must(t, err)
	if r, _ := s.Revision(ctx); r != after.Revision+1 {
		t.Fatalf("revision %d after a write, want %d", r, after.Revision+1)
	}
}

// TestConcurrentSettleExact: goroutines settling disjoint and shared events
// at once charge every event exactly once.
func TestConcurrentSettleExact(t *testing.T) {
	ctx := ctxT(t)
	s := openAt(t, filepath.Join(t.TempDir(), "b.db"))
	defer s.Close()
	const (
		workers = 8
		own     = 200 // events only one worker settles
		shared  = 100 // events every worker settles
		batch   = 25
	)
	_, err := s.CreateUser(ctx, &adminv1.User{Name: "alice"})
	must(t, err)
	tk, err := s.CreateToken(ctx, store.Token{Token: &adminv1.Token{User: "alice", Name: "t"}, Digest: []byte("d")})
	must(t, err)
	var want int64
	sharedEvs := make([]*usagev1.UsageEvent, shared)
	for i := range sharedEvs {
		sharedEvs[i] = ev("shared-"+strconv.Itoa(i), "alice", tk.ID, int64(i+1))
		want += int64(i + 1)
	}
	perWorker := make([][]*usagev1.UsageEvent, workers)
	for w := range perWorker {
		for i := range own {
			cost := int64(1_000_000*w + i + 7)
			perWorker[w] = append(perWorker[w], ev(fmt.Sprintf("w%d-%d", w, i), "alice", tk.ID, cost))
			want += cost
		}
		perWorker[w] = append(perWorker[w], sharedEvs...)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inserted int
		errs     []error
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := perWorker[w]
			for i := 0; i < len(evs); i += batch {
				res, err := s.Settle(ctx, evs[i:min(i+batch, len(evs))])
				mu.Lock()
				inserted += res.Inserted
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if wantN := workers*own + shared; inserted != wantN {
		t.Fatalf("inserted %d, want %d", inserted, wantN)
	}
	u, err := s.GetUser(ctx, "alice")
	must(t, err)
	got, err := s.GetToken(ctx, "alice", "t")
	must(t, err)
	agg, err := s.AggregateUsage(ctx, &adminv1.UsageFilter{}, nil)
	must(t, err)
	if u.UsedNanoUsd != want || got.Token.UsedNanoUsd != want || agg[0].CostNanoUsd != want {
		t.Fatalf("user %d, token %d, aggregate %d; want all %d", u.UsedNanoUsd, got.Token.UsedNanoUsd, agg[0].CostNanoUsd, want)
	}
}

// TestSubscribeQuietOnNoChange: transactions that change nothing (refused,
// read-only, duplicate settlements) wake nobody.
func TestSubscribeQuietOnNoChange(t *testing.T) {
	ctx := ctxT(t)
	s := openAt(t, filepath.Join(t.TempDir(), "n.db"))
	defer s.Close()
	_, err := s.CreateUser(ctx, &adminv1.User{Name: "alice"})
	must(t, err)
	_, err = s.Settle(ctx, []*usagev1.UsageEvent{ev("e1", "alice", 0, 5)})
	must(t, err)
	wake, cancel := s.Subscribe()
	defer cancel()
	_, err = s.CreateUser(ctx, &adminv1.User{Name: "alice"})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("create twice: %v", err)
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error { _, err := tx.ListUsers(ctx, store.Page{}); return err }))
	res, err := s.Settle(ctx, []*usagev1.UsageEvent{ev("e1", "alice", 0, 5)})
	must(t, err)
	if res.Revision != 0 {
		t.Fatalf("duplicate settlement took revision %d", res.Revision)
	}
	select {
	case <-wake:
		t.Fatal("woken without a change")
	case <-time.After(100 * time.Millisecond):
	}
}

func ev(id, user string, tokenID, cost int64) *usagev1.UsageEvent {
	return &usagev1.UsageEvent{
		Id: id, Time: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), User: user, TokenId: tokenID,
		RequestedModel: "m", Channel: "c", HttpStatus: 200, CostNanoUsd: cost, UpstreamCostNanoUsd: cost / 2,
		Usage: &usagev1.Usage{InputUncached: 100, Output: 20},
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
