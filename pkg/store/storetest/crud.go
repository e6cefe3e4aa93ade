package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	in := newUser("alice")
	got, err := s.CreateUser(ctx, in)
	wantErr(t, "create", err, nil)
	equalProto(t, "created user", in, noTimes(got))
	stamped(t, "created user", got.CreateTime, got.UpdateTime)

	got, err = s.GetUser(ctx, "alice")
	wantErr(t, "get", err, nil)
	equalProto(t, "got user", in, noTimes(got))

	_, err = s.CreateUser(ctx, newUser("alice"))
	wantErr(t, "create twice", err, store.ErrAlreadyExists)

	// An empty group is the default group; an unknown one is refused.
	bare := &adminv1.User{Name: "bob", Role: adminv1.Role_ROLE_VIEWER}
	got, err = s.CreateUser(ctx, bare)
	wantErr(t, "create without group", err, nil)
	if got.Group != "default" || got.Limits != nil || got.QuotaNanoUsd != nil {
		t.Fatalf("bare user read back as %v: want group default, no limits, no quota", got)
	}
	orphan := newUser("carol")
	orphan.Group = "nope"
	_, err = s.CreateUser(ctx, orphan)
	wantErr(t, "create in unknown group", err, store.ErrNotFound)

	upd := proto.Clone(in).(*adminv1.User)
	upd.Role = adminv1.Role_ROLE_ADMIN
	upd.Status = adminv1.Status_STATUS_DISABLED
	upd.QuotaNanoUsd = nil
	upd.Limits = &adminv1.Limits{Tpm: proto.Int64(5)}
	upd.UsedNanoUsd = 12345 // output only: ignored
	got, err = s.UpdateUser(ctx, upd)
	wantErr(t, "update", err, nil)
	upd.UsedNanoUsd = 0
	equalProto(t, "updated user", upd, noTimes(got))
	stamped(t, "updated user", got.CreateTime, got.UpdateTime)

	upd.Group = "nope"
	_, err = s.UpdateUser(ctx, upd)
	wantErr(t, "update into unknown group", err, store.ErrNotFound)
	_, err = s.UpdateUser(ctx, newUser("nobody"))
	wantErr(t, "update missing", err, store.ErrNotFound)

	wantErr(t, "delete", s.DeleteUser(ctx, "alice"), nil)
	_, err = s.GetUser(ctx, "alice")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	wantErr(t, "delete again", s.DeleteUser(ctx, "alice"), store.ErrNotFound)
}

func testGroups(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	def, err := s.GetGroup(ctx, "default")
	wantErr(t, "get default group", err, nil)
	if def.RatioPpm == nil || def.GetRatioPpm() != 1_000_000 {
		t.Fatalf("default group ratio %v, want 1000000", def.RatioPpm)
	}
	in := newGroup("vip")
	got, err := s.CreateGroup(ctx, in)
	wantErr(t, "create", err, nil)
	equalProto(t, "created group", in, noTimes(got))
	stamped(t, "created group", got.CreateTime, got.UpdateTime)
	_, err = s.CreateGroup(ctx, newGroup("vip"))
	wantErr(t, "create twice", err, store.ErrAlreadyExists)

	in.RatioPpm, in.Description = proto.Int64(2_000_000), ""
	got, err = s.UpdateGroup(ctx, in)
	wantErr(t, "update", err, nil)
	equalProto(t, "updated group", in, noTimes(got))

	// A free group is legitimate: 0 is stored and read back as set.
	free := &adminv1.Group{Name: "free", RatioPpm: proto.Int64(0)}
	got, err = s.CreateGroup(ctx, free)
	wantErr(t, "create free", err, nil)
	equalProto(t, "created free group", free, noTimes(got))
	got, err = s.GetGroup(ctx, "free")
	wantErr(t, "get free", err, nil)
	if got.RatioPpm == nil || got.GetRatioPpm() != 0 {
		t.Errorf("free group ratio read back as %v, want set to 0", got.RatioPpm)
	}
	wantErr(t, "delete free", s.DeleteGroup(ctx, "free"), nil)

	// Without a ratio the store refuses rather than storing 0 (free) or
	// guessing a price.
	_, err = s.CreateGroup(ctx, &adminv1.Group{Name: "noratio"})
	wantErr(t, "create without ratio", err, store.ErrMissingField)
	_, err = s.GetGroup(ctx, "noratio")
	wantErr(t, "get refused group", err, store.ErrNotFound)
	_, err = s.UpdateGroup(ctx, &adminv1.Group{Name: "vip"})
	wantErr(t, "update without ratio", err, store.ErrMissingField)
	got, err = s.GetGroup(ctx, "vip")
	wantErr(t, "get after refused update", err, nil)
	equalProto(t, "group after refused update", in, noTimes(got))
	wantErr(t, "missing ratio leaves tx usable", s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateGroup(ctx, &adminv1.Group{Name: "noratio"}); !errors.Is(err, store.ErrMissingField) {
			return fmt.Errorf("create without ratio in tx: %w", err)
		}
		_, err := tx.CreateGroup(ctx, newGroup("intx"))
		return err
	}), nil)
	wantErr(t, "delete intx", s.DeleteGroup(ctx, "intx"), nil)
	_, err = s.UpdateGroup(ctx, newGroup("nope"))
	wantErr(t, "update missing", err, store.ErrNotFound)

	u := newUser("alice")
	u.Group = "vip"
	_, err = s.CreateUser(ctx, u)
	wantErr(t, "user in group", err, nil)
	wantErr(t, "delete group with users", s.DeleteGroup(ctx, "vip"), store.ErrInUse)
	wantErr(t, "delete user", s.DeleteUser(ctx, "alice"), nil)
	wantErr(t, "delete emptied group", s.DeleteGroup(ctx, "vip"), nil)
	_, err = s.GetGroup(ctx, "vip")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	wantErr(t, "delete again", s.DeleteGroup(ctx, "vip"), store.ErrNotFound)
}

