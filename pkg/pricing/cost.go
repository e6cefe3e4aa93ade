package pricing

import (
	"math"
	"math/bits"

	"github.com/burncloud/burncloud/pkg/usage"
)

// divisor turns token×price×tier×ratio into nano-USD: prices are per 1M
// tokens and both modifiers are in ppm.
const divisor = 1_000_000 * OnePPM * OnePPM

// Result is the cost of one request in nano-USD.
type Result struct {
	CostNano     int64 // charged to the user: price × service tier × group ratio
	UpstreamNano int64 // charged by the provider: price × service tier × channel cost ratio
}

// Cost prices usage u at model m with modifiers mod, exactly and rounded once,
// half up (see the package documentation for the formula and its bounds).
// It fails with ErrInvalidUsage, ErrInvalidModel, ErrInvalidModifier or, when
// a result does not fit int64, ErrOverflow.
func Cost(m Model, u usage.Usage, mod Modifiers) (Result, error) {
	if u.InputUncached < 0 || u.InputCacheRead < 0 || u.InputCacheWrite < 0 ||
		u.Output < 0 || u.Reasoning < 0 || u.Reasoning > u.Output {
		return Result{}, ErrInvalidUsage
	}
	if mod.TierPPM <= 0 || mod.GroupRatioPPM < 0 || mod.ChannelCostRatioPPM < 0 {
		return Result{}, ErrInvalidModifier
	}
	if m.RequestFee < 0 {
		return Result{}, ErrInvalidModel
	}
	r, err := m.ratesFor(inputTotal(u))
	if err != nil {
		return Result{}, err
	}

	// Each term is below 2^63 × 1.25·2^63 and the output terms share one
	// count, so the sum stays below 2^129.
	var sum wide
	sum.addMul(uint64(u.InputUncached), r.input)
	sum.addMul(uint64(u.InputCacheRead), r.cacheRead)
	sum.addMul(uint64(u.InputCacheWrite), r.cacheWrite)
	sum.addMul(uint64(u.Output-u.Reasoning), r.output)
	sum.addMul(uint64(u.Reasoning), r.reasoning)
	sum.addMul(uint64(m.RequestFee), 1_000_000)
	sum.mul(uint64(mod.TierPPM)) // < 2^192

	cost, ok := sum.scaledRounded(uint64(mod.GroupRatioPPM)) // < 2^255 before division
	if !ok {
		return Result{}, ErrOverflow
	}
	upstream, ok := sum.scaledRounded(uint64(mod.ChannelCostRatioPPM))
	if !ok {
		return Result{}, ErrOverflow
	}
	return Result{CostNano: cost, UpstreamNano: upstream}, nil
}

// inputTotal adds the input counts without wrapping (they are non-negative).
func inputTotal(u usage.Usage) uint64 {
	t, c1 := bits.Add64(uint64(u.InputUncached), uint64(u.InputCacheRead), 0)
	t, c2 := bits.Add64(t, uint64(u.InputCacheWrite), 0)
	if c1|c2 != 0 {
		return math.MaxUint64
	}
	return t
}

// wide is a 256-bit unsigned integer, least significant word first. The
// callers keep every value below 2^256, so carries out of the top word never
// occur.
type wide [4]uint64

// addMul adds a×b.
func (w *wide) addMul(a, b uint64) {
	hi, lo := bits.Mul64(a, b)
	var c uint64
	w[0], c = bits.Add64(w[0], lo, 0)
	w[1], c = bits.Add64(w[1], hi, c)
	w[2], c = bits.Add64(w[2], 0, c)
	w[3] += c
}

// mul multiplies by m.
func (w *wide) mul(m uint64) {
	var carry uint64
	for i := range w {
		hi, lo := bits.Mul64(w[i], m)
		var c uint64
		w[i], c = bits.Add64(lo, carry, 0)
		carry = hi + c // hi ≤ 2^64−2, so this cannot wrap
	}
}

// scaledRounded returns round_half_up(w × ratio / divisor) if it fits int64.
func (w wide) scaledRounded(ratio uint64) (int64, bool) {
	w.mul(ratio)
	var q wide
	var rem uint64
	for i := len(w) - 1; i >= 0; i-- {
		if rem == 0 && w[i] == 0 {
			continue // skips the divide instruction for empty high words
		}
		q[i], rem = bits.Div64(rem, w[i], divisor)
	}
	if rem >= divisor/2 {
		c := uint64(1)
		for i := range q {
			q[i], c = bits.Add64(q[i], c, 0)
		}
	}
	if q[3]|q[2]|q[1] != 0 || q[0] > math.MaxInt64 {
		return 0, false
	}
	return int64(q[0]), true
}
