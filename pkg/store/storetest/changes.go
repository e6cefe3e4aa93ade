package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

func testInTxRollback(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	before, err := s.Revision(ctx)
	wantErr(t, "revision", err, nil)
	boom := errors.New("boom")
	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateGroup(ctx, newGroup("vip")); err != nil {
			return err
		}
		u := newUser("alice")
		u.Group = "vip"
		if _, err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if _, err := tx.CreateToken(ctx, newToken("alice", "laptop")); err != nil {
			return err
		}
		if _, err := tx.CreateModel(ctx, newModel("gpt-4o")); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := tx.GetUser(ctx, "alice"); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "InTx", err, boom)
	_, err = s.GetUser(ctx, "alice")
	wantErr(t, "user after rollback", err, store.ErrNotFound)
	_, err = s.GetGroup(ctx, "vip")
	wantErr(t, "group after rollback", err, store.ErrNotFound)
	_, err = s.GetModel(ctx, "gpt-4o")
	wantErr(t, "model after rollback", err, store.ErrNotFound)
	_, err = s.TokenByDigest(ctx, newToken("alice", "laptop").Digest)
	wantErr(t, "token after rollback", err, store.ErrNotFound)
	after, err := s.Revision(ctx)
	wantErr(t, "revision", err, nil)
	if after != before {
		t.Fatalf("rolled back transaction moved the revision from %d to %d", before, after)
	}
	d, err := s.ChangesSince(ctx, before)
	wantErr(t, "changes", err, nil)
	if n := changeCount(d); n != 0 {
		t.Fatalf("rolled back transaction left %d changes", n)
	}
}

func testInTxContinuesAfterRefusal(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	mustUser(t, s, "alice")
	err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.CreateUser(ctx, newUser("alice"))
		wantErr(t, "create existing", err, store.ErrAlreadyExists)
		_, err = tx.GetUser(ctx, "nobody")
		wantErr(t, "get missing", err, store.ErrNotFound)
		wantErr(t, "delete used group", tx.DeleteGroup(ctx, "default"), store.ErrInUse)
		_, err = tx.CreateToken(ctx, newToken("nobody", "x"))
		wantErr(t, "token of missing user", err, store.ErrNotFound)
		dup := newChannel("dup")
		dup.Keys = append(dup.Keys, dup.Keys[0])
		_, err = tx.CreateChannel(ctx, dup)
		wantErr(t, "channel with a key twice", err, store.ErrAlreadyExists)
		u := newUser("alice")
		u.Role = adminv1.Role_ROLE_ADMIN
		if _, err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		_, err = tx.CreateGroup(ctx, newGroup("g1"))
		return err
	})
	wantErr(t, "InTx", err, nil)
	u, err := s.GetUser(ctx, "alice")
	wantErr(t, "get alice", err, nil)
	if u.Role != adminv1.Role_ROLE_ADMIN {
		t.Fatalf("alice's role %v after the transaction, want admin", u.Role)
	}
	_, err = s.GetGroup(ctx, "g1")
	wantErr(t, "group created after refusals", err, nil)
	_, err = s.GetChannel(ctx, "dup")
	wantErr(t, "refused channel", err, store.ErrNotFound)
}

