package declarative

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// converter checks a decoded fileSpec against the file's rules and turns it
// into admin API messages, adding a Problem for each rule broken.
type converter struct {
	ps     *problems
	groups map[string]bool // known group names
}

func convert(spec *fileSpec, ps *problems) *File {
	c := &converter{ps: ps, groups: map[string]bool{"default": true}}
	f := &File{}
	seen := map[string]string{}
	for i, g := range spec.Groups {
		path := entryPath("", "groups", i, g.Name)
		if c.name(path, g.Name, false, seen) {
			c.groups[g.Name] = true
		}
		f.Groups = append(f.Groups, c.group(path, &g))
	}
	clear(seen)
	for i, m := range spec.Models {
		path := entryPath("", "models", i, m.Name)
		c.modelName(path, m.Name, seen)
		f.Models = append(f.Models, c.model(path, &m))
	}
	clear(seen)
	for i, ch := range spec.Channels {
		path := entryPath("", "channels", i, ch.Name)
		c.name(path, ch.Name, false, seen)
		f.Channels = append(f.Channels, c.channel(path, &ch))
	}
	clear(seen)
	keys := map[string]string{} // token key -> path of the token using it
	for i, u := range spec.Users {
		path := entryPath("", "users", i, u.Name)
		c.name(path, u.Name, true, seen)
		f.Users = append(f.Users, c.user(path, &u, keys))
	}
	return f
}

// name checks an entry's name and that no earlier entry of seen has it.
func (c *converter) name(path, name string, at bool, seen map[string]string) bool {
	switch {
	case name == "":
		c.ps.add(path, "name", "required")
	case !validName(name, at):
		c.ps.add(path, "name", "%q is not a valid name: %s", name, nameRule(at))
	case seen[name] != "":
		c.ps.add(path, "name", "duplicate of %s", seen[name])
	default:
		seen[name] = path
		return true
	}
	return false
}

func (c *converter) modelName(path, name string, seen map[string]string) {
	switch {
	case name == "":
		c.ps.add(path, "name", "required")
	case !validModelName(name):
		c.ps.add(path, "name", "%q is not a valid model name: use 1 to %d characters without spaces", name, maxModelNameLen)
	case seen[name] != "":
		c.ps.add(path, "name", "duplicate of %s", seen[name])
	default:
		seen[name] = path
	}
}

func (c *converter) group(path string, g *groupSpec) *adminv1.Group {
	// Always explicit: apply writes to the store, which takes no absent ratio.
	out := &adminv1.Group{Name: g.Name, RatioPpm: proto.Int64(pricing.OnePPM), Description: g.Description}
	if g.Ratio != "" {
		out.RatioPpm = proto.Int64(c.ratio(path, "ratio", g.Ratio))
	}
	if len(g.Description) > maxDescription {
		c.ps.add(path, "description", "longer than %d characters", maxDescription)
	}
	return out
}

// groupRatio is g's ratio in ppm; absent means 1.0, as on CreateGroup.
func groupRatio(g *adminv1.Group) int64 {
	if g.RatioPpm == nil {
		return pricing.OnePPM
	}
	return g.GetRatioPpm()
}

func (c *converter) ratio(path, field, s string) int64 {
	v, err := pricing.ParsePPM(s)
	switch {
	case err != nil:
		c.ps.add(path, field, "%s", ppmMessage(err, s))
	case v > maxRatioPPM:
		c.ps.add(path, field, "%q is above the largest ratio, %s", s, pricing.FormatPPM(maxRatioPPM))
	}
	return v
}

// usd parses an amount of USD; limit bounds it (0: no bound but int64's).
func (c *converter) usd(path, field, s, noun string, limit int64) int64 {
	v, err := pricing.ParseUSD(s)
	switch {
	case err != nil:
		c.ps.add(path, field, "%s", usdMessage(err, s, noun))
	case limit > 0 && v > limit:
		c.ps.add(path, field, "%s USD is above the largest %s, %s USD", s, noun, pricing.FormatUSD(limit))
	}
	return v
}

func (c *converter) optionalUSD(path, field, s, noun string, limit int64) *int64 {
	if s == "" {
		return nil
	}
	return proto.Int64(c.usd(path, field, s, noun, limit))
}

