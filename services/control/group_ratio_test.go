package control_test

import (
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/usage"
)

// A group created through the API without a ratio is stored, returned and
// sent to routers at 1.0, so its users pay list price; an explicit 0 is a
// free group and stays 0.
func TestCreateGroupRatioDefault(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	owner := e.owner()
	cases := []struct {
		name  string
		ratio *int64
		want  int64
	}{
		{"plain", nil, pricing.OnePPM},
		{"free", proto.Int64(0), 0},
		{"vip", proto.Int64(800_000), 800_000},
	}
	for _, tc := range cases {
		res, err := owner.groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{
			Group: &adminv1.Group{Name: tc.name, RatioPpm: tc.ratio},
		}))
		if err != nil {
			t.Fatalf("create %s: %v", tc.name, err)
		}
		if g := res.Msg.GetGroup(); g.RatioPpm == nil || g.GetRatioPpm() != tc.want {
			t.Errorf("create %s returned ratio %v, want %d", tc.name, g.RatioPpm, tc.want)
		}
		got, err := owner.groups.GetGroup(ctx, connect.NewRequest(&adminv1.GetGroupRequest{Name: tc.name}))
		if err != nil {
			t.Fatalf("get %s: %v", tc.name, err)
		}
		if g := got.Msg.GetGroup(); g.RatioPpm == nil || g.GetRatioPpm() != tc.want {
			t.Errorf("%s read back with ratio %v, want %d", tc.name, g.RatioPpm, tc.want)
		}
	}

	// A user of the group created without a ratio is priced at 1.0 by what
	// routers receive.
	e.createUser("alice", adminv1.Role_ROLE_USER)
	if _, err := owner.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
		User: &adminv1.User{Name: "alice", Group: "plain"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"group"}},
	})); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, e.replica, "r1", 0)
	w.synced(t)
	w.until(t, time.Second, "alice in plain", func(s *routerState) bool {
		return s.ents["user/alice"].GetUser().GetGroup() == "plain"
	})
	sg := w.state.ents["group/plain"].GetGroup()
	if sg.RatioPpm == nil || sg.GetRatioPpm() != pricing.OnePPM {
		t.Fatalf("snapshot group plain = %v, want ratio 1000000", sg)
	}
	if fg := w.state.ents["group/free"].GetGroup(); fg.RatioPpm == nil || fg.GetRatioPpm() != 0 {
		t.Errorf("snapshot group free = %v, want ratio set to 0", fg)
	}
	m := pricing.Model{Input: 2_500_000_000, Output: 10_000_000_000}
	u := usage.Usage{InputUncached: 1_000, Output: 500}
	mods := pricing.Modifiers{TierPPM: pricing.OnePPM, GroupRatioPPM: pricing.OnePPM, ChannelCostRatioPPM: pricing.OnePPM}
	list, err := pricing.Cost(m, u, mods)
	if err != nil {
		t.Fatal(err)
	}
	mods.GroupRatioPPM = sg.GetRatioPpm()
	got, err := pricing.Cost(m, u, mods)
	if err != nil || got.CostNano != list.CostNano || got.CostNano == 0 {
		t.Errorf("alice's request costs %d (%v), want the list price %d", got.CostNano, err, list.CostNano)
	}
}

// A ratio cannot be cleared: an update whose mask names ratio_ppm (or that
// has no mask, so names every field) without a value is refused.
func TestUpdateGroupRatioCannotBeCleared(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	groups := e.owner().groups
	if _, err := groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{
		Group: &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(800_000), Description: "friends"},
	})); err != nil {
		t.Fatal(err)
	}
	ratioOf := func() int64 {
		t.Helper()
		res, err := groups.GetGroup(ctx, connect.NewRequest(&adminv1.GetGroupRequest{Name: "vip"}))
		if err != nil {
			t.Fatal(err)
		}
		return res.Msg.GetGroup().GetRatioPpm()
	}
	for _, tc := range []struct {
		name  string
		group *adminv1.Group
		paths []string
		code  connect.Code // 0: succeeds
		want  int64        // ratio afterwards
	}{
		{"mask names ratio without a value", &adminv1.Group{Name: "vip"}, []string{"ratio_ppm"}, connect.CodeInvalidArgument, 800_000},
		{"no mask and no ratio", &adminv1.Group{Name: "vip", Description: "x"}, nil, connect.CodeInvalidArgument, 800_000},
		{"negative ratio", &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(-1)}, []string{"ratio_ppm"}, connect.CodeInvalidArgument, 800_000},
		{"description only keeps the ratio", &adminv1.Group{Name: "vip", Description: "y"}, []string{"description"}, 0, 800_000},
		{"free", &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(0)}, []string{"ratio_ppm"}, 0, 0},
		{"back to 1.0", &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(pricing.OnePPM)}, nil, 0, pricing.OnePPM},
	} {
		req := &adminv1.UpdateGroupRequest{Group: tc.group}
		if tc.paths != nil {
			req.UpdateMask = &fieldmaskpb.FieldMask{Paths: tc.paths}
		}
		_, err := groups.UpdateGroup(ctx, connect.NewRequest(req))
		switch {
		case tc.code == 0 && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.code != 0 && connect.CodeOf(err) != tc.code:
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.code)
		case tc.code != 0 && !strings.Contains(err.Error(), "ratio_ppm"):
			t.Errorf("%s: error %q does not name ratio_ppm", tc.name, err)
		}
		if got := ratioOf(); got != tc.want {
			t.Errorf("%s: ratio afterwards %d, want %d", tc.name, got, tc.want)
		}
	}
	_, err := groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{
		Group: &adminv1.Group{Name: "neg", RatioPpm: proto.Int64(-1)},
	}))
	wantCode(t, err, connect.CodeInvalidArgument)
}
