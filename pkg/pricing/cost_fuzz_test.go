package pricing

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/burncloud/burncloud/pkg/usage"
)

// referenceCost evaluates the documented formula with math/big.
func referenceCost(m Model, u usage.Usage, mod Modifiers) (cost, upstream *big.Int) {
	b := func(v int64) *big.Int { return big.NewInt(v) }
	total := new(big.Int).Add(b(u.InputUncached), b(u.InputCacheRead))
	total.Add(total, b(u.InputCacheWrite))

	in, out := b(m.Input), b(m.Output)
	cr, cw, rs := m.CacheRead, m.CacheWrite, m.Reasoning
	var best *Tier
	for i := range m.Tiers {
		t := &m.Tiers[i]
		if total.Cmp(b(t.AboveInputTokens)) > 0 && (best == nil || t.AboveInputTokens > best.AboveInputTokens) {
			best = t
		}
	}
	if best != nil {
		in, out = b(best.Input), b(best.Output)
		cr, cw, rs = best.CacheRead, best.CacheWrite, best.Reasoning
	}
	orPercent := func(o Optional, base *big.Int, ppm int64) *big.Int {
		if o.Set {
			return b(o.Nano)
		}
		v := new(big.Int).Mul(base, b(ppm))
		v.Add(v, b(500_000))
		return v.Quo(v, b(1_000_000))
	}
	terms := [][2]*big.Int{
		{b(u.InputUncached), in},
		{b(u.InputCacheRead), orPercent(cr, in, 100_000)},
		{b(u.InputCacheWrite), orPercent(cw, in, 1_250_000)},
		{b(u.Output - u.Reasoning), out},
		{b(u.Reasoning), orPercent(rs, out, 1_000_000)},
		{b(m.RequestFee), b(1_000_000)},
	}
	sum := new(big.Int)
	for _, t := range terms {
		sum.Add(sum, new(big.Int).Mul(t[0], t[1]))
	}
	scale := func(ratio int64) *big.Int {
		v := new(big.Int).Mul(sum, b(mod.TierPPM))
		v.Mul(v, b(ratio))
		v.Add(v, b(500_000_000_000_000_000))
		return v.Quo(v, b(1_000_000_000_000_000_000))
	}
	return scale(mod.GroupRatioPPM), scale(mod.ChannelCostRatioPPM)
}

func nonNegative(v int64) int64 { return v & math.MaxInt64 }

func optionalFrom(v int64, set bool) Optional { return Optional{Nano: nonNegative(v), Set: set} }

// FuzzCostMatchesBig checks the 256-bit arithmetic against math/big over the
// whole non-negative int64 range, overflow included.
func FuzzCostMatchesBig(f *testing.F) {
	f.Add(int64(100), int64(0), int64(0), int64(200), int64(0), int64(30e9), int64(60e9), int64(0), int64(0), int64(0),
		uint8(0), int64(0), int64(200_000), int64(5e9), int64(15e9), int64(OnePPM), int64(OnePPM), int64(OnePPM))
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), int64(1),
		int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64),
		uint8(0xff), int64(math.MaxInt64), int64(1), int64(math.MaxInt64), int64(math.MaxInt64),
		int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MaxInt64))
	f.Add(int64(1), int64(0), int64(0), int64(0), int64(0), int64(500_000), int64(0), int64(0), int64(0), int64(0),
		uint8(0), int64(math.MaxInt64), int64(0), int64(0), int64(0), int64(OnePPM), int64(OnePPM), int64(OnePPM))
	f.Fuzz(func(t *testing.T, uncached, read, write, output, reasoning, input, out, cacheRead, cacheWrite, reasoningPrice int64,
		set uint8, fee, above, tierInput, tierOutput, tierPPM, group, channel int64) {
		u := usage.Usage{InputUncached: nonNegative(uncached), InputCacheRead: nonNegative(read),
			InputCacheWrite: nonNegative(write), Output: nonNegative(output), Reasoning: nonNegative(reasoning)}
		if u.Reasoning > u.Output {
			u.Reasoning, u.Output = u.Output, u.Reasoning
		}
		m := Model{
			Input: nonNegative(input), Output: nonNegative(out),
			CacheRead: optionalFrom(cacheRead, set&1 != 0), CacheWrite: optionalFrom(cacheWrite, set&2 != 0),
			Reasoning: optionalFrom(reasoningPrice, set&4 != 0), RequestFee: nonNegative(fee),
		}
		if set&8 != 0 {
			m.Tiers = []Tier{{AboveInputTokens: nonNegative(above), Input: nonNegative(tierInput), Output: nonNegative(tierOutput),
				CacheRead: optionalFrom(cacheWrite, set&16 != 0), Reasoning: optionalFrom(cacheRead, set&32 != 0)}}
		}
		mod := Modifiers{TierPPM: max(1, nonNegative(tierPPM)), GroupRatioPPM: nonNegative(group), ChannelCostRatioPPM: nonNegative(channel)}

		got, err := Cost(m, u, mod)
		wantCost, wantUp := referenceCost(m, u, mod)
		if !wantCost.IsInt64() || !wantUp.IsInt64() {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("Cost = %+v, %v; want ErrOverflow (exact %s, %s)", got, err, wantCost, wantUp)
			}
			return
		}
		if err != nil || got.CostNano != wantCost.Int64() || got.UpstreamNano != wantUp.Int64() {
			t.Fatalf("Cost = %+v, %v; want %s, %s", got, err, wantCost, wantUp)
		}
	})
}

