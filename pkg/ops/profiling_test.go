package ops

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
)

func TestStartProfilingDisabled(t *testing.T) {
	stop, err := StartProfiling(ProfilingConfig{AppName: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStartProfilingBadURL(t *testing.T) {
	for _, u := range []string{"pyroscope:4040", "ftp://h", "http://", "http://u:hunter2@ho st"} {
		_, err := StartProfiling(ProfilingConfig{URL: u, AppName: "x"}, nil)
		if !errors.Is(err, ErrProfilingURL) {
			t.Errorf("StartProfiling(%q) = %v, want ErrProfilingURL", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("credentials leaked: %v", err)
		}
	}
}

func TestStartProfilingUploads(t *testing.T) {
	type upload struct{ path, name, user, pass string }
	var (
		mu      sync.Mutex
		uploads []upload
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		mu.Lock()
		uploads = append(uploads, upload{r.URL.Path, r.URL.Query().Get("name"), user, pass})
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)

	url := strings.Replace(srv.URL, "http://", "http://tenant:token@", 1)
	stop, err := StartProfiling(ProfilingConfig{
		URL:     url,
		AppName: "burncloud-test",
		Tags:    map[string]string{"instance": "r1"},
	}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(uploads) == 0 {
		t.Fatal("stop did not flush any profile")
	}
	for _, u := range uploads {
		if u.path != "/ingest" || u.user != "tenant" || u.pass != "token" {
			t.Errorf("upload %+v: want /ingest with basic auth tenant:token", u)
		}
		if !strings.HasPrefix(u.name, "burncloud-test") || !strings.Contains(u.name, "instance=r1") {
			t.Errorf("upload name = %q", u.name)
		}
	}
}