func testModels(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	in := newModel("gpt-4o")
	got, err := s.CreateModel(ctx, in)
	wantErr(t, "create", err, nil)
	equalProto(t, "created model", in, noTimes(got))
	stamped(t, "created model", got.CreateTime, got.UpdateTime)
	got, err = s.GetModel(ctx, "gpt-4o")
	wantErr(t, "get", err, nil)
	equalProto(t, "got model", in, noTimes(got))
	_, err = s.CreateModel(ctx, newModel("gpt-4o"))
	wantErr(t, "create twice", err, store.ErrAlreadyExists)

	// Optional prices go from set to unset and back; zero stays distinct from unset.
	in.Price.CacheReadNanoUsd = nil
	in.Price.CacheWriteNanoUsd = proto.Int64(0)
	in.Price.ImageInputNanoUsd = proto.Int64(7)
	in.Tiers = nil
	in.RequestFeeNanoUsd = nil
	// Per-user limits change field by field; zero stays distinct from unset.
	in.PerUserLimits = &adminv1.Limits{Tpm: proto.Int64(100_000), MaxConcurrency: proto.Int64(0)}
	got, err = s.UpdateModel(ctx, in)
	wantErr(t, "update", err, nil)
	equalProto(t, "updated model", in, noTimes(got))
	got, err = s.GetModel(ctx, "gpt-4o")
	wantErr(t, "get updated", err, nil)
	equalProto(t, "got updated model", in, noTimes(got))
	in.PerUserLimits = nil
	got, err = s.UpdateModel(ctx, in)
	wantErr(t, "clear per-user limits", err, nil)
	equalProto(t, "model without per-user limits", in, noTimes(got))
	_, err = s.UpdateModel(ctx, newModel("nope"))
	wantErr(t, "update missing", err, store.ErrNotFound)

	wantErr(t, "delete", s.DeleteModel(ctx, "gpt-4o"), nil)
	_, err = s.GetModel(ctx, "gpt-4o")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	wantErr(t, "delete again", s.DeleteModel(ctx, "gpt-4o"), store.ErrNotFound)
}

func testChannels(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	in := newChannel("openai-main")
	in.Channel.Keys = []string{"sk-plaintext"} // never stored
	got, err := s.CreateChannel(ctx, in)
	wantErr(t, "create", err, nil)
	equalProto(t, "created channel", channelView(in), noTimes(got.Channel))
	equalKeys(t, "created channel", in.Keys, got.Keys)
	stamped(t, "created channel", got.Channel.CreateTime, got.Channel.UpdateTime)

	got, err = s.GetChannel(ctx, "openai-main")
	wantErr(t, "get", err, nil)
	equalProto(t, "got channel", channelView(in), noTimes(got.Channel))
	equalKeys(t, "got channel", in.Keys, got.Keys)

	_, err = s.CreateChannel(ctx, newChannel("openai-main"))
	wantErr(t, "create twice", err, store.ErrAlreadyExists)
	dupKeys := newChannel("dup-keys")
	dupKeys.Keys = append(dupKeys.Keys, dupKeys.Keys[0])
	_, err = s.CreateChannel(ctx, dupKeys)
	wantErr(t, "create with a key id twice", err, store.ErrAlreadyExists)

	upd := newChannel("openai-main")
	upd.Channel.Type = adminv1.ChannelType_CHANNEL_TYPE_AZURE
	upd.Channel.ModelMap = nil
	upd.Channel.Timeouts = nil
	upd.Channel.CostRatioPpm = nil
	upd.Channel.Limits = nil
	upd.Keys = []store.SealedKey{upd.Keys[1], {ID: "k2", Sealed: []byte("new"), Masked: "m2"}}
	got, err = s.UpdateChannel(ctx, upd)
	wantErr(t, "update", err, nil)
	equalProto(t, "updated channel", channelView(upd), noTimes(got.Channel))
	equalKeys(t, "updated channel", upd.Keys, got.Keys)
	_, err = s.UpdateChannel(ctx, newChannel("nope"))
	wantErr(t, "update missing", err, store.ErrNotFound)

	wantErr(t, "delete", s.DeleteChannel(ctx, "openai-main"), nil)
	_, err = s.GetChannel(ctx, "openai-main")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	wantErr(t, "delete again", s.DeleteChannel(ctx, "openai-main"), store.ErrNotFound)
}

