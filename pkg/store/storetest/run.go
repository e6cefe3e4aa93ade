// Package storetest is the behaviour every store.Store implementation must
// show, as one shared suite, plus a helper giving tests a fresh Postgres
// database. It tests only through the interface, never the SQL behind it.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// Run runs the suite. open returns a fresh, empty, ready store for the
// given (sub)test; Run closes it when the subtest ends. Subtests run in
// parallel, each on its own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Users", testUsers},
		{"Groups", testGroups},
		{"Models", testModels},
		{"Channels", testChannels},
		{"Tokens", testTokens},
		{"DeleteUserDeletesTokens", testDeleteUserDeletesTokens},
		{"Pagination", testPagination},
		{"InTxRollback", testInTxRollback},
		{"InTxContinuesAfterRefusal", testInTxContinuesAfterRefusal},
		{"RevisionPerTransaction", testRevisionPerTransaction},
		{"ChangesSinceMatchesSnapshot", testChangesSinceMatchesSnapshot},
		{"ChangesSinceBounds", testChangesSinceBounds},
		{"Subscribe", testSubscribe},
		{"SettleBooksUsage", testSettleBooksUsage},
		{"SettleIdempotent", testSettleIdempotent},
		{"SettleUnknownOwner", testSettleUnknownOwner},
		{"SettleInvalidEvent", testSettleInvalidEvent},
		{"SettleConcurrentOverlapping", testSettleConcurrentOverlapping},
		{"SettleWhileAdminWrites", testSettleWhileAdminWrites},
		{"RequestLogs", testRequestLogs},
		{"AggregateUsage", testAggregateUsage},
		{"Ledger", testLedger},
		{"DeleteRequestLogsBefore", testDeleteRequestLogsBefore},
		{"Routers", testRouters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(s.Close)
			tc.fn(t, s)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// wantErr fails unless err is (wraps) target; target nil wants no error.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// noTimes drops create_time and update_time, which the store sets.
func noTimes[M proto.Message](m M) M {
	c := proto.Clone(m).(M)
	r := c.ProtoReflect()
	for _, n := range []protoreflect.Name{"create_time", "update_time"} {
		if fd := r.Descriptor().Fields().ByName(n); fd != nil {
			r.Clear(fd)
		}
	}
	return c
}

func equalProto(t *testing.T, what string, want, got proto.Message) {
	t.Helper()
	if !proto.Equal(want, got) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

// stamped checks the store set both times, create_time no later than update_time.
func stamped(t *testing.T, what string, created, updated *timestamppb.Timestamp) {
	t.Helper()
	if created == nil || updated == nil {
		t.Fatalf("%s: create_time %v, update_time %v: want both set", what, created, updated)
	}
	if updated.AsTime().Before(created.AsTime()) {
		t.Fatalf("%s: update_time %v before create_time %v", what, updated.AsTime(), created.AsTime())
	}
}

// Timestamps in fixtures are whole microseconds: every SQL store keeps those.
var baseTime = time.Date(2026, 3, 10, 22, 30, 0, 0, time.UTC)

func newUser(name string) *adminv1.User {
	return &adminv1.User{
		Name: name, Group: "default", Role: adminv1.Role_ROLE_USER, Status: adminv1.Status_STATUS_ACTIVE,
		QuotaNanoUsd: proto.Int64(10_000_000_000),
		Limits:       &adminv1.Limits{Rpm: proto.Int64(600), MaxConcurrency: proto.Int64(8)},
	}
}

func newGroup(name string) *adminv1.Group {
	return &adminv1.Group{Name: name, RatioPpm: proto.Int64(1_500_000), Description: "group " + name}
}

func newModel(name string) *adminv1.Model {
	return &adminv1.Model{
		Name: name,
		Price: &adminv1.Price{
			InputNanoUsd: 2_500_000_000, OutputNanoUsd: 10_000_000_000,
			CacheReadNanoUsd: proto.Int64(1_250_000_000), AudioInputNanoUsd: proto.Int64(0),
		},
		Tiers: []*adminv1.PriceTier{{
			AboveInputTokens: 200_000,
			Price: &adminv1.Price{InputNanoUsd: 5_000_000_000, OutputNanoUsd: 15_000_000_000,
				ReasoningNanoUsd: proto.Int64(20_000_000_000)},
		}},
		RequestFeeNanoUsd: proto.Int64(1000),
		MaxOutputTokens:   16384,
		PerUserLimits:     &adminv1.Limits{Rpm: proto.Int64(60), MaxConcurrency: proto.Int64(2)},
	}
}

func newChannel(name string) store.Channel {
	return store.Channel{
		Channel: &adminv1.Channel{
			Name: name, Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI, BaseUrl: "https://api.openai.com/v1",
			Models: []string{"gpt-4o", "gpt-4o-mini"}, ModelMap: map[string]string{"gpt-4o": "gpt-4o-2024-11-20"},
			Groups: []string{"default"}, Priority: 10, Weight: 3, CostRatioPpm: proto.Int64(800_000),
			Limits: &adminv1.Limits{Rpm: proto.Int64(3000)}, Status: adminv1.Status_STATUS_ACTIVE,
			Timeouts:   &adminv1.ChannelTimeouts{Connect: durationpb.New(2 * time.Second), Idle: durationpb.New(30 * time.Second)},
			ApiVersion: "2024-10-21",
		},
		Keys: []store.SealedKey{
			{ID: "k1", Sealed: []byte{1, 2, 3, 0, 255}, Masked: "sk-p…aaaa"},
			{ID: "k0", Sealed: []byte{9, 8, 7}, Masked: "sk-p…bbbb"},
		},
	}
}

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func newToken(user, name string) store.Token {
	return store.Token{
		Token: &adminv1.Token{
			User: user, Name: name, Prefix: "sk-bc-", Last4: "x9Qz", Models: []string{"gpt-4o-mini"},
			QuotaNanoUsd: proto.Int64(1_000_000_000),
			Limits:       &adminv1.Limits{Rpm: proto.Int64(60), Tpm: proto.Int64(100_000)},
			ExpireTime:   timestamppb.New(baseTime.Add(365 * 24 * time.Hour)),
			Status:       adminv1.Status_STATUS_ACTIVE,
		},
		Digest: digestOf(user + "/" + name),
	}
}

// channelView is what the store returns for a channel written as c: no
// plaintext keys, masked key info in key order.
func channelView(c store.Channel) *adminv1.Channel {
	out := proto.Clone(c.Channel).(*adminv1.Channel)
	out.Keys = nil
	out.KeyInfo = nil
	for _, k := range c.Keys {
		out.KeyInfo = append(out.KeyInfo, &adminv1.ChannelKey{Id: k.ID, Masked: k.Masked})
	}
	return out
}

func equalKeys(t *testing.T, what string, want, got []store.SealedKey) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d keys, want %d", what, len(got), len(want))
	}
	for i := range want {
		if want[i].ID != got[i].ID || want[i].Masked != got[i].Masked || string(want[i].Sealed) != string(got[i].Sealed) {
			t.Fatalf("%s: key %d is %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func mustUser(t *testing.T, s store.Tx, name string) *adminv1.User {
	t.Helper()
	u, err := s.CreateUser(ctxT(t), newUser(name))
	wantErr(t, "create user "+name, err, nil)
	return u
}

func mustToken(t *testing.T, s store.Tx, user, name string) store.Token {
	t.Helper()
	tk, err := s.CreateToken(ctxT(t), newToken(user, name))
	wantErr(t, "create token "+user+"/"+name, err, nil)
	return tk
}

// names adapts a List method to the keys of its items.
func names[T any](list func(context.Context, store.Page) ([]T, error), key func(T) string) func(store.Page) ([]string, error) {
	return func(p store.Page) ([]string, error) {
		items, err := list(context.Background(), p)
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = key(it)
		}
		return out, err
	}
}

// same: for names and "user/name", the item's key is the next cursor.
func same(last string) string { return last }

func tokenKey(tk store.Token) string {
	return store.TokenCursor(tk.Token.GetUser(), tk.Token.GetName())
}

func sortedKeys(keys []store.EntityKey) []store.EntityKey {
	out := append([]store.EntityKey(nil), keys...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Key < out[j].Key
	})
	return out
}