func (c *converter) price(path, prefix string, p *priceSpec) *adminv1.Price {
	required := func(field, s string) int64 {
		if s == "" {
			c.ps.add(path, prefix+field, `required (USD per 1M tokens, e.g. "2.50"; "0" for free)`)
			return 0
		}
		return c.usd(path, prefix+field, s, "price", pricing.MaxPriceNano)
	}
	optional := func(field, s string) *int64 {
		return c.optionalUSD(path, prefix+field, s, "price", pricing.MaxPriceNano)
	}
	return &adminv1.Price{
		InputNanoUsd:       required("input", p.Input),
		OutputNanoUsd:      required("output", p.Output),
		CacheReadNanoUsd:   optional("cache_read", p.CacheRead),
		CacheWriteNanoUsd:  optional("cache_write", p.CacheWrite),
		ReasoningNanoUsd:   optional("reasoning", p.Reasoning),
		AudioInputNanoUsd:  optional("audio_input", p.AudioInput),
		AudioOutputNanoUsd: optional("audio_output", p.AudioOutput),
		ImageInputNanoUsd:  optional("image_input", p.ImageInput),
	}
}

func (c *converter) model(path string, m *modelSpec) *adminv1.Model {
	out := &adminv1.Model{
		Name:              m.Name,
		Price:             c.price(path, "", &m.priceSpec),
		RequestFeeNanoUsd: c.optionalUSD(path, "request_fee", m.RequestFee, "request fee", pricing.MaxFeeNano),
		MaxOutputTokens:   m.MaxOutputTokens,
	}
	if m.PerUser != nil {
		out.PerUserLimits = c.limits(path, "per_user.", m.PerUser)
	}
	if m.MaxOutputTokens < 0 {
		c.ps.add(path, "max_output_tokens", "must not be negative")
	}
	if len(m.Tiers) > maxTiers {
		c.ps.add(path, "tiers", "more than %d tiers", maxTiers)
	}
	prev := int64(0)
	for i, t := range m.Tiers {
		prefix := fmt.Sprintf("tiers[%d].", i)
		switch {
		case t.AboveInputTokens <= 0:
			c.ps.add(path, prefix+"above_input_tokens", "required, a positive number of input tokens")
		case t.AboveInputTokens <= prev:
			c.ps.add(path, prefix+"above_input_tokens", "must be above the previous tier's %d", prev)
		}
		prev = max(prev, t.AboveInputTokens)
		out.Tiers = append(out.Tiers, &adminv1.PriceTier{
			AboveInputTokens: t.AboveInputTokens,
			Price:            c.price(path, prefix, &t.priceSpec),
		})
	}
	return out
}

func (c *converter) limits(path, prefix string, l *limitsSpec) *adminv1.Limits {
	check := func(field string, v *int64) {
		if v != nil && *v <= 0 {
			c.ps.add(path, prefix+field, "must be positive (leave it out for no limit)")
		}
	}
	check("rpm", l.RPM)
	check("tpm", l.TPM)
	check("max_concurrency", l.MaxConcurrency)
	if l.RPM == nil && l.TPM == nil && l.MaxConcurrency == nil {
		return nil
	}
	return &adminv1.Limits{Rpm: l.RPM, Tpm: l.TPM, MaxConcurrency: l.MaxConcurrency}
}

func (c *converter) status(path, s string) adminv1.Status {
	switch s {
	case "", "active":
		return adminv1.Status_STATUS_ACTIVE
	case "disabled":
		return adminv1.Status_STATUS_DISABLED
	}
	c.ps.add(path, "status", "unknown status %q (want active, disabled)", s)
	return adminv1.Status_STATUS_ACTIVE
}

// modelList checks a list of client-facing model names.
func (c *converter) modelList(path, field string, models []string, limit int) {
	if len(models) > limit {
		c.ps.add(path, field, "more than %d models", limit)
	}
	seen := map[string]int{}
	for i, m := range models {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !validModelName(m) {
			c.ps.add(path, f, "%q is not a valid model name: use 1 to %d characters without spaces", m, maxModelNameLen)
		} else if j, dup := seen[m]; dup {
			c.ps.add(path, f, "%q is also %s[%d]", m, field, j)
		} else {
			seen[m] = i
		}
	}
}

func (c *converter) knownGroup(path, field, g string) {
	if !c.groups[g] {
		c.ps.add(path, field, "unknown group %q (define it under groups, or use \"default\")", g)
	}
}

func typeList() string {
	names := make([]string, len(channelTypes))
	for i, t := range channelTypes {
		names[i] = t.name
	}
	return strings.Join(names, ", ")
}
