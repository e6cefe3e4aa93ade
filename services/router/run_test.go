package router

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestRunStartsAndStops(t *testing.T) {
	cfg := testConfig(t, map[string]string{
		"BURNCLOUD_ROUTER_ADDR": "127.0.0.1:0", "BURNCLOUD_CONTROL_URL": "http://127.0.0.1:1",
		"BURNCLOUD_SPOOL_DIR": t.TempDir(), "BURNCLOUD_NATS_URL": "nats://127.0.0.1:1",
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, zap.NewNop()) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{"7", 7 * time.Second},
		{"99999999999", 7 * 24 * time.Hour},
		{"Fri, 31 Dec 9999 23:59:59 GMT", 7 * 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "1", "120", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d := retryAfter(s, now)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("retryAfter(%q) = %v", s, d)
		}
	})
}

func TestCredential(t *testing.T) {
	tests := []struct {
		name string
		url  string
		hdr  map[string]string
		want string
	}{
		{"bearer", "/v1/x", map[string]string{"Authorization": "Bearer k1"}, "k1"},
		{"bearer lower case", "/v1/x", map[string]string{"Authorization": "bearer  k1 "}, "k1"},
		{"empty bearer falls through", "/v1/x", map[string]string{"Authorization": "Bearer ", "X-Api-Key": "k2"}, "k2"},
		{"x-api-key", "/v1/x", map[string]string{"X-Api-Key": "k2"}, "k2"},
		{"x-goog-api-key", "/v1/x", map[string]string{"X-Goog-Api-Key": "k3"}, "k3"},
		{"query", "/v1/x?alt=sse&key=k4", nil, "k4"},
		{"header wins over query", "/v1/x?key=k4", map[string]string{"Authorization": "Bearer k1"}, "k1"},
		{"none", "/v1/x", map[string]string{"Authorization": "Basic abc"}, ""},
	}
	for _, tt := range tests {
		if got := credential(newRequest(http.MethodPost, tt.url, "", tt.hdr)); got != tt.want {
			t.Errorf("%s: credential = %q, want %q", tt.name, got, tt.want)
		}
	}
}
