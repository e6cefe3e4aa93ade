package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files a run writes into its output directory.
const (
	reportFile  = "README.md"
	resultsFile = "results.json"
)

// Report is everything one run measured.
type Report struct {
	Date      time.Time  `json:"date"`
	Short     bool       `json:"short"`
	Seconds   float64    `json:"seconds"`
	Machine   Machine    `json:"machine"`
	Workloads []workload `json:"workloads"`
	OneClient []Attack   `json:"one_client"`
	Load      []Attack   `json:"load"`
	Sweeps    []Attack   `json:"sweeps"`
	Search    []Search   `json:"search"`
	Streams   []Streams  `json:"streams"`
	Idle      []Idle     `json:"idle"`
	Costs     []Cost     `json:"costs"`
	// Internals are the router's own histograms over the whole run.
	Internals []Internal `json:"router_internals,omitempty"`
	GoBench   []GoBench  `json:"go_bench,omitempty"`
	Budget    []Check    `json:"budget"`
	Charts    []string   `json:"charts"`
}

// Check is one criterion of the budget: the router's figure against the
// bare proxy's.
type Check struct {
	Criterion string  `json:"criterion"`
	Unit      string  `json:"unit"`
	Proxy     float64 `json:"proxy"`
	Router    float64 `json:"router"`
	// Ratio is Router / Proxy; 0 when Proxy is not positive (see Note).
	Ratio float64 `json:"ratio"`
	Limit float64 `json:"limit"`
	// AtLeast: the ratio must reach Limit (throughput); otherwise stay
	// at or under it.
	AtLeast bool   `json:"at_least,omitempty"`
	Pass    bool   `json:"pass"`
	Note    string `json:"note,omitempty"`
}

// Budget limits of DESIGN §7.
const (
	budgetLatency    = 1.5
	budgetThroughput = 0.8
	budgetTTFT       = 1.5
	budgetIdleMemory = 1.5
)

// Errors counts every failed request or stream of the run.
func (r *Report) Errors() int {
	n := 0
	for _, set := range [][]Attack{r.OneClient, r.Sweeps} {
		for _, a := range set {
			n += a.Errors
		}
	}
	for _, s := range r.Streams {
		n += s.Errors
	}
	return n
}

// Passed reports whether every budget check passed.
func (r *Report) Passed() bool {
	for _, c := range r.Budget {
		if !c.Pass {
			return false
		}
	}
	return len(r.Budget) > 0
}

func findAttack(list []Attack, target, wl string) (Attack, bool) {
	for _, a := range list {
		if a.Target == target && a.Workload == wl {
			return a, true
		}
	}
	return Attack{}, false
}

func findStreams(list []Streams, target string, one bool) (Streams, bool) {
	for _, s := range list {
		if s.Target == target && s.OneClient == one {
			return s, true
		}
	}
	return Streams{}, false
}

// quantiles the budget looks at: the pooled median, and the p99 as the
// median of the slices' p99s (Attack.StableP99). With residual they are
// taken of the residual latency (Attack.Residual).
var budgetQuantiles = []struct {
	name string
	of   func(a Attack, residual bool) time.Duration
}{
	{"p50", func(a Attack, residual bool) time.Duration {
		if residual {
			return a.Residual.P50
		}
		return a.Latency.P50
	}},
	{"p99", func(a Attack, residual bool) time.Duration {
		if residual {
			return a.StableResidualP99()
		}
		return a.StableP99()
	}},
}

// residualBasis reports whether added latency can be taken from residuals:
// only when every one of list has them, so the three are measured alike.
func residualBasis(list ...Attack) bool {
	for _, a := range list {
		if a.Residual.N == 0 {
			return false
		}
	}
	return len(list) > 0
}

// ratioCheck compares router with proxy. A proxy figure that is not
// positive cannot be divided by: the check passes only if the router's is
// no larger.
func ratioCheck(name, unit string, proxy, router, limit float64, atLeast bool) Check {
	c := Check{Criterion: name, Unit: unit, Proxy: proxy, Router: router, Limit: limit, AtLeast: atLeast}
	if proxy <= 0 {
		c.Pass = router <= proxy
		c.Note = "the bare proxy added nothing measurable"
		return c
	}
	c.Ratio = router / proxy
	if atLeast {
		c.Pass = c.Ratio >= limit
	} else {
		c.Pass = c.Ratio <= limit
	}
	return c
}

