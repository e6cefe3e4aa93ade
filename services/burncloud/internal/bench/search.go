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

// searchInTurns runs the searches of several targets step by step in turns,
// the first of each round rotating, so that a slow spell of the machine
// falls on all of them alike rather than on whichever searched then.
func (s searchSpec) searchInTurns(ctx context.Context, targets []string, run func(target string, rate int) Attack) []Search {
	ps := make([]*stepper, len(targets))
	for i, t := range targets {
		ps[i] = s.stepper(t)
	}
	for round := 0; ctx.Err() == nil; round++ {
		active := false
		for k := range ps {
			p := ps[(round+k)%len(ps)]
			rate, ok := p.next()
			if !ok || ctx.Err() != nil {
				continue
			}
			active = true
			sleepCtx(ctx, p.record(run(p.res.Target, rate)))
		}
		if !active {
			break
		}
	}
	res := make([]Search, len(ps))
	for i, p := range ps {
		res[i] = p.res
	}
	return res
}

// stepper is one target's search, one step at a time: the rate grows by
// Factor until a step fails (or reaches Max), then is bisected between the
// last pass and the first failure Refine times.
type stepper struct {
	s    searchSpec
	res  Search
	rate int // to run next; 0 once the search is over
	// fail is the lowest rate that failed, 0 while the rate still grows.
	fail       int
	refined    int
	failedRuns int // failed runs of rate so far
}

func (s searchSpec) stepper(target string) *stepper {
	return &stepper{s: s, rate: s.Start,
		res: Search{Target: target, P50Lim: ms(s.P50Limit), P99Lim: ms(s.P99Limit), Retries: s.Retries}}
}

// next is the rate to run, or false when the search is over.
func (p *stepper) next() (int, bool) { return p.rate, p.rate > 0 }

// record judges a run of the current rate, chooses the next and returns
// the pause before it.
func (p *stepper) record(a Attack) time.Duration {
	st := p.s.judge(a)
	p.res.Steps = append(p.res.Steps, st)
	switch {
	case st.Pass:
		p.failedRuns = 0
		p.res.MaxRate = max(p.res.MaxRate, p.rate)
		if p.fail == 0 {
			p.grow()
		} else {
			p.bisect()
		}
		return p.s.Pause
	case p.failedRuns < p.s.Retries:
		p.failedRuns++ // the same rate again
	default:
		p.failedRuns = 0
		p.fail = p.rate
		p.bisect()
	}
	return max(p.s.Pause, p.s.FailPause)
}

func (p *stepper) grow() {
	if p.rate >= p.s.Max {
		p.res.Capped, p.rate = true, 0
		return
	}
	p.rate = min(max(int(float64(p.rate)*p.s.Factor), p.rate+1), p.s.Max)
}

// bisect takes the middle of the highest pass and the lowest failure, at
// most Refine times.
func (p *stepper) bisect() {
	mid := roundRate((p.res.MaxRate + p.fail) / 2)
	if p.refined >= p.s.Refine || mid <= p.res.MaxRate || mid >= p.fail {
		p.rate = 0
		return
	}
	p.refined++
	p.rate = mid
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