func testRevisionPerTransaction(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	rev := func() int64 {
		r, err := s.Revision(ctx)
		wantErr(t, "revision", err, nil)
		return r
	}
	last := rev()
	for i := range 3 {
		mustUser(t, s, fmt.Sprintf("u%d", i))
		r := rev()
		if r <= last {
			t.Fatalf("write %d: revision %d after %d", i, r, last)
		}
		last = r
	}
	_, err := s.CreateUser(ctx, newUser("u0"))
	wantErr(t, "refused write", err, store.ErrAlreadyExists)
	if r := rev(); r != last {
		t.Fatalf("refused write moved the revision %d -> %d", last, r)
	}
	wantErr(t, "read-only InTx", s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.ListUsers(ctx, store.Page{})
		return err
	}), nil)
	if r := rev(); r != last {
		t.Fatalf("read-only transaction moved the revision %d -> %d", last, r)
	}
	wantErr(t, "InTx", s.InTx(ctx, func(tx store.Tx) error {
		for _, n := range []string{"a", "b", "c"} {
			if _, err := tx.CreateGroup(ctx, newGroup(n)); err != nil {
				return err
			}
		}
		_, err := tx.CreateModel(ctx, newModel("m"))
		return err
	}), nil)
	if r := rev(); r != last+1 {
		t.Fatalf("one transaction of four writes moved the revision %d -> %d, want one step", last, r)
	}
	d, err := s.ChangesSince(ctx, last)
	wantErr(t, "changes", err, nil)
	if d.From != last || d.To != last+1 || len(d.Upserts.Groups) != 3 || len(d.Upserts.Models) != 1 || changeCount(d) != 4 {
		t.Fatalf("delta %d..%d with %d groups, %d models, %d changes; want %d..%d, 3, 1, 4",
			d.From, d.To, len(d.Upserts.Groups), len(d.Upserts.Models), changeCount(d), last, last+1)
	}
}

func testChangesSinceBounds(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r0, err := s.Revision(ctx)
	wantErr(t, "revision", err, nil)
	d, err := s.ChangesSince(ctx, r0)
	wantErr(t, "changes since now", err, nil)
	if d.From != r0 || d.To != r0 || changeCount(d) != 0 {
		t.Fatalf("changes since now: %d..%d with %d changes", d.From, d.To, changeCount(d))
	}
	_, err = s.ChangesSince(ctx, r0+1)
	wantErr(t, "changes since the future", err, store.ErrRevisionGone)

	mustUser(t, s, "a")
	r1, _ := s.Revision(ctx)
	mustUser(t, s, "b")
	r2, _ := s.Revision(ctx)
	u := newUser("a")
	u.Status = adminv1.Status_STATUS_DISABLED
	_, err = s.UpdateUser(ctx, u)
	wantErr(t, "update", err, nil)
	r3, _ := s.Revision(ctx)

	wantErr(t, "prune", s.PruneChanges(ctx, r2), nil)
	_, err = s.ChangesSince(ctx, r1)
	wantErr(t, "changes since a pruned revision", err, store.ErrRevisionGone)
	d, err = s.ChangesSince(ctx, r2)
	wantErr(t, "changes since the kept revision", err, nil)
	if d.To != r3 || len(d.Upserts.Users) != 1 || d.Upserts.Users[0].Name != "a" || changeCount(d) != 1 {
		t.Fatalf("changes since %d: to %d, users %v", r2, d.To, d.Upserts.Users)
	}

	wantErr(t, "prune beyond the end", s.PruneChanges(ctx, r3+100), nil)
	_, err = s.ChangesSince(ctx, r2)
	wantErr(t, "changes after pruning everything", err, store.ErrRevisionGone)
	d, err = s.ChangesSince(ctx, r3)
	wantErr(t, "changes since now after pruning everything", err, nil)
	if d.To != r3 || changeCount(d) != 0 {
		t.Fatalf("changes since %d after pruning: to %d with %d changes", r3, d.To, changeCount(d))
	}
	mustUser(t, s, "c")
	d, err = s.ChangesSince(ctx, r3)
	wantErr(t, "changes after a new write", err, nil)
	if len(d.Upserts.Users) != 1 || d.Upserts.Users[0].Name != "c" {
		t.Fatalf("changes after a new write: users %v", d.Upserts.Users)
	}
}

func testSubscribe(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	wake, cancel := s.Subscribe()
	defer cancel()
	other, cancelOther := s.Subscribe()
	drain := func() {
		for {
			select {
			case <-wake:
			case <-other:
			case <-time.After(50 * time.Millisecond):
				return
			}
		}
	}
	expect := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no wake-up after %s", what)
		}
	}
	drain()
	mustUser(t, s, "alice")
	expect("a write", wake)
	expect("a write (second subscriber)", other)

	drain()
	tk := mustToken(t, s, "alice", "laptop")
	drain()
	_, err := s.Settle(ctx, []*usagev1.UsageEvent{event("e1", "alice", tk, 100)})
	wantErr(t, "settle", err, nil)
	expect("a settlement", wake)

	cancelOther()
	drain()
	mustUser(t, s, "bob")
	expect("a write after the other subscriber left", wake)
	select {
	case <-other:
		t.Fatal("a cancelled subscription still woke")
	case <-time.After(200 * time.Millisecond):
	}
}

