package control

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

type userService struct{ s *Server }

// userDefaults fills what an empty field means, so the store and the
// snapshot never see "unspecified".
func userDefaults(u *adminv1.User) {
	if u.Role == adminv1.Role_ROLE_UNSPECIFIED {
		u.Role = adminv1.Role_ROLE_USER
	}
	if u.Status == adminv1.Status_STATUS_UNSPECIFIED {
		u.Status = adminv1.Status_STATUS_ACTIVE
	}
}

// guardOwners refuses a non-owner touching an owner: admins manage
// everyone else.
func guardOwners(p principal, roles ...adminv1.Role) error {
	if p.isOwner() {
		return nil
	}
	for _, r := range roles {
		if r == adminv1.Role_ROLE_OWNER {
			return permissionDenied("only an owner may create, change or delete owners and their tokens")
		}
	}
	return nil
}

// guardSelf limits a caller with the user role to itself.
func guardSelf(p principal, user string) error {
	if p.isUser() && user != p.user {
		return permissionDenied("a user may only see and manage its own tokens and usage")
	}
	return nil
}

func (h userService) CreateUser(ctx context.Context, req *connect.Request[adminv1.CreateUserRequest]) (*connect.Response[adminv1.CreateUserResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	u := proto.Clone(req.Msg.GetUser()).(*adminv1.User)
	u.UsedNanoUsd, u.CreateTime, u.UpdateTime = 0, nil, nil
	userDefaults(u)
	if err := guardOwners(p, u.Role); err != nil {
		return nil, err
	}
	created, err := h.s.store.CreateUser(ctx, u)
	if err != nil {
		return nil, about("user", u.GetName(), err)
	}
	return connect.NewResponse(&adminv1.CreateUserResponse{User: created}), nil
}

func (h userService) GetUser(ctx context.Context, req *connect.Request[adminv1.GetUserRequest]) (*connect.Response[adminv1.GetUserResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	name := req.Msg.GetName()
	if p.isUser() && name != p.user {
		return nil, permissionDenied("a user may only see itself")
	}
	u, err := h.s.store.GetUser(ctx, name)
	if err != nil {
		return nil, about("user", name, err)
	}
	return connect.NewResponse(&adminv1.GetUserResponse{User: u}), nil
}

func (h userService) ListUsers(ctx context.Context, req *connect.Request[adminv1.ListUsersRequest]) (*connect.Response[adminv1.ListUsersResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if p.isUser() {
		// A user sees the one user it may see: itself.
		u, err := h.s.store.GetUser(ctx, p.user)
		if err != nil {
			return nil, about("user", p.user, err)
		}
		return connect.NewResponse(&adminv1.ListUsersResponse{Users: []*adminv1.User{u}}), nil
	}
	page, want, err := pageRequest(req.Msg.GetPageSize(), req.Msg.GetPageToken(), maxListPageSize)
	if err != nil {
		return nil, err
	}
	users, err := h.s.store.ListUsers(ctx, page)
	if err != nil {
		return nil, err
	}
	users, next := trimPage(users, want, (*adminv1.User).GetName)
	return connect.NewResponse(&adminv1.ListUsersResponse{Users: users, NextPageToken: next}), nil
}

func (h userService) UpdateUser(ctx context.Context, req *connect.Request[adminv1.UpdateUserRequest]) (*connect.Response[adminv1.UpdateUserResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	in := req.Msg.GetUser()
	name := in.GetName()
	if p.isUser() && name != p.user {
		return nil, permissionDenied("a user may only change itself")
	}
	var updated *adminv1.User
	err = h.s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetUser(ctx, name)
		if err != nil {
			return about("user", name, err)
		}
		next := proto.Clone(cur).(*adminv1.User)
		if err := userMask.apply(next, in, req.Msg.GetUpdateMask().GetPaths()); err != nil {
			return err
		}
		userDefaults(next)
		if err := h.s.validate.validate(next); err != nil {
			return err
		}
		if err := guardOwners(p, cur.Role, next.Role); err != nil {
			return err
		}
		if p.isUser() && !sameEntitlements(cur, next) {
			return permissionDenied("a user cannot change its own role, group, quota, limits or status")
		}
		updated, err = tx.UpdateUser(ctx, next)
		return about("user", name, err)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.UpdateUserResponse{User: updated}), nil
}

// sameEntitlements: nothing that decides what the user may spend or do changed.
func sameEntitlements(a, b *adminv1.User) bool {
	return a.Role == b.Role && a.Group == b.Group && a.Status == b.Status &&
		a.GetQuotaNanoUsd() == b.GetQuotaNanoUsd() && (a.QuotaNanoUsd == nil) == (b.QuotaNanoUsd == nil) &&
		sameLimits(a.GetLimits(), b.GetLimits())
}

// sameLimits treats an empty Limits as no Limits.
func sameLimits(a, b *adminv1.Limits) bool {
	if a == nil {
		a = &adminv1.Limits{}
	}
	if b == nil {
		b = &adminv1.Limits{}
	}
	return proto.Equal(a, b)
}

func (h userService) DeleteUser(ctx context.Context, req *connect.Request[adminv1.DeleteUserRequest]) (*connect.Response[adminv1.DeleteUserResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	name := req.Msg.GetName()
	err = h.s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetUser(ctx, name)
		if err != nil {
			return about("user", name, err)
		}
		if err := guardOwners(p, cur.Role); err != nil {
			return err
		}
		return about("user", name, tx.DeleteUser(ctx, name))
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&adminv1.DeleteUserResponse{}), nil
}

func (h userService) GetCurrentUser(ctx context.Context, _ *connect.Request[adminv1.GetCurrentUserRequest]) (*connect.Response[adminv1.GetCurrentUserResponse], error) {
	p, err := principalFrom(ctx)
	if err != nil {
		return nil, err
	}
	if p.user == AdminKeyUser {
		return connect.NewResponse(&adminv1.GetCurrentUserResponse{User: &adminv1.User{
			Name: AdminKeyUser, Role: adminv1.Role_ROLE_OWNER, Status: adminv1.Status_STATUS_ACTIVE,
		}}), nil
	}
	u, err := h.s.store.GetUser(ctx, p.user)
	if err != nil {
		return nil, about("user", p.user, err)
	}
	return connect.NewResponse(&adminv1.GetCurrentUserResponse{User: u}), nil
}
