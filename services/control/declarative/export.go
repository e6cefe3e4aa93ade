package declarative

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/store"
)

const exportHeader = `Exported from BurnCloud. Secrets are left out: a channel without "keys"
keeps its stored keys and a token without "key" keeps its secret, so this
file applies back without changes.`

// Export writes the current state read through tx in the declarative file's
// shape, without secrets: channels have no `keys` (a comment tells how many
// are stored) and tokens no `key`. Parse and Apply of the result change
// nothing.
func Export(ctx context.Context, tx store.Tx) ([]byte, error) {
	var spec fileSpec
	channels, err := listAll(func(p store.Page) ([]store.Channel, error) { return tx.ListChannels(ctx, p) }, channelKey)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	for _, c := range channels {
		spec.Channels = append(spec.Channels, exportChannel(c.Channel))
	}
	models, err := listAll(func(p store.Page) ([]*adminv1.Model, error) { return tx.ListModels(ctx, p) }, (*adminv1.Model).GetName)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	for _, m := range models {
		spec.Models = append(spec.Models, exportModel(m))
	}
	groups, err := listAll(func(p store.Page) ([]*adminv1.Group, error) { return tx.ListGroups(ctx, p) }, (*adminv1.Group).GetName)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	for _, g := range groups {
		spec.Groups = append(spec.Groups, groupSpec{Name: g.GetName(), Ratio: pricing.FormatPPM(groupRatio(g)), Description: g.GetDescription()})
	}
	users, err := listAll(func(p store.Page) ([]*adminv1.User, error) { return tx.ListUsers(ctx, p) }, (*adminv1.User).GetName)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	tokens, err := listAll(func(p store.Page) ([]store.Token, error) { return tx.ListTokens(ctx, "", p) }, tokenKey)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	byUser := map[string][]tokenSpec{}
	for _, t := range tokens {
		byUser[t.Token.GetUser()] = append(byUser[t.Token.GetUser()], exportToken(t.Token))
	}
	for _, u := range users {
		us := exportUser(u)
		us.Tokens = byUser[u.GetName()]
		spec.Users = append(spec.Users, us)
	}

	var root yaml.Node
	if err := root.Encode(&spec); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	root.HeadComment = exportHeader
	annotateKeys(&root, channels)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf.Bytes(), nil
}

// annotateKeys notes on each exported channel how many keys it keeps.
func annotateKeys(root *yaml.Node, channels []store.Channel) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "channels" {
			continue
		}
		for j, item := range root.Content[i+1].Content {
			if j >= len(channels) || len(item.Content) < 2 {
				break
			}
			if n := len(channels[j].Keys); n > 0 {
				item.Content[1].LineComment = fmt.Sprintf("%d key(s) stored, not exported", n)
			}
		}
	}
}

func exportLimits(l *adminv1.Limits) limitsSpec {
	p := limitPtrs(l)
	return limitsSpec{RPM: p[0], TPM: p[1], MaxConcurrency: p[2]}
}

func optUSD(v *int64) string {
	if v == nil {
		return ""
	}
	return pricing.FormatUSD(*v)
}

func exportStatus(s adminv1.Status) string {
	if s == adminv1.Status_STATUS_DISABLED {
		return "disabled"
	}
	return ""
}

func exportChannel(c *adminv1.Channel) channelSpec {
	out := channelSpec{
		Name:       c.GetName(),
		Type:       channelTypeName(c.GetType()),
		BaseURL:    c.GetBaseUrl(),
		Models:     c.GetModels(),
		ModelMap:   c.GetModelMap(),
		Groups:     c.GetGroups(),
		Priority:   int64(c.GetPriority()),
		limitsSpec: exportLimits(c.GetLimits()),
		Status:     exportStatus(c.GetStatus()),
		APIVersion: c.GetApiVersion(),
		Project:    c.GetProject(),
		Location:   c.GetLocation(),
	}
	if w := int64(c.GetWeight()); w != 1 {
		out.Weight = &w
	}
	if c.CostRatioPpm != nil {
		out.CostRatio = pricing.FormatPPM(*c.CostRatioPpm)
	}
	if t := c.GetTimeouts(); t != nil {
		ts := timeoutsSpec{
			Connect:   exportDuration(t.GetConnect().AsDuration(), t.Connect != nil),
			FirstByte: exportDuration(t.GetFirstByte().AsDuration(), t.FirstByte != nil),
			Idle:      exportDuration(t.GetIdle().AsDuration(), t.Idle != nil),
			Total:     exportDuration(t.GetTotal().AsDuration(), t.Total != nil),
		}
		if ts != (timeoutsSpec{}) {
			out.Timeouts = &ts
		}
	}
	return out
}

func exportDuration(d time.Duration, set bool) string {
	if !set {
		return ""
	}
	return d.String()
}

func exportPrice(p *adminv1.Price) priceSpec {
	return priceSpec{
		Input:       pricing.FormatUSD(p.GetInputNanoUsd()),
		Output:      pricing.FormatUSD(p.GetOutputNanoUsd()),
		CacheRead:   optUSD(optPrice(p, cacheRead)),
		CacheWrite:  optUSD(optPrice(p, cacheWrite)),
		Reasoning:   optUSD(optPrice(p, reasoning)),
		AudioInput:  optUSD(optPrice(p, audioIn)),
		AudioOutput: optUSD(optPrice(p, audioOut)),
		ImageInput:  optUSD(optPrice(p, imageIn)),
	}
}

func exportModel(m *adminv1.Model) modelSpec {
	out := modelSpec{
		Name:            m.GetName(),
		priceSpec:       exportPrice(m.GetPrice()),
		RequestFee:      optUSD(m.RequestFeeNanoUsd),
		MaxOutputTokens: m.GetMaxOutputTokens(),
	}
	if m.GetPerUserLimits() != nil {
		if l := exportLimits(m.GetPerUserLimits()); l != (limitsSpec{}) {
			out.PerUser = &l
		}
	}
	for _, t := range m.GetTiers() {
		out.Tiers = append(out.Tiers, tierSpec{AboveInputTokens: t.GetAboveInputTokens(), priceSpec: exportPrice(t.GetPrice())})
	}
	return out
}

func exportUser(u *adminv1.User) userSpec {
	return userSpec{
		Name:       u.GetName(),
		Group:      userGroup(u),
		Role:       roleName(u.GetRole()),
		Status:     exportStatus(u.GetStatus()),
		QuotaUSD:   optUSD(u.QuotaNanoUsd),
		limitsSpec: exportLimits(u.GetLimits()),
	}
}

func exportToken(t *adminv1.Token) tokenSpec {
	out := tokenSpec{
		Name:       t.GetName(),
		Models:     t.GetModels(),
		QuotaUSD:   optUSD(t.QuotaNanoUsd),
		limitsSpec: exportLimits(t.GetLimits()),
		Status:     exportStatus(t.GetStatus()),
	}
	if t.ExpireTime != nil {
		out.ExpiresAt = t.GetExpireTime().AsTime().UTC().Format(time.RFC3339Nano)
	}
	return out
}
