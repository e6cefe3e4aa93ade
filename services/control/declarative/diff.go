package declarative

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// differ collects "field: old -> new" details of the fields that differ
// between the stored and the desired version of a resource. A resource is
// written only when its details are not empty.
type differ []string

func (d *differ) add(field, from, to string) {
	*d = append(*d, field+": "+from+" -> "+to)
}

func show(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func (d *differ) str(field, from, to string) {
	if from != to {
		d.add(field, show(from), show(to))
	}
}

func (d *differ) num(field string, from, to int64) {
	if from != to {
		d.add(field, strconv.FormatInt(from, 10), strconv.FormatInt(to, 10))
	}
}

func (d *differ) usd(field string, from, to int64) {
	if from != to {
		d.add(field, pricing.FormatUSD(from), pricing.FormatUSD(to))
	}
}

// opt compares optional values; absent shows as none.
func (d *differ) opt(field string, from, to *int64, none string, format func(int64) string) {
	if (from == nil) != (to == nil) || from != nil && *from != *to {
		d.add(field, optString(from, none, format), optString(to, none, format))
	}
}

func optString(v *int64, none string, format func(int64) string) string {
	if v == nil {
		return none
	}
	return format(*v)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func (d *differ) list(field string, from, to []string) {
	if !slices.Equal(from, to) {
		d.add(field, "["+strings.Join(from, ", ")+"]", "["+strings.Join(to, ", ")+"]")
	}
}

func (d *differ) strMap(field string, from, to map[string]string) {
	if !maps.Equal(from, to) {
		d.add(field, mapString(from), mapString(to))
	}
}

func mapString(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+": "+m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (d *differ) limits(from, to *adminv1.Limits) {
	d.limitsAt("", from, to)
}

// limitsAt compares limits named with prefix (e.g. "per_user.").
func (d *differ) limitsAt(prefix string, from, to *adminv1.Limits) {
	f, t := limitPtrs(from), limitPtrs(to)
	for i, name := range [...]string{"rpm", "tpm", "max_concurrency"} {
		d.opt(prefix+name, f[i], t[i], "none", itoa)
	}
}

// limitPtrs keeps absent and zero limits apart, which the generated getters
// do not.
func limitPtrs(l *adminv1.Limits) [3]*int64 {
	if l == nil {
		return [3]*int64{}
	}
	return [3]*int64{l.Rpm, l.Tpm, l.MaxConcurrency}
}

func (d *differ) duration(field string, from, to *durationpb.Duration) {
	f, t := durationString(from), durationString(to)
	if f != t {
		d.add(field, f, t)
	}
}

func durationString(v *durationpb.Duration) string {
	if v == nil {
		return "none"
	}
	return v.AsDuration().String()
}

func (d *differ) time(field string, from, to *timestamppb.Timestamp, none string) {
	f, t := timeString(from, none), timeString(to, none)
	if f != t {
		d.add(field, f, t)
	}
}

func timeString(v *timestamppb.Timestamp, none string) string {
	if v == nil {
		return none
	}
	return v.AsTime().UTC().Format(time.RFC3339Nano)
}

func (d *differ) price(prefix string, from, to *adminv1.Price) {
	d.usd(prefix+"input", from.GetInputNanoUsd(), to.GetInputNanoUsd())
	d.usd(prefix+"output", from.GetOutputNanoUsd(), to.GetOutputNanoUsd())
	d.opt(prefix+"cache_read", optPrice(from, cacheRead), optPrice(to, cacheRead), "default", pricing.FormatUSD)
	d.opt(prefix+"cache_write", optPrice(from, cacheWrite), optPrice(to, cacheWrite), "default", pricing.FormatUSD)
	d.opt(prefix+"reasoning", optPrice(from, reasoning), optPrice(to, reasoning), "default", pricing.FormatUSD)
	d.opt(prefix+"audio_input", optPrice(from, audioIn), optPrice(to, audioIn), "none", pricing.FormatUSD)
	d.opt(prefix+"audio_output", optPrice(from, audioOut), optPrice(to, audioOut), "none", pricing.FormatUSD)
	d.opt(prefix+"image_input", optPrice(from, imageIn), optPrice(to, imageIn), "none", pricing.FormatUSD)
}

type priceField int

const (
	cacheRead priceField = iota
	cacheWrite
	reasoning
	audioIn
	audioOut
	imageIn
)

func optPrice(p *adminv1.Price, f priceField) *int64 {
	if p == nil {
		return nil
	}
	return [...]*int64{p.CacheReadNanoUsd, p.CacheWriteNanoUsd, p.ReasoningNanoUsd,
		p.AudioInputNanoUsd, p.AudioOutputNanoUsd, p.ImageInputNanoUsd}[f]
}

func diffGroup(cur, want *adminv1.Group) differ {
	var d differ
	if cr, wr := groupRatio(cur), groupRatio(want); cr != wr {
		d.add("ratio", pricing.FormatPPM(cr), pricing.FormatPPM(wr))
	}
	d.str("description", cur.GetDescription(), want.GetDescription())
	return d
}

func diffModel(cur, want *adminv1.Model) differ {
	var d differ
	d.price("", cur.GetPrice(), want.GetPrice())
	d.opt("request_fee", cur.RequestFeeNanoUsd, want.RequestFeeNanoUsd, "none", pricing.FormatUSD)
	d.num("max_output_tokens", cur.GetMaxOutputTokens(), want.GetMaxOutputTokens())
	d.limitsAt("per_user.", cur.GetPerUserLimits(), want.GetPerUserLimits())
	n := max(len(cur.GetTiers()), len(want.GetTiers()))
	for i := range n {
		prefix := fmt.Sprintf("tiers[%d].", i)
		var from, to *adminv1.PriceTier
		if i < len(cur.GetTiers()) {
			from = cur.GetTiers()[i]
		}
		if i < len(want.GetTiers()) {
			to = want.GetTiers()[i]
		}
		if from == nil || to == nil {
			d.add(strings.TrimSuffix(prefix, "."), tierString(from), tierString(to))
			continue
		}
		d.num(prefix+"above_input_tokens", from.GetAboveInputTokens(), to.GetAboveInputTokens())
		d.price(prefix, from.GetPrice(), to.GetPrice())
	}
	return d
}

func tierString(t *adminv1.PriceTier) string {
	if t == nil {
		return "none"
	}
	return fmt.Sprintf("{above %d: input %s, output %s}", t.GetAboveInputTokens(),
		pricing.FormatUSD(t.GetPrice().GetInputNanoUsd()), pricing.FormatUSD(t.GetPrice().GetOutputNanoUsd()))
}

func diffChannel(cur, want *adminv1.Channel) differ {
	var d differ
	d.str("type", channelTypeName(cur.GetType()), channelTypeName(want.GetType()))
	d.str("base_url", cur.GetBaseUrl(), want.GetBaseUrl())
	d.list("models", cur.GetModels(), want.GetModels())
	d.strMap("model_map", cur.GetModelMap(), want.GetModelMap())
	d.list("groups", cur.GetGroups(), want.GetGroups())
	d.num("priority", int64(cur.GetPriority()), int64(want.GetPriority()))
	d.num("weight", int64(cur.GetWeight()), int64(want.GetWeight()))
	d.opt("cost_ratio", cur.CostRatioPpm, want.CostRatioPpm, "default", pricing.FormatPPM)
	d.limits(cur.GetLimits(), want.GetLimits())
	d.str("status", statusName(cur.GetStatus()), statusName(want.GetStatus()))
	ct, wt := cur.GetTimeouts(), want.GetTimeouts()
	d.duration("timeouts.connect", ct.GetConnect(), wt.GetConnect())
	d.duration("timeouts.first_byte", ct.GetFirstByte(), wt.GetFirstByte())
	d.duration("timeouts.idle", ct.GetIdle(), wt.GetIdle())
	d.duration("timeouts.total", ct.GetTotal(), wt.GetTotal())
	d.str("api_version", cur.GetApiVersion(), want.GetApiVersion())
	d.str("project", cur.GetProject(), want.GetProject())
	d.str("location", cur.GetLocation(), want.GetLocation())
	return d
}

func userGroup(u *adminv1.User) string {
	if u.GetGroup() == "" {
		return "default"
	}
	return u.GetGroup()
}

func diffUser(cur, want *adminv1.User) differ {
	var d differ
	d.str("group", userGroup(cur), userGroup(want))
	d.str("role", roleName(cur.GetRole()), roleName(want.GetRole()))
	d.str("status", statusName(cur.GetStatus()), statusName(want.GetStatus()))
	d.opt("quota_usd", cur.QuotaNanoUsd, want.QuotaNanoUsd, "unlimited", pricing.FormatUSD)
	d.limits(cur.GetLimits(), want.GetLimits())
	return d
}

func diffToken(cur, want *adminv1.Token) differ {
	var d differ
	d.list("models", cur.GetModels(), want.GetModels())
	d.opt("quota_usd", cur.QuotaNanoUsd, want.QuotaNanoUsd, "unlimited", pricing.FormatUSD)
	d.limits(cur.GetLimits(), want.GetLimits())
	d.time("expires_at", cur.GetExpireTime(), want.GetExpireTime(), "never")
	d.str("status", statusName(cur.GetStatus()), statusName(want.GetStatus()))
	return d
}
