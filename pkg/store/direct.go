package store

import (
	"context"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// Direct gives an implementation the Tx methods of its Store: single reads
// go to Read, every write runs in a transaction of its own through Write.
// Embedding it keeps every implementation's Store-level semantics the same.
type Direct struct {
	Read  func() Tx
	Write func(ctx context.Context, fn func(Tx) error) error
}

func writeOne[T any](ctx context.Context, d Direct, fn func(Tx) (T, error)) (T, error) {
	var out T
	err := d.Write(ctx, func(t Tx) error {
		var err error
		out, err = fn(t)
		return err
	})
	return out, err
}

func (d Direct) GetUser(ctx context.Context, name string) (*adminv1.User, error) {
	return d.Read().GetUser(ctx, name)
}

func (d Direct) ListUsers(ctx context.Context, p Page) ([]*adminv1.User, error) {
	return d.Read().ListUsers(ctx, p)
}

func (d Direct) GetGroup(ctx context.Context, name string) (*adminv1.Group, error) {
	return d.Read().GetGroup(ctx, name)
}

func (d Direct) ListGroups(ctx context.Context, p Page) ([]*adminv1.Group, error) {
	return d.Read().ListGroups(ctx, p)
}

func (d Direct) GetModel(ctx context.Context, name string) (*adminv1.Model, error) {
	return d.Read().GetModel(ctx, name)
}

func (d Direct) ListModels(ctx context.Context, p Page) ([]*adminv1.Model, error) {
	return d.Read().ListModels(ctx, p)
}

func (d Direct) GetChannel(ctx context.Context, name string) (Channel, error) {
	return d.Read().GetChannel(ctx, name)
}

func (d Direct) ListChannels(ctx context.Context, p Page) ([]Channel, error) {
	return d.Read().ListChannels(ctx, p)
}

func (d Direct) GetToken(ctx context.Context, user, name string) (Token, error) {
	return d.Read().GetToken(ctx, user, name)
}

func (d Direct) TokenByDigest(ctx context.Context, digest []byte) (Token, error) {
	return d.Read().TokenByDigest(ctx, digest)
}

func (d Direct) ListTokens(ctx context.Context, user string, p Page) ([]Token, error) {
	return d.Read().ListTokens(ctx, user, p)
}

func (d Direct) CreateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error) {
	return writeOne(ctx, d, func(t Tx) (*adminv1.User, error) { return t.CreateUser(ctx, u) })
}

func (d Direct) UpdateUser(ctx context.Context, u *adminv1.User) (*adminv1.User, error) {
	return writeOne(ctx, d, func(t Tx) (*adminv1.User, error) { return t.UpdateUser(ctx, u) })
}

func (d Direct) CreateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	return writeOne(ctx, d, func(t Tx) (*adminv1.Group, error) { return t.CreateGroup(ctx, g) })
}

func (d Direct) UpdateGroup(ctx context.Context, g *adminv1.Group) (*adminv1.Group, error) {
	return writeOne(ctx, d, func(t Tx) (*adminv1.Group, error) { return t.UpdateGroup(ctx, g) })
}

func (d Direct) CreateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	return writeOne(ctx, d, func(t Tx) (*adminv1.Model, error) { return t.CreateModel(ctx, m) })
}

func (d Direct) UpdateModel(ctx context.Context, m *adminv1.Model) (*adminv1.Model, error) {
	return writeOne(ctx, d, func(t Tx) (*adminv1.Model, error) { return t.UpdateModel(ctx, m) })
}

func (d Direct) CreateChannel(ctx context.Context, c Channel) (Channel, error) {
	return writeOne(ctx, d, func(t Tx) (Channel, error) { return t.CreateChannel(ctx, c) })
}

func (d Direct) UpdateChannel(ctx context.Context, c Channel) (Channel, error) {
	return writeOne(ctx, d, func(t Tx) (Channel, error) { return t.UpdateChannel(ctx, c) })
}

func (d Direct) CreateToken(ctx context.Context, tk Token) (Token, error) {
	return writeOne(ctx, d, func(t Tx) (Token, error) { return t.CreateToken(ctx, tk) })
}

func (d Direct) UpdateToken(ctx context.Context, tk Token) (Token, error) {
	return writeOne(ctx, d, func(t Tx) (Token, error) { return t.UpdateToken(ctx, tk) })
}

func (d Direct) DeleteUser(ctx context.Context, name string) error {
	return d.Write(ctx, func(t Tx) error { return t.DeleteUser(ctx, name) })
}

func (d Direct) DeleteGroup(ctx context.Context, name string) error {
	return d.Write(ctx, func(t Tx) error { return t.DeleteGroup(ctx, name) })
}

func (d Direct) DeleteModel(ctx context.Context, name string) error {
	return d.Write(ctx, func(t Tx) error { return t.DeleteModel(ctx, name) })
}

func (d Direct) DeleteChannel(ctx context.Context, name string) error {
	return d.Write(ctx, func(t Tx) error { return t.DeleteChannel(ctx, name) })
}

func (d Direct) DeleteToken(ctx context.Context, user, name string) error {
	return d.Write(ctx, func(t Tx) error { return t.DeleteToken(ctx, user, name) })
}
