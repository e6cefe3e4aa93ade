package snapshot

import (
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/usage"
)

// A group whose ratio is absent prices its users' requests at 1.0, never at
// zero; an explicit 0 is a free group. Both in a full snapshot and in a
// change applied on top of one.
func TestGroupRatioAbsentMeansOne(t *testing.T) {
	kr := testKeyring(t, testMaster)
	u := usage.Usage{InputUncached: 1_000, Output: 500}
	m := pricing.Model{Input: 2_500_000_000, Output: 10_000_000_000}
	list, err := pricing.Cost(m, u, pricing.Modifiers{TierPPM: pricing.OnePPM, GroupRatioPPM: pricing.OnePPM, ChannelCostRatioPPM: pricing.OnePPM})
	if err != nil || list.CostNano == 0 {
		t.Fatalf("list cost %d, %v", list.CostNano, err)
	}
	for _, tc := range []struct {
		name      string
		ratio     *int64
		wantRatio int64
		wantCost  int64
	}{
		{"absent", nil, pricing.OnePPM, list.CostNano},
		{"explicit 1.0", proto.Int64(pricing.OnePPM), pricing.OnePPM, list.CostNano},
		{"free", proto.Int64(0), 0, 0},
		{"discount", proto.Int64(800_000), 800_000, list.CostNano * 8 / 10},
	} {
		group := &snapshotv1.Entity{Entity: &snapshotv1.Entity_Group{Group: &adminv1.Group{Name: "vip", RatioPpm: tc.ratio}}}
		full, problems := Build(1, append(baseEntities(kr), group, userEntity("bob", "vip")))
		if len(problems) != 0 {
			t.Fatalf("%s: problems: %v", tc.name, problems)
		}
		// The change replaces a group that had another ratio.
		before, _ := Build(1, append(baseEntities(kr), groupEntity("vip", 3_000_000), userEntity("bob", "vip")))
		changed, problems := before.Apply(&snapshotv1.Changes{Revision: 2, Upserts: []*snapshotv1.Entity{group}})
		if len(problems) != 0 {
			t.Fatalf("%s: problems applying a change: %v", tc.name, problems)
		}
		for how, x := range map[string]*Index{"full": full, "change": changed} {
			user, ok := x.User("bob")
			if !ok {
				t.Fatalf("%s/%s: no user bob", tc.name, how)
			}
			g, ok := x.Group(user.Group)
			if !ok || g.RatioPPM != tc.wantRatio {
				t.Errorf("%s/%s: group = %+v, %v; want ratio %d", tc.name, how, g, ok, tc.wantRatio)
				continue
			}
			got, err := pricing.Cost(m, u, pricing.Modifiers{TierPPM: pricing.OnePPM, GroupRatioPPM: g.RatioPPM, ChannelCostRatioPPM: pricing.OnePPM})
			if err != nil || got.CostNano != tc.wantCost {
				t.Errorf("%s/%s: cost %d, %v; want %d", tc.name, how, got.CostNano, err, tc.wantCost)
			}
		}
	}
}
