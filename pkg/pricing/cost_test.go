package pricing

import (
	"errors"
	"math"
	"testing"

	"github.com/burncloud/burncloud/pkg/usage"
)

const usd = NanoPerUSD

func TestCost(t *testing.T) {
	gpt4 := Model{Input: 30 * usd, Output: 60 * usd}
	sonnet := Model{Input: 3 * usd, Output: 15 * usd}
	gemini := Model{
		Input: 2_500_000_000, Output: 10 * usd,
		Tiers: []Tier{{AboveInputTokens: 200_000, Input: 5 * usd, Output: 15 * usd}},
	}
	list := ListPrice()
	with := func(tier, group, channel int64) Modifiers {
		return Modifiers{TierPPM: tier, GroupRatioPPM: group, ChannelCostRatioPPM: channel}
	}
	tests := []struct {
		name         string
		model        Model
		usage        usage.Usage
		mod          Modifiers
		cost, upCost int64
	}{
		// 100×30 + 200×60 = 15,000 USD·tokens per 1M tokens = 0.015 USD.
		{"gpt-4 list", gpt4, usage.Usage{InputUncached: 100, Output: 200}, list, 15_000_000, 15_000_000},
		{"batch 50%", gpt4, usage.Usage{InputUncached: 100, Output: 200},
			with(DefaultBatchPPM, OnePPM, OnePPM), 7_500_000, 7_500_000},
		{"priority 170%", gpt4, usage.Usage{InputUncached: 100, Output: 200},
			with(DefaultPriorityPPM, OnePPM, OnePPM), 25_500_000, 25_500_000},
		{"group 1.2 and channel 0.8", gpt4, usage.Usage{InputUncached: 100, Output: 200},
			with(OnePPM, 1_200_000, 800_000), 18_000_000, 12_000_000},
		{"free group, free channel", gpt4, usage.Usage{InputUncached: 100, Output: 200},
			with(OnePPM, 0, 0), 0, 0},
		// 1000×3 + 10000×0.30 + 2000×3.75 + 500×15 = 21,000 → 0.021 USD.
		{"cache defaults 10% and 125%", sonnet,
			usage.Usage{InputUncached: 1000, InputCacheRead: 10_000, InputCacheWrite: 2000, Output: 500},
			list, 21_000_000, 21_000_000},
		// 1000×3 + 10000×1 + 2000×2 + 500×15 = 24,500.
		{"explicit cache prices", Model{Input: 3 * usd, Output: 15 * usd, CacheRead: Price(usd), CacheWrite: Price(2 * usd)},
			usage.Usage{InputUncached: 1000, InputCacheRead: 10_000, InputCacheWrite: 2000, Output: 500},
			list, 24_500_000, 24_500_000},
		{"explicit zero cache read", Model{Input: 3 * usd, Output: 15 * usd, CacheRead: Price(0)},
			usage.Usage{InputCacheRead: 10_000}, list, 0, 0},
		// Cached tokens are billed only at the cache price: 1000×0.30 = 300.
		{"cached tokens billed once", sonnet, usage.Usage{InputCacheRead: 1000}, list, 300_000, 300_000},
		// 1000 output tokens of which 400 reasoning, reasoning priced as output: 1000×15.
		{"reasoning defaults to output", sonnet, usage.Usage{Output: 1000, Reasoning: 400}, list, 15_000_000, 15_000_000},
		// 600×15 + 400×20 = 17,000.
		{"reasoning price", Model{Input: 3 * usd, Output: 15 * usd, Reasoning: Price(20 * usd)},
			usage.Usage{Output: 1000, Reasoning: 400}, list, 17_000_000, 17_000_000},
		// Total input 200,000 is not above the threshold: 150000×2.5 + 50000×0.25 + 1000×10.
		{"tier threshold not exceeded", gemini,
			usage.Usage{InputUncached: 150_000, InputCacheRead: 50_000, Output: 1000}, list, 397_500_000, 397_500_000},
		// 200,001: the whole request at the tier, its cache read 10% of the tier's input:
		// 150001×5 + 50000×0.5 + 1000×15 = 790,005.
		{"tier threshold exceeded", gemini,
			usage.Usage{InputUncached: 150_001, InputCacheRead: 50_000, Output: 1000}, list, 790_005_000, 790_005_000},
		{"cache write counts toward the tier", gemini,
			usage.Usage{InputUncached: 1, InputCacheWrite: 200_000}, list,
			// 1×5 + 200000×6.25 = 1,250,005.
			1_250_005_000, 1_250_005_000},
		// Tiers given out of order: the highest threshold exceeded wins. 300001×7.
		{"highest matching tier", Model{Input: 1 * usd, Output: 1 * usd, Tiers: []Tier{
			{AboveInputTokens: 300_000, Input: 7 * usd, Output: 7 * usd},
			{AboveInputTokens: 100_000, Input: 3 * usd, Output: 3 * usd},
		}}, usage.Usage{InputUncached: 300_001}, list, 2_100_007_000, 2_100_007_000},
		// Tier reasoning defaults to the tier's output: 10×9.
		{"tier reasoning default", Model{Input: 1 * usd, Output: 2 * usd, Reasoning: Price(3 * usd), Tiers: []Tier{
			{AboveInputTokens: 1, Input: 1 * usd, Output: 9 * usd},
		}}, usage.Usage{InputCacheRead: 2, Output: 10, Reasoning: 10}, list,
			// 2×0.1 + 10×9 = 90.2 USD·tokens/1M.
			90_200, 90_200},
		// (100×30 + 200×60)/1e6 + 0.01 = 0.025, then ×0.5.
		{"request fee scaled by tier", Model{Input: 30 * usd, Output: 60 * usd, RequestFee: 10_000_000},
			usage.Usage{InputUncached: 100, Output: 200}, with(DefaultBatchPPM, OnePPM, OnePPM), 12_500_000, 12_500_000},
		{"zero usage, fee only", Model{Input: 1, Output: 1, RequestFee: 7}, usage.Usage{}, list, 7, 7},

		// Rounding: once, half up.
		{"half rounds up", Model{Input: 1, Output: 1}, usage.Usage{InputUncached: 500_000}, list, 1, 1},
		{"below half rounds down", Model{Input: 1, Output: 1}, usage.Usage{InputUncached: 499_999}, list, 0, 0},
		{"1.5 rounds to 2", Model{Input: 1, Output: 1}, usage.Usage{InputUncached: 1_500_000}, list, 2, 2},
		// Three terms of 0.4 nano each: 1.2 → 1 (rounding each term would give 0).
		{"terms summed before rounding", Model{Input: 400_000, Output: 400_000, CacheRead: Price(400_000)},
			usage.Usage{InputUncached: 1, InputCacheRead: 1, Output: 1}, list, 1, 1},
		// 1 nano × 0.5 × 3 = 1.5 → 2 (rounding after the tier would give 3).
		{"modifiers applied before rounding", Model{Input: 1_000_000, Output: 1},
			usage.Usage{InputUncached: 1}, with(DefaultBatchPPM, 3_000_000, 2_000_000), 2, 1},
		// Default cache read of 15 nano/1M is 1.5 → 2; cache write 18.75 → 19.
		{"derived prices round half up", Model{Input: 15, Output: 0},
			usage.Usage{InputCacheRead: 1_000_000, InputCacheWrite: 1_000_000}, list, 21, 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Cost(tt.model, tt.usage, tt.mod)
			if err != nil {
				t.Fatalf("Cost: %v", err)
			}
			want := Result{CostNano: tt.cost, UpstreamNano: tt.upCost}
			if got != want {
				t.Fatalf("Cost = %+v, want %+v", got, want)
			}
		})
	}
}