func testTokens(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	_, err := s.CreateToken(ctx, newToken("alice", "laptop"))
	wantErr(t, "token of a missing user", err, store.ErrNotFound)
	mustUser(t, s, "alice")

	in := newToken("alice", "laptop")
	in.Token.UsedNanoUsd = 99 // output only
	got, err := s.CreateToken(ctx, in)
	wantErr(t, "create", err, nil)
	if got.ID <= 0 || string(got.Digest) != string(in.Digest) {
		t.Fatalf("created token id %d digest %x: want a positive id and digest %x", got.ID, got.Digest, in.Digest)
	}
	in.Token.UsedNanoUsd = 0
	equalProto(t, "created token", in.Token, noTimes(got.Token))
	stamped(t, "created token", got.Token.CreateTime, got.Token.UpdateTime)

	for name, get := range map[string]func() (store.Token, error){
		"get":       func() (store.Token, error) { return s.GetToken(ctx, "alice", "laptop") },
		"by digest": func() (store.Token, error) { return s.TokenByDigest(ctx, in.Digest) },
	} {
		tk, err := get()
		wantErr(t, name, err, nil)
		if tk.ID != got.ID || string(tk.Digest) != string(in.Digest) {
			t.Fatalf("%s: id %d digest %x, want %d %x", name, tk.ID, tk.Digest, got.ID, in.Digest)
		}
		equalProto(t, name, in.Token, noTimes(tk.Token))
	}
	_, err = s.TokenByDigest(ctx, digestOf("unknown"))
	wantErr(t, "unknown digest", err, store.ErrNotFound)
	_, err = s.GetToken(ctx, "alice", "desk")
	wantErr(t, "unknown name", err, store.ErrNotFound)

	_, err = s.CreateToken(ctx, newToken("alice", "laptop"))
	wantErr(t, "same name", err, store.ErrAlreadyExists)
	sameDigest := newToken("alice", "desk")
	sameDigest.Digest = in.Digest
	_, err = s.CreateToken(ctx, sameDigest)
	wantErr(t, "same digest", err, store.ErrAlreadyExists)

	// Update without a digest changes the settable fields only.
	upd := store.Token{Token: proto.Clone(in.Token).(*adminv1.Token)}
	upd.Token.Models = nil
	upd.Token.QuotaNanoUsd = nil
	upd.Token.ExpireTime = nil
	upd.Token.Limits = nil
	upd.Token.Status = adminv1.Status_STATUS_DISABLED
	upd.Token.Prefix, upd.Token.Last4 = "changed", "zzzz"
	tk, err := s.UpdateToken(ctx, upd)
	wantErr(t, "update", err, nil)
	want := proto.Clone(upd.Token).(*adminv1.Token)
	want.Prefix, want.Last4 = in.Token.Prefix, in.Token.Last4
	equalProto(t, "updated token", want, noTimes(tk.Token))
	if tk.ID != got.ID || string(tk.Digest) != string(in.Digest) {
		t.Fatalf("update changed id or digest: %d %x", tk.ID, tk.Digest)
	}
	// Update with a digest also replaces the secret.
	rekey := store.Token{Token: proto.Clone(tk.Token).(*adminv1.Token), Digest: digestOf("other")}
	rekey.Token.Prefix, rekey.Token.Last4 = "sk-bc-oth", "ther"
	tk, err = s.UpdateToken(ctx, rekey)
	wantErr(t, "re-key", err, nil)
	if string(tk.Digest) != string(digestOf("other")) || tk.Token.GetPrefix() != "sk-bc-oth" || tk.Token.GetLast4() != "ther" {
		t.Fatalf("re-key kept the old secret: %x %q %q", tk.Digest, tk.Token.GetPrefix(), tk.Token.GetLast4())
	}
	_, err = s.TokenByDigest(ctx, in.Digest)
	wantErr(t, "old secret after re-key", err, store.ErrNotFound)
	if byNew, err := s.TokenByDigest(ctx, digestOf("other")); err != nil || byNew.ID != got.ID {
		t.Fatalf("new secret after re-key: %v", err)
	}
	_, err = s.UpdateToken(ctx, newToken("alice", "desk"))
	wantErr(t, "update missing", err, store.ErrNotFound)

	wantErr(t, "delete", s.DeleteToken(ctx, "alice", "laptop"), nil)
	_, err = s.GetToken(ctx, "alice", "laptop")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	wantErr(t, "delete again", s.DeleteToken(ctx, "alice", "laptop"), store.ErrNotFound)
	// A new token of the same name is a new token.
	again := mustToken(t, s, "alice", "laptop")
	if again.ID == got.ID {
		t.Fatalf("recreated token reused id %d", got.ID)
	}
}

