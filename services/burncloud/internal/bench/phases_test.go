package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

// traceOneClient traces n requests of one client, one at a time, through a
// proxy made like the router's request path: its handler sends each request
// upstream with its own transport and writes the answer whole.
func traceOneClient(t *testing.T, n int) []byte {
	t.Helper()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(upstream.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, upstream.URL, bytes.NewReader([]byte(`{}`)))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_, _ = w.Write(body)
	}))
	t.Cleanup(proxy.Close)
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)

	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("a trace is already running: %v", err)
	}
	for range n {
		// One client at a fixed rate: the proxy's goroutines wait on the
		// network before each request, as the profiling runs' do.
		time.Sleep(2 * time.Millisecond)
		resp, err := client.Post(proxy.URL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			trace.Stop()
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	trace.Stop()
	return buf.Bytes()
}

func TestReadPhases(t *testing.T) {
	const n = 20
	ph, err := ReadPhases(bytes.NewReader(traceOneClient(t, n)))
	if err != nil {
		t.Fatal(err)
	}
	// A new connection's first request finds its goroutine not yet known,
	// and a request that arrives before the goroutine waits on the network
	// is not seen arriving.
	if got := len(ph.ClientWrite); got < n-4 || got > n {
		t.Fatalf("%d requests found, want %d or a little fewer", got, n)
	}
	for name, ds := range map[string][]time.Duration{"in": ph.In, "upstream write": ph.UpstreamWrite,
		"upstream": ph.Upstream, "out": ph.Out, "client write": ph.ClientWrite} {
		if len(ds) != len(ph.ClientWrite) {
			t.Errorf("%s: %d durations for %d requests", name, len(ds), len(ph.ClientWrite))
		}
		for _, d := range ds {
			if d <= 0 {
				t.Errorf("%s: duration %v", name, d)
			}
		}
	}
	md := ph.Markdown()
	t.Log(md)
	for _, want := range []string{"| request in → upstream write |", "| upstream write → answer in |", "| client write (system call) |", "requests"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestReadPhasesErrors(t *testing.T) {
	if _, err := ReadPhases(strings.NewReader("not a trace")); err == nil {
		t.Error("no error for a file that is not a trace")
	}
	// A trace without a proxied request.
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("a trace is already running: %v", err)
	}
	trace.Stop()
	if _, err := ReadPhases(&buf); !errors.Is(err, ErrNoRequests) {
		t.Errorf("empty trace: %v, want ErrNoRequests", err)
	}
}

func TestMainPhases(t *testing.T) {
	file := filepath.Join(t.TempDir(), "one-client.trace")
	if err := os.WriteFile(file, traceOneClient(t, 5), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := Main(context.Background(), []string{"phases", file}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "| answer in → client write |") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if code := Main(context.Background(), []string{"phases"}, &out, &errOut); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if code := Main(context.Background(), []string{"phases", file + ".missing"}, &out, &errOut); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}
