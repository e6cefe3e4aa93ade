package control_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// Per-user limits of a model go through the admin API, field masks included,
// and reach the routers in the snapshot.
func TestModelPerUserLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	models := e.owner().models
	w := startWatch(t, e.replica, "r1", 0)
	w.synced(t)

	created, err := models.CreateModel(ctx, connect.NewRequest(&adminv1.CreateModelRequest{Model: &adminv1.Model{
		Name: "m", Price: &adminv1.Price{InputNanoUsd: 1, OutputNanoUsd: 2},
		PerUserLimits: &adminv1.Limits{Rpm: proto.Int64(60), Tpm: proto.Int64(10_000)},
	}}))
	if err != nil {
		t.Fatal(err)
	}
	if l := created.Msg.GetModel().GetPerUserLimits(); l.GetRpm() != 60 || l.GetTpm() != 10_000 || l.MaxConcurrency != nil {
		t.Fatalf("created per-user limits %v", l)
	}
	snapLimits := func() *adminv1.Limits {
		return w.state.ents["model/m"].GetModel().GetPerUserLimits()
	}
	w.until(t, 2*time.Second, "model in the snapshot", func(s *routerState) bool { return snapLimits().GetRpm() == 60 })

	update := func(m *adminv1.Model, paths ...string) *adminv1.Model {
		t.Helper()
		req := &adminv1.UpdateModelRequest{Model: m}
		if paths != nil {
			req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
		}
		res, err := models.UpdateModel(ctx, connect.NewRequest(req))
		if err != nil {
			t.Fatalf("update %v: %v", paths, err)
		}
		return res.Msg.GetModel()
	}
	steps := []struct {
		name  string
		model *adminv1.Model
		paths []string
		want  *adminv1.Limits
	}{
		{"one nested field", &adminv1.Model{Name: "m", PerUserLimits: &adminv1.Limits{MaxConcurrency: proto.Int64(2)}},
			[]string{"per_user_limits.max_concurrency"},
			&adminv1.Limits{Rpm: proto.Int64(60), Tpm: proto.Int64(10_000), MaxConcurrency: proto.Int64(2)}},
		{"a nested field cleared", &adminv1.Model{Name: "m"}, []string{"per_user_limits.tpm"},
			&adminv1.Limits{Rpm: proto.Int64(60), MaxConcurrency: proto.Int64(2)}},
		{"the whole message", &adminv1.Model{Name: "m", PerUserLimits: &adminv1.Limits{Tpm: proto.Int64(5)}},
			[]string{"per_user_limits"}, &adminv1.Limits{Tpm: proto.Int64(5)}},
		{"untouched by other paths", &adminv1.Model{Name: "m", MaxOutputTokens: 7}, []string{"max_output_tokens"},
			&adminv1.Limits{Tpm: proto.Int64(5)}},
		{"cleared", &adminv1.Model{Name: "m"}, []string{"per_user_limits"}, nil},
	}
	for _, st := range steps {
		got := update(st.model, st.paths...)
		if !proto.Equal(got.GetPerUserLimits(), st.want) {
			t.Fatalf("%s: per-user limits %v, want %v", st.name, got.GetPerUserLimits(), st.want)
		}
		read, err := models.GetModel(ctx, connect.NewRequest(&adminv1.GetModelRequest{Name: "m"}))
		if err != nil || !proto.Equal(read.Msg.GetModel().GetPerUserLimits(), st.want) {
			t.Fatalf("%s: read back %v, %v", st.name, read.Msg.GetModel().GetPerUserLimits(), err)
		}
	}
	w.until(t, 2*time.Second, "cleared limits in the snapshot", func(s *routerState) bool {
		m := s.ents["model/m"].GetModel()
		return m.GetMaxOutputTokens() == 7 && m.GetPerUserLimits() == nil
	})
}