// testChangesSinceMatchesSnapshot: a holder of any earlier state that
// applies ChangesSince ends with exactly the current Snapshot.
func testChangesSinceMatchesSnapshot(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	rng := rand.New(rand.NewPCG(7, 11))
	var checkpoints []store.State
	for i := range 150 {
		if i%25 == 0 {
			st, err := s.Snapshot(ctx)
			wantErr(t, "snapshot", err, nil)
			checkpoints = append(checkpoints, st)
		}
		randomOp(t, s, rng, i)
	}
	final, err := s.Snapshot(ctx)
	wantErr(t, "snapshot", err, nil)
	if len(final.Users) == 0 || len(final.Tokens) == 0 || len(final.Channels) == 0 {
		t.Fatalf("the random walk left too little to compare: %d users, %d tokens, %d channels",
			len(final.Users), len(final.Tokens), len(final.Channels))
	}
	for _, cp := range checkpoints {
		d, err := s.ChangesSince(ctx, cp.Revision)
		wantErr(t, "changes", err, nil)
		if d.From != cp.Revision || d.To != final.Revision || d.Upserts.Revision != final.Revision {
			t.Fatalf("delta from %d: %d..%d (upserts at %d), want ..%d", cp.Revision, d.From, d.To, d.Upserts.Revision, final.Revision)
		}
		equalState(t, fmt.Sprintf("revision %d + delta", cp.Revision), final, applyDelta(cp, d))
	}
}

// randomOp makes one random write over small pools of names, so that
// entities are created, changed, deleted and created again.
func randomOp(t *testing.T, s store.Store, rng *rand.Rand, i int) {
	ctx := ctxT(t)
	user := fmt.Sprintf("u%d", rng.IntN(4))
	name := fmt.Sprintf("n%d", rng.IntN(3))
	var err error
	switch rng.IntN(12) {
	case 0:
		_, err = s.CreateUser(ctx, newUser(user))
	case 1:
		u := newUser(user)
		u.QuotaNanoUsd = proto.Int64(int64(i))
		_, err = s.UpdateUser(ctx, u)
	case 2:
		err = s.DeleteUser(ctx, user)
	case 3, 4:
		_, err = s.CreateToken(ctx, newToken(user, name))
	case 5:
		err = s.DeleteToken(ctx, user, name)
	case 6:
		c := newChannel("c" + name)
		c.Channel.Priority = int32(i)
		if _, err = s.UpdateChannel(ctx, c); errors.Is(err, store.ErrNotFound) {
			_, err = s.CreateChannel(ctx, c)
		}
	case 7:
		err = s.DeleteChannel(ctx, "c"+name)
	case 8:
		if _, err = s.CreateModel(ctx, newModel("m"+name)); errors.Is(err, store.ErrAlreadyExists) {
			err = s.DeleteModel(ctx, "m"+name)
		}
	case 9:
		if _, err = s.CreateGroup(ctx, newGroup("g"+name)); errors.Is(err, store.ErrAlreadyExists) {
			err = s.DeleteGroup(ctx, "g"+name)
		}
	default:
		tk, terr := s.GetToken(ctx, user, name)
		if terr != nil {
			tk = store.Token{Token: &adminv1.Token{User: user, Name: name}}
		}
		_, err = s.Settle(ctx, []*usagev1.UsageEvent{event(fmt.Sprintf("op-%d", i), user, tk, int64(1000+i))})
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("op %d: %v", i, err)
	}
}

func changeCount(d store.Delta) int {
	u := d.Upserts
	return len(u.Channels) + len(u.Models) + len(u.Groups) + len(u.Tokens) + len(u.Users) + len(d.Tombstones)
}
