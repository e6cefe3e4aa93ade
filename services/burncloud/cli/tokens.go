package cli

import (
	"context"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

type token = *adminv1.Token

func tokenResource() *resource[token] {
	return &resource[token]{
		kind:  "token",
		short: "tokens: the API keys of a user, for the LLM APIs and the admin API",
		ids:   []string{"USER", "NAME"},
		example: `  burncloud token create alice laptop --models gpt-4o-mini --quota-usd 1 --expires 2027-01-01T00:00:00Z
  burncloud token update alice laptop --status disabled
  burncloud token list --user alice`,
		newM:     func() token { return &adminv1.Token{} },
		identify: func(t token, ids []string) { t.User, t.Name = ids[0], ids[1] },
		fields: append([]field[token]{
			listField("models", "models", "client-facing models the token may use (empty: every model)",
				func(t token) *[]string { return &t.Models }),
			optUSDField("quota-usd", "quota_nano_usd", `spending limit in USD ("none" for unlimited)`,
				func(t token) **int64 { return &t.QuotaNanoUsd }),
			timeField("expires", "expire_time", "when the token stops working",
				func(t token) **timestamppb.Timestamp { return &t.ExpireTime }),
			statusField("status", func(t token, v adminv1.Status) { t.Status = v }),
		}, limitFields("token", func(t token) **adminv1.Limits { return &t.Limits })...),
		header: []string{"USER", "NAME", "KEY", "MODELS", "QUOTA USD", "USED USD", "RPM", "EXPIRES", "STATUS"},
		row: func(t token) []string {
			key := ""
			if t.Prefix != "" || t.Last4 != "" {
				key = t.Prefix + "…" + t.Last4
			}
			models := list(t.Models)
			if models == "" {
				models = "all"
			}
			return []string{t.User, t.Name, key, models, optUSD(t.QuotaNanoUsd, "unlimited"), usd(t.UsedNanoUsd),
				optInt(orEmpty(t.Limits).Rpm), ts(t.ExpireTime), enumName(t.Status.String(), "STATUS_")}
		},
		wrapList:   func(ts []token) proto.Message { return &adminv1.ListTokensResponse{Tokens: ts} },
		listByUser: true,
		secret:     true,
		withSecret: func(t token, secret string) proto.Message {
			return &adminv1.CreateTokenResponse{Token: t, Secret: secret}
		},
		create: func(ctx context.Context, c *clients, t token, secret string) (token, string, error) {
			res, err := c.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: t, Secret: secret}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetToken(), res.Msg.GetSecret(), nil
		},
		get: func(ctx context.Context, c *clients, ids []string) (token, error) {
			res, err := c.tokens.GetToken(ctx, connect.NewRequest(&adminv1.GetTokenRequest{User: ids[0], Name: ids[1]}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetToken(), nil
		},
		list: func(ctx context.Context, c *clients, user string, size int32, pageToken string) ([]token, string, error) {
			res, err := c.tokens.ListTokens(ctx, connect.NewRequest(&adminv1.ListTokensRequest{User: user, PageSize: size, PageToken: pageToken}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetTokens(), res.Msg.GetNextPageToken(), nil
		},
		update: func(ctx context.Context, c *clients, t token, mask *fieldmaskpb.FieldMask) (token, error) {
			res, err := c.tokens.UpdateToken(ctx, connect.NewRequest(&adminv1.UpdateTokenRequest{Token: t, UpdateMask: mask}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetToken(), nil
		},
		delete: func(ctx context.Context, c *clients, ids []string) error {
			_, err := c.tokens.DeleteToken(ctx, connect.NewRequest(&adminv1.DeleteTokenRequest{User: ids[0], Name: ids[1]}))
			return err
		},
	}
}

func tokenCommand(s *session) *cobra.Command { return tokenResource().command(s) }