func testDeleteUserDeletesTokens(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	mustUser(t, s, "alice")
	mustUser(t, s, "bob")
	a1, a2 := mustToken(t, s, "alice", "one"), mustToken(t, s, "alice", "two")
	b1 := mustToken(t, s, "bob", "one")
	from, err := s.Revision(ctx)
	wantErr(t, "revision", err, nil)

	wantErr(t, "delete alice", s.DeleteUser(ctx, "alice"), nil)
	for _, tk := range []store.Token{a1, a2} {
		_, err := s.TokenByDigest(ctx, tk.Digest)
		wantErr(t, "token of deleted user", err, store.ErrNotFound)
	}
	_, err = s.TokenByDigest(ctx, b1.Digest)
	wantErr(t, "bob's token", err, nil)

	d, err := s.ChangesSince(ctx, from)
	wantErr(t, "changes", err, nil)
	want := []store.EntityKey{
		{Kind: store.KindToken, Key: fmt.Sprint(a1.ID)},
		{Kind: store.KindToken, Key: fmt.Sprint(a2.ID)},
		{Kind: store.KindUser, Key: "alice"},
	}
	if got := sortedKeys(d.Tombstones); fmt.Sprint(got) != fmt.Sprint(sortedKeys(want)) {
		t.Fatalf("tombstones %v, want %v", got, want)
	}
}

func testPagination(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	for _, n := range []string{"u3", "u1", "u5", "u2", "u4"} {
		mustUser(t, s, n)
		_, err := s.CreateModel(ctx, newModel("m"+n))
		wantErr(t, "create model", err, nil)
		_, err = s.CreateChannel(ctx, newChannel("c"+n))
		wantErr(t, "create channel", err, nil)
		_, err = s.CreateGroup(ctx, newGroup("g"+n))
		wantErr(t, "create group", err, nil)
	}
	for _, u := range []string{"u2", "u1"} {
		for _, n := range []string{"b", "c", "a"} {
			mustToken(t, s, u, n)
		}
	}
	lists := []struct {
		name string
		list func(p store.Page) ([]string, error)
		next func(last string) string
		want string
	}{
		{"users", names(s.ListUsers, (*adminv1.User).GetName), same, "[u1 u2 u3 u4 u5]"},
		{"models", names(s.ListModels, (*adminv1.Model).GetName), same, "[mu1 mu2 mu3 mu4 mu5]"},
		{"groups", names(s.ListGroups, (*adminv1.Group).GetName), same, "[default gu1 gu2 gu3 gu4 gu5]"},
		{"channels", names(s.ListChannels, func(c store.Channel) string { return c.Channel.GetName() }), same, "[cu1 cu2 cu3 cu4 cu5]"},
		{"all tokens", names(func(ctx2 context.Context, p store.Page) ([]store.Token, error) { return s.ListTokens(ctx2, "", p) }, tokenKey), same,
			"[u1/a u1/b u1/c u2/a u2/b u2/c]"},
		{"u2 tokens", names(func(ctx2 context.Context, p store.Page) ([]store.Token, error) { return s.ListTokens(ctx2, "u2", p) }, tokenKey), same,
			"[u2/a u2/b u2/c]"},
	}
	for _, l := range lists {
		for _, size := range []int{1, 2, 4, 0} {
			var all []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatalf("%s: pagination does not end", l.name)
				}
				got, err := l.list(store.Page{Size: size, After: after})
				wantErr(t, l.name, err, nil)
				if size > 0 && len(got) > size {
					t.Fatalf("%s: page of %d items, size %d", l.name, len(got), size)
				}
				if len(got) == 0 {
					break
				}
				all = append(all, got...)
				after = l.next(got[len(got)-1])
			}
			if fmt.Sprint(all) != l.want {
				t.Fatalf("%s by %d: %v, want %s", l.name, size, all, l.want)
			}
		}
	}
	_, err := s.ListTokens(ctx, "", store.Page{After: "no-slash"})
	wantErr(t, "bad token cursor", err, store.ErrBadPage)
}
