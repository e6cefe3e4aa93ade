package cli

import (
	"context"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

type channel = *adminv1.Channel

func channelTimeouts(c channel) *adminv1.ChannelTimeouts {
	if c.Timeouts == nil {
		c.Timeouts = &adminv1.ChannelTimeouts{}
	}
	return c.Timeouts
}

func channelResource() *resource[channel] {
	fields := []field[channel]{
		enumField("type", "type", "wire protocol of the upstream", "CHANNEL_TYPE_", adminv1.ChannelType_value,
			func(c channel, v int32) { c.Type = adminv1.ChannelType(v) }),
		stringField("base-url", "base_url", "upstream URL, as the official SDK of the type spells it (https://api.openai.com/v1)",
			func(c channel) *string { return &c.BaseUrl }),
		{flag: "key", path: "keys", typ: "string", repeat: true,
			usage: "upstream API key; repeat for several (update: replaces every key)",
			set: func(c channel, raw string) error {
				if raw == "" {
					return fmt.Errorf("empty key")
				}
				c.Keys = append(c.Keys, raw)
				return nil
			}},
		listField("models", "models", "client-facing models the channel serves",
			func(c channel) *[]string { return &c.Models }),
		mapField("model-map", "model_map", `client-facing to upstream model names ("" for none)`,
			func(c channel) *map[string]string { return &c.ModelMap }),
		listField("groups", "groups", `groups whose users may use the channel (empty: "default")`,
			func(c channel) *[]string { return &c.Groups }),
		int32Field("priority", "priority", "higher is tried first; lower priorities are the fallback",
			func(c channel) *int32 { return &c.Priority }),
		int32Field("weight", "weight", "weighted choice within one priority (0 is taken as 1)",
			func(c channel) *int32 { return &c.Weight }),
		optPPMField("cost-ratio", "cost_ratio_ppm", "what the provider charges relative to the list price, e.g. 0.8",
			func(c channel) **int64 { return &c.CostRatioPpm }),
		statusField("status", func(c channel, v adminv1.Status) { c.Status = v }),
		stringField("api-version", "api_version", "Azure: the api-version query parameter",
			func(c channel) *string { return &c.ApiVersion }),
		stringField("project", "project", "Vertex: Google Cloud project", func(c channel) *string { return &c.Project }),
		stringField("location", "location", "Vertex: Google Cloud location", func(c channel) *string { return &c.Location }),
		durationField("connect-timeout", "timeouts.connect", "upstream connect timeout",
			func(c channel) **durationpb.Duration { return &channelTimeouts(c).Connect }),
		durationField("first-byte-timeout", "timeouts.first_byte", "time to the upstream's first byte",
			func(c channel) **durationpb.Duration { return &channelTimeouts(c).FirstByte }),
		durationField("idle-timeout", "timeouts.idle", "longest gap between two reads of a stream",
			func(c channel) **durationpb.Duration { return &channelTimeouts(c).Idle }),
		durationField("total-timeout", "timeouts.total", "whole upstream request",
			func(c channel) **durationpb.Duration { return &channelTimeouts(c).Total }),
	}
	fields = append(fields, limitFields("channel", func(c channel) **adminv1.Limits { return &c.Limits })...)
	return &resource[channel]{
		kind:  "channel",
		short: "channels: upstream provider accounts (base URL, keys, models)",
		ids:   []string{"NAME"},
		example: `  burncloud channel create openai-main --type openai --base-url https://api.openai.com/v1 \
    --key "$OPENAI_API_KEY" --models gpt-4o,gpt-4o-mini --priority 10 --weight 1 \
    --model-map gpt-4o=gpt-4o-2024-11-20
  burncloud channel update openai-main --priority 5 --status disabled`,
		newM:     func() channel { return &adminv1.Channel{} },
		identify: func(c channel, ids []string) { c.Name = ids[0] },
		fields:   fields,
		required: []string{"type"},
		header:   []string{"NAME", "TYPE", "BASE URL", "MODELS", "PRIORITY", "WEIGHT", "COST RATIO", "KEYS", "STATUS"},
		row: func(c channel) []string {
			ratio := "1"
			if c.CostRatioPpm != nil {
				ratio = pricing.FormatPPM(*c.CostRatioPpm)
			}
			keys := make([]string, len(c.KeyInfo))
			for i, k := range c.KeyInfo {
				keys[i] = k.Masked
			}
			return []string{c.Name, enumName(c.Type.String(), "CHANNEL_TYPE_"), c.BaseUrl, list(c.Models),
				fmt.Sprint(c.Priority), fmt.Sprint(c.Weight), ratio, strings.Join(keys, ","), enumName(c.Status.String(), "STATUS_")}
		},
		wrapList: func(cs []channel) proto.Message { return &adminv1.ListChannelsResponse{Channels: cs} },
		create: func(ctx context.Context, cl *clients, c channel, _ string) (channel, string, error) {
			res, err := cl.channels.CreateChannel(ctx, connect.NewRequest(&adminv1.CreateChannelRequest{Channel: c}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetChannel(), "", nil
		},
		get: func(ctx context.Context, cl *clients, ids []string) (channel, error) {
			res, err := cl.channels.GetChannel(ctx, connect.NewRequest(&adminv1.GetChannelRequest{Name: ids[0]}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetChannel(), nil
		},
		list: func(ctx context.Context, cl *clients, _ string, size int32, pageToken string) ([]channel, string, error) {
			res, err := cl.channels.ListChannels(ctx, connect.NewRequest(&adminv1.ListChannelsRequest{PageSize: size, PageToken: pageToken}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetChannels(), res.Msg.GetNextPageToken(), nil
		},
		update: func(ctx context.Context, cl *clients, c channel, mask *fieldmaskpb.FieldMask) (channel, error) {
			res, err := cl.channels.UpdateChannel(ctx, connect.NewRequest(&adminv1.UpdateChannelRequest{Channel: c, UpdateMask: mask}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetChannel(), nil
		},
		delete: func(ctx context.Context, cl *clients, ids []string) error {
			_, err := cl.channels.DeleteChannel(ctx, connect.NewRequest(&adminv1.DeleteChannelRequest{Name: ids[0]}))
			return err
		},
	}
}

func channelCommand(s *session) *cobra.Command { return channelResource().command(s) }
