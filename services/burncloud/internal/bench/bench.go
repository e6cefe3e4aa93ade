package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Config is one harness run.
type Config struct {
	// BinDir holds burncloud, burncloud-router, burncloud-control and
	// burncloud-bench (make build and make bench put them in bin/).
	BinDir string
	// OutDir receives README.md (the report), results.json and the charts.
	// Empty writes nothing.
	OutDir string
	// Short is the smoke-test mode: seconds, tiny rates, same phases.
	Short bool
	// DatabaseURL reaches a Postgres on which the run creates, then drops,
	// a database for control.
	DatabaseURL string
	// NATSServer and RedisServer name the server programs (PATH lookup);
	// empty means nats-server and redis-server. Without redis-server,
	// RedisURL names a Redis to use (DB 0 is written to).
	NATSServer, RedisServer, RedisURL string
	// GoBenchFile is `go test -bench -benchmem` output to fold into the
	// report (allocations per operation); empty skips it.
	GoBenchFile string
	// ProfileDir: run the router with pprof, write CPU and allocation
	// profiles under load there, and measure nothing else.
	ProfileDir string
	// Phases limits the run to these phases (Phase*); empty runs all.
	Phases []string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Phases of a run.
const (
	PhaseIdle      = "idle"
	PhaseOneClient = "one-client"
	PhaseLoad      = "load"
	PhaseSearch    = "search"
	PhaseStreams   = "streams"
)

// AllPhases lists the phases in the order a run takes them.
var AllPhases = []string{PhaseIdle, PhaseOneClient, PhaseLoad, PhaseSearch, PhaseStreams}

// DefaultDatabaseURL is the Postgres the harness uses when Config names none:
// the machine's, as the tests use it.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ErrConfig is returned for an unusable Config.
var ErrConfig = errors.New("bench: bad configuration")

// plan is how long and how hard each phase drives the targets.
type plan struct {
	warmup, pause time.Duration
	// slice is the longest run of one target before the next takes over.
	slice        time.Duration
	oneClient    []fixedRun
	sweeps       []sweep
	search       searchSpec
	searchOn     workload
	sseOne       time.Duration
	sseRate      int
	sseLoad      time.Duration
	idleN        int
	idleOpenRate int
	idleSettle   time.Duration
	profile      time.Duration
	profileRate  int
}

type fixedRun struct {
	w    workload
	rate int
	d    time.Duration
}

// sweep drives one workload at rising rates; the load rate's results are
// the "under load" figures and its allocation counters are read. The load
// rate runs loadD, the others (points of the charts) d: the budget's
// figures get the longer runs, and more turns of the three targets.
type sweep struct {
	w     workload
	rates []int
	load  int
	d     time.Duration
	loadD time.Duration
}

// fullPlan takes about ten minutes on two cores, so that `make bench`
// (the Go benchmarks first) stays near twelve. The machine's noise moves a
// ratio by a tenth or two from run to run; the budget's figures get the
// most time, split in slices the targets take in turns: six to eight
// slices of each target for each latency figure, so that the median of the
// slices' p99s does not rest on a handful of stalls.
func fullPlan() plan {
	return plan{
		warmup: time.Second, pause: 100 * time.Millisecond, slice: 2 * time.Second,
		oneClient: []fixedRun{
			{wlJSON1K, 200, 12 * time.Second},
			{wlJSON10K, 200, 12 * time.Second},
			{wlJSON20ms, 40, 30 * time.Second},
		},
		sweeps: []sweep{
			{w: wlJSON1K, rates: []int{100, 500, 1000, 2000}, load: 1000, d: 2 * time.Second, loadD: 16 * time.Second},
			{w: wlJSON10K, rates: []int{1000}, load: 1000, loadD: 16 * time.Second},
			{w: wlJSON20ms, rates: []int{100, 500, 1000}, load: 500, d: 2 * time.Second, loadD: 16 * time.Second},
		},
		search: searchSpec{Start: 500, Factor: 1.5, Max: 12000, Refine: 2, Retries: 1, Step: 3 * time.Second,
			Pause: time.Second, FailPause: 3 * time.Second,
			P50Limit: 10 * time.Millisecond, P99Limit: 500 * time.Millisecond},
		searchOn: wlJSON1K,
		sseOne:   16 * time.Second, sseRate: 50, sseLoad: 16 * time.Second,
		idleN: 2000, idleOpenRate: 500, idleSettle: 2 * time.Second,
		profile: 20 * time.Second, profileRate: 500,
	}
}

func shortPlan() plan {
	d := 400 * time.Millisecond
	return plan{
		warmup: 100 * time.Millisecond, pause: 20 * time.Millisecond, slice: time.Second,
		oneClient: []fixedRun{{wlJSON1K, 20, d}, {wlJSON10K, 20, d}, {wlJSON20ms, 20, d}},
		sweeps: []sweep{
			{w: wlJSON1K, rates: []int{10, 30}, load: 30, d: d},
			{w: wlJSON10K, rates: []int{20}, load: 20, d: d},
			{w: wlJSON20ms, rates: []int{20}, load: 20, d: d},
		},
		search:   searchSpec{Start: 20, Factor: 2, Max: 40, Step: d, P50Limit: time.Second, P99Limit: 2 * time.Second},
		searchOn: wlJSON1K,
		sseOne:   d, sseRate: 10, sseLoad: d,
		idleN: 20, idleOpenRate: 200, idleSettle: 200 * time.Millisecond,
		profile: time.Second, profileRate: 20,
	}
}

// Run starts the deployment, measures the three targets and, when
// cfg.OutDir is set, writes the report there.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.BinDir == "" {
		return nil, fmt.Errorf("%w: BinDir is required", ErrConfig)
	}
	// Children run in a temporary directory: a relative BinDir would not resolve there.
	abs, err := filepath.Abs(cfg.BinDir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cfg.BinDir = abs
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = DefaultDatabaseURL
	}
	for _, ph := range cfg.Phases {
		if !slices.Contains(AllPhases, ph) {
			return nil, fmt.Errorf("%w: unknown phase %q (phases: %s)", ErrConfig, ph, strings.Join(AllPhases, ", "))
		}
	}
	logw := cfg.Log
	if logw == nil {
		logw = io.Discard
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
	p := fullPlan()
	if cfg.Short {
		p = shortPlan()
	}
	began := time.Now()
	workDir, err := os.MkdirTemp("", "burncloud-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(workDir)

	st, err := startStack(ctx, &cfg, workDir, logf)
	if err != nil {
		return nil, err
	}
	defer st.close()
	if err := st.checkTargets(ctx); err != nil {
		return nil, err
	}
	r := &runner{ctx: ctx, st: st, p: p, cl: newClients(), logf: logf}
	defer r.cl.close()

	if cfg.ProfileDir != "" {
		return nil, r.profile(cfg.ProfileDir)
	}

	rep := &Report{Date: began.UTC(), Short: cfg.Short, Machine: thisMachine(), Workloads: allWorkloads()}
	// Idle streams first, while the processes' heaps hold no garbage from
	// earlier load that new streams could reuse without growing RSS.
	for _, ph := range []struct {
		name string
		run  func(*Report) error
	}{
		{PhaseIdle, r.idle}, {PhaseOneClient, r.oneClient}, {PhaseLoad, r.sweeps}, {PhaseSearch, r.search}, {PhaseStreams, r.streams},
	} {
		if len(cfg.Phases) > 0 && !slices.Contains(cfg.Phases, ph.name) {
			continue
		}
		before, berr := fetch(ctx, st.routerMetrics)
		if err := ph.run(rep); err != nil {
			return nil, err
		}
		// The router's own view of the phases that measure latency.
		if after, err := fetch(ctx, st.routerMetrics); err == nil && berr == nil && (ph.name == PhaseOneClient || ph.name == PhaseLoad) {
			rep.Internals = append(rep.Internals, internalsBetween(ph.name, parseHistSums(before), parseHistSums(after))...)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if cfg.GoBenchFile != "" {
		f, err := os.Open(cfg.GoBenchFile)
		if err != nil {
			return nil, err
		}
		rep.GoBench, err = parseGoBench(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	rep.Seconds = time.Since(began).Seconds()
	rep.evaluate()
	if cfg.OutDir != "" {
		if err := rep.write(cfg.OutDir); err != nil {
			return nil, err
		}
		logf("report written to %s", filepath.Join(cfg.OutDir, reportFile))
	}
	return rep, nil
}

// runner carries one run's phases.
type runner struct {
	ctx  context.Context
	st   *stack
	p    plan
	cl   *clients
	logf func(string, ...any)
}

func (r *runner) client(target string, one bool) *http.Client {
	if one {
		return r.cl.one[target]
	}
	return r.cl.load[target]
}

func (r *runner) logAttack(a Attack) {
	mode := "load"
	if a.OneClient {
		mode = "one client"
	}
	r.logf("%-6s %-14s %-10s %5d/s: n=%d p50=%.3fms p99=%.3fms p99.9=%.3fms errors=%d %v",
		a.Target, a.Workload, mode, a.Rate, a.Requests, ms(a.Latency.P50), ms(a.Latency.P99), ms(a.Latency.P999), a.Errors, a.ErrorKinds)
}

// rounds splits d into slices of at most p.slice. The three targets take
// turns slice by slice, the first of each round rotating, so that a burst
// of noise on this shared machine falls on all of them alike.
func (r *runner) rounds(d time.Duration, rate int) (int, time.Duration) {
	return sliceUp(d, r.p.slice, rate)
}

// minSliceSamples is the fewest requests a slice gets, where d allows. The
// nearest-rank p99 of n requests is the (n/100+1)-th slowest: of 100 the
// second slowest, which two stalls of the machine set; of 200, the third.
const minSliceSamples = 200

// sliceUp splits d into n equal slices of about slice each, longer when rate
// (requests per second) would give a slice fewer than minSliceSamples.
func sliceUp(d, slice time.Duration, rate int) (int, time.Duration) {
	if rate > 0 {
		slice = max(slice, time.Duration(minSliceSamples)*time.Second/time.Duration(rate))
	}
	slice = min(d, slice)
	n := max(int(d/slice), 1)
	return n, d / time.Duration(n)
}

// counters reads a target's allocation and CPU counters; direct has none.
func (r *runner) counters(target string) (sample, bool, error) {
	var url string
	switch target {
	case targetProxy:
		url = r.st.proxyStats
	case targetRouter:
		url = r.st.routerMetrics
	default:
		return sample{}, false, nil
	}
	var sm sample
	var err error
	if sm.stats, err = readStats(r.ctx, url); err != nil {
		return sm, false, err
	}
	if sm.cpu, err = processCPU(r.st.pidOf(target)); err != nil {
		return sm, false, err
	}
	if target == targetRouter {
		for _, d := range r.st.deps {
			c, err := processCPU(d.pid())
			if err != nil {
				return sm, false, err
			}
			sm.deps += c
		}
	}
	return sm, true, nil
}

// fixed drives the three targets at rate for d each, interleaved. With
// count it also measures what a request costs the proxy and the router.
func (r *runner) fixed(w workload, rate int, d time.Duration, one, count bool) ([]Attack, []Cost, error) {
	n, slice := r.rounds(d, rate)
	res := make([]Attack, len(targetNames))
	raw := make([]samples, len(targetNames))
	var costs []Cost
	if count {
		costs = []Cost{{Target: targetProxy}, {Target: targetRouter}}
	}
	for round := range n {
		for k := range targetNames {
			i := (round + k) % len(targetNames)
			t := targetNames[i]
			var before sample
			var have bool
			var err error
			if count {
				if before, have, err = r.counters(t); err != nil {
					return nil, nil, fmt.Errorf("%s counters: %w", t, err)
				}
			}
			r.prime(r.client(t, one), r.st.ep.of(t, w))
			a, sm := attack(r.ctx, r.client(t, one), t, w, r.st.ep.of(t, w), rate, slice, one, 0, 0)
			if have {
				after, _, err := r.counters(t)
				if err != nil {
					return nil, nil, fmt.Errorf("%s counters: %w", t, err)
				}
				for j := range costs {
					if costs[j].Target == t {
						costs[j] = costs[j].add(before, after, a.Requests)
					}
				}
			}
			raw[i] = res[i].merge(a, raw[i], sm)
			sleepCtx(r.ctx, r.p.pause)
		}
	}
	for _, a := range res {
		r.logAttack(a)
	}
	return res, costs, r.ctx.Err()
}

// prime sends one unmeasured request just before a slice. The other
// targets' slices leave a target idle for seconds, which a client sending at
// a fixed rate never does; without it every slice would open with a request
// that finds the target cold, for the router one whose limits grant lapsed
// and which goes to Redis (decision 0013). Errors show in the slice itself.
func (r *runner) prime(cl *http.Client, ep endpoint) {
	req, err := ep.request()
	if err != nil {
		return
	}
	resp, err := cl.Do(req.WithContext(r.ctx))
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// warm sends each target a little traffic of w first, so connections and
// the processes' heaps are warm before anything is measured.
func (r *runner) warm(w workload, rate int, one bool) {
	for _, t := range targetNames {
		attack(r.ctx, r.client(t, one), t, w, r.st.ep.of(t, w), rate, r.p.warmup, one, 0, 0)
	}
}

func (r *runner) oneClient(rep *Report) error {
	for _, fr := range r.p.oneClient {
		r.warm(fr.w, fr.rate, true)
		res, _, err := r.fixed(fr.w, fr.rate, fr.d, true, false)
		if err != nil {
			return err
		}
		rep.OneClient = append(rep.OneClient, res...)
	}
	return nil
}

func (r *runner) sweeps(rep *Report) error {
	for _, sw := range r.p.sweeps {
		r.warm(sw.w, sw.rates[0], false)
		for _, rate := range sw.rates {
			count := rate == sw.load && sw.w == wlJSON1K
			d := sw.d
			if rate == sw.load && sw.loadD > 0 {
				d = sw.loadD
			}
			res, costs, err := r.fixed(sw.w, rate, d, false, count)
			if err != nil {
				return err
			}
			rep.Sweeps = append(rep.Sweeps, res...)
			if rate == sw.load {
				rep.Load = append(rep.Load, res...)
			}
			rep.Costs = append(rep.Costs, costs...)
		}
	}
	return nil
}

// search finds each target's highest sustained rate: the proxy and the
// router step by step in turns, then the direct target (the ceiling of
// this machine) alone.
func (r *runner) search(rep *Report) error {
	w := r.p.searchOn
	spec := r.p.search
	run := func(t string, rate int) Attack {
		giveUp := int(0.01*float64(rate)*spec.Step.Seconds()) + 1
		a, _ := attack(r.ctx, r.client(t, false), t, w, r.st.ep.of(t, w), rate, spec.Step, false, spec.P99Limit, giveUp)
		r.logAttack(a)
		return a
	}
	for _, group := range [][]string{{targetProxy, targetRouter}, {targetDirect}} {
		for _, s := range spec.searchInTurns(r.ctx, group, run) {
			r.logf("%-6s highest sustained rate: %d/s", s.Target, s.MaxRate)
			rep.Search = append(rep.Search, s)
		}
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}
	// Report order.
	slices.SortFunc(rep.Search, func(a, b Search) int { return targetIndex(a.Target) - targetIndex(b.Target) })
	return nil
}

func targetIndex(t string) int { return slices.Index(targetNames, t) }

func (r *runner) streams(rep *Report) error {
	for _, one := range []bool{true, false} {
		d := r.p.sseLoad
		if one {
			d = r.p.sseOne
		}
		for _, t := range targetNames {
			measureStreams(r.ctx, r.cl.load[t], t, r.st.ep.of(t, wlSSE), one, r.p.sseRate, r.p.warmup)
		}
		// Streams pool their samples and report no slice p99, so their
		// slices need no floor of requests: short turns serve the
		// interleaving best.
		n, slice := sliceUp(d, r.p.slice, 0)
		res := make([]Streams, len(targetNames))
		ttft := make([][]time.Duration, len(targetNames))
		gap := make([][]time.Duration, len(targetNames))
		for round := range n {
			for k := range targetNames {
				i := (round + k) % len(targetNames)
				t := targetNames[i]
				r.prime(r.cl.load[t], r.st.ep.of(t, wlSSE))
				s, bt, bg := measureStreams(r.ctx, r.cl.load[t], t, r.st.ep.of(t, wlSSE), one, r.p.sseRate, slice)
				ttft[i], gap[i] = res[i].merge(s, ttft[i], gap[i], bt, bg)
				sleepCtx(r.ctx, r.p.pause)
			}
		}
		for _, s := range res {
			r.logf("%-6s sse one-client=%v: streams=%d ttft p50=%.3fms p99=%.3fms gap p50=%.3fms p99=%.3fms errors=%d %v",
				s.Target, one, s.Streams, ms(s.TTFT.P50), ms(s.TTFT.P99), ms(s.Gap.P50), ms(s.Gap.P99), s.Errors, s.ErrorKinds)
		}
		rep.Streams = append(rep.Streams, res...)
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) idle(rep *Report) error {
	for _, t := range []string{targetProxy, targetRouter} {
		res, err := measureIdle(r.ctx, t, r.st.ep.of(t, wlIdle), r.st.pidOf(t), r.p.idleN, r.p.idleOpenRate, r.p.idleSettle)
		if err != nil {
			return err
		}
		r.logf("%-6s idle streams=%d rss %d -> %d KiB: %.1f KiB per stream", t, res.Opened, res.RSSBefore>>10, res.RSSAfter>>10, res.PerStream/1024)
		rep.Idle = append(rep.Idle, res)
		// Let the closed streams' connections go before the next target.
		sleepCtx(r.ctx, r.p.idleSettle)
	}
	return nil
}

// profile drives the router under load while taking a CPU profile, then an
// allocation profile, then execution traces (under load, of one client at
// each one-client rate of the plan, the bare proxy's too, and of one
// client's streams), and writes them to dir.
func (r *runner) profile(dir string) error {
	if !r.st.routerProfiled {
		return fmt.Errorf("%w: the router was not started with pprof", ErrConfig)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	drive := func(cl *http.Client, t string, w workload, rate int, d time.Duration, oneClient bool) func() {
		return func() {
			a, _ := attack(r.ctx, cl, t, w, r.st.ep.of(t, w), rate, d, oneClient, 0, 0)
			r.logAttack(a)
		}
	}
	load := func(w workload, d time.Duration) func() {
		return drive(r.cl.load[targetRouter], targetRouter, w, r.p.profileRate, d, false)
	}
	secs := int(r.p.profile.Seconds())
	for _, prof := range []struct{ name, path string }{
		{"router-cpu.pprof", fmt.Sprintf("/profile?seconds=%d", secs)},
		{"router-allocs.pprof", fmt.Sprintf("/allocs?seconds=%d", secs)},
	} {
		for _, w := range []workload{wlJSON1K, wlSSE} {
			if err := r.capture(r.st.pprofURL+prof.path, filepath.Join(dir, w.Name+"-"+prof.name),
				load(w, r.p.profile+time.Second)); err != nil {
				return err
			}
		}
	}
	// An execution trace shows where a request waits rather than what
	// burns CPU: scheduling, wake-ups and syscalls.
	tsecs := max(1, secs/4)
	traceQuery := fmt.Sprintf("?seconds=%d", tsecs)
	traceFor := time.Duration(tsecs+1) * time.Second
	for _, w := range []workload{wlJSON1K, wlJSON20ms} {
		if err := r.capture(r.st.pprofURL+"/trace"+traceQuery, filepath.Join(dir, w.Name+"-router-trace.out"),
			load(w, traceFor)); err != nil {
			return err
		}
	}
	// One client at the budget's rates: between requests the machine goes
	// idle, so this is where a request finds the router cold. The bare
	// proxy is traced alike, for `burncloud-bench phases` to compare.
	for _, fr := range r.p.oneClient {
		for _, t := range []struct{ name, url string }{
			{targetRouter, r.st.pprofURL + "/trace"}, {targetProxy, r.st.proxyTrace},
		} {
			if err := r.capture(t.url+traceQuery, filepath.Join(dir, fr.w.Name+"-one-client-"+t.name+"-trace.out"),
				drive(r.cl.one[t.name], t.name, fr.w, fr.rate, traceFor, true)); err != nil {
				return err
			}
		}
	}
	// One client's streams, back to back: where time to first token goes.
	return r.capture(r.st.pprofURL+"/trace"+traceQuery, filepath.Join(dir, "sse-one-client-router-trace.out"), func() {
		s, _, _ := measureStreams(r.ctx, r.cl.load[targetRouter], targetRouter, r.st.ep.of(targetRouter, wlSSE), true, 0, traceFor)
		r.logf("router sse one-client: streams=%d errors=%d", s.Streams, s.Errors)
	})
}

// capture writes what url answers (a profile or a trace taken over some
// seconds) to file while drive sends the traffic it records.
func (r *runner) capture(url, file string, drive func()) error {
	done := make(chan error, 1)
	go func() { done <- fetchTo(r.ctx, url, file) }()
	drive()
	if err := <-done; err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(file), err)
	}
	r.logf("wrote %s", file)
	return nil
}

func fetchTo(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w %d from %s", ErrStatus, resp.StatusCode, url)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w %d from %s", ErrStatus, resp.StatusCode, url)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 16<<20))
}
