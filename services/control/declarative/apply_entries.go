package declarative

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
)

func (a *applier) channels(ctx context.Context, f *File) error {
	for _, ch := range f.Channels {
		if err := a.channel(ctx, ch); err != nil {
			return fmt.Errorf("channel %q: %w", ch.Channel.GetName(), err)
		}
	}
	return nil
}

func (a *applier) channel(ctx context.Context, ch Channel) error {
	want := ch.Channel
	cur, err := a.tx.GetChannel(ctx, want.Name)
	if errors.Is(err, store.ErrNotFound) {
		a.record(KindChannel, want.Name, actionCreate, nil)
		return a.write(func() error {
			keys, err := a.sealKeys(want.Name, ch.Keys, nil)
			if err != nil {
				return err
			}
			_, err = a.tx.CreateChannel(ctx, store.Channel{Channel: channelOnly(want), Keys: keys})
			return err
		})
	}
	if err != nil || a.opts.CreateOnly {
		return err
	}
	d := diffChannel(cur.Channel, want)
	keysChanged := false
	if ch.Keys != nil {
		ids := make([]string, len(ch.Keys))
		for i, k := range ch.Keys {
			ids[i] = a.s.KeyID(k)
		}
		if detail := keysDetail(cur.Keys, ids, ch.Keys); detail != "" {
			d = append(d, detail)
			keysChanged = true
		}
	}
	if len(d) == 0 {
		return nil
	}
	a.record(KindChannel, want.Name, actionUpdate, d)
	return a.write(func() error {
		upd := store.Channel{Channel: channelOnly(want), Keys: cur.Keys}
		upd.Channel.CreateTime, upd.Channel.UpdateTime = cur.Channel.GetCreateTime(), cur.Channel.GetUpdateTime()
		if keysChanged {
			keys, err := a.sealKeys(want.Name, ch.Keys, cur.Keys)
			if err != nil {
				return err
			}
			upd.Keys = keys
		}
		_, err := a.tx.UpdateChannel(ctx, upd)
		return err
	})
}

// channelOnly copies a channel without key material of any kind.
func channelOnly(c *adminv1.Channel) *adminv1.Channel {
	out := proto.CloneOf(c)
	out.Keys, out.KeyInfo = nil, nil
	return out
}

// sealKeys seals keys, reusing the sealed form of those already stored.
func (a *applier) sealKeys(channel string, keys []string, stored []store.SealedKey) ([]store.SealedKey, error) {
	out := make([]store.SealedKey, 0, len(keys))
	for _, k := range keys {
		id := a.s.KeyID(k)
		if i := slices.IndexFunc(stored, func(s store.SealedKey) bool { return s.ID == id }); i >= 0 {
			out = append(out, stored[i])
			continue
		}
		sealed, err := a.s.SealKey(channel, k)
		if err != nil {
			return nil, fmt.Errorf("seal key: %w", err)
		}
		if sealed.ID != id {
			return nil, errors.New("seal key: sealer's key id differs from KeyID")
		}
		out = append(out, sealed)
	}
	return out, nil
}

// keysDetail describes how the stored keys differ from the wanted ones, by
// id and masked form; "" when they do not.
func keysDetail(stored []store.SealedKey, ids, keys []string) string {
	have := make([]string, len(stored))
	for i, s := range stored {
		have[i] = s.ID
	}
	if slices.Equal(have, ids) {
		return ""
	}
	var added, removed []string
	for i, id := range ids {
		if !slices.Contains(have, id) {
			added = append(added, secrets.Mask(keys[i]))
		}
	}
	for _, s := range stored {
		if !slices.Contains(ids, s.ID) {
			removed = append(removed, s.Masked)
		}
	}
	parts := []string{fmt.Sprintf("keys: %d -> %d", len(stored), len(ids))}
	if len(added) > 0 {
		parts = append(parts, "added "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+strings.Join(removed, ", "))
	}
	if len(added) == 0 && len(removed) == 0 {
		parts = append(parts, "reordered")
	}
	return strings.Join(parts, "; ")
}

