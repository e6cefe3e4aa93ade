// Package snapshot holds the routing state control pushes to routers: an
// immutable Index swapped behind an atomic pointer, the Watch client that
// keeps it current, and the encrypted on-disk copy a router starts from when
// control is unreachable.
package snapshot

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	"github.com/burncloud/burncloud/pkg/secrets"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

// Tier is the channels of one priority serving a model for a group.
type Tier struct {
	Priority    int32
	Channels    []*Channel // enabled ones only, by name
	TotalWeight int64
}

// Index is one revision of the routing state. It is never modified once
// built; a change builds a new Index sharing the unchanged parts.
type Index struct {
	revision int64
	tokens   shardMap[secrets.Digest, *Token]
	tokenIDs shardMap[int64, secrets.Digest]
	users    shardMap[string, *User]
	groups   map[string]*Group
	models   map[string]*Model
	channels map[string]*Channel
	routes   map[string]map[string][]Tier // model → group → tiers, highest priority first
	served   map[string]struct{}          // models some channel lists, enabled or not
}

// Revision is control's revision this index reflects.
func (x *Index) Revision() int64 { return x.revision }

// Token looks a token up by the digest of its secret. It does not allocate.
func (x *Index) Token(d secrets.Digest) (*Token, bool) { return x.tokens.get(d[0], d) }

// User looks a user up by name.
func (x *Index) User(name string) (*User, bool) { return x.users.get(nameShard(name), name) }

// Group looks a group up by name.
func (x *Index) Group(name string) (*Group, bool) {
	g, ok := x.groups[name]
	return g, ok
}

// Model looks a priced (or mispriced) model up by its client-facing name.
func (x *Index) Model(name string) (*Model, bool) {
	m, ok := x.models[name]
	return m, ok
}

// Channel looks a channel up by name.
func (x *Index) Channel(name string) (*Channel, bool) {
	c, ok := x.channels[name]
	return c, ok
}

// HasChannelKey reports whether the channel exists and, for a non-empty
// key, whether it has a key with that id.
func (x *Index) HasChannelKey(channel, key string) bool {
	c, ok := x.channels[channel]
	if !ok || key == "" {
		return ok
	}
	for _, k := range c.Keys {
		if k.ID == key {
			return true
		}
	}
	return false
}

// Known reports whether model has a price entry or is listed by a channel.
func (x *Index) Known(model string) bool {
	if _, ok := x.models[model]; ok {
		return true
	}
	_, ok := x.served[model]
	return ok
}

// Route returns the tiers of enabled channels serving model to group,
// highest priority first. The slice is shared: do not modify it.
func (x *Index) Route(model, group string) []Tier { return x.routes[model][group] }

// ModelsFor lists, sorted, the models a token of a user in group may use:
// routed to the group by a channel accept takes (nil takes all), priced,
// and on the token's allowlist.
func (x *Index) ModelsFor(group string, t *Token, accept func(*Channel) bool) []string {
	var out []string
	for model, byGroup := range x.routes {
		if !t.Allows(model) || !anyChannel(byGroup[group], accept) {
			continue
		}
		if m, ok := x.models[model]; ok && m.Priced {
			out = append(out, model)
		}
	}
	slices.Sort(out)
	return out
}

func anyChannel(tiers []Tier, accept func(*Channel) bool) bool {
	for _, t := range tiers {
		for _, c := range t.Channels {
			if accept == nil || accept(c) {
				return true
			}
		}
	}
	return false
}

// Counts returns the number of entities held, for logs and metrics.
func (x *Index) Counts() (tokens, users, channels, models, groups int) {
	return x.tokens.len(), x.users.len(), len(x.channels), len(x.models), len(x.groups)
}

// Entities returns every entity of the index, for persisting it.
func (x *Index) Entities() []*snapshotv1.Entity {
	out := make([]*snapshotv1.Entity, 0, x.tokens.len()+x.users.len()+len(x.channels)+len(x.models)+len(x.groups))
	for _, c := range x.channels {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Channel{Channel: c.src}})
	}
	for _, m := range x.models {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Model{Model: m.src}})
	}
	for _, g := range x.groups {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Group{Group: g.src}})
	}
	for _, u := range x.users.all {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_User{User: u.src}})
	}
	for _, t := range x.tokens.all {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Token{Token: t.src}})
	}
	return out
}

// builder applies entities and tombstones to a base index.
type builder struct {
	base     *Index
	tokens   *shardEditor[secrets.Digest, *Token]
	tokenIDs *shardEditor[int64, secrets.Digest]
	users    *shardEditor[string, *User]
	groups   map[string]*Group
	models   map[string]*Model
	channels map[string]*Channel
	// copied* record which small maps were already copied from base.
	copiedGroups, copiedModels, copiedChannels bool
	// problems are entities that were kept but cannot be used as sent.
	problems []error
}

var emptyIndex = &Index{}

