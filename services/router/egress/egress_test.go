package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestIsPublic(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"2606:4700:4700::1111", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fd00:ec2::254", false},   // AWS metadata over IPv6
		{"100.100.100.200", false}, // Alibaba metadata
		{"fe80::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:8.8.8.8", true},
		{"198.18.0.1", false},
		{"172.32.0.1", true},
	}
	for _, tt := range tests {
		if got := IsPublic(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("IsPublic(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
}

func TestTransportRefusesPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		wantRefused  bool
	}{
		{"loopback refused", srv.URL, false, true},
		{"host name resolving to loopback refused", "http://localhost:" + port(t, srv.URL), false, true},
		{"loopback allowed by the operator", srv.URL, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTransport(Options{AllowPrivate: tt.allowPrivate})
			t.Cleanup(tr.CloseIdleConnections)
			req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
			resp, err := tr.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			if refused := errors.Is(err, ErrForbiddenAddress); refused != tt.wantRefused {
				t.Fatalf("err = %v, refused = %v, want %v", err, refused, tt.wantRefused)
			}
			if !tt.wantRefused && err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConnectTimeoutFromContext(t *testing.T) {
	// The dial hangs until its context ends, like a SYN to a black hole.
	hang := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	tr := NewTransport(Options{AllowPrivate: true, ConnectTimeout: time.Minute, dial: hang})
	t.Cleanup(tr.CloseIdleConnections)
	for _, timeout := range []time.Duration{30 * time.Millisecond, 120 * time.Millisecond} {
		ctx := WithConnectTimeout(context.Background(), timeout)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://upstream.invalid/", nil)
		start := time.Now()
		resp, err := tr.RoundTrip(req)
		if resp != nil {
			resp.Body.Close()
		}
		took := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a deadline", err)
		}
		if took < timeout || took > timeout+2*time.Second {
			t.Errorf("timeout %v: gave up after %v", timeout, took)
		}
	}
}

func port(t *testing.T, raw string) string {
	t.Helper()
	ap, err := netip.ParseAddrPort(raw[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	return ap.String()[len(ap.Addr().String())+1:]
}