// evaluate fills Budget from the measurements.
func (r *Report) evaluate() {
	r.Budget = nil
	latency := []struct {
		mode string
		list []Attack
	}{{"one client", r.OneClient}, {"under load", r.Load}}
	for _, set := range latency {
		for _, w := range []workload{wlJSON1K, wlJSON10K, wlJSON20ms} {
			d, ok1 := findAttack(set.list, targetDirect, w.Name)
			p, ok2 := findAttack(set.list, targetProxy, w.Name)
			rt, ok3 := findAttack(set.list, targetRouter, w.Name)
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			res := residualBasis(d, p, rt)
			for _, q := range budgetQuantiles {
				name := fmt.Sprintf("added latency %s, %s, %s (%d/s)", q.name, set.mode, w.Name, d.Rate)
				c := ratioCheck(name, "ms", ms(q.of(p, res)-q.of(d, res)), ms(q.of(rt, res)-q.of(d, res)), budgetLatency, false)
				if !res && c.Note == "" {
					c.Note = "whole latencies: not every answer carried the upstream's time"
				}
				r.Budget = append(r.Budget, c)
			}
		}
	}
	var px, rt Search
	for _, s := range r.Search {
		switch s.Target {
		case targetProxy:
			px = s
		case targetRouter:
			rt = s
		}
	}
	if px.Target != "" && rt.Target != "" {
		c := ratioCheck("highest sustained rate, zero errors (json-1kb)", "req/s", float64(px.MaxRate), float64(rt.MaxRate), budgetThroughput, true)
		if px.Capped {
			c.Note = "the bare proxy reached the search's ceiling"
		}
		r.Budget = append(r.Budget, c)
	}
	for _, one := range []bool{true, false} {
		d, ok1 := findStreams(r.Streams, targetDirect, one)
		p, ok2 := findStreams(r.Streams, targetProxy, one)
		s, ok3 := findStreams(r.Streams, targetRouter, one)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		mode := "one client"
		if !one {
			mode = fmt.Sprintf("under load (%d streams/s)", d.Rate)
		}
		r.Budget = append(r.Budget, ratioCheck("added time to first token p50, "+mode, "ms",
			ms(p.TTFT.P50-d.TTFT.P50), ms(s.TTFT.P50-d.TTFT.P50), budgetTTFT, false))
	}
	var pi, ri Idle
	for _, i := range r.Idle {
		switch i.Target {
		case targetProxy:
			pi = i
		case targetRouter:
			ri = i
		}
	}
	if pi.Target != "" && ri.Target != "" {
		r.Budget = append(r.Budget, ratioCheck(fmt.Sprintf("memory per idle open stream (%d streams)", pi.Opened), "KiB",
			pi.PerStream/1024, ri.PerStream/1024, budgetIdleMemory, false))
	}
}

// write puts the report, the raw results and the charts into dir.
func (r *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	charts, err := writeCharts(r, dir)
	if err != nil {
		return err
	}
	r.Charts = charts
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, resultsFile), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, reportFile), []byte(r.Markdown()), 0o644)
}

