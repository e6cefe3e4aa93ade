package bench

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
)

// Dist summarises a set of durations with exact (nearest-rank) quantiles.
type Dist struct {
	N    int           `json:"n"`
	P50  time.Duration `json:"p50_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// distOf sorts ds in place and summarises it.
func distOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Dist{N: len(ds), P50: quantile(ds, 0.50), P99: quantile(ds, 0.99), P999: quantile(ds, 0.999),
		Max: ds[len(ds)-1], Mean: sum / time.Duration(len(ds))}
}

// quantile is the nearest-rank q-quantile of sorted: the smallest value
// with at least q of the samples at or below it.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(q*float64(len(sorted)) + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Attack is one fixed-rate, open-loop run of one workload against one target.
type Attack struct {
	Target   string  `json:"target"`
	Workload string  `json:"workload"`
	Rate     int     `json:"rate"` // offered, requests per second
	Seconds  float64 `json:"seconds"`
	// OneClient: a single connection and a single worker (no concurrency).
	OneClient bool `json:"one_client"`
	Requests  int  `json:"requests"`
	Errors    int  `json:"errors"`
	// Throughput is successful requests per second, waiting for the last
	// answers included.
	Throughput float64  `json:"throughput"`
	Latency    Dist     `json:"latency"`
	ErrorKinds []string `json:"error_kinds,omitempty"`
	// SliceP99 is the p99 of each slice the attack was run in (see
	// runner.fixed).
	SliceP99 []time.Duration `json:"slice_p99_ns,omitempty"`
	// Upstream is the fake upstream's own time for each successful request,
	// which its answer carries (the timing scenario option), and Residual the
	// latency less it, request by request: what the target, the network and
	// the client added. Both are empty unless every successful answer
	// carried its time.
	Upstream         Dist            `json:"upstream"`
	Residual         Dist            `json:"residual"`
	SliceResidualP99 []time.Duration `json:"slice_residual_p99_ns,omitempty"`
}

// StableP99 is the median of the slices' p99s: a burst of load from outside
// the benchmark on one slice moves it little, unlike the pooled p99.
func (a Attack) StableP99() time.Duration {
	if len(a.SliceP99) == 0 {
		return a.Latency.P99
	}
	return median(a.SliceP99)
}

// StableResidualP99 is StableP99 of the residual latency.
func (a Attack) StableResidualP99() time.Duration {
	if len(a.SliceResidualP99) == 0 {
		return a.Residual.P99
	}
	return median(a.SliceResidualP99)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// samples are an attack's raw measurements, unsorted: every request's
// latency, and for successful answers with a timing stamp the upstream's
// time and the residual. unstamped counts successful answers without one.
type samples struct {
	lat, upstream, residual []time.Duration
	unstamped               int
}

// stampReadLimit is how much of an answer is read for the timing stamp, which
// sits near the start of a chat completion.
const stampReadLimit = 512

// clients keeps one HTTP client per target and mode, so attacks reuse warm
// connections like a long-lived client would.
type clients struct {
	load, one map[string]*http.Client
}

func newClients() *clients {
	c := &clients{load: map[string]*http.Client{}, one: map[string]*http.Client{}}
	for _, t := range targetNames {
		c.load[t] = newClient(0)
		c.one[t] = newClient(1)
	}
	return c
}

// newClient is a client without proxy or compression; maxConns 0 is unbounded.
func newClient(maxConns int) *http.Client {
	tr := &http.Transport{
		Proxy:               func(*http.Request) (*url.URL, error) { return nil, nil },
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 4096,
		MaxConnsPerHost:     maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 15 * time.Second}
}

func (c *clients) close() {
	for _, m := range []map[string]*http.Client{c.load, c.one} {
		for _, cl := range m {
			cl.CloseIdleConnections()
		}
	}
}

// maxWorkers bounds the attacker's concurrency: a target that falls behind
// gets at most this many requests in flight, then the offered rate drops
// and the run shows it.
const maxWorkers = 2000

// attack drives ep at rate requests per second for d with vegeta, open
// loop: a slow answer never delays the next request, up to maxWorkers in
// flight (one in one-client mode).
//
// When giveUp is positive the attack stops early once more than giveUp
// answers took longer than slow: the step has failed already, and a longer
// overload would only build queues that disturb what is measured next.
func attack(ctx context.Context, cl *http.Client, target string, w workload, ep endpoint, rate int, d time.Duration, oneClient bool,
	slow time.Duration, giveUp int) (Attack, samples) {
	opts := []func(*vegeta.Attacker){vegeta.Client(cl), vegeta.MaxBody(stampReadLimit)}
	if oneClient {
		opts = append(opts, vegeta.Workers(1), vegeta.MaxWorkers(1))
	} else {
		opts = append(opts, vegeta.Workers(uint64(min(rate/50+4, 64))), vegeta.MaxWorkers(maxWorkers))
	}
	atk := vegeta.NewAttacker(opts...)
	tgt := vegeta.Target{Method: http.MethodPost, URL: ep.url, Body: ep.body, Header: ep.header}
	pacer := vegeta.ConstantPacer{Freq: rate, Per: time.Second}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	res := Attack{Target: target, Workload: w.Name, Rate: rate, Seconds: d.Seconds(), OneClient: oneClient}
	var m vegeta.Metrics
	n := int(float64(rate)*d.Seconds()) + 16
	sm := samples{lat: make([]time.Duration, 0, n), upstream: make([]time.Duration, 0, n), residual: make([]time.Duration, 0, n)}
	kinds := map[string]bool{}
	slowN := 0
	for r := range atk.Attack(vegeta.NewStaticTargeter(tgt), pacer, d, w.Name) {
		m.Add(r)
		sm.lat = append(sm.lat, r.Latency)
		if giveUp > 0 && r.Latency > slow {
			if slowN++; slowN == giveUp+1 {
				atk.Stop()
			}
		}
		if r.Error != "" || r.Code != http.StatusOK {
			res.Errors++
			if len(kinds) < 5 {
				kinds[errorKind(r)] = true
			}
			continue
		}
		if up, ok := fakeupstream.ServiceTime(r.Body); ok {
			sm.upstream = append(sm.upstream, up)
			sm.residual = append(sm.residual, r.Latency-up)
		} else {
			sm.unstamped++
		}
	}
	m.Close()
	res.Requests = int(m.Requests)
	res.Throughput = m.Throughput
	if slowN > giveUp && giveUp > 0 {
		// Stopped early: what was not sent was not delivered either.
		res.Throughput = float64(m.Requests-uint64(res.Errors)) / d.Seconds()
	}
	for k := range kinds {
		res.ErrorKinds = append(res.ErrorKinds, k)
	}
	slices.Sort(res.ErrorKinds)
	res.summarise(sm)
	res.SliceP99 = []time.Duration{res.Latency.P99}
	if res.Residual.N > 0 {
		res.SliceResidualP99 = []time.Duration{res.Residual.P99}
	}
	return res, sm
}

// summarise sets the distributions from sm, which it leaves unsorted.
func (a *Attack) summarise(sm samples) {
	a.Latency = distOf(slices.Clone(sm.lat))
	a.Upstream, a.Residual = Dist{}, Dist{}
	if sm.unstamped == 0 && len(sm.residual) > 0 {
		a.Upstream = distOf(slices.Clone(sm.upstream))
		a.Residual = distOf(slices.Clone(sm.residual))
	}
}

// merge adds b, an attack of the same target, workload and rate, to a.
func (a *Attack) merge(b Attack, sm, bs samples) samples {
	if a.Requests == 0 && a.Seconds == 0 {
		*a = b
		return bs
	}
	secs := a.Seconds + b.Seconds
	a.Throughput = (a.Throughput*a.Seconds + b.Throughput*b.Seconds) / secs
	a.Seconds = secs
	a.Requests += b.Requests
	a.Errors += b.Errors
	a.SliceP99 = append(a.SliceP99, b.SliceP99...)
	a.SliceResidualP99 = append(a.SliceResidualP99, b.SliceResidualP99...)
	for _, k := range b.ErrorKinds {
		if !slices.Contains(a.ErrorKinds, k) {
			a.ErrorKinds = append(a.ErrorKinds, k)
		}
	}
	sm = samples{lat: append(sm.lat, bs.lat...), upstream: append(sm.upstream, bs.upstream...),
		residual: append(sm.residual, bs.residual...), unstamped: sm.unstamped + bs.unstamped}
	a.summarise(sm)
	if a.Residual.N == 0 {
		a.SliceResidualP99 = nil
	}
	return sm
}

func errorKind(r *vegeta.Result) string {
	if r.Error != "" {
		if len(r.Error) > 120 {
			return r.Error[:120]
		}
		return r.Error
	}
	return http.StatusText(int(r.Code))
}