func (a *applier) tokens(ctx context.Context, f *File) error {
	for _, u := range f.Users {
		stored, err := a.userTokens(ctx, u.User.GetName())
		if err != nil {
			return fmt.Errorf("tokens of user %q: %w", u.User.GetName(), err)
		}
		for _, t := range u.Tokens {
			name := t.Token.GetUser() + "/" + t.Token.GetName()
			i := slices.IndexFunc(stored, func(s store.Token) bool { return s.Token.GetName() == t.Token.GetName() })
			switch {
			case i < 0:
				err = a.createToken(ctx, name, t)
			case !a.opts.CreateOnly:
				err = a.updateToken(ctx, name, t, stored[i])
			}
			if err != nil {
				return fmt.Errorf("token %q: %w", name, err)
			}
		}
	}
	return nil
}

func (a *applier) userTokens(ctx context.Context, user string) ([]store.Token, error) {
	tokens, err := listAll(func(p store.Page) ([]store.Token, error) {
		return a.tx.ListTokens(ctx, user, p)
	}, tokenKey)
	if errors.Is(err, store.ErrNotFound) { // a user this Apply is creating
		return nil, nil
	}
	return tokens, err
}

// checkKeyFree refuses a token secret that is another token's.
func (a *applier) checkKeyFree(ctx context.Context, digest []byte) error {
	_, err := a.tx.TokenByDigest(ctx, digest)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	return ErrKeyInUse
}

func (a *applier) createToken(ctx context.Context, name string, t Token) error {
	var details []string
	if t.Key == "" {
		details = []string{"key: generated"}
	} else if err := a.checkKeyFree(ctx, a.s.TokenDigest(t.Key)); err != nil {
		return err
	}
	a.record(KindToken, name, actionCreate, details)
	return a.write(func() error {
		secret := t.Key
		if secret == "" {
			tok, err := secrets.NewToken()
			if err != nil {
				return err
			}
			secret = tok.Secret
		}
		shown := secrets.Describe(secret)
		tok := proto.CloneOf(t.Token)
		tok.Prefix, tok.Last4 = shown.Prefix, shown.Last4
		if _, err := a.tx.CreateToken(ctx, store.Token{Token: tok, Digest: a.s.TokenDigest(secret)}); err != nil {
			return err
		}
		if t.Key == "" {
			a.res.Secrets = append(a.res.Secrets, &adminv1.GeneratedSecret{User: tok.User, Token: tok.Name, Secret: secret})
		}
		return nil
	})
}

func (a *applier) updateToken(ctx context.Context, name string, t Token, cur store.Token) error {
	d := diffToken(cur.Token, t.Token)
	upd := store.Token{ID: cur.ID, Token: proto.CloneOf(t.Token), Digest: cur.Digest}
	upd.Token.Prefix, upd.Token.Last4 = cur.Token.GetPrefix(), cur.Token.GetLast4()
	upd.Token.UsedNanoUsd = cur.Token.GetUsedNanoUsd()
	upd.Token.CreateTime, upd.Token.UpdateTime = cur.Token.GetCreateTime(), cur.Token.GetUpdateTime()
	if t.Key != "" {
		digest := a.s.TokenDigest(t.Key)
		if subtle.ConstantTimeCompare(digest, cur.Digest) != 1 {
			if err := a.checkKeyFree(ctx, digest); err != nil {
				return err
			}
			shown := secrets.Describe(t.Key)
			d = append(d, "key: replaced")
			upd.Digest, upd.Token.Prefix, upd.Token.Last4 = digest, shown.Prefix, shown.Last4
		}
	}
	if len(d) == 0 {
		return nil
	}
	a.record(KindToken, name, actionUpdate, d)
	return a.write(func() error {
		_, err := a.tx.UpdateToken(ctx, upd)
		return err
	})
}
