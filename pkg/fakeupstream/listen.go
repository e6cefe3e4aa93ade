package fakeupstream

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// Running is a Server serving on a real listener.
type Running struct {
	// URL is the root, e.g. http://127.0.0.1:41234 (no trailing slash).
	URL  string
	srv  *http.Server
	done chan error
}

// Listen serves s on addr (e.g. "127.0.0.1:0") until Close.
func (s *Server) Listen(addr string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &Running{
		URL: "http://" + ln.Addr().String(),
		// No write timeout: streams may be paced for as long as a test wants.
		srv:  &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	go func() { r.done <- r.srv.Serve(ln) }()
	return r, nil
}

// BaseURL is the OpenAI-style base URL under which scenario applies.
func (r *Running) BaseURL(scenario string) string { return BaseURL(r.URL, scenario) }

// Close stops serving and closes every connection, which also ends requests
// waiting in hang, latency or pace.
func (r *Running) Close() error {
	err := r.srv.Close()
	if serveErr := <-r.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// BaseURL joins a server root (a Running URL or an httptest.Server URL) and
// a scenario into a channel base URL: root/v1, or root/s/<scenario>/v1.
func BaseURL(root, scenario string) string {
	root = strings.TrimSuffix(root, "/")
	if scenario == "" {
		return root + "/v1"
	}
	return root + "/s/" + scenario + "/v1"
}
