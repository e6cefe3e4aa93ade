package declarative

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// Kinds of ConfigChange.
const (
	KindGroup   = "group"
	KindModel   = "model"
	KindChannel = "channel"
	KindUser    = "user"
	KindToken   = "token"
)

// defaultGroup is never pruned: users without a group belong to it.
const defaultGroup = "default"

// Options of Apply.
type Options struct {
	// Prune deletes the channels, models, groups, users and tokens that the
	// file does not name (never the "default" group, nor KeepUsers).
	Prune bool
	// DryRun only reads: the plan is computed and reported, nothing is
	// written, sealed or generated.
	DryRun bool
	// KeepUsers are never pruned, nor are their tokens: the bootstrap owner.
	KeepUsers []string
	// CreateOnly creates what the store lacks and leaves existing resources
	// as they are: for seeding defaults such as the price catalogue.
	CreateOnly bool
}

// Result is what Apply did (or, for a dry run, would do).
type Result struct {
	// Changes in the order they were made: creates and updates of groups,
	// models, channels, users and tokens, then deletes in the reverse order.
	Changes []*adminv1.ConfigChange
	// Secrets generated for new tokens without a key; shown once.
	Secrets []*adminv1.GeneratedSecret
}

// Apply makes the store match f inside tx, writing only what differs, and
// reports each change. Applying the same file twice reports nothing the
// second time and writes nothing. The caller owns the transaction: on an
// error it must roll back, since earlier writes of this Apply are in tx.
func Apply(ctx context.Context, tx store.Tx, f *File, opts Options, s Sealer) (Result, error) {
	a := &applier{tx: tx, s: s, opts: opts}
	steps := []func(context.Context, *File) error{a.groups, a.models, a.channels, a.users, a.tokens}
	if opts.Prune {
		steps = append(steps, a.prune)
	}
	for _, step := range steps {
		if err := step(ctx, f); err != nil {
			return Result{}, err
		}
	}
	return a.res, nil
}

type applier struct {
	tx   store.Tx
	s    Sealer
	opts Options
	res  Result
}

func (a *applier) record(kind, name string, action adminv1.ChangeAction, details []string) {
	a.res.Changes = append(a.res.Changes, &adminv1.ConfigChange{Kind: kind, Name: name, Action: action, Details: details})
}

// write runs fn unless this is a dry run.
func (a *applier) write(fn func() error) error {
	if a.opts.DryRun {
		return nil
	}
	return fn()
}

const (
	actionCreate = adminv1.ChangeAction_CHANGE_ACTION_CREATE
	actionUpdate = adminv1.ChangeAction_CHANGE_ACTION_UPDATE
	actionDelete = adminv1.ChangeAction_CHANGE_ACTION_DELETE
)

func (a *applier) groups(ctx context.Context, f *File) error {
	for _, want := range f.Groups {
		cur, err := a.tx.GetGroup(ctx, want.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.record(KindGroup, want.Name, actionCreate, nil)
			err = a.write(func() error {
				_, err := a.tx.CreateGroup(ctx, proto.CloneOf(want))
				return err
			})
		case err != nil:
		default:
			d := diffGroup(cur, want)
			if len(d) == 0 || a.opts.CreateOnly {
				continue
			}
			a.record(KindGroup, want.Name, actionUpdate, d)
			upd := proto.CloneOf(want)
			upd.CreateTime, upd.UpdateTime = cur.CreateTime, cur.UpdateTime
			err = a.write(func() error {
				_, err := a.tx.UpdateGroup(ctx, upd)
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("group %q: %w", want.Name, err)
		}
	}
	return nil
}

func (a *applier) models(ctx context.Context, f *File) error {
	for _, want := range f.Models {
		cur, err := a.tx.GetModel(ctx, want.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.record(KindModel, want.Name, actionCreate, nil)
			err = a.write(func() error {
				_, err := a.tx.CreateModel(ctx, proto.CloneOf(want))
				return err
			})
		case err != nil:
		default:
			d := diffModel(cur, want)
			if len(d) == 0 || a.opts.CreateOnly {
				continue
			}
			a.record(KindModel, want.Name, actionUpdate, d)
			upd := proto.CloneOf(want)
			upd.CreateTime, upd.UpdateTime = cur.CreateTime, cur.UpdateTime
			err = a.write(func() error {
				_, err := a.tx.UpdateModel(ctx, upd)
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("model %q: %w", want.Name, err)
		}
	}
	return nil
}

func (a *applier) users(ctx context.Context, f *File) error {
	for _, u := range f.Users {
		want := u.User
		cur, err := a.tx.GetUser(ctx, want.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			a.record(KindUser, want.Name, actionCreate, nil)
			err = a.write(func() error {
				_, err := a.tx.CreateUser(ctx, proto.CloneOf(want))
				return err
			})
		case err != nil:
		default:
			d := diffUser(cur, want)
			if len(d) == 0 || a.opts.CreateOnly {
				continue
			}
			a.record(KindUser, want.Name, actionUpdate, d)
			upd := proto.CloneOf(want)
			upd.UsedNanoUsd, upd.CreateTime, upd.UpdateTime = cur.UsedNanoUsd, cur.CreateTime, cur.UpdateTime
			err = a.write(func() error {
				_, err := a.tx.UpdateUser(ctx, upd)
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("user %q: %w", want.Name, err)
		}
	}
	return nil
}

// listPageSize is the page size of the List calls Apply and Export make.
const listPageSize = 500

// listAll reads every page of a keyset-paginated list.
func listAll[T any](list func(store.Page) ([]T, error), key func(T) string) ([]T, error) {
	var all []T
	page := store.Page{Size: listPageSize}
	for {
		items, err := list(page)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < page.Size {
			return all, nil
		}
		page.After = key(items[len(items)-1])
	}
}

func tokenKey(t store.Token) string { return t.Token.GetUser() + "/" + t.Token.GetName() }

func channelKey(c store.Channel) string { return c.Channel.GetName() }
