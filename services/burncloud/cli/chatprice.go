package cli

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/usage"
)

// pricer prices chat turns the way the router does for a standard-tier
// request: the model's list price times the caller's group ratio. Streaming
// answers carry no cost header, so the price is read once per model through
// the admin API, and the group ratio once per chat.
type pricer struct {
	admin  *clients // the admin endpoint's key: reads prices and groups
	caller *clients // the chat's own key: says whose key it is
	models map[string]priceLookup
	ratio  *int64 // ppm, once known
}

type priceLookup struct {
	model pricing.Model
	err   error
}

// errNoAdmin: no admin key, so prices cannot be read.
var errNoAdmin = errors.New("no admin key to read prices")

func newPricer(s *session, apiKey string) *pricer {
	p := &pricer{models: map[string]priceLookup{}}
	if s.endpoint.AdminKey != "" {
		p.admin = s.client()
		p.caller = newClients(s.httpClient, Endpoint{URL: s.endpoint.URL, AdminKey: apiKey})
	}
	return p
}

// describe is the cost part of a turn's summary: "$0.000044", or why there
// is none.
func (p *pricer) describe(ctx context.Context, model string, u usage.Usage) string {
	nano, err := p.cost(ctx, model, u)
	if err != nil {
		return "n/a (" + err.Error() + ")"
	}
	return "$" + pricing.FormatUSD(nano)
}

func (p *pricer) cost(ctx context.Context, model string, u usage.Usage) (int64, error) {
	if p.admin == nil {
		return 0, errNoAdmin
	}
	m, err := p.price(ctx, model)
	if err != nil {
		return 0, err
	}
	ratio, err := p.groupRatio(ctx)
	if err != nil {
		return 0, err
	}
	res, err := pricing.Cost(m, u, pricing.Modifiers{
		TierPPM: pricing.OnePPM, GroupRatioPPM: ratio, ChannelCostRatioPPM: pricing.OnePPM,
	})
	return res.CostNano, err
}

func (p *pricer) price(ctx context.Context, model string) (pricing.Model, error) {
	if l, ok := p.models[model]; ok {
		return l.model, l.err
	}
	var l priceLookup
	res, err := p.admin.models.GetModel(ctx, connect.NewRequest(&adminv1.GetModelRequest{Name: model}))
	if err != nil {
		l.err = fmt.Errorf("reading the price of %s: %s", model, connect.CodeOf(err))
	} else {
		l.model, l.err = priceOf(res.Msg.GetModel())
	}
	p.models[model] = l
	return l.model, l.err
}

// groupRatio is the ratio of the group of the user whose key the chat uses.
func (p *pricer) groupRatio(ctx context.Context) (int64, error) {
	if p.ratio != nil {
		return *p.ratio, nil
	}
	me, err := p.caller.users.GetCurrentUser(ctx, connect.NewRequest(&adminv1.GetCurrentUserRequest{}))
	if err != nil {
		return 0, fmt.Errorf("finding the key's user: %s", connect.CodeOf(err))
	}
	group := me.Msg.GetUser().GetGroup()
	if group == "" {
		group = "default"
	}
	g, err := p.admin.groups.GetGroup(ctx, connect.NewRequest(&adminv1.GetGroupRequest{Name: group}))
	if err != nil {
		return 0, fmt.Errorf("reading group %s: %s", group, connect.CodeOf(err))
	}
	// Stored groups always carry a ratio; absent means 1.0 as it does everywhere.
	r := int64(pricing.OnePPM)
	if gr := g.Msg.GetGroup(); gr.RatioPpm != nil {
		r = gr.GetRatioPpm()
	}
	p.ratio = &r
	return r, nil
}

// priceOf converts the admin API's price into pricing's.
func priceOf(m *adminv1.Model) (pricing.Model, error) {
	pr := m.GetPrice()
	if pr == nil {
		return pricing.Model{}, fmt.Errorf("%s has no price", m.GetName())
	}
	out := pricing.Model{
		Input: pr.GetInputNanoUsd(), Output: pr.GetOutputNanoUsd(),
		CacheRead: optionalPrice(pr.CacheReadNanoUsd), CacheWrite: optionalPrice(pr.CacheWriteNanoUsd),
		Reasoning:  optionalPrice(pr.ReasoningNanoUsd),
		RequestFee: m.GetRequestFeeNanoUsd(),
	}
	for _, t := range m.GetTiers() {
		tp := t.GetPrice()
		out.Tiers = append(out.Tiers, pricing.Tier{
			AboveInputTokens: t.GetAboveInputTokens(),
			Input:            tp.GetInputNanoUsd(), Output: tp.GetOutputNanoUsd(),
			CacheRead: optionalPrice(tp.CacheReadNanoUsd), CacheWrite: optionalPrice(tp.CacheWriteNanoUsd),
			Reasoning: optionalPrice(tp.ReasoningNanoUsd),
		})
	}
	return out, out.Validate()
}

func optionalPrice(p *int64) pricing.Optional {
	if p == nil {
		return pricing.Optional{}
	}
	return pricing.Price(*p)
}
