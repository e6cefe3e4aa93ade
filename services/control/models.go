package control

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/store"
)

type modelService struct{ s *Server }

func (h modelService) CreateModel(ctx context.Context, req *connect.Request[adminv1.CreateModelRequest]) (*connect.Response[adminv1.CreateModelResponse], error) {
	m := proto.Clone(req.Msg.GetModel()).(*adminv1.Model)
	m.CreateTime, m.UpdateTime = nil, nil
	created, err := h.s.store.CreateModel(ctx, m)
	if err != nil {
		return nil, about("model", m.GetName(), err)
	}
	return connect.NewResponse(&adminv1.CreateModelResponse{Model: created}), nil
}

func (h modelService) GetModel(ctx context.Context, req *connect.Request[adminv1.GetModelRequest]) (*connect.Response[adminv1.GetModelResponse], error) {
	m, err := h.s.store.GetModel(ctx, req.Msg.GetName())
	if err != nil {
		return nil, about("model", req.Msg.GetName(), err)
	}
	return connect.NewResponse(&adminv1.GetModelResponse{Model: m}), nil
}

func (h modelService) ListModels(ctx context.Context, req *connect.Request[adminv1.ListModelsRequest]) (*connect.Response[adminv1.ListModelsResponse], error) {
	page, want, err := pageRequest(req.Msg.GetPageSize(), req.Msg.GetPageToken(), maxListPageSize)
	if err != nil {
		return nil, err
	}
	ms, err := h.s.store.ListModels(ctx, page)
	if err != nil {
		return nil, err
	}
	ms, next := trimPage(ms, want, (*adminv1.Model).GetName)
	return connect.NewResponse(&adminv1.ListModelsResponse{Models: ms, NextPageToken: next}), nil
}

func (h modelService) UpdateModel(ctx context.Context, req *connect.Request[adminv1.UpdateModelRequest]) (*connect.Response[adminv1.UpdateModelResponse], error) {
	in := req.Msg.GetModel()
	name := in.GetName()
	var updated *adminv1.Model
	err := h.s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetModel(ctx, name)
		if err != nil {
			return about("model", name, err)
		}
		next := proto.Clone(cur).(*adminv1.Model)
		if err := modelMask.apply(next, in, req.Msg.GetUpdateMask().GetPaths()); err != nil {
			return err
		}
		if err := h.s.validate.validate(next); err != nil {
			return err
		}
		updated, err = tx.UpdateModel(ctx, next)
		return about("model", name, err)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.UpdateModelResponse{Model: updated}), nil
}

func (h modelService) DeleteModel(ctx context.Context, req *connect.Request[adminv1.DeleteModelRequest]) (*connect.Response[adminv1.DeleteModelResponse], error) {
	if err := h.s.store.DeleteModel(ctx, req.Msg.GetName()); err != nil {
		return nil, about("model", req.Msg.GetName(), err)
	}
	return connect.NewResponse(&adminv1.DeleteModelResponse{}), nil
}

type groupService struct{ s *Server }

func (h groupService) CreateGroup(ctx context.Context, req *connect.Request[adminv1.CreateGroupRequest]) (*connect.Response[adminv1.CreateGroupResponse], error) {
	g := proto.Clone(req.Msg.GetGroup()).(*adminv1.Group)
	g.CreateTime, g.UpdateTime = nil, nil
	if g.RatioPpm == nil {
		// Absent is list price, never free: 0 must be asked for.
		g.RatioPpm = proto.Int64(pricing.OnePPM)
	}
	created, err := h.s.store.CreateGroup(ctx, g)
	if err != nil {
		return nil, about("group", g.GetName(), err)
	}
	return connect.NewResponse(&adminv1.CreateGroupResponse{Group: created}), nil
}

func (h groupService) GetGroup(ctx context.Context, req *connect.Request[adminv1.GetGroupRequest]) (*connect.Response[adminv1.GetGroupResponse], error) {
	g, err := h.s.store.GetGroup(ctx, req.Msg.GetName())
	if err != nil {
		return nil, about("group", req.Msg.GetName(), err)
	}
	return connect.NewResponse(&adminv1.GetGroupResponse{Group: g}), nil
}

func (h groupService) ListGroups(ctx context.Context, req *connect.Request[adminv1.ListGroupsRequest]) (*connect.Response[adminv1.ListGroupsResponse], error) {
	page, want, err := pageRequest(req.Msg.GetPageSize(), req.Msg.GetPageToken(), maxListPageSize)
	if err != nil {
		return nil, err
	}
	gs, err := h.s.store.ListGroups(ctx, page)
	if err != nil {
		return nil, err
	}
	gs, next := trimPage(gs, want, (*adminv1.Group).GetName)
	return connect.NewResponse(&adminv1.ListGroupsResponse{Groups: gs, NextPageToken: next}), nil
}

func (h groupService) UpdateGroup(ctx context.Context, req *connect.Request[adminv1.UpdateGroupRequest]) (*connect.Response[adminv1.UpdateGroupResponse], error) {
	in := req.Msg.GetGroup()
	name := in.GetName()
	var updated *adminv1.Group
	err := h.s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetGroup(ctx, name)
		if err != nil {
			return about("group", name, err)
		}
		next := proto.Clone(cur).(*adminv1.Group)
		if err := groupMask.apply(next, in, req.Msg.GetUpdateMask().GetPaths()); err != nil {
			return err
		}
		// The stored group had a ratio, so the mask cleared it (named
		// ratio_ppm, or no mask at all, without a value).
		if next.RatioPpm == nil {
			return invalidArgument("group.ratio_ppm: the update mask names it but no value is set; a ratio cannot be cleared (1.0 is 1000000)")
		}
		if err := h.s.validate.validate(next); err != nil {
			return err
		}
		updated, err = tx.UpdateGroup(ctx, next)
		return about("group", name, err)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.UpdateGroupResponse{Group: updated}), nil
}

func (h groupService) DeleteGroup(ctx context.Context, req *connect.Request[adminv1.DeleteGroupRequest]) (*connect.Response[adminv1.DeleteGroupResponse], error) {
	if err := h.s.store.DeleteGroup(ctx, req.Msg.GetName()); err != nil {
		return nil, about("group", req.Msg.GetName(), err)
	}
	return connect.NewResponse(&adminv1.DeleteGroupResponse{}), nil
}
