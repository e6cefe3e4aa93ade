package storetest

import (
	"sort"
	"strconv"
	"testing"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// applyDelta is what a snapshot holder does with a delta.
func applyDelta(st store.State, d store.Delta) store.State {
	channels := map[string]store.Channel{}
	models := map[string]*adminv1.Model{}
	groups := map[string]*adminv1.Group{}
	tokens := map[string]store.Token{}
	users := map[string]*adminv1.User{}
	put := func(st store.State) {
		for _, c := range st.Channels {
			channels[c.Channel.GetName()] = c
		}
		for _, m := range st.Models {
			models[m.GetName()] = m
		}
		for _, g := range st.Groups {
			groups[g.GetName()] = g
		}
		for _, tk := range st.Tokens {
			tokens[strconv.FormatInt(tk.ID, 10)] = tk
		}
		for _, u := range st.Users {
			users[u.GetName()] = u
		}
	}
	put(st)
	for _, k := range d.Tombstones {
		switch k.Kind {
		case store.KindChannel:
			delete(channels, k.Key)
		case store.KindModel:
			delete(models, k.Key)
		case store.KindGroup:
			delete(groups, k.Key)
		case store.KindToken:
			delete(tokens, k.Key)
		case store.KindUser:
			delete(users, k.Key)
		}
	}
	put(d.Upserts)
	out := store.State{Revision: d.To}
	for _, c := range channels {
		out.Channels = append(out.Channels, c)
	}
	for _, m := range models {
		out.Models = append(out.Models, m)
	}
	for _, g := range groups {
		out.Groups = append(out.Groups, g)
	}
	for _, tk := range tokens {
		out.Tokens = append(out.Tokens, tk)
	}
	for _, u := range users {
		out.Users = append(out.Users, u)
	}
	return out
}

// equalState compares two states regardless of the order of their lists.
func equalState(t *testing.T, what string, want, got store.State) {
	t.Helper()
	if want.Revision != got.Revision {
		t.Fatalf("%s: revision %d, want %d", what, got.Revision, want.Revision)
	}
	sortState(&want)
	sortState(&got)
	if len(want.Channels) != len(got.Channels) || len(want.Models) != len(got.Models) ||
		len(want.Groups) != len(got.Groups) || len(want.Tokens) != len(got.Tokens) || len(want.Users) != len(got.Users) {
		t.Fatalf("%s: sizes (channels, models, groups, tokens, users) %d %d %d %d %d, want %d %d %d %d %d", what,
			len(got.Channels), len(got.Models), len(got.Groups), len(got.Tokens), len(got.Users),
			len(want.Channels), len(want.Models), len(want.Groups), len(want.Tokens), len(want.Users))
	}
	for i := range want.Channels {
		equalProto(t, what+": channel", want.Channels[i].Channel, got.Channels[i].Channel)
		equalKeys(t, what+": channel keys", want.Channels[i].Keys, got.Channels[i].Keys)
	}
	for i := range want.Models {
		equalProto(t, what+": model", want.Models[i], got.Models[i])
	}
	for i := range want.Groups {
		equalProto(t, what+": group", want.Groups[i], got.Groups[i])
	}
	for i := range want.Tokens {
		w, g := want.Tokens[i], got.Tokens[i]
		if w.ID != g.ID || string(w.Digest) != string(g.Digest) {
			t.Fatalf("%s: token %d/%x, want %d/%x", what, g.ID, g.Digest, w.ID, w.Digest)
		}
		equalProto(t, what+": token", w.Token, g.Token)
	}
	for i := range want.Users {
		equalProto(t, what+": user", want.Users[i], got.Users[i])
	}
}

func sortState(st *store.State) {
	sort.Slice(st.Channels, func(i, j int) bool { return st.Channels[i].Channel.GetName() < st.Channels[j].Channel.GetName() })
	sort.Slice(st.Models, func(i, j int) bool { return st.Models[i].GetName() < st.Models[j].GetName() })
	sort.Slice(st.Groups, func(i, j int) bool { return st.Groups[i].GetName() < st.Groups[j].GetName() })
	sort.Slice(st.Tokens, func(i, j int) bool { return st.Tokens[i].ID < st.Tokens[j].ID })
	sort.Slice(st.Users, func(i, j int) bool { return st.Users[i].GetName() < st.Users[j].GetName() })
}
