package cli

import (
	"context"
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

type model = *adminv1.Model

func modelPrice(m model) *adminv1.Price {
	if m.Price == nil {
		m.Price = &adminv1.Price{}
	}
	return m.Price
}

func modelResource() *resource[model] {
	const per = " in USD per 1M tokens"
	opt := func(flag, proto, what string, get func(*adminv1.Price) **int64) field[model] {
		return optUSDField(flag, "price."+proto, what+per+` ("none" for the default)`,
			func(m model) **int64 { return get(modelPrice(m)) })
	}
	fields := []field[model]{
		usdField("input", "price.input_nano_usd", "uncached input price"+per,
			func(m model) *int64 { return &modelPrice(m).InputNanoUsd }),
		usdField("output", "price.output_nano_usd", "output price"+per,
			func(m model) *int64 { return &modelPrice(m).OutputNanoUsd }),
		opt("cache-read", "cache_read_nano_usd", "cached input price (default 10% of input)",
			func(p *adminv1.Price) **int64 { return &p.CacheReadNanoUsd }),
		opt("cache-write", "cache_write_nano_usd", "cache write price (default 125% of input)",
			func(p *adminv1.Price) **int64 { return &p.CacheWriteNanoUsd }),
		opt("reasoning", "reasoning_nano_usd", "reasoning price (default: output)",
			func(p *adminv1.Price) **int64 { return &p.ReasoningNanoUsd }),
		opt("audio-input", "audio_input_nano_usd", "audio input price",
			func(p *adminv1.Price) **int64 { return &p.AudioInputNanoUsd }),
		opt("audio-output", "audio_output_nano_usd", "audio output price",
			func(p *adminv1.Price) **int64 { return &p.AudioOutputNanoUsd }),
		opt("image-input", "image_input_nano_usd", "image input price",
			func(p *adminv1.Price) **int64 { return &p.ImageInputNanoUsd }),
		{flag: "tier", path: "tiers", typ: "tier", repeat: true,
			usage: `long-context tier: above=TOKENS,input=USD,output=USD[,cache_read=USD,cache_write=USD,reasoning=USD]; repeat for several, "none" removes all (update: replaces every tier)`,
			set: func(m model, raw string) error {
				if none(raw) {
					m.Tiers = nil
					return nil
				}
				t, err := parseTier(raw)
				if err != nil {
					return err
				}
				m.Tiers = append(m.Tiers, t)
				return nil
			}},
		optUSDField("request-fee", "request_fee_nano_usd", `fee per request in USD ("none" for no fee)`,
			func(m model) **int64 { return &m.RequestFeeNanoUsd }),
		countField("max-output-tokens", "max_output_tokens", "output reserved for quota when a request gives no max tokens",
			func(m model) *int64 { return &m.MaxOutputTokens }),
	}
	return &resource[model]{
		kind:  "model",
		short: "models: client-facing model names and their prices",
		ids:   []string{"NAME"},
		example: `  burncloud model create gpt-4o --input 2.50 --output 10.00 --cache-read 1.25 --max-output-tokens 16384
  burncloud model update gpt-4o --output 12.00 --tier above=200000,input=5.00,output=15.00`,
		newM:     func() model { return &adminv1.Model{} },
		identify: func(m model, ids []string) { m.Name = ids[0] },
		fields:   fields,
		required: []string{"input", "output"},
		header:   []string{"NAME", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "REASONING", "FEE", "MAX OUTPUT", "TIERS"},
		row: func(m model) []string {
			p := m.GetPrice()
			if p == nil {
				p = &adminv1.Price{}
			}
			tiers := make([]string, len(m.Tiers))
			for i, t := range m.Tiers {
				tiers[i] = fmt.Sprintf(">%d: %s/%s", t.AboveInputTokens, usd(t.GetPrice().GetInputNanoUsd()), usd(t.GetPrice().GetOutputNanoUsd()))
			}
			return []string{m.Name, usd(p.InputNanoUsd), usd(p.OutputNanoUsd),
				optUSD(p.CacheReadNanoUsd, ""), optUSD(p.CacheWriteNanoUsd, ""), optUSD(p.ReasoningNanoUsd, ""),
				optUSD(m.RequestFeeNanoUsd, ""), fmt.Sprint(m.MaxOutputTokens), strings.Join(tiers, "; ")}
		},
		wrapList: func(ms []model) proto.Message { return &adminv1.ListModelsResponse{Models: ms} },
		create: func(ctx context.Context, c *clients, m model, _ string) (model, string, error) {
			res, err := c.models.CreateModel(ctx, connect.NewRequest(&adminv1.CreateModelRequest{Model: m}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetModel(), "", nil
		},
		get: func(ctx context.Context, c *clients, ids []string) (model, error) {
			res, err := c.models.GetModel(ctx, connect.NewRequest(&adminv1.GetModelRequest{Name: ids[0]}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetModel(), nil
		},
		list: func(ctx context.Context, c *clients, _ string, size int32, pageToken string) ([]model, string, error) {
			res, err := c.models.ListModels(ctx, connect.NewRequest(&adminv1.ListModelsRequest{PageSize: size, PageToken: pageToken}))
			if err != nil {
				return nil, "", err
			}
			return res.Msg.GetModels(), res.Msg.GetNextPageToken(), nil
		},
		update: func(ctx context.Context, c *clients, m model, mask *fieldmaskpb.FieldMask) (model, error) {
			res, err := c.models.UpdateModel(ctx, connect.NewRequest(&adminv1.UpdateModelRequest{Model: m, UpdateMask: mask}))
			if err != nil {
				return nil, err
			}
			return res.Msg.GetModel(), nil
		},
		delete: func(ctx context.Context, c *clients, ids []string) error {
			_, err := c.models.DeleteModel(ctx, connect.NewRequest(&adminv1.DeleteModelRequest{Name: ids[0]}))
			return err
		},
	}
}

func modelCommand(s *session) *cobra.Command { return modelResource().command(s) }
