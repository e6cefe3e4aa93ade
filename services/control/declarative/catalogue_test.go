package declarative

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

func TestCatalogue(t *testing.T) {
	f, err := Parse(Catalogue())
	if err != nil {
		t.Fatalf("the catalogue does not parse: %v", err)
	}
	if len(f.Channels)+len(f.Groups)+len(f.Users) != 0 {
		t.Errorf("the catalogue holds more than models")
	}
	byName := map[string]*adminv1.Model{}
	for _, m := range f.Models {
		byName[m.GetName()] = m
		p := m.GetPrice()
		if p.GetInputNanoUsd() <= 0 {
			t.Errorf("%s: input price %d, want positive", m.GetName(), p.GetInputNanoUsd())
		}
		if p.CacheReadNanoUsd != nil && p.GetCacheReadNanoUsd() > p.GetInputNanoUsd() {
			t.Errorf("%s: cache read above input", m.GetName())
		}
		for _, tier := range m.GetTiers() {
			if tier.GetPrice().GetInputNanoUsd() <= p.GetInputNanoUsd() {
				t.Errorf("%s: long-context tier not above the base price", m.GetName())
			}
		}
		if err := asPricingModel(m).Validate(); err != nil {
			t.Errorf("%s: pricing rejects it: %v", m.GetName(), err)
		}
	}
	for _, name := range []string{
		"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o4-mini",
		"claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5",
		"gemini-2.5-pro", "gemini-2.5-flash", "text-embedding-3-small", "text-embedding-3-large",
	} {
		if byName[name] == nil {
			t.Errorf("the catalogue lacks %s", name)
		}
	}
	// Spot checks against the published prices, in USD per 1M tokens.
	spot := []struct {
		model, field string
		got          int64
		want         string
	}{
		{"gpt-4o", "input", byName["gpt-4o"].GetPrice().GetInputNanoUsd(), "2.50"},
		{"gpt-4o-mini", "cache_read", byName["gpt-4o-mini"].GetPrice().GetCacheReadNanoUsd(), "0.075"},
		{"claude-sonnet-4-5", "tier output", byName["claude-sonnet-4-5"].GetTiers()[0].GetPrice().GetOutputNanoUsd(), "22.50"},
		{"gemini-2.5-pro", "tier input", byName["gemini-2.5-pro"].GetTiers()[0].GetPrice().GetInputNanoUsd(), "2.50"},
		{"text-embedding-3-large", "output", byName["text-embedding-3-large"].GetPrice().GetOutputNanoUsd(), "0"},
	}
	if got := byName["gemini-2.5-pro"].GetTiers()[0].GetAboveInputTokens(); got != 200_000 {
		t.Errorf("gemini-2.5-pro tier threshold = %d, want 200000", got)
	}
	for _, s := range spot {
		want, err := pricing.ParseUSD(s.want)
		if err != nil {
			t.Fatal(err)
		}
		if s.got != want {
			t.Errorf("%s %s = %s, want %s", s.model, s.field, pricing.FormatUSD(s.got), s.want)
		}
	}
}

func asPricingModel(m *adminv1.Model) pricing.Model {
	opt := func(v *int64) pricing.Optional {
		if v == nil {
			return pricing.Optional{}
		}
		return pricing.Price(*v)
	}
	p := m.GetPrice()
	out := pricing.Model{
		Input: p.GetInputNanoUsd(), Output: p.GetOutputNanoUsd(),
		CacheRead: opt(p.CacheReadNanoUsd), CacheWrite: opt(p.CacheWriteNanoUsd), Reasoning: opt(p.ReasoningNanoUsd),
		RequestFee: m.GetRequestFeeNanoUsd(), MaxOutputTokens: m.GetMaxOutputTokens(),
	}
	for _, tier := range m.GetTiers() {
		tp := tier.GetPrice()
		out.Tiers = append(out.Tiers, pricing.Tier{
			AboveInputTokens: tier.GetAboveInputTokens(), Input: tp.GetInputNanoUsd(), Output: tp.GetOutputNanoUsd(),
			CacheRead: opt(tp.CacheReadNanoUsd), CacheWrite: opt(tp.CacheWriteNanoUsd), Reasoning: opt(tp.ReasoningNanoUsd),
		})
	}
	return out
}

func TestCatalogueSeedKeepsOperatorPrices(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	ctx := context.Background()
	if _, err := tx.CreateModel(ctx, &adminv1.Model{Name: "gpt-4o", Price: &adminv1.Price{InputNanoUsd: 1, OutputNanoUsd: 2}}); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	res := apply(t, tx, f, Options{CreateOnly: true}, s)
	if len(res.Changes) != len(f.Models)-1 {
		t.Errorf("seeding made %d changes, want %d creates", len(res.Changes), len(f.Models)-1)
	}
	for _, c := range res.Changes {
		if c.GetAction() != adminv1.ChangeAction_CHANGE_ACTION_CREATE || c.GetName() == "gpt-4o" {
			t.Errorf("seeding did %v", c)
		}
	}
	if got := tx.models["gpt-4o"]; !proto.Equal(got.GetPrice(), &adminv1.Price{InputNanoUsd: 1, OutputNanoUsd: 2}) {
		t.Errorf("the operator's price was replaced: %v", got.GetPrice())
	}
	if again := apply(t, tx, f, Options{CreateOnly: true}, s); len(again.Changes) != 0 {
		t.Errorf("second seeding changed %v", changeLines(again.Changes))
	}
}
