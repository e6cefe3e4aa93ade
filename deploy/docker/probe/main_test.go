package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /notready", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no snapshot yet", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name    string
		args    []string
		wantErr error // nil: healthy; errAny: any error
	}{
		{"http 200", []string{srv.URL + "/readyz"}, nil},
		{"http 503", []string{srv.URL + "/notready"}, ErrUnhealthy},
		{"http 404", []string{srv.URL + "/missing"}, ErrUnhealthy},
		{"tcp open", []string{"tcp://" + ln.Addr().String()}, nil},
		{"tcp refused", []string{"tcp://" + closedAddr}, errAny},
		{"http refused", []string{"http://" + closedAddr + "/readyz"}, errAny},
		{"no argument", nil, ErrUsage},
		{"two arguments", []string{srv.URL, srv.URL}, ErrUsage},
		{"no host", []string{"http:///readyz"}, ErrUsage},
		{"unknown scheme", []string{"ftp://127.0.0.1:21"}, ErrUsage},
		{"not a url", []string{"127.0.0.1:8080"}, ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("run(%q) = %v, want healthy", tt.args, err)
			case tt.wantErr == errAny && err == nil:
				t.Fatalf("run(%q) = healthy, want an error", tt.args)
			case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Fatalf("run(%q) = %v, want %v", tt.args, err, tt.wantErr)
			}
		})
	}
}

// errAny stands for "some error" where the exact one depends on the OS.
var errAny = errors.New("any error")
