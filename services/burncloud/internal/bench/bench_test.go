package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/services/burncloud/internal/proctest"
)

// logWriter sends the harness's progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// shortRun runs the harness in its smoke mode with cfg's outputs, on
// programs built into a directory removed when the test ends.
func shortRun(t *testing.T, cfg Config) (*Report, error) {
	t.Helper()
	bin, err := proctest.Build(
		"github.com/burncloud/burncloud/services/burncloud/cmd/burncloud",
		"github.com/burncloud/burncloud/services/burncloud/cmd/burncloud-bench",
		"github.com/burncloud/burncloud/services/router/cmd/burncloud-router",
		"github.com/burncloud/burncloud/services/control/cmd/burncloud-control",
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(bin) })
	cfg.BinDir, cfg.Short, cfg.Log, cfg.DatabaseURL = bin, true, logWriter{t}, os.Getenv("BURNCLOUD_TEST_DATABASE_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return Run(ctx, cfg)
}

// TestShortRun is the smoke test `make test` runs: the whole harness at
// tiny rates against real processes. It asserts no timings, only that the
// report is produced and every target answered every request.
func TestShortRun(t *testing.T) {
	out := t.TempDir()
	rep, err := shortRun(t, Config{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}

	md, err := os.ReadFile(filepath.Join(out, reportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Budget", "## Latency: one client", "## Throughput", "## Streaming", "## Memory per idle open stream", "## Cost per request", "latency-json-1kb.png"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	var back Report
	js, err := os.ReadFile(filepath.Join(out, resultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	if len(back.Budget) != len(rep.Budget) || len(back.Budget) == 0 {
		t.Errorf("results.json has %d budget checks, report %d", len(back.Budget), len(rep.Budget))
	}
	for _, c := range rep.Budget {
		if strings.Contains(c.Note, "whole latencies") {
			t.Errorf("%s: %s", c.Criterion, c.Note)
		}
	}
	for _, c := range rep.Charts {
		png, err := os.ReadFile(filepath.Join(out, c))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("chart %s is not a PNG (%v)", c, err)
		}
	}
	if len(rep.Charts) == 0 {
		t.Error("no chart written")
	}

	// Every target answered, without an error.
	for _, set := range [][]Attack{rep.OneClient, rep.Load, rep.Sweeps} {
		seen := map[string]bool{}
		for _, a := range set {
			seen[a.Target] = true
			if a.Requests == 0 || a.Errors != 0 {
				t.Errorf("%s %s %d/s: %d requests, %d errors %v", a.Target, a.Workload, a.Rate, a.Requests, a.Errors, a.ErrorKinds)
			}
			// Each target passed the upstream's timing stamp on to the client.
			if a.Residual.N != a.Requests || a.Upstream.N != a.Requests || a.Residual.P50 <= 0 || a.Residual.P50 >= a.Latency.P50 {
				t.Errorf("%s %s %d/s: %d requests, upstream %+v, residual %+v", a.Target, a.Workload, a.Rate, a.Requests, a.Upstream, a.Residual)
			}
		}
		if len(seen) != len(targetNames) {
			t.Errorf("targets measured: %v", seen)
		}
	}
	if len(rep.Streams) != 2*len(targetNames) {
		t.Errorf("%d stream measurements, want %d", len(rep.Streams), 2*len(targetNames))
	}
	for _, s := range rep.Streams {
		if s.Streams == 0 || s.Errors != 0 || s.TTFT.N == 0 || s.Gap.N == 0 {
			t.Errorf("streams %s one-client=%v: %d streams, %d errors %v, %d ttfts, %d gaps", s.Target, s.OneClient, s.Streams, s.Errors, s.ErrorKinds, s.TTFT.N, s.Gap.N)
		}
	}
	if len(rep.Search) != len(targetNames) {
		t.Errorf("%d searches, want %d", len(rep.Search), len(targetNames))
	}
	for _, s := range rep.Search {
		if s.MaxRate == 0 {
			t.Errorf("%s sustained no rate: %+v", s.Target, s.Steps)
		}
	}
	if len(rep.Idle) != 2 {
		t.Errorf("%d idle measurements, want 2", len(rep.Idle))
	}
	for _, i := range rep.Idle {
		if i.Opened != i.Streams || i.RSSBefore == 0 || i.RSSAfter == 0 {
			t.Errorf("idle %s: %+v", i.Target, i)
		}
	}
	if len(rep.Costs) != 2 {
		t.Errorf("%d costs, want 2", len(rep.Costs))
	}
	for _, c := range rep.Costs {
		if c.Requests == 0 || c.PerRequest <= 0 || c.BytesPerReq <= 0 {
			t.Errorf("cost %s: %+v", c.Target, c)
		}
	}
	if n := rep.Errors(); n != 0 {
		t.Errorf("%d errors in the run", n)
	}
}

// TestShortProfile runs the profiling mode at tiny rates: the router under
// pprof, every profile and trace written and well formed.
func TestShortProfile(t *testing.T) {
	dir := t.TempDir()
	if rep, err := shortRun(t, Config{ProfileDir: dir}); err != nil || rep != nil {
		t.Fatalf("Run: report %v, error %v", rep, err)
	}
	gzipped := []byte{0x1f, 0x8b}
	want := map[string][]byte{
		"json-1kb-router-cpu.pprof":    gzipped,
		"sse-router-cpu.pprof":         gzipped,
		"json-1kb-router-allocs.pprof": gzipped,
		"sse-router-allocs.pprof":      gzipped,
	}
	for _, name := range []string{"json-1kb-router-trace.out", "json-1kb-20ms-router-trace.out",
		"json-1kb-one-client-router-trace.out", "json-10kb-one-client-router-trace.out",
		"json-1kb-20ms-one-client-router-trace.out", "sse-one-client-router-trace.out",
		"json-1kb-one-client-proxy-trace.out", "json-10kb-one-client-proxy-trace.out",
		"json-1kb-20ms-one-client-proxy-trace.out"} {
		want[name] = []byte("go 1.")
	}
	for name, prefix := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.HasPrefix(b, prefix) {
			t.Errorf("%s: %d bytes starting %q, want %q (%v)", name, len(b), b[:min(len(b), 8)], prefix, err)
		}
	}
}
