package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // reversed: distOf must sort
	}
	for _, tc := range []struct {
		name           string
		in             []time.Duration
		p50, p99, p999 time.Duration
		mean           time.Duration
	}{
		{"empty", nil, 0, 0, 0, 0},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"two", ms(2, 1), 1 * time.Millisecond, 2 * time.Millisecond, 2 * time.Millisecond, 1500 * time.Microsecond},
		{"hundred", ms(hundred...), 50 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond, 50500 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := distOf(tc.in)
			if d.N != len(tc.in) || d.P50 != tc.p50 || d.P99 != tc.p99 || d.P999 != tc.p999 || d.Mean != tc.mean {
				t.Errorf("distOf = %+v, want n=%d p50=%v p99=%v p99.9=%v mean=%v", d, len(tc.in), tc.p50, tc.p99, tc.p999, tc.mean)
			}
		})
	}
}

func TestStableP99(t *testing.T) {
	for _, tc := range []struct {
		name   string
		slices []time.Duration
		pooled time.Duration
		want   time.Duration
	}{
		{"no slices: pooled", nil, 9, 9},
		{"odd: middle", []time.Duration{5, 100, 3}, 9, 5},
		{"even: mean of the middle two", []time.Duration{4, 1000, 2, 6}, 9, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Attack{SliceP99: tc.slices, Latency: Dist{P99: tc.pooled}}
			if got := a.StableP99(); got != tc.want {
				t.Errorf("StableP99 = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSliceUp(t *testing.T) {
	for _, tc := range []struct {
		d, slice time.Duration
		rate     int
		n        int
		each     time.Duration
	}{
		{8 * time.Second, 2 * time.Second, 200, 4, 2 * time.Second},
		{30 * time.Second, 2 * time.Second, 40, 6, 5 * time.Second}, // 200 requests a slice
		{20 * time.Second, 2 * time.Second, 40, 4, 5 * time.Second},
		{9 * time.Second, 2 * time.Second, 1000, 4, 2250 * time.Millisecond},
		{400 * time.Millisecond, time.Second, 20, 1, 400 * time.Millisecond},
		{3 * time.Second, 2 * time.Second, 0, 1, 3 * time.Second},
	} {
		n, each := sliceUp(tc.d, tc.slice, tc.rate)
		if n != tc.n || each != tc.each {
			t.Errorf("sliceUp(%v, %v, %d) = %d × %v, want %d × %v", tc.d, tc.slice, tc.rate, n, each, tc.n, tc.each)
		}
		if tc.rate > 0 && tc.d >= time.Duration(minSliceSamples)*time.Second/time.Duration(tc.rate) &&
			int(each.Seconds()*float64(tc.rate)+0.5) < minSliceSamples {
			t.Errorf("sliceUp(%v, %v, %d): %v slices hold fewer than %d requests", tc.d, tc.slice, tc.rate, each, minSliceSamples)
		}
	}
}

func TestAttackMerge(t *testing.T) {
	var a Attack
	ms1 := samples{lat: []time.Duration{1, 3}, upstream: []time.Duration{1}, residual: []time.Duration{2}}
	b1 := Attack{Target: "proxy", Rate: 10, Seconds: 1, Requests: 2, Throughput: 2, Errors: 1, ErrorKinds: []string{"x"},
		SliceP99: []time.Duration{3}, SliceResidualP99: []time.Duration{2}}
	b1.summarise(ms1)
	sm := a.merge(b1, samples{}, ms1)
	ms2 := samples{lat: []time.Duration{2, 4, 5}, upstream: []time.Duration{1, 1, 1}, residual: []time.Duration{1, 3, 4}}
	sm = a.merge(Attack{Target: "proxy", Rate: 10, Seconds: 3, Requests: 3, Throughput: 4, ErrorKinds: []string{"x", "y"},
		SliceP99: []time.Duration{5}, SliceResidualP99: []time.Duration{4}}, sm, ms2)
	if len(sm.lat) != 5 || a.Requests != 5 || a.Errors != 1 || a.Seconds != 4 || a.Throughput != 3.5 {
		t.Errorf("merged %+v (%d latencies)", a, len(sm.lat))
	}
	if a.Latency.N != 5 || a.Latency.P50 != 3 || a.Latency.P99 != 5 || len(a.SliceP99) != 2 || strings.Join(a.ErrorKinds, ",") != "x,y" {
		t.Errorf("merged %+v", a)
	}
	if a.Residual.N != 4 || a.Residual.P50 != 2 || a.Upstream.N != 4 || a.StableResidualP99() != 3 {
		t.Errorf("merged residual %+v upstream %+v, stable p99 %v", a.Residual, a.Upstream, a.StableResidualP99())
	}

	// One answer without the stamp: no residuals at all, then or later.
	sm = a.merge(Attack{Target: "proxy", Rate: 10, Seconds: 1, Requests: 1, SliceP99: []time.Duration{1}}, sm, samples{lat: []time.Duration{1}, unstamped: 1})
	sm = a.merge(b1, sm, ms1)
	if a.Residual.N != 0 || a.Upstream.N != 0 || a.SliceResidualP99 != nil || len(sm.lat) != 8 {
		t.Errorf("residual kept after an unstamped answer: %+v", a)
	}
}

// search is one target's search alone.
func (s searchSpec) search(ctx context.Context, target string, run func(rate int) Attack) Search {
	return s.searchInTurns(ctx, []string{target}, func(_ string, rate int) Attack { return run(rate) })[0]
}

func TestSearch(t *testing.T) {
	// A fake target that keeps up to capacity requests per second.
	target := func(capacity int) func(int) Attack {
		return func(rate int) Attack {
			a := Attack{Rate: rate, Requests: rate, Throughput: float64(rate), Latency: Dist{P50: time.Millisecond, P99: 2 * time.Millisecond}}
			if rate > capacity {
				a.Latency.P50 = time.Second
			}
			return a
		}
	}
	spec := searchSpec{Start: 100, Factor: 2, Max: 1000, Refine: 3, P50Limit: 10 * time.Millisecond, P99Limit: time.Second}
	for _, tc := range []struct {
		name     string
		capacity int
		want     int
		capped   bool
	}{
		{"below start, bisected down", 50, 50, false},   // 100 fails; 50 passes; 75, 62 fail
		{"between steps, refined", 300, 300, false},     // 100, 200 pass; 400 fails; 300 passes; 350, 320 fail
		{"refined between two passes", 330, 320, false}, // ...; 300 passes; 350 fails; 320 passes
		{"nothing passes", 0, 0, false},
		{"exactly a step", 400, 400, false},
		{"above the ceiling", 5000, 1000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := spec.search(context.Background(), "x", target(tc.capacity))
			if res.MaxRate > tc.capacity {
				t.Fatalf("MaxRate %d above capacity %d: %+v", res.MaxRate, tc.capacity, res.Steps)
			}
			if res.MaxRate != tc.want || res.Capped != tc.capped {
				t.Errorf("MaxRate %d capped %v, want %d %v; steps %+v", res.MaxRate, res.Capped, tc.want, tc.capped, res.Steps)
			}
		})
	}
}

func TestSearchRetries(t *testing.T) {
	// A target of capacity 300 whose first run at 200/s stalls.
	flaky := func() (func(int) Attack, *int) {
		runs := map[int]int{}
		calls := 0
		return func(rate int) Attack {
			calls++
			runs[rate]++
			a := Attack{Rate: rate, Requests: rate, Throughput: float64(rate), Latency: Dist{P50: time.Millisecond, P99: 2 * time.Millisecond}}
			if rate > 300 || (rate == 200 && runs[rate] == 1) {
				a.Latency.P50 = time.Second
			}
			return a
		}, &calls
	}
	for _, tc := range []struct {
		retries, want, runs int
	}{
		{0, 170, 4}, // 100 passes, 200 stalls; bisected: 150 and 170 pass
		{1, 300, 8}, // 200 stalls, then passes; 400 fails twice; 300 passes; 350 fails twice
	} {
		run, calls := flaky()
		spec := searchSpec{Start: 100, Factor: 2, Max: 1000, Refine: 2, Retries: tc.retries,
			P50Limit: 10 * time.Millisecond, P99Limit: time.Second}
		res := spec.search(context.Background(), "x", run)
		if res.MaxRate != tc.want || *calls != tc.runs || len(res.Steps) != tc.runs {
			t.Errorf("retries %d: MaxRate %d after %d runs (%d steps), want %d after %d; steps %+v",
				tc.retries, res.MaxRate, *calls, len(res.Steps), tc.want, tc.runs, res.Steps)
		}
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		run, calls := flaky()
		spec := searchSpec{Start: 200, Factor: 2, Max: 1000, Retries: 3, P50Limit: 10 * time.Millisecond, P99Limit: time.Second}
		if res := spec.search(ctx, "x", run); *calls != 0 || res.MaxRate != 0 {
			t.Errorf("cancelled search ran %d steps, MaxRate %d", *calls, res.MaxRate)
		}
	})
}

func TestSearchInTurns(t *testing.T) {
	capacity := map[string]int{"a": 300, "b": 5000}
	var order []string
	run := func(target string, rate int) Attack {
		order = append(order, target)
		a := Attack{Rate: rate, Requests: rate, Throughput: float64(rate), Latency: Dist{P50: time.Millisecond, P99: 2 * time.Millisecond}}
		if rate > capacity[target] {
			a.Latency.P50 = time.Second
		}
		return a
	}
	spec := searchSpec{Start: 100, Factor: 2, Max: 1000, Refine: 3, Retries: 1, P50Limit: 10 * time.Millisecond, P99Limit: time.Second}
	res := spec.searchInTurns(context.Background(), []string{"a", "b"}, run)
	alone := map[string]Search{}
	for _, tg := range []string{"a", "b"} {
		alone[tg] = spec.search(context.Background(), tg, func(rate int) Attack { return run(tg, rate) })
	}
	for i, tg := range []string{"a", "b"} {
		if res[i].Target != tg || res[i].MaxRate != alone[tg].MaxRate || res[i].Capped != alone[tg].Capped ||
			len(res[i].Steps) != len(alone[tg].Steps) {
			t.Errorf("%s in turns: %+v; alone: %+v", tg, res[i], alone[tg])
		}
	}
	if res[0].MaxRate != 300 || !res[1].Capped || res[1].MaxRate != 1000 {
		t.Errorf("results %+v", res)
	}
	// b's search has 5 steps (100 to 1000, then capped): rounds 0-4 alternate,
	// the first of each round rotating, then a goes on alone.
	steps := len(res[0].Steps) + len(res[1].Steps)
	want := []string{"a", "b", "b", "a", "a", "b", "b", "a", "a", "b"}
	if got := order[:steps]; !slices.Equal(got[:len(want)], want) {
		t.Errorf("order %v, want it to start %v", got, want)
	}
	for _, tg := range order[len(want):steps] {
		if tg != "a" {
			t.Fatalf("order %v: b ran after its search ended", order[:steps])
		}
	}
}

func TestJudge(t *testing.T) {
	spec := searchSpec{P50Limit: 10 * time.Millisecond, P99Limit: 100 * time.Millisecond}
	ok := Attack{Rate: 100, Requests: 100, Throughput: 99, Latency: Dist{P50: time.Millisecond, P99: 50 * time.Millisecond}}
	for _, tc := range []struct {
		name string
		edit func(*Attack)
		why  string
	}{
		{"pass", func(*Attack) {}, ""},
		{"nothing sent", func(a *Attack) { a.Requests = 0 }, "no request sent"},
		{"errors", func(a *Attack) { a.Errors = 2 }, "2 errors"},
		{"fell behind", func(a *Attack) { a.Throughput = 90 }, "delivered 90/s"},
		{"queueing", func(a *Attack) { a.Latency.P50 = 20 * time.Millisecond }, "p50 20.0 ms"},
		{"tail", func(a *Attack) { a.Latency.P99 = 200 * time.Millisecond }, "p99 200.0 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ok
			tc.edit(&a)
			st := spec.judge(a)
			if st.Pass != (tc.why == "") || st.Why != tc.why {
				t.Errorf("judge = pass %v why %q, want %q", st.Pass, st.Why, tc.why)
			}
		})
	}
}

func TestRoundRate(t *testing.T) {
	for in, want := range map[int]int{7: 7, 99: 99, 123: 120, 3456: 3400, 10999: 10000} {
		if got := roundRate(in); got != want {
			t.Errorf("roundRate(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestRatioCheck(t *testing.T) {
	for _, tc := range []struct {
		name          string
		proxy, router float64
		limit         float64
		atLeast, pass bool
		ratio         float64
	}{
		{"within", 1, 1.4, 1.5, false, true, 1.4},
		{"at the limit", 2, 3, 1.5, false, true, 1.5},
		{"over", 1, 2, 1.5, false, false, 2},
		{"throughput enough", 1000, 900, 0.8, true, true, 0.9},
		{"throughput short", 1000, 700, 0.8, true, false, 0.7},
		{"proxy zero, router zero", 0, 0, 1.5, false, true, 0},
		{"proxy zero, router more", 0, 0.2, 1.5, false, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ratioCheck("x", "ms", tc.proxy, tc.router, tc.limit, tc.atLeast)
			if c.Pass != tc.pass || c.Ratio != tc.ratio {
				t.Errorf("ratioCheck = pass %v ratio %v, want %v %v", c.Pass, c.Ratio, tc.pass, tc.ratio)
			}
		})
	}
}

// syntheticReport has every section filled with the router twice as slow
// as the proxy, which passes nothing of the latency budget.
func syntheticReport() *Report {
	r := &Report{Date: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Machine: Machine{CPUs: 2, CPUModel: "Test CPU", Go: "go1.26"},
		Workloads: allWorkloads()}
	add := func(list *[]Attack, w workload, rate int, base time.Duration) {
		for i, t := range targetNames {
			d := base + time.Duration(i*i)*100*time.Microsecond // added 0.1 ms (proxy) and 0.4 ms (router)
			// The upstream's own time jitters from target to target; the
			// residuals keep the added 0.1 and 0.4 ms.
			up := time.Duration(50+20*i) * time.Microsecond
			*list = append(*list, Attack{Target: t, Workload: w.Name, Rate: rate, Requests: 100, Seconds: 1, Throughput: float64(rate),
				Latency: Dist{N: 100, P50: d + up, P99: 2*d + up, P999: 3*d + up}, SliceP99: []time.Duration{2*d + up},
				Upstream: Dist{N: 100, P50: up, P99: up}, Residual: Dist{N: 100, P50: d, P99: 2 * d, P999: 3 * d},
				SliceResidualP99: []time.Duration{2 * d}})
		}
	}
	for _, w := range []workload{wlJSON1K, wlJSON10K, wlJSON20ms} {
		add(&r.OneClient, w, 100, time.Millisecond)
		add(&r.Load, w, 500, time.Millisecond)
		add(&r.Sweeps, w, 100, time.Millisecond)
		add(&r.Sweeps, w, 500, 2*time.Millisecond)
	}
	r.Search = []Search{{Target: targetDirect, MaxRate: 5000, Retries: 1}, {Target: targetProxy, MaxRate: 2000, Retries: 1},
		{Target: targetRouter, MaxRate: 1800, Retries: 1, Steps: []Step{{Rate: 1800, Pass: true}}}}
	for i, t := range targetNames {
		for _, one := range []bool{true, false} {
			r.Streams = append(r.Streams, Streams{Target: t, OneClient: one, Rate: 50, Streams: 10,
				TTFT: Dist{N: 10, P50: time.Millisecond + time.Duration(i)*time.Millisecond}, Gap: Dist{N: 190, P50: 5 * time.Millisecond}})
		}
	}
	r.Idle = []Idle{{Target: targetProxy, Streams: 10, Opened: 10, PerStream: 40 << 10}, {Target: targetRouter, Streams: 10, Opened: 10, PerStream: 50 << 10}}
	r.Costs = []Cost{{Target: targetProxy, Requests: 10, PerRequest: 60}, {Target: targetRouter, Requests: 10, PerRequest: 200}}
	return r
}

func TestEvaluateAndMarkdown(t *testing.T) {
	r := syntheticReport()
	r.evaluate()
	want := map[string]bool{ // criterion prefix -> pass
		"added latency p50, one client, json-1kb":   false, // 0.4 / 0.1 = 4×
		"added latency p99, under load, json-10kb":  false,
		"highest sustained rate":                    true,  // 0.9×
		"added time to first token p50, one client": false, // 2 ms / 1 ms
		"memory per idle open stream":               true,  // 1.25×
	}
	if len(r.Budget) != 12+1+2+1 {
		t.Fatalf("%d checks, want 16", len(r.Budget))
	}
	for prefix, pass := range want {
		found := false
		for _, c := range r.Budget {
			if strings.HasPrefix(c.Criterion, prefix) {
				found = true
				if c.Pass != pass {
					t.Errorf("%s: pass %v, want %v (%+v)", c.Criterion, c.Pass, pass, c)
				}
			}
		}
		if !found {
			t.Errorf("no check %q", prefix)
		}
	}
	if r.Passed() {
		t.Error("Passed with failing checks")
	}
	md := r.Markdown()
	for _, s := range []string{"| added latency p50, one client, json-1kb (100/s) | 0.100 ms | 0.400 ms | 4.00× | ≤ 1.5× | ❌ fail |",
		"| highest sustained rate, zero errors (json-1kb) | 2000 req/s | 1800 req/s | 0.90× | ≥ 0.8× | ✅ pass |",
		"| proxy | 10 | 0.0 MiB | 0.0 MiB | 40.0 KiB |", "2 × Test CPU", "| router | 10 | 200 |",
		"A step that fails is run once more"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
}

// Without residuals for every target the budget compares whole latencies,
// and says so.
func TestEvaluateWithoutResiduals(t *testing.T) {
	r := syntheticReport()
	for i := range r.OneClient {
		if r.OneClient[i].Target == targetRouter {
			r.OneClient[i].Residual, r.OneClient[i].SliceResidualP99 = Dist{}, nil
		}
	}
	r.evaluate()
	for _, c := range r.Budget {
		one := strings.Contains(c.Criterion, "one client") && strings.HasPrefix(c.Criterion, "added latency")
		if got := strings.Contains(c.Note, "whole latencies"); got != one {
			t.Errorf("%s: note %q", c.Criterion, c.Note)
		}
		// Whole latencies carry the upstream's jitter: proxy 0.1 + 0.02 ms,
		// router 0.4 + 0.04 ms over direct.
		if strings.HasPrefix(c.Criterion, "added latency p50, one client, json-1kb ") && (fmt.Sprintf("%.3f", c.Proxy) != "0.120" || fmt.Sprintf("%.3f", c.Router) != "0.440") {
			t.Errorf("%s: proxy %v router %v", c.Criterion, c.Proxy, c.Router)
		}
	}
}

func TestWriteCharts(t *testing.T) {
	r := syntheticReport()
	dir := t.TempDir()
	names, err := writeCharts(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "latency-json-1kb.png,latency-json-1kb-20ms.png,latency-json-10kb.png" {
		t.Errorf("charts %v", names)
	}
}

func TestBootstrapFile(t *testing.T) {
	y := bootstrapFile("http://127.0.0.1:9")
	for _, w := range allWorkloads() {
		if !strings.Contains(y, "models: ["+w.model()+"]") || !strings.Contains(y, `"http://127.0.0.1:9/s/`+w.Scenario+`/v1"`) {
			t.Errorf("bootstrap lacks the channel of %s:\n%s", w.Name, y)
		}
	}
	for _, limit := range []string{"rpm:", "tpm:", "max_concurrency:", "quota_usd:"} {
		if strings.Count(y, limit) != 2 { // the user and the token
			t.Errorf("bootstrap has %d %q, want 2", strings.Count(y, limit), limit)
		}
	}
}

func TestRunProxy(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Path", r.URL.Path)
		rc := http.NewResponseController(w)
		for i := range 3 {
			_, _ = io.WriteString(w, "data: "+string(body)+string(rune('0'+i))+"\n\n")
			_ = rc.Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}))
	t.Cleanup(up.Close)
	addr, stats := mustFreeAddr(t), mustFreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunProxy(ctx, ProxyConfig{Addr: addr, Target: up.URL, StatsAddr: stats}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunProxy: %v", err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for !httpOK("http://"+stats+"/healthz") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	resp, err := http.Post("http://"+addr+"/s/x/v1/chat", "application/json", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got := resp.Header.Get("X-Path"); got != "/s/x/v1/chat" {
		t.Errorf("upstream saw path %q", got)
	}
	// Events arrive one by one, not buffered to the end.
	br := bufio.NewReader(resp.Body)
	first := time.Now()
	line, err := br.ReadString('\n')
	if err != nil || line != "data: hi0\n" {
		t.Fatalf("first event %q, %v", line, err)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != "\ndata: hi1\n\ndata: hi2\n\n" || time.Since(first) < 15*time.Millisecond {
		t.Errorf("rest %q after %v", rest, time.Since(first))
	}

	sr, err := http.Get("http://" + stats + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Body.Close()
	var st Stats
	if err := json.NewDecoder(sr.Body).Decode(&st); err != nil || st.Mallocs == 0 || st.TotalAlloc == 0 {
		t.Errorf("stats %+v, %v", st, err)
	}
}

func TestRunProxyConfig(t *testing.T) {
	for _, cfg := range []ProxyConfig{
		{Addr: "127.0.0.1:0", StatsAddr: "127.0.0.1:0", Target: "::bad"},
		{Addr: "127.0.0.1:0", StatsAddr: "127.0.0.1:0", Target: "/no-host"},
		{Target: "http://127.0.0.1:1"},
	} {
		if err := RunProxy(context.Background(), cfg); !errors.Is(err, ErrBadProxyConfig) {
			t.Errorf("RunProxy(%+v) = %v, want ErrBadProxyConfig", cfg, err)
		}
	}
}

func mustFreeAddr(t *testing.T) string {
	t.Helper()
	a, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseVmRSS(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int64
		ok       bool
	}{
		{"normal", "Name:\tx\nVmPeak:\t 2 kB\nVmRSS:\t   1234 kB\nThreads: 4\n", 1234 << 10, true},
		{"missing", "Name:\tx\n", 0, false},
		{"bad unit", "VmRSS: 12 MB\n", 0, false},
		{"bad number", "VmRSS: x kB\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseVmRSS = %d, %v; want %d ok=%v", got, err, tc.want, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrNoRSS) {
				t.Errorf("error %v is not ErrNoRSS", err)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     time.Duration
		ok       bool
	}{
		{"normal", "42 (burncloud-router) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 9 0 100 0 0", 2 * time.Second, true},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0", 70 * time.Millisecond, true},
		{"short", "7 (x) R 1 2 3", 0, false},
		{"no parens", "7 x R", 0, false},
		{"negative", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 -3 4 0", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseStatCPU = %v, %v; want %v ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParsePromStats(t *testing.T) {
	page := "# HELP go_memstats_mallocs_total x\n# TYPE go_memstats_mallocs_total counter\ngo_memstats_mallocs_total 1.234567e+06\n" +
		"go_memstats_alloc_bytes_total 9.87654321e+08\ngo_memstats_frees_total 5\n"
	st, err := parsePromStats([]byte(page))
	if err != nil || st.Mallocs != 1234567 || st.TotalAlloc != 987654321 {
		t.Errorf("parsePromStats = %+v, %v", st, err)
	}
	for _, bad := range []string{"", "go_memstats_mallocs_total 1\n", "go_memstats_mallocs_total x\ngo_memstats_alloc_bytes_total 1\n"} {
		if _, err := parsePromStats([]byte(bad)); !errors.Is(err, ErrNoCounter) {
			t.Errorf("parsePromStats(%q) = %v, want ErrNoCounter", bad, err)
		}
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/burncloud/burncloud/services/router
BenchmarkHotPathChat-2          	   50000	     23456 ns/op	   1024 B/op	      42 allocs/op
BenchmarkBareReverseProxy/whole-2   	  100000	     11000 ns/op	     512.5 B/op	      20 allocs/op
BenchmarkNoMem-2   1000   5 ns/op
BenchmarkBroken-2   x
PASS
`
	got, err := parseGoBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []GoBench{
		{Package: "services/router", Name: "BenchmarkHotPathChat", NsPerOp: 23456, BytesPerOp: 1024, AllocsPerOp: 42},
		{Package: "services/router", Name: "BenchmarkBareReverseProxy/whole", NsPerOp: 11000, BytesPerOp: 512.5, AllocsPerOp: 20},
		{Package: "services/router", Name: "BenchmarkNoMem", NsPerOp: 5},
	}
	if len(got) != len(want) {
		t.Fatalf("parseGoBench = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCostAdd(t *testing.T) {
	c := Cost{Target: "router"}
	c = c.add(sample{stats: Stats{Mallocs: 100, TotalAlloc: 1000}, cpu: time.Millisecond},
		sample{stats: Stats{Mallocs: 300, TotalAlloc: 3000}, cpu: 3 * time.Millisecond, deps: time.Millisecond}, 10)
	c = c.add(sample{stats: Stats{Mallocs: 300, TotalAlloc: 3000}}, sample{stats: Stats{Mallocs: 400, TotalAlloc: 5000}}, 10)
	if c.Requests != 20 || c.PerRequest != 15 || c.BytesPerReq != 200 || c.CPUMicros != 100 || c.DepsCPUMicros != 50 {
		t.Errorf("cost %+v", c)
	}
	// A counter that went backwards (a restart) is ignored.
	if d := c.add(sample{stats: Stats{Mallocs: 10}}, sample{stats: Stats{Mallocs: 5}}, 5); d != c {
		t.Errorf("backwards counters changed the cost: %+v", d)
	}
}

func TestMachineParsers(t *testing.T) {
	if got := cpuModel([]byte("processor\t: 0\nvendor_id\t: X\nmodel name\t: Fancy CPU @ 3GHz\nprocessor\t: 1\nmodel name\t: Other\n")); got != "Fancy CPU @ 3GHz" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := memTotalGiB([]byte("MemTotal:       25165824 kB\nMemFree: 1 kB\n")); got != 24 {
		t.Errorf("memTotalGiB = %d", got)
	}
	if got := memTotalGiB([]byte("MemFree: 1 kB\n")); got != 0 {
		t.Errorf("memTotalGiB without MemTotal = %d", got)
	}
}

func TestMainUsage(t *testing.T) {
	var out, errOut strings.Builder
	if code := Main(context.Background(), []string{"run", "--no-such-flag"}, &out, &errOut); code != 2 {
		t.Errorf("exit %d, want 2 (stderr %q)", code, errOut.String())
	}
	if code := Main(context.Background(), []string{"--help"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "burncloud-bench") {
		t.Errorf("--help: exit %d, stderr %q", code, errOut.String())
	}
	if code := Main(context.Background(), []string{"run", "--bin-dir", t.TempDir()}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "make build") {
		t.Errorf("missing binaries: exit %d, stderr %q", code, errOut.String())
	}
}

func FuzzParseGoBench(f *testing.F) {
	f.Add("BenchmarkX-2 10 5 ns/op 3 B/op 1 allocs/op\n")
	f.Add("BenchmarkY 1 x ns/op\nPASS\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseGoBench(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, g := range got {
			if !strings.HasPrefix(g.Name, "Benchmark") || g.NsPerOp <= 0 {
				t.Errorf("parsed %+v from %q", g, in)
			}
		}
	})
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add([]byte("42 (burncloud-router) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 9 0 100 0 0"))
	f.Add([]byte("1 ()) R"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if d, err := parseStatCPU(in); err == nil && d < 0 {
			t.Errorf("negative CPU %v from %q", d, in)
		}
	})
}

func FuzzParseVmRSS(f *testing.F) {
	f.Add([]byte("VmRSS:\t 1234 kB\n"))
	f.Add([]byte("VmRSS: 99999999999999999999 kB\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if v, err := parseVmRSS(in); err == nil && v < 0 {
			t.Errorf("negative RSS %d from %q", v, in)
		}
	})
}

func FuzzParsePromStats(f *testing.F) {
	f.Add([]byte("go_memstats_mallocs_total 1e3\ngo_memstats_alloc_bytes_total 2\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = parsePromStats(in) // must not panic
	})
}

func TestInternalsBetween(t *testing.T) {
	before := parseHistSums([]byte("burncloud_limits_redis_duration_seconds_sum 0.0002\nburncloud_limits_redis_duration_seconds_count 1\n" +
		"burncloud_router_spool_commit_records_sum 30\nburncloud_router_spool_commit_records_count 10\n"))
	after := parseHistSums([]byte("burncloud_limits_redis_duration_seconds_bucket{le=\"0.001\"} 3\n" +
		"burncloud_limits_redis_duration_seconds_sum 0.0008\nburncloud_limits_redis_duration_seconds_count 5\n" +
		"burncloud_router_spool_commit_records_sum 30\nburncloud_router_spool_commit_records_count 10\n" +
		"burncloud_router_usage_publish_duration_seconds_sum 1\nburncloud_router_usage_publish_duration_seconds_count 2\nbad line\n"))
	got := internalsBetween("load", before, after)
	if len(got) != 2 {
		t.Fatalf("internalsBetween = %+v", got)
	}
	if got[0].Metric != "burncloud_limits_redis_duration_seconds" || got[0].Count != 4 || got[0].Mean < 149.9 || got[0].Mean > 150.1 || got[0].Unit != "µs" || got[0].Phase != "load" {
		t.Errorf("redis = %+v", got[0])
	}
	if got[1].Metric != "burncloud_router_usage_publish_duration_seconds" || got[1].Mean != 500000 {
		t.Errorf("publish = %+v", got[1])
	}
}