func newBuilder(base *Index) *builder {
	if base == nil {
		base = emptyIndex
	}
	return &builder{
		base:     base,
		tokens:   newShardEditor(&base.tokens),
		tokenIDs: newShardEditor(&base.tokenIDs),
		users:    newShardEditor(&base.users),
		groups:   base.groups, models: base.models, channels: base.channels,
	}
}

func own[V any](m *map[string]V, copied *bool) map[string]V {
	if !*copied {
		if *m == nil {
			*m = make(map[string]V)
		} else {
			*m = maps.Clone(*m)
		}
		*copied = true
	}
	return *m
}

func (b *builder) upsert(e *snapshotv1.Entity) {
	switch v := e.GetEntity().(type) {
	case *snapshotv1.Entity_Token:
		t, err := tokenOf(v.Token)
		if err != nil {
			b.problems = append(b.problems, err)
			return
		}
		b.deleteToken(t.ID)
		b.tokens.set(t.Digest[0], t.Digest, t)
		b.tokenIDs.set(idShard(t.ID), t.ID, t.Digest)
	case *snapshotv1.Entity_User:
		u := userOf(v.User)
		b.users.set(nameShard(u.Name), u.Name, u)
	case *snapshotv1.Entity_Group:
		g := groupOf(v.Group)
		own(&b.groups, &b.copiedGroups)[g.Name] = g
	case *snapshotv1.Entity_Model:
		m, err := modelOf(v.Model)
		if err != nil {
			b.problems = append(b.problems, err)
		}
		own(&b.models, &b.copiedModels)[m.Name] = m
	case *snapshotv1.Entity_Channel:
		c, err := channelOf(v.Channel)
		if err != nil {
			b.problems = append(b.problems, err)
		}
		own(&b.channels, &b.copiedChannels)[c.Name] = c
	}
}

func (b *builder) deleteToken(id int64) {
	if d, ok := b.tokenIDs.get(idShard(id), id); ok {
		b.tokens.del(d[0], d)
		b.tokenIDs.del(idShard(id), id)
	}
}

func (b *builder) tombstone(t *snapshotv1.Tombstone) {
	key := t.GetKey()
	switch t.GetKind() {
	case snapshotv1.EntityKind_ENTITY_KIND_TOKEN:
		if id, err := strconv.ParseInt(key, 10, 64); err == nil {
			b.deleteToken(id)
		}
	case snapshotv1.EntityKind_ENTITY_KIND_USER:
		b.users.del(nameShard(key), key)
	case snapshotv1.EntityKind_ENTITY_KIND_GROUP:
		if _, ok := b.groups[key]; ok {
			delete(own(&b.groups, &b.copiedGroups), key)
		}
	case snapshotv1.EntityKind_ENTITY_KIND_MODEL:
		if _, ok := b.models[key]; ok {
			delete(own(&b.models, &b.copiedModels), key)
		}
	case snapshotv1.EntityKind_ENTITY_KIND_CHANNEL:
		if _, ok := b.channels[key]; ok {
			delete(own(&b.channels, &b.copiedChannels), key)
		}
	}
}

func (b *builder) finish(revision int64) *Index {
	x := &Index{
		revision: revision,
		tokens:   b.tokens.out, tokenIDs: b.tokenIDs.out, users: b.users.out,
		groups: b.groups, models: b.models, channels: b.channels,
		routes: b.base.routes, served: b.base.served,
	}
	if b.copiedChannels || b.base == emptyIndex {
		x.routes, x.served = buildRoutes(b.channels)
	}
	return x
}

// buildRoutes groups enabled channels by model, group and priority.
func buildRoutes(channels map[string]*Channel) (map[string]map[string][]Tier, map[string]struct{}) {
	served := make(map[string]struct{})
	byKey := make(map[[2]string][]*Channel)
	for _, c := range channels {
		for _, m := range c.Models {
			served[m] = struct{}{}
			if c.Disabled {
				continue
			}
			for _, g := range c.Groups {
				k := [2]string{m, g}
				byKey[k] = append(byKey[k], c)
			}
		}
	}
	routes := make(map[string]map[string][]Tier)
	for k, cs := range byKey {
		slices.SortFunc(cs, func(a, b *Channel) int {
			if a.Priority != b.Priority {
				return cmp.Compare(b.Priority, a.Priority)
			}
			return cmp.Compare(a.Name, b.Name)
		})
		var tiers []Tier
		for i := 0; i < len(cs); {
			j := i
			var w int64
			for j < len(cs) && cs[j].Priority == cs[i].Priority {
				w += int64(cs[j].Weight)
				j++
			}
			tiers = append(tiers, Tier{Priority: cs[i].Priority, Channels: cs[i:j:j], TotalWeight: w})
			i = j
		}
		if routes[k[0]] == nil {
			routes[k[0]] = make(map[string][]Tier)
		}
		routes[k[0]][k[1]] = tiers
	}
	return routes, served
}
