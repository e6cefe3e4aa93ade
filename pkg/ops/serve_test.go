package ops

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// slowServer serves the ops endpoints plus /slow, which writes a first line,
// then waits for release (or for its request to be cancelled) and writes a
// second one.
type slowServer struct {
	health   Health
	started  chan struct{}
	release  chan struct{}
	finished chan struct{}
	srv      *http.Server
	ln       net.Listener
	url      string
}

func newSlowServer(t *testing.T) *slowServer {
	t.Helper()
	s := &slowServer{
		started:  make(chan struct{}),
		release:  make(chan struct{}),
		finished: make(chan struct{}),
	}
	mux := http.NewServeMux()
	Mount(mux, &s.health, NewRegistry())
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		defer close(s.finished)
		io.WriteString(w, "start\n")
		http.NewResponseController(w).Flush()
		close(s.started)
		select {
		case <-s.release:
			io.WriteString(w, "done\n")
		case <-r.Context().Done():
		}
	})
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.srv = NewHTTPServer(mux, ServerOptions{})
	s.url = "http://" + ln.Addr().String()
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
		s.srv.Close()
	})
	return s
}

// fetch does one request on a fresh connection.
func fetch(url string) (int, string, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func TestServeDrainsInFlightRequest(t *testing.T) {
	s := newSlowServer(t)
	s.health.SetReady(true)
	var readyAtShutdown atomic.Bool
	readyAtShutdown.Store(true)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, s.srv, s.ln, ServeOptions{
			Health:         &s.health,
			ReadinessDelay: 400 * time.Millisecond,
			DrainTimeout:   10 * time.Second,
			OnShutdown:     func() { readyAtShutdown.Store(s.health.Ready()) },
		})
	}()

	if code, _, err := fetch(s.url + "/readyz"); err != nil || code != http.StatusOK {
		t.Fatalf("/readyz before shutdown = %d, %v", code, err)
	}

	type result struct {
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		_, body, err := fetch(s.url + "/slow")
		slow <- result{body, err}
	}()
	<-s.started
	cancel()

	// During the readiness delay the listener is still open and /readyz fails.
	deadline := time.Now().Add(400 * time.Millisecond)
	for {
		code, body, err := fetch(s.url + "/readyz")
		if err == nil && code == http.StatusServiceUnavailable {
			if body != "shutting down\n" {
				t.Errorf("/readyz body = %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered 503 while draining (last: %d %v)", code, err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// The in-flight request holds shutdown open well past the delay.
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	case <-time.After(600 * time.Millisecond):
	}
	close(s.release)

	r := <-slow
	if r.err != nil || r.body != "start\ndone\n" {
		t.Fatalf("in-flight request = %q, %v; want it completed", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if readyAtShutdown.Load() {
		t.Error("readiness still true when draining began")
	}
	if _, _, err := fetch(s.url + "/healthz"); err == nil {
		t.Error("listener still accepting after Serve returned")
	}
}

func TestServeDrainTimeout(t *testing.T) {
	s := newSlowServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, s.srv, s.ln, ServeOptions{DrainTimeout: 100 * time.Millisecond})
	}()

	slow := make(chan string, 1)
	go func() {
		_, body, _ := fetch(s.url + "/slow")
		slow <- body
	}()
	<-s.started
	start := time.Now()
	cancel()

	err := <-served
	if !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Serve = %v, want ErrDrainTimeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("forced close took %s", took)
	}
	// Closing the connection cancels the stuck handler's context.
	select {
	case <-s.finished:
	case <-time.After(5 * time.Second):
		t.Fatal("handler still running after forced close")
	}
	if body := <-slow; body == "start\ndone\n" {
		t.Error("request completed although it was cut")
	}
}

func TestServeListenerFailure(t *testing.T) {
	s := newSlowServer(t)
	s.ln.Close()
	err := Serve(context.Background(), s.srv, s.ln, ServeOptions{})
	if err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
}

func TestServeAlreadyCancelled(t *testing.T) {
	s := newSlowServer(t)
	s.health.SetReady(true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Serve(ctx, s.srv, s.ln, ServeOptions{Health: &s.health}); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if s.health.Ready() {
		t.Error("still ready after shutdown")
	}
}

func TestNewHTTPServerDefaults(t *testing.T) {
	type limits struct {
		header, idle time.Duration
		maxHeader    int
	}
	tests := []struct {
		name string
		opts ServerOptions
		want limits
	}{
		{"defaults", ServerOptions{}, limits{DefaultReadHeaderTimeout, DefaultIdleTimeout, DefaultMaxHeaderBytes}},
		{"overrides", ServerOptions{ReadHeaderTimeout: time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 1024},
			limits{time.Second, time.Minute, 1024}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewHTTPServer(http.NotFoundHandler(), tt.opts)
			if got := (limits{srv.ReadHeaderTimeout, srv.IdleTimeout, srv.MaxHeaderBytes}); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if srv.WriteTimeout != 0 || srv.ReadTimeout != 0 {
				t.Error("whole-request timeouts would cut streams")
			}
		})
	}
	srv := NewHTTPServer(http.NotFoundHandler(), ServerOptions{UnencryptedHTTP2: true})
	if srv.Protocols == nil || !srv.Protocols.UnencryptedHTTP2() || !srv.Protocols.HTTP1() {
		t.Error("h2c not enabled")
	}
}

func TestListenBadAddr(t *testing.T) {
	if _, err := Listen("127.0.0.1:notaport"); err == nil {
		t.Fatal("Listen accepted a bad address")
	}
}
