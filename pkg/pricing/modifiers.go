package pricing

import (
	"errors"
	"fmt"
	"strings"
)

// Ratios in parts per million.
const (
	OnePPM             = 1_000_000 // 1.0, list price
	DefaultBatchPPM    = 500_000   // batch requests cost 50%
	DefaultPriorityPPM = 1_700_000 // priority requests cost 170%
)

// ErrServiceTier reports a service tier name ParseServiceTier does not know.
var ErrServiceTier = errors.New("pricing: unknown service tier")

// ServiceTier is the processing tier a request asked for. The zero value is
// standard.
type ServiceTier uint8

// Service tiers.
const (
	ServiceStandard ServiceTier = iota
	ServiceBatch
	ServicePriority
)

// serviceTierNames maps request values (OpenAI's service_tier, the
// x-burncloud-tier header) to tiers. OpenAI's "flex" is priced like batch.
var serviceTierNames = [...]struct {
	name string
	tier ServiceTier
}{
	{"", ServiceStandard},
	{"standard", ServiceStandard},
	{"default", ServiceStandard},
	{"auto", ServiceStandard},
	{"batch", ServiceBatch},
	{"flex", ServiceBatch},
	{"priority", ServicePriority},
}

// ParseServiceTier reads a tier name, ignoring ASCII case. An empty string is
// standard.
func ParseServiceTier(s string) (ServiceTier, error) {
	for _, n := range serviceTierNames {
		if strings.EqualFold(s, n.name) {
			return n.tier, nil
		}
	}
	return ServiceStandard, fmt.Errorf("%w %q", ErrServiceTier, s)
}

// String returns "standard", "batch" or "priority".
func (t ServiceTier) String() string {
	switch t {
	case ServiceStandard:
		return "standard"
	case ServiceBatch:
		return "batch"
	case ServicePriority:
		return "priority"
	}
	return fmt.Sprintf("ServiceTier(%d)", uint8(t))
}

// DefaultPPM is the tier's price multiplier when none is configured.
func (t ServiceTier) DefaultPPM() int64 {
	switch t {
	case ServiceBatch:
		return DefaultBatchPPM
	case ServicePriority:
		return DefaultPriorityPPM
	}
	return OnePPM
}

// Modifiers scale a list price. TierPPM must be positive, so a forgotten zero
// value fails instead of pricing a request at nothing; the ratios may be zero
// (a free group, a self-hosted channel).
type Modifiers struct {
	TierPPM             int64 // service tier multiplier, e.g. DefaultBatchPPM
	GroupRatioPPM       int64 // the user group's ratio → Result.CostNano
	ChannelCostRatioPPM int64 // what the provider charges → Result.UpstreamNano
}

// ListPrice returns standard-tier modifiers with both ratios at 1.0.
func ListPrice() Modifiers {
	return Modifiers{TierPPM: OnePPM, GroupRatioPPM: OnePPM, ChannelCostRatioPPM: OnePPM}
}

// Validate reports every modifier that is out of range, including those above
// MaxModifierPPM.
func (m Modifiers) Validate() error {
	var errs []error
	check := func(field string, v, lowest int64) {
		switch {
		case v < lowest:
			errs = append(errs, &FieldError{Field: field, Err: ErrInvalidModifier})
		case v > MaxModifierPPM:
			errs = append(errs, &FieldError{Field: field, Err: ErrOutOfRange})
		}
	}
	check("tier_ppm", m.TierPPM, 1)
	check("group_ratio_ppm", m.GroupRatioPPM, 0)
	check("channel_cost_ratio_ppm", m.ChannelCostRatioPPM, 0)
	return errors.Join(errs...)
}
