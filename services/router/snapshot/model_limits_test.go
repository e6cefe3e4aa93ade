package snapshot

import (
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

func TestModelPerUserLimits(t *testing.T) {
	price := &adminv1.Price{InputNanoUsd: 1, OutputNanoUsd: 2}
	tests := []struct {
		name   string
		limits *adminv1.Limits
		want   Limits
	}{
		{"none", nil, Limits{}},
		{"all", &adminv1.Limits{Rpm: proto.Int64(60), Tpm: proto.Int64(9000), MaxConcurrency: proto.Int64(3)},
			Limits{RPM: 60, TPM: 9000, MaxConcurrency: 3}},
		{"some", &adminv1.Limits{Tpm: proto.Int64(500)}, Limits{TPM: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := &snapshotv1.Entity{Entity: &snapshotv1.Entity_Model{Model: &adminv1.Model{
				Name: "m", Price: price, PerUserLimits: tt.limits,
			}}}
			x, problems := Build(1, []*snapshotv1.Entity{model})
			if len(problems) != 0 {
				t.Fatalf("problems: %v", problems)
			}
			m, ok := x.Model("m")
			if !ok || m.PerUserLimits != tt.want {
				t.Fatalf("model %+v, want per-user limits %+v", m, tt.want)
			}
			// A change replaces them.
			upd := proto.CloneOf(model.GetModel())
			upd.PerUserLimits = &adminv1.Limits{Rpm: proto.Int64(1)}
			y, _ := x.Apply(&snapshotv1.Changes{Revision: 2, Upserts: []*snapshotv1.Entity{{Entity: &snapshotv1.Entity_Model{Model: upd}}}})
			if m, _ := y.Model("m"); m.PerUserLimits != (Limits{RPM: 1}) {
				t.Fatalf("after a change: %+v", m.PerUserLimits)
			}
		})
	}
}
