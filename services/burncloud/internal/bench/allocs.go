package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrNoCounter is returned when a metrics page lacks a counter the harness reads.
var ErrNoCounter = errors.New("bench: counter missing")

// Cost is what serving one request cost a process while it served load:
// heap allocations (runtime counters) and CPU time (/proc), and for the
// router the CPU its own dependencies (Redis, NATS) spent meanwhile.
type Cost struct {
	Target      string  `json:"target"`
	Requests    int     `json:"requests"`
	PerRequest  float64 `json:"allocs_per_request"`
	BytesPerReq float64 `json:"bytes_per_request"`
	// CPUMicros is the process's user+system CPU per request, µs.
	CPUMicros float64 `json:"cpu_us_per_request"`
	// DepsCPUMicros is Redis's and NATS's CPU per request, µs (router only).
	DepsCPUMicros float64 `json:"deps_cpu_us_per_request"`
}

// sample is the counters read around one slice of load.
type sample struct {
	stats     Stats
	cpu, deps time.Duration
}

// add folds the counters read before and after n more requests into c.
func (c Cost) add(before, after sample, n int) Cost {
	if n <= 0 || after.stats.Mallocs < before.stats.Mallocs || after.stats.TotalAlloc < before.stats.TotalAlloc {
		return c
	}
	total := float64(c.Requests + n)
	old := float64(c.Requests)
	mix := func(avg, delta float64) float64 { return (avg*old + delta) / total }
	c.PerRequest = mix(c.PerRequest, float64(after.stats.Mallocs-before.stats.Mallocs))
	c.BytesPerReq = mix(c.BytesPerReq, float64(after.stats.TotalAlloc-before.stats.TotalAlloc))
	c.CPUMicros = mix(c.CPUMicros, float64(after.cpu-before.cpu)/float64(time.Microsecond))
	c.DepsCPUMicros = mix(c.DepsCPUMicros, float64(after.deps-before.deps)/float64(time.Microsecond))
	c.Requests += n
	return c
}

// readStats reads allocation counters: the bare proxy's /stats JSON, or the
// router's Prometheus /metrics (go_memstats_mallocs_total and
// go_memstats_alloc_bytes_total, the same runtime counters).
func readStats(ctx context.Context, url string) (Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Stats{}, err
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return Stats{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return Stats{}, err
	}
	if strings.HasSuffix(url, "/stats") {
		var s Stats
		return s, json.Unmarshal(b, &s)
	}
	return parsePromStats(b)
}

// parsePromStats reads the Go collector's allocation counters from the
// Prometheus text format.
func parsePromStats(b []byte) (Stats, error) {
	var s Stats
	var haveM, haveB bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *uint64
		switch name {
		case "go_memstats_mallocs_total":
			dst, haveM = &s.Mallocs, true
		case "go_memstats_alloc_bytes_total":
			dst, haveB = &s.TotalAlloc, true
		default:
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || f < 0 || f > 1e19 {
			return Stats{}, fmt.Errorf("%w: bad value %q for %s", ErrNoCounter, value, name)
		}
		*dst = uint64(f)
	}
	if !haveM || !haveB {
		return Stats{}, fmt.Errorf("%w: go_memstats_mallocs_total / go_memstats_alloc_bytes_total", ErrNoCounter)
	}
	return s, nil
}

// GoBench is one line of `go test -bench -benchmem` output.
type GoBench struct {
	// Package is the last "pkg:" line before the benchmark, module prefix cut.
	Package     string  `json:"package,omitempty"`
	Name        string  `json:"name"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

// parseGoBench reads the benchmark lines of `go test -bench -benchmem`
// output; other lines are skipped. The -N GOMAXPROCS suffix is dropped.
func parseGoBench(r io.Reader) ([]GoBench, error) {
	var out []GoBench
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), "github.com/burncloud/burncloud/")
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		g := GoBench{Package: pkg, Name: f[0]}
		if i := strings.LastIndexByte(g.Name, '-'); i > 0 {
			if _, err := strconv.Atoi(g.Name[i+1:]); err == nil {
				g.Name = g.Name[:i]
			}
		}
		// After the iteration count come value/unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			switch f[i+1] {
			case "ns/op":
				g.NsPerOp = v
			case "B/op":
				g.BytesPerOp = v
			case "allocs/op":
				g.AllocsPerOp = v
			}
		}
		if g.NsPerOp > 0 {
			out = append(out, g)
		}
	}
	return out, sc.Err()
}

// Internal is one of the router's own histograms over one phase.
type Internal struct {
	Phase  string  `json:"phase"`
	Metric string  `json:"metric"`
	What   string  `json:"what"`
	Count  float64 `json:"count"`
	Mean   float64 `json:"mean"`
	Unit   string  `json:"unit"`
}

// routerInternals are the router histograms the report explains its
// latency with: scale turns the metric's unit into Unit.
var routerInternals = []struct {
	metric, what, unit string
	scale              float64
}{
	{"burncloud_limits_redis_duration_seconds", "one limiter script call to Redis (admission or settlement)", "µs", 1e6},
	{"burncloud_router_spool_fsync_duration_seconds", "one spool group commit (write and fsync)", "µs", 1e6},
	{"burncloud_router_spool_commit_records", "events made durable per group commit", "events", 1},
	{"burncloud_router_usage_publish_duration_seconds", "one JetStream publish until acknowledged", "µs", 1e6},
}

// histSums are the _sum and _count of routerInternals' unlabelled
// histograms in a Prometheus text page.
type histSums struct{ sum, count map[string]float64 }

func parseHistSums(page []byte) histSums {
	h := histSums{sum: map[string]float64{}, count: map[string]float64{}}
	sc := bufio.NewScanner(bytes.NewReader(page))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		if base, ok := strings.CutSuffix(name, "_sum"); ok {
			h.sum[base] = v
		} else if base, ok := strings.CutSuffix(name, "_count"); ok {
			h.count[base] = v
		}
	}
	return h
}

// internalsBetween is what the router's histograms gained from before to
// after; histograms without a new observation are left out.
func internalsBetween(phase string, before, after histSums) []Internal {
	var out []Internal
	for _, ri := range routerInternals {
		n := after.count[ri.metric] - before.count[ri.metric]
		if n <= 0 {
			continue
		}
		mean := (after.sum[ri.metric] - before.sum[ri.metric]) / n * ri.scale
		out = append(out, Internal{Phase: phase, Metric: ri.metric, What: ri.what, Count: n, Mean: mean, Unit: ri.unit})
	}
	return out
}