// FuzzCostMonotonic checks that more tokens never cost less and that a cost is
// never negative, for models whose tiers do not lower prices.
func FuzzCostMonotonic(f *testing.F) {
	f.Add(uint32(100), uint32(0), uint32(0), uint32(200), uint32(0), uint32(30_000), uint32(60_000), uint32(3_000),
		uint32(37_500), uint32(60_000), false, uint32(200_000), uint32(1000), uint8(0), uint32(1), uint32(OnePPM), uint32(OnePPM))
	f.Add(uint32(199_999), uint32(1), uint32(0), uint32(0), uint32(0), uint32(2_500), uint32(10_000), uint32(0),
		uint32(0), uint32(0), true, uint32(200_000), uint32(0), uint8(0), uint32(5), uint32(DefaultBatchPPM), uint32(1_200_000))
	f.Add(uint32(0), uint32(0), uint32(0), uint32(10), uint32(10), uint32(1), uint32(9), uint32(0),
		uint32(0), uint32(1), false, uint32(1), uint32(7), uint8(4), uint32(3), uint32(DefaultPriorityPPM), uint32(0))
	f.Fuzz(func(t *testing.T, uncached, read, write, output, reasoning, input, out, cacheRead, cacheWrite, reasoningPrice uint32,
		defaults bool, above, tierDelta uint32, which uint8, grow, tierPPM, ratio uint32) {
		u := usage.Usage{InputUncached: int64(uncached), InputCacheRead: int64(read), InputCacheWrite: int64(write),
			Output: int64(output), Reasoning: int64(min(reasoning, output))}
		p := func(v uint32) int64 { return int64(v) * 1000 }
		m := Model{Input: p(input), Output: p(out)}
		tier := Tier{AboveInputTokens: int64(above) + 1, Input: p(input) + p(tierDelta), Output: p(out) + p(tierDelta)}
		if !defaults {
			m.CacheRead, m.CacheWrite, m.Reasoning = Price(p(cacheRead)), Price(p(cacheWrite)), Price(p(reasoningPrice))
			d := p(tierDelta)
			tier.CacheRead, tier.CacheWrite, tier.Reasoning = Price(p(cacheRead)+d), Price(p(cacheWrite)+d), Price(p(reasoningPrice)+d)
		}
		m.Tiers = []Tier{tier}
		mod := Modifiers{TierPPM: int64(max(1, tierPPM)), GroupRatioPPM: int64(ratio), ChannelCostRatioPPM: int64(ratio / 2)}

		more := u
		d := int64(grow)
		switch which % 5 {
		case 0:
			more.InputUncached += d
		case 1:
			more.InputCacheRead += d
		case 2:
			more.InputCacheWrite += d
		case 3:
			more.Output += d
		case 4: // more reasoning is more output too
			more.Output += d
			more.Reasoning += d
		}
		before, err := Cost(m, u, mod)
		if err != nil {
			t.Fatalf("Cost(%+v): %v", u, err)
		}
		after, err := Cost(m, more, mod)
		if err != nil {
			t.Fatalf("Cost(%+v): %v", more, err)
		}
		if before.CostNano < 0 || before.UpstreamNano < 0 {
			t.Fatalf("negative cost %+v", before)
		}
		if after.CostNano < before.CostNano || after.UpstreamNano < before.UpstreamNano {
			t.Fatalf("cost fell from %+v to %+v when %+v grew to %+v", before, after, u, more)
		}
	})
}