// fmtMS prints a duration in milliseconds; signed prints a + on positives.
func fmtMS(d time.Duration, signed bool) string {
	v := ms(d)
	if signed && v >= 0 {
		return fmt.Sprintf("+%.3f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func triple(d Dist, base *Dist) string {
	if base == nil {
		return fmtMS(d.P50, false) + " / " + fmtMS(d.P99, false) + " / " + fmtMS(d.P999, false)
	}
	return fmtMS(d.P50-base.P50, true) + " / " + fmtMS(d.P99-base.P99, true) + " / " + fmtMS(d.P999-base.P999, true)
}

func verdict(pass bool) string {
	if pass {
		return "✅ pass"
	}
	return "❌ fail"
}

// Summary is the budget table alone, for the README's Performance section.
func (r *Report) Summary() string {
	var b strings.Builder
	b.WriteString("| criterion (router ÷ bare proxy) | bare proxy | router | ratio | budget | result |\n")
	b.WriteString("|---|--:|--:|--:|--:|---|\n")
	for _, c := range r.Budget {
		op := "≤"
		if c.AtLeast {
			op = "≥"
		}
		ratio := fmt.Sprintf("%.2f×", c.Ratio)
		if c.Ratio == 0 && c.Proxy <= 0 {
			ratio = "—"
		}
		res := verdict(c.Pass)
		if c.Note != "" {
			res += " (" + c.Note + ")"
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s %s | %s | %s %.1f× | %s |\n", c.Criterion,
			fmtNum(c.Proxy), c.Unit, fmtNum(c.Router), c.Unit, ratio, op, c.Limit, res)
	}
	return b.String()
}

func fmtNum(v float64) string {
	switch {
	case v == float64(int64(v)) && (v >= 100 || v <= -100):
		return fmt.Sprintf("%.0f", v)
	case v >= 10 || v <= -10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// MachineLine describes the machine in one line.
func (r *Report) MachineLine() string {
	m := r.Machine
	return fmt.Sprintf("%d × %s, %d GiB, Linux %s, %s", m.CPUs, orUnknown(m.CPUModel), m.MemoryGiB, orUnknown(m.Kernel), m.Go)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Markdown is the full report.
func (r *Report) Markdown() string {
	var b strings.Builder
	mode := "full run"
	if r.Short {
		mode = "short (smoke) run: tiny rates, numbers not meaningful"
	}
	fmt.Fprintf(&b, "# BurnCloud router performance\n\n")
	fmt.Fprintf(&b, "%s, %s, %.0f s, on %s.\n\n", r.Date.Format("2006-01-02 15:04 UTC"), mode, r.Seconds, r.MachineLine())
	b.WriteString(`Every part runs as its own process on this machine: the fake upstream (` + "`burncloud fake-upstream`" + `),
the bare proxy (` + "`httputil.ReverseProxy`" + `, ` + "`burncloud-bench proxy`" + ` run from a copy of the harness's executable,
decision 0018), and ` + "`burncloud-router`" + ` with auth, limits and
quota reservations in Redis (a private ` + "`redis-server`" + `), usage extraction, pricing and usage events spooled and
published to NATS JetStream (a private ` + "`nats-server`" + `), its snapshot pushed by ` + "`burncloud-control`" + ` on Postgres.
Load comes from the harness process with vegeta (open loop, fixed rates) on the same cores.
**Added latency** is a target's quantile minus the direct (fake upstream) quantile at the same rate, both taken of the
*residual* latency: each request's latency less the fake upstream's own time for it, which the answer carries (the
` + "`timing`" + ` scenario option), so the upstream's jitter (a 20 ms sleep wakes 20–500 µs late) cancels request by request
instead of being compared between samples. Times are in ms.
`)
	b.WriteString("\n## Budget (DESIGN §7)\n\n")
	b.WriteString(r.Summary())
	fmt.Fprintf(&b, "\nErrors in the whole run: %d.\n", r.Errors())

	b.WriteString("\n## Workloads\n\n| workload | fake upstream scenario | what |\n|---|---|---|\n")
	for _, w := range r.Workloads {
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", w.Name, w.Scenario, w.Doc)
	}

	for _, set := range []struct {
		title, doc string
		list       []Attack
	}{
		{"One client", "One connection, one request at a time, at a fixed rate.", r.OneClient},
		{"Under load", "Open loop at a fixed rate, as many connections as needed.", r.Load},
	} {
		fmt.Fprintf(&b, "\n## Latency: %s\n\n%s The three targets take turns in slices of at most a few seconds;\n", strings.ToLower(set.title), set.doc)
		b.WriteString("*p99 (slices)* is the median of the slices' p99s, which the budget uses; the other quantiles pool every request.\n")
		b.WriteString("*upstream p50* is the fake upstream's own time; *added* compares residual latencies, as the budget does.\n\n")
		b.WriteString("| workload | rate | target | p50 | p99 | p99 (slices) | p99.9 | upstream p50 | added p50 | added p99 (slices) | requests | errors |\n")
		b.WriteString("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, w := range []workload{wlJSON1K, wlJSON10K, wlJSON20ms} {
			d, ok := findAttack(set.list, targetDirect, w.Name)
			if !ok {
				continue
			}
			for _, t := range targetNames {
				a, ok := findAttack(set.list, t, w.Name)
				if !ok {
					continue
				}
				res := residualBasis(d, a)
				p50, p99 := budgetQuantiles[0].of, budgetQuantiles[1].of
				addP50, addP99, up := "—", "—", "—"
				if t != targetDirect {
					addP50, addP99 = fmtMS(p50(a, res)-p50(d, res), true), fmtMS(p99(a, res)-p99(d, res), true)
				}
				if a.Upstream.N > 0 {
					up = fmtMS(a.Upstream.P50, false)
				}
				fmt.Fprintf(&b, "| %s | %d/s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d |\n", w.Name, a.Rate, t,
					fmtMS(a.Latency.P50, false), fmtMS(a.Latency.P99, false), fmtMS(a.StableP99(), false), fmtMS(a.Latency.P999, false),
					up, addP50, addP99, a.Requests, a.Errors)
			}
		}
	}

	b.WriteString("\n## Latency against offered rate\n\n")
	for _, w := range []workload{wlJSON1K, wlJSON20ms, wlJSON10K} {
		rates := sweepRates(r.Sweeps, w.Name)
		if len(rates) == 0 {
			continue
		}
		fmt.Fprintf(&b, "**%s** — p50 / p99 (slices), ms\n\n| rate | direct | bare proxy | router | errors (d/p/r) |\n|--:|---|---|---|---|\n", w.Name)
		for _, rate := range rates {
			var cells [3]string
			var errs [3]int
			for i, t := range targetNames {
				for _, a := range r.Sweeps {
					if a.Target == t && a.Workload == w.Name && a.Rate == rate {
						cells[i] = fmtMS(a.Latency.P50, false) + " / " + fmtMS(a.StableP99(), false)
						errs[i] = a.Errors
					}
				}
			}
			fmt.Fprintf(&b, "| %d/s | %s | %s | %s | %d/%d/%d |\n", rate, cells[0], cells[1], cells[2], errs[0], errs[1], errs[2])
		}
		b.WriteString("\n")
	}
	for _, c := range r.Charts {
		fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(c, ".png"), c)
	}

	if len(r.Search) > 0 {
		b.WriteString("## Throughput\n\nStep search on json-1kb: the rate grows by half until a step fails, then is bisected; the bare proxy and the\nrouter take their steps in turns. A step passes\n")
		fmt.Fprintf(&b, "with zero errors, at least 97%% of the offered rate delivered, p50 under %.0f ms (not queueing) and p99 under %.0f ms.",
			r.Search[0].P50Lim, r.Search[0].P99Lim)
		switch n := r.Search[0].Retries; {
		case n == 1:
			b.WriteString("\nA step that fails is run once more, and counts as passed if the second run passes.")
		case n > 1:
			fmt.Fprintf(&b, "\nA step that fails is run up to %d more times, and counts as passed if any run passes.", n)
		}
		b.WriteString("\n\n")
		b.WriteString("| target | highest sustained rate | steps (rate: delivered/s, p50 / p99 ms, verdict) |\n|---|--:|---|\n")
		for _, s := range r.Search {
			var steps []string
			for _, st := range s.Steps {
				v := "ok"
				if !st.Pass {
					v = st.Why
				}
				steps = append(steps, fmt.Sprintf("%d: %.0f, %.2f / %.1f, %s", st.Rate, st.Throughput, st.P50MS, st.P99MS, v))
			}
			capped := ""
			if s.Capped {
				capped = " (ceiling)"
			}
			fmt.Fprintf(&b, "| %s | %d/s%s | %s |\n", s.Target, s.MaxRate, capped, strings.Join(steps, "; "))
		}
	}

	if len(r.Streams) > 0 {
		b.WriteString("\n## Streaming\n\nWorkload sse; the client times each content event when it reads it. TTFT: request sent to first content\nevent. Gap: between consecutive content events of a stream (the upstream paces them 5 ms apart).\n\n")
		b.WriteString("| mode | target | streams | TTFT p50 / p99 | added TTFT p50 / p99 | gap p50 / p99 | added gap p50 / p99 | errors |\n")
		b.WriteString("|---|---|--:|---|---|---|---|--:|\n")
		for _, one := range []bool{true, false} {
			d, ok := findStreams(r.Streams, targetDirect, one)
			if !ok {
				continue
			}
			mode := "one client"
			if !one {
				mode = fmt.Sprintf("%d streams/s", d.Rate)
			}
			for _, t := range targetNames {
				s, ok := findStreams(r.Streams, t, one)
				if !ok {
					continue
				}
				addT, addG := "—", "—"
				if t != targetDirect {
					addT = fmtMS(s.TTFT.P50-d.TTFT.P50, true) + " / " + fmtMS(s.TTFT.P99-d.TTFT.P99, true)
					addG = fmtMS(s.Gap.P50-d.Gap.P50, true) + " / " + fmtMS(s.Gap.P99-d.Gap.P99, true)
				}
				fmt.Fprintf(&b, "| %s | %s | %d | %s / %s | %s | %s / %s | %s | %d |\n", mode, t, s.Streams,
					fmtMS(s.TTFT.P50, false), fmtMS(s.TTFT.P99, false), addT, fmtMS(s.Gap.P50, false), fmtMS(s.Gap.P99, false), addG, s.Errors)
			}
		}
	}

	if len(r.Idle) > 0 {
		b.WriteString("\n## Memory per idle open stream\n\nStreams of workload idle-stream are opened and held until each delivered its first event; the process's\nVmRSS (/proc/PID/status) is read before and after, and the difference divided by the streams.\n\n")
		b.WriteString("| target | streams | RSS before | RSS after | per stream |\n|---|--:|--:|--:|--:|\n")
		for _, i := range r.Idle {
			fmt.Fprintf(&b, "| %s | %d | %.1f MiB | %.1f MiB | %.1f KiB |\n", i.Target, i.Opened,
				float64(i.RSSBefore)/(1<<20), float64(i.RSSAfter)/(1<<20), i.PerStream/1024)
		}
	}

	if len(r.Costs) > 0 {
		b.WriteString("\n## Cost per request\n\nWhile each served json-1kb under load: heap allocations of the whole process (runtime counters: the bare\n")
		b.WriteString("proxy's own, the router's go_memstats_* on /metrics), its CPU time (/proc/PID/stat), and the CPU that Redis and NATS\n")
		b.WriteString("spent for the router meanwhile. Background work (spool, publisher, limiter) is included.\n\n")
		b.WriteString("| target | requests | allocs / request | bytes / request | CPU µs / request | Redis + NATS CPU µs / request |\n|---|--:|--:|--:|--:|--:|\n")
		for _, c := range r.Costs {
			deps := "—"
			if c.Target == targetRouter {
				deps = fmt.Sprintf("%.0f", c.DepsCPUMicros)
			}
			fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f | %.0f | %s |\n", c.Target, c.Requests, c.PerRequest, c.BytesPerReq, c.CPUMicros, deps)
		}
	}
	if len(r.Internals) > 0 {
		b.WriteString("\nThe router's own histograms (its /metrics) during the one-client and the under-load phases:\n\n")
		b.WriteString("| phase | what | metric | count | mean |\n|---|---|---|--:|--:|\n")
		for _, in := range r.Internals {
			fmt.Fprintf(&b, "| %s | %s | `%s` | %.0f | %.1f %s |\n", in.Phase, in.What, in.Metric, in.Count, in.Mean, in.Unit)
		}
	}
	if len(r.GoBench) > 0 {
		b.WriteString("\n## Go benchmarks\n\nIn-process, `go test -bench . -benchmem` over pkg and services/router, run by `make bench` just before\n")
		b.WriteString("(raw output: gobench.txt). `services/router` BenchmarkHotPath* against BenchmarkBareReverseProxy is the same\n")
		b.WriteString("comparison without the network; DESIGN §7 asks 0 allocs/op in key lookup and usage scanning.\n\n")
		b.WriteString("| package | benchmark | ns/op | B/op | allocs/op |\n|---|---|--:|--:|--:|\n")
		for _, g := range r.GoBench {
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f | %.0f |\n", g.Package, strings.TrimPrefix(g.Name, "Benchmark"), g.NsPerOp, g.BytesPerOp, g.AllocsPerOp)
		}
	}
	return b.String()
}

// sweepRates are the rates a workload was swept at, in order.
func sweepRates(list []Attack, wl string) []int {
	var rates []int
	for _, a := range list {
		if a.Workload == wl && a.Target == targetDirect {
			rates = append(rates, a.Rate)
		}
	}
	return rates
}
