package cli

import (
	"context"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

type group = *adminv1.Group

func groupResource() *resource[group] {
	return &resource[group]{
		kind:  "group",
		short: "groups: which channels users reach and their price ratio",
		ids:   []string{"NAME"},
		example: `  burncloud group create vip --ratio 0.8 --description "20% off"
  burncloud group update vip --ratio 0.9`,
		newM:     func() group { return &adminv1.Group{} },
		identify: func(g group, ids []string) { g.Name = ids[0] },
		fields: []field[group]{
			ppmField("ratio", "ratio_ppm", "multiplier on list prices, e.g. 1.0 or 0.8 (create default 1.0)",
				func(g group) **int64 { return &g.RatioPpm }),
			stringField("description", "description", "free text", func(g group) *string { return &g.Description }),
		},
		// No client-side default ratio: the control plane stores an absent
		// ratio as 1.0, for this CLI and raw API clients alike.
		header: []string{"NAME", "RATIO", "DESCRIPTION"},
		row: func(g group) []string {
			return []string{g.Name, pricing.FormatPPM(g.GetRatioPpm()), g.Description}
		},
		wrapList: func(gs []group) proto.Message { return &adminv1.ListGroupsResponse{Groups: gs} },
		create: func(ctx context.Context, c *clients, g group, _ string) (group, string, error) {
			res, err := c.groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{Group: g}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetGroup(), "", nil
		},
		get: func(ctx context.Context, c *clients, ids []string) (group, error) {
			res, err := c.groups.GetGroup(ctx, connect.NewRequest(&adminv1.GetGroupRequest{Name: ids[0]}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetGroup(), nil
		},
		list: func(ctx context.Context, c *clients, _ string, size int32, pageToken string) ([]group, string, error) {
			res, err := c.groups.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{PageSize: size, PageToken: pageToken}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetGroups(), res.Msg.GetNextPageToken(), nil
		},
		update: func(ctx context.Context, c *clients, g group, mask *fieldmaskpb.FieldMask) (group, error) {
			res, err := c.groups.UpdateGroup(ctx, connect.NewRequest(&adminv1.UpdateGroupRequest{Group: g, UpdateMask: mask}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetGroup(), nil
		},
		delete: func(ctx context.Context, c *clients, ids []string) error {
			_, err := c.groups.DeleteGroup(ctx, connect.NewRequest(&adminv1.DeleteGroupRequest{Name: ids[0]}))
			return err
		},
	}
}

func groupCommand(s *session) *cobra.Command { return groupResource().command(s) }