func TestCostRejects(t *testing.T) {
	ok := Model{Input: usd, Output: usd}
	list := ListPrice()
	tests := []struct {
		name  string
		model Model
		usage usage.Usage
		mod   Modifiers
		err   error
	}{
		{"negative uncached", ok, usage.Usage{InputUncached: -1}, list, ErrInvalidUsage},
		{"negative cache read", ok, usage.Usage{InputCacheRead: -1}, list, ErrInvalidUsage},
		{"negative cache write", ok, usage.Usage{InputCacheWrite: -1}, list, ErrInvalidUsage},
		{"negative output", ok, usage.Usage{Output: -1}, list, ErrInvalidUsage},
		{"negative reasoning", ok, usage.Usage{Output: 1, Reasoning: -1}, list, ErrInvalidUsage},
		{"reasoning above output", ok, usage.Usage{Output: 1, Reasoning: 2}, list, ErrInvalidUsage},
		{"zero modifiers", ok, usage.Usage{}, Modifiers{}, ErrInvalidModifier},
		{"negative group ratio", ok, usage.Usage{}, Modifiers{TierPPM: OnePPM, GroupRatioPPM: -1}, ErrInvalidModifier},
		{"negative channel ratio", ok, usage.Usage{}, Modifiers{TierPPM: OnePPM, ChannelCostRatioPPM: -1}, ErrInvalidModifier},
		{"negative input price", Model{Input: -1}, usage.Usage{}, list, ErrInvalidModel},
		{"negative cache price", Model{CacheWrite: Price(-1)}, usage.Usage{}, list, ErrInvalidModel},
		{"negative fee", Model{RequestFee: -1}, usage.Usage{}, list, ErrInvalidModel},
		{"negative tier price", Model{Tiers: []Tier{{AboveInputTokens: 1, Output: -1}}},
			usage.Usage{InputUncached: 2}, list, ErrInvalidModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Cost(tt.model, tt.usage, tt.mod); !errors.Is(err, tt.err) {
				t.Fatalf("Cost error = %v, want %v", err, tt.err)
			}
		})
	}
}

