package cli

import (
	"context"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

type user = *adminv1.User

func userResource() *resource[user] {
	return &resource[user]{
		kind:  "user",
		short: "users: the people and systems that own tokens",
		ids:   []string{"NAME"},
		example: `  burncloud user create alice --group default --role user --quota-usd 10.00 --rpm 600
  burncloud user update alice --quota-usd 20      # changes the quota only
  burncloud user update alice --quota-usd none    # unlimited
  burncloud user get alice -o json`,
		newM:     func() user { return &adminv1.User{} },
		identify: func(u user, ids []string) { u.Name = ids[0] },
		fields: append([]field[user]{
			stringField("group", "group", `group deciding channels and price ratio ("" for default)`,
				func(u user) *string { return &u.Group }),
			enumField("role", "role", "role", "ROLE_", adminv1.Role_value,
				func(u user, v int32) { u.Role = adminv1.Role(v) }),
			statusField("status", func(u user, v adminv1.Status) { u.Status = v }),
			optUSDField("quota-usd", "quota_nano_usd", `spending limit in USD ("none" for unlimited)`,
				func(u user) **int64 { return &u.QuotaNanoUsd }),
		}, limitFields("user", func(u user) **adminv1.Limits { return &u.Limits })...),
		header: []string{"NAME", "GROUP", "ROLE", "STATUS", "QUOTA USD", "USED USD", "RPM", "TPM", "CONCURRENCY"},
		row: func(u user) []string {
			l := orEmpty(u.Limits)
			return []string{u.Name, u.Group, enumName(u.Role.String(), "ROLE_"), enumName(u.Status.String(), "STATUS_"),
				optUSD(u.QuotaNanoUsd, "unlimited"), usd(u.UsedNanoUsd),
				optInt(l.Rpm), optInt(l.Tpm), optInt(l.MaxConcurrency)}
		},
		wrapList: func(us []user) proto.Message { return &adminv1.ListUsersResponse{Users: us} },
		create: func(ctx context.Context, c *clients, u user, _ string) (user, string, error) {
			res, err := c.users.CreateUser(ctx, connect.NewRequest(&adminv1.CreateUserRequest{User: u}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetUser(), "", nil
		},
		get: func(ctx context.Context, c *clients, ids []string) (user, error) {
			res, err := c.users.GetUser(ctx, connect.NewRequest(&adminv1.GetUserRequest{Name: ids[0]}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetUser(), nil
		},
		list: func(ctx context.Context, c *clients, _ string, size int32, pageToken string) ([]user, string, error) {
			res, err := c.users.ListUsers(ctx, connect.NewRequest(&adminv1.ListUsersRequest{PageSize: size, PageToken: pageToken}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetUsers(), res.Msg.GetNextPageToken(), nil
		},
		update: func(ctx context.Context, c *clients, u user, mask *fieldmaskpb.FieldMask) (user, error) {
			res, err := c.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{User: u, UpdateMask: mask}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetUser(), nil
		},
		delete: func(ctx context.Context, c *clients, ids []string) error {
			_, err := c.users.DeleteUser(ctx, connect.NewRequest(&adminv1.DeleteUserRequest{Name: ids[0]}))
			return err
		},
	}
}

func userCommand(s *session) *cobra.Command {
	r := userResource()
	cmd := r.command(s)
	cmd.AddCommand(&cobra.Command{
		Use:   "current",
		Short: "Show the user owning the admin key in use",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := s.client().users.GetCurrentUser(cmd.Context(), connect.NewRequest(&adminv1.GetCurrentUserRequest{}))
			if err != nil {
				return err
			}
			u := res.Msg.GetUser()
			return s.emit(u, r.table([]user{u}))
		},
	})
	return cmd
}
