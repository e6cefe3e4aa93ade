package limits

import (
	"math"
	"time"
)

// window is the local twin of the script's sliding window: two fixed
// windows, the previous one weighted by the part of it still in view.
type window struct {
	n         int64 // number of the current window
	cur, prev int64
}

// clock places now in windows of length w.
type clock struct {
	n       int64   // window number
	elapsed int64   // milliseconds into it
	w       int64   // window length in milliseconds
	weight  float64 // of the previous window
}

func clockAt(now time.Time, w time.Duration) clock {
	ms, wm := now.UnixMilli(), w.Milliseconds()
	n := ms / wm
	el := ms - n*wm
	return clock{n: n, elapsed: el, w: wm, weight: float64(wm-el) / float64(wm)}
}

func (x *window) roll(n int64) {
	if x.n == n {
		return
	}
	if x.n == n-1 {
		x.prev = x.cur
	} else {
		x.prev = 0
	}
	x.cur, x.n = 0, n
}

// wait is how long until cost fits under limit; 0 when it fits now. A
// cost above the limit is charged at the limit.
func (x *window) wait(c clock, cost, limit int64) time.Duration {
	x.roll(c.n)
	cost = min(cost, limit)
	p, cur, lim, w := float64(x.prev), float64(x.cur), float64(limit), float64(c.w)
	if p*c.weight+cur+float64(cost) <= lim {
		return 0
	}
	var ms float64
	if x.cur+cost <= limit {
		ms = w*(1-(lim-cur-float64(cost))/p) - float64(c.elapsed)
	} else {
		ms = w - float64(c.elapsed) + w*(1-(lim-float64(cost))/cur)
	}
	return time.Duration(max(1, math.Ceil(ms))) * time.Millisecond
}

// add counts delta in window n if it is still in view.
func (x *window) add(n, delta int64) {
	switch n {
	case x.n:
		x.cur = max(x.cur+delta, 0)
	case x.n - 1:
		x.prev = max(x.prev+delta, 0)
	}
}

// share is this router's part of a fleet-wide limit; 0 stays unlimited.
func share(limit int64, fleet int) int64 {
	if limit <= 0 {
		return 0
	}
	return max(1, (limit+int64(fleet)-1)/int64(fleet))
}

// headroom is what limit leaves of x at c, counted as the script does.
func (x *window) headroom(c clock, limit int64) Headroom {
	x.roll(c.n)
	count := float64(x.prev)*c.weight + float64(x.cur)
	left := max(int64(math.Floor(float64(limit)-count)), 0)
	return Headroom{Limit: limit, Remaining: left, Reset: time.Duration(2*c.w-c.elapsed) * time.Millisecond}
}

// tightest is the one of a and b with less remaining (then the lower
// limit); a zero Headroom is no limit.
func tightest(a, b Headroom) Headroom {
	switch {
	case b.Limit == 0:
		return a
	case a.Limit == 0, b.Remaining < a.Remaining, b.Remaining == a.Remaining && b.Limit < a.Limit:
		return b
	}
	return a
}
