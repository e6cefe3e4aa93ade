package control

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/services/control/declarative"
)

const (
	defaultGroup   = "default"
	defaultCostPPM = 1_000_000
)

// The snapshot carries what routers need, with defaults filled in so routers
// never have to know them: empty groups mean "default", an absent cost ratio
// means 1.0.

func snapshotChannel(s *declarative.KeyringSealer, c store.Channel) (*snapshotv1.Channel, error) {
	ch := c.Channel
	keys := make([]*snapshotv1.ChannelKey, len(c.Keys))
	for i, k := range c.Keys {
		secret, err := s.OpenKey(ch.GetName(), k)
		if err != nil {
			// A key that does not open means a wrong BURNCLOUD_SECRET or a
			// tampered row: better no new snapshot than one without keys.
			return nil, fmt.Errorf("open key %s of channel %q: %w", k.ID, ch.GetName(), err)
		}
		keys[i] = &snapshotv1.ChannelKey{Id: k.ID, Secret: secret}
	}
	groups := ch.GetGroups()
	if len(groups) == 0 {
		groups = []string{defaultGroup}
	}
	cost := int64(defaultCostPPM)
	if ch.CostRatioPpm != nil {
		cost = ch.GetCostRatioPpm()
	}
	return &snapshotv1.Channel{
		Name:         ch.GetName(),
		Type:         ch.GetType(),
		BaseUrl:      ch.GetBaseUrl(),
		Keys:         keys,
		Models:       ch.GetModels(),
		ModelMap:     ch.GetModelMap(),
		Groups:       groups,
		Priority:     ch.GetPriority(),
		Weight:       ch.GetWeight(),
		CostRatioPpm: cost,
		Limits:       ch.GetLimits(),
		Status:       ch.GetStatus(),
		Timeouts:     ch.GetTimeouts(),
		ApiVersion:   ch.GetApiVersion(),
		Project:      ch.GetProject(),
		Location:     ch.GetLocation(),
	}, nil
}

func snapshotToken(t store.Token) *snapshotv1.Token {
	tk := t.Token
	return &snapshotv1.Token{
		Id:           t.ID,
		Name:         tk.GetName(),
		User:         tk.GetUser(),
		Digest:       t.Digest,
		Models:       tk.GetModels(),
		QuotaNanoUsd: tk.QuotaNanoUsd,
		UsedNanoUsd:  tk.GetUsedNanoUsd(),
		Limits:       tk.GetLimits(),
		ExpireTime:   tk.GetExpireTime(),
		Status:       tk.GetStatus(),
	}
}

func snapshotUser(u *adminv1.User) *snapshotv1.User {
	group := u.GetGroup()
	if group == "" {
		group = defaultGroup
	}
	return &snapshotv1.User{
		Name:         u.GetName(),
		Group:        group,
		Role:         u.GetRole(),
		Status:       u.GetStatus(),
		QuotaNanoUsd: u.QuotaNanoUsd,
		UsedNanoUsd:  u.GetUsedNanoUsd(),
		Limits:       u.GetLimits(),
	}
}

// snapshotModel drops the admin-only timestamps.
func snapshotModel(m *adminv1.Model) *adminv1.Model {
	out := proto.Clone(m).(*adminv1.Model)
	out.CreateTime, out.UpdateTime = nil, nil
	return out
}

func snapshotGroup(g *adminv1.Group) *adminv1.Group {
	out := proto.Clone(g).(*adminv1.Group)
	out.CreateTime, out.UpdateTime = nil, nil
	return out
}

// entities converts a state to snapshot entities: groups and models first,
// then channels, users and tokens, so a page never names what a later page
// defines before it (routers apply only whole snapshots, but it keeps logs
// readable).
func entities(s *declarative.KeyringSealer, st store.State) ([]*snapshotv1.Entity, error) {
	out := make([]*snapshotv1.Entity, 0, len(st.Groups)+len(st.Models)+len(st.Channels)+len(st.Users)+len(st.Tokens))
	for _, g := range st.Groups {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Group{Group: snapshotGroup(g)}})
	}
	for _, m := range st.Models {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Model{Model: snapshotModel(m)}})
	}
	for _, c := range st.Channels {
		ch, err := snapshotChannel(s, c)
		if err != nil {
			return nil, err
		}
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Channel{Channel: ch}})
	}
	for _, u := range st.Users {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_User{User: snapshotUser(u)}})
	}
	for _, t := range st.Tokens {
		out = append(out, &snapshotv1.Entity{Entity: &snapshotv1.Entity_Token{Token: snapshotToken(t)}})
	}
	return out, nil
}

func tombstones(keys []store.EntityKey) []*snapshotv1.Tombstone {
	out := make([]*snapshotv1.Tombstone, len(keys))
	for i, k := range keys {
		out[i] = &snapshotv1.Tombstone{Kind: entityKind(k.Kind), Key: k.Key}
	}
	return out
}

func entityKind(k store.EntityKind) snapshotv1.EntityKind {
	switch k {
	case store.KindChannel:
		return snapshotv1.EntityKind_ENTITY_KIND_CHANNEL
	case store.KindModel:
		return snapshotv1.EntityKind_ENTITY_KIND_MODEL
	case store.KindGroup:
		return snapshotv1.EntityKind_ENTITY_KIND_GROUP
	case store.KindToken:
		return snapshotv1.EntityKind_ENTITY_KIND_TOKEN
	case store.KindUser:
		return snapshotv1.EntityKind_ENTITY_KIND_USER
	}
	return snapshotv1.EntityKind_ENTITY_KIND_UNSPECIFIED
}
