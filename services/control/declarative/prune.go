package declarative

import (
	"context"
	"fmt"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// prune deletes what f does not name, dependents first: tokens, users,
// channels, models, groups.
func (a *applier) prune(ctx context.Context, f *File) error {
	keep := map[string]bool{}
	for _, u := range a.opts.KeepUsers {
		keep[u] = true
	}
	users := map[string]map[string]bool{} // user -> its tokens in the file
	for _, u := range f.Users {
		names := map[string]bool{}
		for _, t := range u.Tokens {
			names[t.Token.GetName()] = true
		}
		users[u.User.GetName()] = names
	}

	tokens, err := listAll(func(p store.Page) ([]store.Token, error) { return a.tx.ListTokens(ctx, "", p) }, tokenKey)
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	for _, t := range tokens {
		user, name := t.Token.GetUser(), t.Token.GetName()
		if keep[user] || users[user][name] {
			continue
		}
		if err := a.delete(KindToken, user+"/"+name, func() error { return a.tx.DeleteToken(ctx, user, name) }); err != nil {
			return err
		}
	}

	stored, err := listAll(func(p store.Page) ([]*adminv1.User, error) { return a.tx.ListUsers(ctx, p) }, (*adminv1.User).GetName)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	for _, u := range stored {
		name := u.GetName()
		if _, named := users[name]; named || keep[name] {
			continue
		}
		if err := a.delete(KindUser, name, func() error { return a.tx.DeleteUser(ctx, name) }); err != nil {
			return err
		}
	}

	channels := map[string]bool{}
	for _, c := range f.Channels {
		channels[c.Channel.GetName()] = true
	}
	storedChannels, err := listAll(func(p store.Page) ([]store.Channel, error) { return a.tx.ListChannels(ctx, p) }, channelKey)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	for _, c := range storedChannels {
		name := c.Channel.GetName()
		if channels[name] {
			continue
		}
		if err := a.delete(KindChannel, name, func() error { return a.tx.DeleteChannel(ctx, name) }); err != nil {
			return err
		}
	}

	models := map[string]bool{}
	for _, m := range f.Models {
		models[m.GetName()] = true
	}
	storedModels, err := listAll(func(p store.Page) ([]*adminv1.Model, error) { return a.tx.ListModels(ctx, p) }, (*adminv1.Model).GetName)
	if err != nil {
		return fmt.Errorf("list models: %w", err)
	}
	for _, m := range storedModels {
		name := m.GetName()
		if models[name] {
			continue
		}
		if err := a.delete(KindModel, name, func() error { return a.tx.DeleteModel(ctx, name) }); err != nil {
			return err
		}
	}

	groups := map[string]bool{defaultGroup: true}
	for _, g := range f.Groups {
		groups[g.GetName()] = true
	}
	storedGroups, err := listAll(func(p store.Page) ([]*adminv1.Group, error) { return a.tx.ListGroups(ctx, p) }, (*adminv1.Group).GetName)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	for _, g := range storedGroups {
		name := g.GetName()
		if groups[name] {
			continue
		}
		if err := a.delete(KindGroup, name, func() error { return a.tx.DeleteGroup(ctx, name) }); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) delete(kind, name string, del func() error) error {
	a.record(kind, name, actionDelete, nil)
	if err := a.write(del); err != nil {
		return fmt.Errorf("delete %s %q: %w", kind, name, err)
	}
	return nil
}
