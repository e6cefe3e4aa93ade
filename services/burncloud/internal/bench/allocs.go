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

// Allocs is the heap allocation a process made per request while serving load.
type Allocs struct {
	Target      string  `json:"target"`
	Requests    int     `json:"requests"`
	PerRequest  float64 `json:"allocs_per_request"`
	BytesPerReq float64 `json:"bytes_per_request"`
}

// addAllocs adds two counter readings around n more requests to a.
func addAllocs(a Allocs, before, after Stats, n int) Allocs {
	if n <= 0 || after.Mallocs < before.Mallocs || after.TotalAlloc < before.TotalAlloc {
		return a
	}
	total := a.Requests + n
	allocs := a.PerRequest*float64(a.Requests) + float64(after.Mallocs-before.Mallocs)
	bytes := a.BytesPerReq*float64(a.Requests) + float64(after.TotalAlloc-before.TotalAlloc)
	a.Requests, a.PerRequest, a.BytesPerReq = total, allocs/float64(total), bytes/float64(total)
	return a
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
	Name        string  `json:"name"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	AllocsPerOp float64 `json:"allocs_per_op"`
}

// parseGoBench reads the benchmark lines of `go test -bench -benchmem`
// output; other lines are skipped. The -N GOMAXPROCS suffix is dropped.
func parseGoBench(r io.Reader) ([]GoBench, error) {
	var out []GoBench
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		g := GoBench{Name: f[0]}
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
