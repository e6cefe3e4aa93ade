// Package pricing turns normalized token usage into integer nano-USD costs.
//
// Money is int64 nano-USD (1e-9 USD); prices are int64 nano-USD per 1M tokens;
// ratios are int64 parts per million (1.0 = 1,000,000). No floats are used.
//
// # Cost
//
// For a request priced at model m (or at the highest tier whose threshold its
// total input exceeds):
//
//	sum  = uncached×input + cache_read×cache_read_price + cache_write×cache_write_price
//	     + (output−reasoning)×output_price + reasoning×reasoning_price
//	cost = (sum/1e6 + fee) × tier_ppm/1e6 × ratio_ppm/1e6
//
// where ratio is the user group's ratio for [Result.CostNano] and the channel's
// cost ratio for [Result.UpstreamNano]. The whole expression is evaluated
// exactly in 256-bit integer arithmetic and rounded once, half up, to nano-USD.
// A price left unset takes its default: cache read 10% and cache write 125% of
// input, reasoning equal to output. A default is a price like any other and is
// itself a whole nano-USD per 1M tokens (rounded half up), i.e. precise to
// 1e-15 USD per token.
//
// # Bounds
//
// The intermediate arithmetic cannot overflow for any non-negative int64
// input: the sum stays below 2^129 and the product with both ratios below 2^255.
// The only failure is a final cost above math.MaxInt64 nano-USD (about 9.2
// billion USD), reported as [ErrOverflow].
//
// That cannot happen while every token count is at most [MaxSafeTokens]
// (2^30), every price at most [MaxPriceNano] (10,000 USD per 1M tokens), the
// request fee at most [MaxFeeNano] (10,000 USD) and every modifier at most
// [MaxModifierPPM] (10×): the worst case, four token counts of 2^30 at 12,500
// USD per 1M (the default cache-write price of a 10,000 USD input price) plus
// the fee, times 10 × 10, is about 4.6e18 nano-USD, half of math.MaxInt64.
// [Model.Validate] and [Modifiers.Validate] enforce the price and modifier
// bounds; token counts come from providers and are not capped.
package pricing
