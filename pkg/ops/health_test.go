package ops

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestHealthTransitions(t *testing.T) {
	var h Health
	handler := OpsHandler(&h, NewRegistry())

	steps := []struct {
		name      string
		change    func()
		wantReady bool
		wantCode  int
		wantBody  string
	}{
		{"zero value", func() {}, false, http.StatusServiceUnavailable, "starting\n"},
		{"ready", func() { h.SetReady(true) }, true, http.StatusOK, "ok\n"},
		{"not ready with reason", func() { h.SetNotReady("no snapshot yet") }, false, http.StatusServiceUnavailable, "no snapshot yet\n"},
		{"ready again", func() { h.SetReady(true) }, true, http.StatusOK, "ok\n"},
		{"plain not ready", func() { h.SetReady(false) }, false, http.StatusServiceUnavailable, "not ready\n"},
	}
	for _, s := range steps {
		s.change()
		if h.Ready() != s.wantReady {
			t.Errorf("%s: Ready() = %v", s.name, h.Ready())
		}
		code, body := get(t, handler, http.MethodGet, "/readyz")
		if code != s.wantCode || body != s.wantBody {
			t.Errorf("%s: /readyz = %d %q, want %d %q", s.name, code, body, s.wantCode, s.wantBody)
		}
		// Liveness does not follow readiness.
		if code, body := get(t, handler, http.MethodGet, "/healthz"); code != http.StatusOK || body != "ok\n" {
			t.Errorf("%s: /healthz = %d %q", s.name, code, body)
		}
	}
}

func TestOpsMethods(t *testing.T) {
	var h Health
	handler := OpsHandler(&h, NewRegistry())
	if code, _ := get(t, handler, http.MethodHead, "/healthz"); code != http.StatusOK {
		t.Errorf("HEAD /healthz = %d", code)
	}
	if code, _ := get(t, handler, http.MethodPost, "/healthz"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", code)
	}
}

func TestMetricsServed(t *testing.T) {
	var h Health
	reg := NewRegistry()
	srv := httptest.NewServer(OpsHandler(&h, reg))
	t.Cleanup(srv.Close)

	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{"go_goroutines ", "go_build_info{", "process_start_time_seconds ", "process_resident_memory_bytes "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestMountOnServiceMux(t *testing.T) {
	var h Health
	h.SetReady(true)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "console") })
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "api") })
	Mount(mux, &h, NewRegistry())

	tests := []struct{ method, path, want string }{
		{http.MethodGet, "/healthz", "ok\n"},
		{http.MethodGet, "/readyz", "ok\n"},
		{http.MethodGet, "/", "console"},
		{http.MethodGet, "/anything", "console"},
		{http.MethodPost, "/v1/chat/completions", "api"},
	}
	for _, tt := range tests {
		if _, body := get(t, mux, tt.method, tt.path); body != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.method, tt.path, body, tt.want)
		}
	}
	if _, body := get(t, mux, http.MethodGet, "/metrics"); !strings.Contains(body, "go_goroutines") {
		t.Error("/metrics not mounted")
	}
}

func BenchmarkReadyz(b *testing.B) {
	var h Health
	h.SetReady(true)
	handler := OpsHandler(&h, NewRegistry())
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
	}
}

func BenchmarkHealthReady(b *testing.B) {
	var h Health
	h.SetReady(true)
	b.ReportAllocs()
	for b.Loop() {
		if !h.Ready() {
			b.Fatal("not ready")
		}
	}
}
