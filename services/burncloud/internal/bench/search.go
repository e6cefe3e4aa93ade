package bench

import (
	"context"
	"fmt"
	"time"
)

// searchSpec is the step search for the highest sustained rate.
type searchSpec struct {
	Start  int     // first rate tried
	Factor float64 // growth while steps pass
	Max    int     // never tried above this
	Refine int     // bisection steps between the last pass and the first failure
	// Retries: a failed step is run again up to this many times and
	// passes if any run does. A target's capacity is what it sustains,
	// and one stall of this shared machine during a 3 s step would
	// otherwise set the result for the whole search.
	Retries int
	Step    time.Duration
	Pause   time.Duration // after a step that passed
	// FailPause follows a failed step: its queues take longer to drain.
	FailPause time.Duration
	// P50Limit: a step whose median is above it was queueing, not keeping
	// up. P99Limit guards the tail loosely (this machine is shared, so a
	// tight tail limit would measure the neighbours).
	P50Limit, P99Limit time.Duration
}

// Search is the step search's outcome for one target.
type Search struct {
	Target string `json:"target"`
	// MaxRate is the highest rate that passed: zero errors, at least 97%
	// of the offered rate delivered, p50 and p99 under their limits.
	MaxRate int     `json:"max_rate"`
	Capped  bool    `json:"capped"` // every rate up to Max passed
	Steps   []Step  `json:"steps"`
	P50Lim  float64 `json:"p50_limit_ms"`
	P99Lim  float64 `json:"p99_limit_ms"`
	Retries int     `json:"retries"` // runs more of a failed step
}

// Step is one rate of the search.
type Step struct {
	Rate       int     `json:"rate"`
	Throughput float64 `json:"throughput"`
	Errors     int     `json:"errors"`
	P50MS      float64 `json:"p50_ms"`
	P99MS      float64 `json:"p99_ms"`
	Pass       bool    `json:"pass"`
	Why        string  `json:"why,omitempty"`
}

// judge decides whether a step sustained its rate.
func (s searchSpec) judge(a Attack) Step {
	st := Step{Rate: a.Rate, Throughput: a.Throughput, Errors: a.Errors, P50MS: ms(a.Latency.P50), P99MS: ms(a.Latency.P99)}
	switch {
	case a.Requests == 0:
		st.Why = "no request sent"
	case a.Errors > 0:
		st.Why = fmt.Sprintf("%d errors", a.Errors)
	case a.Throughput < 0.97*float64(a.Rate):
		st.Why = fmt.Sprintf("delivered %.0f/s", a.Throughput)
	case a.Latency.P50 > s.P50Limit:
		st.Why = fmt.Sprintf("p50 %.1f ms", ms(a.Latency.P50))
	case a.Latency.P99 > s.P99Limit:
		st.Why = fmt.Sprintf("p99 %.1f ms", ms(a.Latency.P99))
	default:
		st.Pass = true
	}
	return st
}

// search grows the rate by Factor until a step fails (or Max), then
// bisects between the last pass and the first failure Refine times.
func (s searchSpec) search(ctx context.Context, target string, run func(rate int) Attack) Search {
	res := Search{Target: target, P50Lim: ms(s.P50Limit), P99Lim: ms(s.P99Limit), Retries: s.Retries}
	once := func(rate int) bool {
		st := s.judge(run(rate))
		res.Steps = append(res.Steps, st)
		if st.Pass && rate > res.MaxRate {
			res.MaxRate = rate
		}
		pause := s.Pause
		if !st.Pass {
			pause = max(pause, s.FailPause)
		}
		if pause > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
		}
		return st.Pass
	}
	try := func(rate int) bool {
		for range s.Retries {
			if once(rate) || ctx.Err() != nil {
				return ctx.Err() == nil
			}
		}
		return once(rate)
	}
	fail := 0
	for rate := s.Start; ctx.Err() == nil; {
		if !try(rate) {
			fail = rate
			break
		}
		if rate >= s.Max {
			res.Capped = true
			return res
		}
		rate = min(max(int(float64(rate)*s.Factor), rate+1), s.Max)
	}
	lo := res.MaxRate
	for i := 0; i < s.Refine && ctx.Err() == nil; i++ {
		mid := roundRate((lo + fail) / 2)
		if mid <= lo || mid >= fail {
			break
		}
		if try(mid) {
			lo = mid
		} else {
			fail = mid
		}
	}
	return res
}

// roundRate rounds to two significant digits, so reported rates read well.
func roundRate(r int) int {
	unit := 1
	for r/unit >= 100 {
		unit *= 10
	}
	return r / unit * unit
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
