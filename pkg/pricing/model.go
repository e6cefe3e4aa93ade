package pricing

import (
	"errors"
	"math/bits"
	"strconv"
)

// Bounds under which Cost cannot overflow (see the package documentation).
const (
	MaxSafeTokens  = 1 << 30             // tokens in any one usage count
	MaxPriceNano   = 10_000 * NanoPerUSD // nano-USD per 1M tokens
	MaxFeeNano     = 10_000 * NanoPerUSD // nano-USD per request
	MaxModifierPPM = 10 * OnePPM         // any one modifier
)

// Default prices as multiples of another price, in ppm.
const (
	cacheReadPPM  = 100_000   // 10% of input
	cacheWritePPM = 1_250_000 // 125% of input; the largest, which bounds resolve
)

// Errors of Validate and Cost.
var (
	ErrOutOfRange      = errors.New("pricing: above the bound that rules out overflow")
	ErrTierOrder       = errors.New("pricing: tier thresholds must be positive and strictly increasing")
	ErrInvalidModel    = errors.New("pricing: invalid model price (negative)")
	ErrInvalidUsage    = errors.New("pricing: invalid usage (negative count or reasoning above output)")
	ErrInvalidModifier = errors.New("pricing: invalid modifier (service tier not positive or ratio negative)")
)

// Optional is a price that may be left unset, in which case a default derived
// from the other prices applies. Nano is ignored unless Set.
type Optional struct {
	Nano int64
	Set  bool
}

// Price returns a set Optional; Price(0) is an explicit zero price.
func Price(nano int64) Optional { return Optional{Nano: nano, Set: true} }

// Model is the list price of one client-facing model. Every price is nano-USD
// per 1M tokens.
type Model struct {
	Input  int64
	Output int64
	// CacheRead defaults to 10% of Input, CacheWrite to 125% of Input,
	// Reasoning to Output.
	CacheRead  Optional
	CacheWrite Optional
	Reasoning  Optional
	// Audio and image token prices are carried for the catalogue; Cost does
	// not use them yet.
	AudioInput  Optional
	AudioOutput Optional
	ImageInput  Optional
	ImageOutput Optional
	// RequestFee is nano-USD added once per request (0: none).
	RequestFee int64
	// MaxOutputTokens sizes quota reservations when a request gives no limit.
	MaxOutputTokens int64
	// Tiers re-price the whole request once its total input (uncached and
	// cached) exceeds a threshold; the highest matching tier wins.
	Tiers []Tier
}

// Tier holds the prices of a request whose total input exceeds
// AboveInputTokens. Unset optional prices default relative to the tier's own
// Input and Output, not the model's.
type Tier struct {
	AboveInputTokens int64
	Input            int64
	Output           int64
	CacheRead        Optional
	CacheWrite       Optional
	Reasoning        Optional
}

// FieldError names the field of a Model a problem was found in.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Validate reports every problem of m at once: negative prices, prices or fee
// above the overflow bounds, a negative MaxOutputTokens, tier thresholds not
// positive and strictly increasing.
func (m Model) Validate() error {
	var errs []error
	add := func(field string, err error) { errs = append(errs, &FieldError{Field: field, Err: err}) }
	price := func(field string, v int64) {
		switch {
		case v < 0:
			add(field, ErrNegative)
		case v > MaxPriceNano:
			add(field, ErrOutOfRange)
		}
	}
	optional := func(field string, o Optional) {
		if o.Set {
			price(field, o.Nano)
		}
	}

	price("input", m.Input)
	price("output", m.Output)
	optional("cache_read", m.CacheRead)
	optional("cache_write", m.CacheWrite)
	optional("reasoning", m.Reasoning)
	optional("audio_input", m.AudioInput)
	optional("audio_output", m.AudioOutput)
	optional("image_input", m.ImageInput)
	optional("image_output", m.ImageOutput)
	switch {
	case m.RequestFee < 0:
		add("request_fee", ErrNegative)
	case m.RequestFee > MaxFeeNano:
		add("request_fee", ErrOutOfRange)
	}
	if m.MaxOutputTokens < 0 {
		add("max_output_tokens", ErrNegative)
	}
	prev := int64(0)
	for i, t := range m.Tiers {
		p := "tiers[" + strconv.Itoa(i) + "]."
		if t.AboveInputTokens <= prev {
			add(p+"above_input_tokens", ErrTierOrder)
		}
		prev = max(prev, t.AboveInputTokens)
		price(p+"input", t.Input)
		price(p+"output", t.Output)
		optional(p+"cache_read", t.CacheRead)
		optional(p+"cache_write", t.CacheWrite)
		optional(p+"reasoning", t.Reasoning)
	}
	return errors.Join(errs...)
}

// rates are the effective prices of one request, defaults resolved.
type rates struct {
	input, output, cacheRead, cacheWrite, reasoning uint64
}

// ratesFor picks the base prices or the highest tier the input total exceeds.
// It fails on a negative price so Cost never converts one to uint64.
func (m *Model) ratesFor(inputTotal uint64) (rates, error) {
	in, out := m.Input, m.Output
	cr, cw, rs := m.CacheRead, m.CacheWrite, m.Reasoning
	best := -1
	for i := range m.Tiers {
		t := &m.Tiers[i]
		if t.AboveInputTokens < 0 || inputTotal > uint64(t.AboveInputTokens) {
			if best < 0 || t.AboveInputTokens > m.Tiers[best].AboveInputTokens {
				best = i
			}
		}
	}
	if best >= 0 {
		t := &m.Tiers[best]
		in, out = t.Input, t.Output
		cr, cw, rs = t.CacheRead, t.CacheWrite, t.Reasoning
	}
	if in < 0 || out < 0 || (cr.Set && cr.Nano < 0) || (cw.Set && cw.Nano < 0) || (rs.Set && rs.Nano < 0) {
		return rates{}, ErrInvalidModel
	}
	r := rates{input: uint64(in), output: uint64(out)}
	r.cacheRead = resolve(cr, r.input, cacheReadPPM)
	r.cacheWrite = resolve(cw, r.input, cacheWritePPM)
	r.reasoning = resolve(rs, r.output, OnePPM)
	return r, nil
}

// resolve returns o when set, else base×ppm/1e6 rounded half up. With
// base < 2^63 and ppm ≤ cacheWritePPM the high word of the product stays below
// the divisor, so Div64 cannot panic.
func resolve(o Optional, base uint64, ppm uint64) uint64 {
	if o.Set {
		return uint64(o.Nano)
	}
	if ppm == OnePPM {
		return base
	}
	hi, lo := bits.Mul64(base, ppm)
	q, rem := bits.Div64(hi, lo, OnePPM)
	if rem >= OnePPM/2 {
		q++
	}
	return q
}
