package postgres

import (
	"context"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// The Store's own Tx methods: reads go straight to the pool, writes run in
// a transaction of their own.

func (s *Store) GetUser(ctx context.Context, name string) (*adminv1.User, error) {
	return s.reader().GetUser(ctx, name)
}

func (s *Store) ListUsers(ctx context.Context, p store.Page) ([]*adminv1.User, error) {
	return s.reader().ListUsers(ctx, p)
}

func (s *Store) GetGroup(ctx context.Context, name string) (*adminv1.Group, error) {
	return s.reader().GetGroup(ctx, name)
}

func (s *Store) ListGroups(ctx context.Context, p store.Page) ([]*adminv1.Group, error) {
	return s.reader().ListGroups(ctx, p)
}

func (s *Store) GetModel(ctx context.Context, name string) (*adminv1.Model, error) {
	return s.reader().GetModel(ctx, name)
}

func (s *Store) ListModels(ctx context.Context, p store.Page) ([]*adminv1.Model, error) {
	return s.reader().ListModels(ctx, p)
}

func (s *Store) GetChannel(ctx context.Context, name string) (store.Channel, error) {
	return s.reader().GetChannel(ctx, name)
}

func (s *Store) ListChannels(ctx context.Context, p store.Page) ([]store.Channel, error) {
	return s.reader().ListChannels(ctx, p)
}

func (s *Store) GetToken(ctx context.Context, user, name string) (store.Token, error) {
	return s.reader().GetToken(ctx, user, name)
}

func (s *Store) TokenByDigest(ctx context.Context, digest []byte) (store.Token, error) {
	return s.reader().TokenByDigest(ctx, digest)
}

func (s *Store) ListTokens(ctx context.Context, user string, p store.Page) ([]store.Token, error) {
	return s.reader().ListTokens(ctx, user, p)
}

func (s *Store) CreateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error) {
	return write(s, ctx, func(t *tx) (*adminv1.User, error) { return t.CreateUser(ctx, u) })
}

func (s *Store) UpdateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error) {
	return write(s, ctx, func(t *tx) (*adminv1.User, error) { return t.UpdateUser(ctx, u) })
}

func (s *Store) CreateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	return write(s, ctx, func(t *tx) (*adminv1.Group, error) { return t.CreateGroup(ctx, g) })
}

func (s *Store) UpdateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	return write(s, ctx, func(t *tx) (*adminv1.Group, error) { return t.UpdateGroup(ctx, g) })
}

func (s *Store) CreateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	return write(s, ctx, func(t *tx) (*adminv1.Model, error) { return t.CreateModel(ctx, m) })
}

func (s *Store) UpdateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	return write(s, ctx, func(t *tx) (*adminv1.Model, error) { return t.UpdateModel(ctx, m) })
}

func (s *Store) CreateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	return write(s, ctx, func(t *tx) (store.Channel, error) { return t.CreateChannel(ctx, c) })
}

func (s *Store) UpdateChannel(ctx context.Context, c store.Channel) (store.Channel, error) {
	return write(s, ctx, func(t *tx) (store.Channel, error) { return t.UpdateChannel(ctx, c) })
}

func (s *Store) CreateToken(ctx context.Context, tk store.Token) (store.Token, error) {
	return write(s, ctx, func(t *tx) (store.Token, error) { return t.CreateToken(ctx, tk) })
}

func (s *Store) UpdateToken(ctx context.Context, tk store.Token) (store.Token, error) {
	return write(s, ctx, func(t *tx) (store.Token, error) { return t.UpdateToken(ctx, tk) })
}

func (s *Store) DeleteUser(ctx context.Context, name string) error {
	_, err := s.inTx(ctx, func(t *tx) error { return t.DeleteUser(ctx, name) })
	return err
}

func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	_, err := s.inTx(ctx, func(t *tx) error { return t.DeleteGroup(ctx, name) })
	return err
}

func (s *Store) DeleteModel(ctx context.Context, name string) error {
	_, err := s.inTx(ctx, func(t *tx) error { return t.DeleteModel(ctx, name) })
	return err
}

func (s *Store) DeleteChannel(ctx context.Context, name string) error {
	_, err := s.inTx(ctx, func(t *tx) error { return t.DeleteChannel(ctx, name) })
	return err
}

func (s *Store) DeleteToken(ctx context.Context, user, name string) error {
	_, err := s.inTx(ctx, func(t *tx) error { return t.DeleteToken(ctx, user, name) })
	return err
}