// TestCostBounds checks the documented no-overflow corner and the exact edge
// of int64.
func TestCostBounds(t *testing.T) {
	list := ListPrice()
	worst := Model{
		Input: MaxPriceNano, Output: MaxPriceNano, CacheRead: Price(MaxPriceNano),
		RequestFee: MaxFeeNano, // cache write left at its default, 125% of input
	}
	maxMod := Modifiers{TierPPM: MaxModifierPPM, GroupRatioPPM: MaxModifierPPM, ChannelCostRatioPPM: MaxModifierPPM}
	if err := worst.Validate(); err != nil {
		t.Fatalf("bound model invalid: %v", err)
	}
	if err := maxMod.Validate(); err != nil {
		t.Fatalf("bound modifiers invalid: %v", err)
	}
	full := usage.Usage{InputUncached: MaxSafeTokens, InputCacheRead: MaxSafeTokens,
		InputCacheWrite: MaxSafeTokens, Output: MaxSafeTokens}

	// 2^30 × (1e13 + 1e13 + 1.25e13 + 1e13)/1e6 + 1e13, times 10 × 10.
	const wantWorst = (MaxSafeTokens*42_500_000 + MaxFeeNano) * 100
	got, err := Cost(worst, full, maxMod)
	if err != nil {
		t.Fatalf("Cost at the bounds: %v", err)
	}
	if got.CostNano != wantWorst || got.UpstreamNano != wantWorst {
		t.Fatalf("Cost at the bounds = %+v, want %d", got, int64(wantWorst))
	}
	if wantWorst > math.MaxInt64/2+math.MaxInt64/10 {
		t.Fatalf("the documented worst case %d is not about half of MaxInt64", int64(wantWorst))
	}

	edges := []struct {
		name  string
		model Model
		usage usage.Usage
		want  int64
		err   error
	}{
		{"fee of MaxInt64", Model{RequestFee: math.MaxInt64}, usage.Usage{}, math.MaxInt64, nil},
		{"1e6 tokens at MaxInt64 per 1M", Model{Input: math.MaxInt64}, usage.Usage{InputUncached: 1_000_000}, math.MaxInt64, nil},
		{"one nano past MaxInt64", Model{Input: math.MaxInt64, RequestFee: 1}, usage.Usage{InputUncached: 1_000_000}, 0, ErrOverflow},
		{"0.499999 past MaxInt64 rounds down", Model{Input: 499_999, RequestFee: math.MaxInt64},
			usage.Usage{InputUncached: 1}, math.MaxInt64, nil},
		{"0.5 past MaxInt64 rounds up and overflows", Model{Input: 500_000, RequestFee: math.MaxInt64},
			usage.Usage{InputUncached: 1}, 0, ErrOverflow},
		{"everything at MaxInt64", Model{Input: math.MaxInt64, Output: math.MaxInt64, RequestFee: math.MaxInt64},
			usage.Usage{InputUncached: math.MaxInt64, InputCacheRead: math.MaxInt64, InputCacheWrite: math.MaxInt64,
				Output: math.MaxInt64, Reasoning: math.MaxInt64 / 2}, 0, ErrOverflow},
	}
	for _, tt := range edges {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Cost(tt.model, tt.usage, list)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("Cost error = %v, want %v", err, tt.err)
			}
			if got.CostNano != tt.want {
				t.Fatalf("Cost = %d, want %d", got.CostNano, tt.want)
			}
		})
	}

	// A ratio at MaxInt64 ppm on an otherwise tiny cost is still exact.
	huge := Modifiers{TierPPM: OnePPM, GroupRatioPPM: math.MaxInt64, ChannelCostRatioPPM: OnePPM}
	got, err = Cost(Model{RequestFee: 1}, usage.Usage{}, huge)
	if err != nil || got.CostNano != 9_223_372_036_855 { // 9223372036854.775807 rounds up
		t.Fatalf("Cost with a huge ratio = %+v, %v", got, err)
	}
}

func BenchmarkCost(b *testing.B) {
	m := Model{
		Input: 2_500_000_000, Output: 10 * usd, CacheRead: Price(1_250_000_000),
		Tiers: []Tier{{AboveInputTokens: 200_000, Input: 5 * usd, Output: 15 * usd}},
	}
	u := usage.Usage{InputUncached: 1200, InputCacheRead: 30_000, InputCacheWrite: 512, Output: 800, Reasoning: 300}
	mod := Modifiers{TierPPM: DefaultPriorityPPM, GroupRatioPPM: 1_200_000, ChannelCostRatioPPM: 650_000}
	b.ReportAllocs()
	var sink Result
	for b.Loop() {
		r, err := Cost(m, u, mod)
		if err != nil {
			b.Fatal(err)
		}
		sink = r
	}
	if sink.CostNano == 0 {
		b.Fatal("zero cost")
	}
}
