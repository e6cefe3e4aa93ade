package declarative

import (
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// A file's group always carries an explicit ratio (1.0 when left out, 0 kept),
// and an absent ratio, which only older data can hold, compares and exports
// as 1.0.
func TestGroupRatio(t *testing.T) {
	f, err := Parse([]byte("groups:\n  - name: plain\n  - name: free\n    ratio: \"0\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{1_000_000, 0} {
		if g := f.Groups[i]; g.RatioPpm == nil || g.GetRatioPpm() != want {
			t.Errorf("group %s ratio %v, want set to %d", g.GetName(), g.RatioPpm, want)
		}
	}

	absent := &adminv1.Group{Name: "g"}
	for _, tc := range []struct {
		name    string
		want    *adminv1.Group
		changed bool
	}{
		{"absent vs 1.0", &adminv1.Group{Name: "g", RatioPpm: proto.Int64(1_000_000)}, false},
		{"absent vs 0", &adminv1.Group{Name: "g", RatioPpm: proto.Int64(0)}, true},
		{"absent vs 0.8", &adminv1.Group{Name: "g", RatioPpm: proto.Int64(800_000)}, true},
	} {
		if d := diffGroup(absent, tc.want); (len(d) != 0) != tc.changed {
			t.Errorf("%s: diff %v, want changed=%v", tc.name, d, tc.changed)
		}
	}

	tx := newFakeTx()
	tx.groups["g"] = absent // bypasses CreateGroup, which refuses it
	back, err := Parse([]byte(export(t, tx)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range back.Groups {
		if g.GetName() == "g" {
			found = true
			if g.GetRatioPpm() != 1_000_000 {
				t.Errorf("exported group g reads back with ratio %d, want 1000000", g.GetRatioPpm())
			}
		}
	}
	if !found {
		t.Error("export lost group g")
	}
}
