package declarative

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
)

// fakeTx is an in-memory store.Tx with the real store's contract: names are
// identities, ErrNotFound / ErrAlreadyExists / ErrInUse, keyset pages. It
// copies everything in and out so that callers cannot alias its state, and
// counts writes.
type fakeTx struct {
	users    map[string]*adminv1.User
	groups   map[string]*adminv1.Group
	models   map[string]*adminv1.Model
	channels map[string]store.Channel
	tokens   map[string]store.Token // by "user/name"
	nextID   int64
	writes   int
	log      []string
}

func newFakeTx() *fakeTx {
	return &fakeTx{
		users:    map[string]*adminv1.User{},
		groups:   map[string]*adminv1.Group{"default": {Name: "default", RatioPpm: proto.Int64(1_000_000)}},
		models:   map[string]*adminv1.Model{},
		channels: map[string]store.Channel{},
		tokens:   map[string]store.Token{},
	}
}

var _ store.Tx = (*fakeTx)(nil)

func (f *fakeTx) wrote(op, name string) {
	f.writes++
	f.log = append(f.log, op+" "+name)
}

// page returns the sorted keys of m after p.After, at most p.Size of them.
func page[V any](m map[string]V, p store.Page, keep func(string) bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k > p.After && (keep == nil || keep(k)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if p.Size > 0 && len(keys) > p.Size {
		keys = keys[:p.Size]
	}
	return keys
}

func get[M proto.Message](m map[string]M, name string) (M, error) {
	v, ok := m[name]
	if !ok {
		var zero M
		return zero, fmt.Errorf("%q: %w", name, store.ErrNotFound)
	}
	return proto.CloneOf(v), nil
}

func list[M proto.Message](m map[string]M, p store.Page) ([]M, error) {
	var out []M
	for _, k := range page(m, p, nil) {
		out = append(out, proto.CloneOf(m[k]))
	}
	return out, nil
}

func create[M proto.Message](f *fakeTx, m map[string]M, name string, v M) (M, error) {
	if _, ok := m[name]; ok {
		var zero M
		return zero, store.ErrAlreadyExists
	}
	m[name] = proto.CloneOf(v)
	f.wrote("create", name)
	return proto.CloneOf(v), nil
}

func update[M proto.Message](f *fakeTx, m map[string]M, name string, v M) (M, error) {
	if _, ok := m[name]; !ok {
		var zero M
		return zero, store.ErrNotFound
	}
	m[name] = proto.CloneOf(v)
	f.wrote("update", name)
	return proto.CloneOf(v), nil
}

func remove[M any](f *fakeTx, m map[string]M, name string) error {
	if _, ok := m[name]; !ok {
		return store.ErrNotFound
	}
	delete(m, name)
	f.wrote("delete", name)
	return nil
}

func (f *fakeTx) CreateUser(_ context.Context, u *adminv1.User) (*adminv1.User, error) {
	g := u.GetGroup()
	if g == "" {
		g = "default"
	}
	if _, ok := f.groups[g]; !ok {
		return nil, fmt.Errorf("group %q: %w", g, store.ErrNotFound)
	}
	return create(f, f.users, u.GetName(), u)
}
func (f *fakeTx) GetUser(_ context.Context, name string) (*adminv1.User, error) {
	return get(f.users, name)
}
func (f *fakeTx) ListUsers(_ context.Context, p store.Page) ([]*adminv1.User, error) {
	return list(f.users, p)
}
func (f *fakeTx) UpdateUser(_ context.Context, u *adminv1.User) (*adminv1.User, error) {
	return update(f, f.users, u.GetName(), u)
}
func (f *fakeTx) DeleteUser(_ context.Context, name string) error {
	for k := range f.tokens {
		if strings.HasPrefix(k, name+"/") {
			return store.ErrInUse
		}
	}
	return remove(f, f.users, name)
}

func (f *fakeTx) CreateGroup(_ context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	if g.RatioPpm == nil { // as the real stores
		return nil, store.ErrMissingField
	}
	return create(f, f.groups, g.GetName(), g)
}
func (f *fakeTx) GetGroup(_ context.Context, name string) (*adminv1.Group, error) {
	return get(f.groups, name)
}
func (f *fakeTx) ListGroups(_ context.Context, p store.Page) ([]*adminv1.Group, error) {
	return list(f.groups, p)
}
func (f *fakeTx) UpdateGroup(_ context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	if g.RatioPpm == nil {
		return nil, store.ErrMissingField
	}
	return update(f, f.groups, g.GetName(), g)
}
func (f *fakeTx) DeleteGroup(_ context.Context, name string) error {
	for _, u := range f.users {
		if u.GetGroup() == name {
			return store.ErrInUse
		}
	}
	return remove(f, f.groups, name)
}

func (f *fakeTx) CreateModel(_ context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	return create(f, f.models, m.GetName(), m)
}
func (f *fakeTx) GetModel(_ context.Context, name string) (*adminv1.Model, error) {
	return get(f.models, name)
}
func (f *fakeTx) ListModels(_ context.Context, p store.Page) ([]*adminv1.Model, error) {
	return list(f.models, p)
}
func (f *fakeTx) UpdateModel(_ context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	return update(f, f.models, m.GetName(), m)
}
func (f *fakeTx) DeleteModel(_ context.Context, name string) error {
	return remove(f, f.models, name)
}

func cloneChannel(c store.Channel) store.Channel {
	return store.Channel{Channel: proto.CloneOf(c.Channel), Keys: slices.Clone(c.Keys)}
}

func (f *fakeTx) CreateChannel(_ context.Context, c store.Channel) (store.Channel, error) {
	if _, ok := f.channels[c.Channel.GetName()]; ok {
		return store.Channel{}, store.ErrAlreadyExists
	}
	f.channels[c.Channel.GetName()] = cloneChannel(c)
	f.wrote("create", c.Channel.GetName())
	return cloneChannel(c), nil
}
func (f *fakeTx) GetChannel(_ context.Context, name string) (store.Channel, error) {
	c, ok := f.channels[name]
	if !ok {
		return store.Channel{}, store.ErrNotFound
	}
	return cloneChannel(c), nil
}
func (f *fakeTx) ListChannels(_ context.Context, p store.Page) ([]store.Channel, error) {
	var out []store.Channel
	for _, k := range page(f.channels, p, nil) {
		out = append(out, cloneChannel(f.channels[k]))
	}
	return out, nil
}
func (f *fakeTx) UpdateChannel(_ context.Context, c store.Channel) (store.Channel, error) {
	if _, ok := f.channels[c.Channel.GetName()]; !ok {
		return store.Channel{}, store.ErrNotFound
	}
	f.channels[c.Channel.GetName()] = cloneChannel(c)
	f.wrote("update", c.Channel.GetName())
	return cloneChannel(c), nil
}
func (f *fakeTx) DeleteChannel(_ context.Context, name string) error {
	return remove(f, f.channels, name)
}

func cloneToken(t store.Token) store.Token {
	return store.Token{ID: t.ID, Token: proto.CloneOf(t.Token), Digest: slices.Clone(t.Digest)}
}

func (f *fakeTx) CreateToken(_ context.Context, t store.Token) (store.Token, error) {
	key := t.Token.GetUser() + "/" + t.Token.GetName()
	if _, ok := f.users[t.Token.GetUser()]; !ok {
		return store.Token{}, store.ErrNotFound
	}
	if _, ok := f.tokens[key]; ok {
		return store.Token{}, store.ErrAlreadyExists
	}
	if _, err := f.TokenByDigest(context.Background(), t.Digest); err == nil {
		return store.Token{}, store.ErrAlreadyExists
	}
	f.nextID++
	t = cloneToken(t)
	t.ID = f.nextID
	f.tokens[key] = t
	f.wrote("create", key)
	return cloneToken(t), nil
}
func (f *fakeTx) GetToken(_ context.Context, user, name string) (store.Token, error) {
	t, ok := f.tokens[user+"/"+name]
	if !ok {
		return store.Token{}, store.ErrNotFound
	}
	return cloneToken(t), nil
}
func (f *fakeTx) TokenByDigest(_ context.Context, digest []byte) (store.Token, error) {
	for _, t := range f.tokens {
		if string(t.Digest) == string(digest) {
			return cloneToken(t), nil
		}
	}
	return store.Token{}, store.ErrNotFound
}
func (f *fakeTx) ListTokens(_ context.Context, user string, p store.Page) ([]store.Token, error) {
	var out []store.Token
	keep := func(k string) bool { return user == "" || strings.HasPrefix(k, user+"/") }
	for _, k := range page(f.tokens, p, keep) {
		out = append(out, cloneToken(f.tokens[k]))
	}
	return out, nil
}
func (f *fakeTx) UpdateToken(_ context.Context, t store.Token) (store.Token, error) {
	key := t.Token.GetUser() + "/" + t.Token.GetName()
	cur, ok := f.tokens[key]
	if !ok {
		return store.Token{}, store.ErrNotFound
	}
	t = cloneToken(t)
	t.ID = cur.ID
	f.tokens[key] = t
	f.wrote("update", key)
	return cloneToken(t), nil
}
func (f *fakeTx) DeleteToken(_ context.Context, user, name string) error {
	return remove(f, f.tokens, user+"/"+name)
}

// fakeSealer is a Sealer without a keyring: ids and digests are plain hashes,
// sealing is reversible by eye. It counts seals.
type fakeSealer struct{ seals int }

func (s *fakeSealer) KeyID(key string) string {
	sum := sha256.Sum256([]byte("id:" + key))
	return hex.EncodeToString(sum[:8])
}

func (s *fakeSealer) SealKey(channel, key string) (store.SealedKey, error) {
	s.seals++
	return store.SealedKey{ID: s.KeyID(key), Sealed: []byte(channel + ":" + key), Masked: secrets.Mask(key)}, nil
}

func (s *fakeSealer) TokenDigest(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}
