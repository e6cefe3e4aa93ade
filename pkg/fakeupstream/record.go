package fakeupstream

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is one request as the fake received it.
type Request struct {
	Time     time.Time
	Method   string
	Path     string // as received, with any /s/<scenario> prefix
	RawQuery string
	Scenario string // the raw scenario segment of the path, "" if none
	Header   http.Header
	Body     []byte
}

// BearerKey is the key of an "Authorization: Bearer" header, "" if none.
func (r Request) BearerKey() string { return bearerKey(r.Header.Get("Authorization")) }

func bearerKey(v string) string {
	const prefix = "bearer "
	if len(v) > len(prefix) && strings.EqualFold(v[:len(prefix)], prefix) {
		return strings.TrimSpace(v[len(prefix):])
	}
	return ""
}

// recorder is a bounded ring of the latest requests.
type recorder struct {
	mu   sync.Mutex
	ring []Request
	next int
	full bool
}

func newRecorder(limit int) *recorder {
	if limit <= 0 {
		return nil
	}
	return &recorder{ring: make([]Request, limit)}
}

func (rc *recorder) add(r *http.Request, scenario string, body []byte) {
	// The body is a fresh slice per request that the handlers only read, so
	// the ring may keep it; the header map is the server's and must be copied.
	req := Request{
		Time:     time.Now(),
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Scenario: scenario,
		Header:   r.Header.Clone(),
		Body:     body,
	}
	rc.mu.Lock()
	rc.ring[rc.next] = req
	rc.next++
	if rc.next == len(rc.ring) {
		rc.next, rc.full = 0, true
	}
	rc.mu.Unlock()
}

func (rc *recorder) list() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []Request
	if rc.full {
		out = append(out, rc.ring[rc.next:]...)
	}
	out = append(out, rc.ring[:rc.next]...)
	for i := range out {
		out[i].Header = out[i].Header.Clone()
		out[i].Body = bytes.Clone(out[i].Body)
	}
	return out
}

func (rc *recorder) reset() {
	rc.mu.Lock()
	clear(rc.ring)
	rc.next, rc.full = 0, false
	rc.mu.Unlock()
}

// Requests returns the recorded requests, oldest first (copies).
func (s *Server) Requests() []Request {
	if s.rec == nil {
		return nil
	}
	return s.rec.list()
}

// LastRequest returns the most recent recorded request.
func (s *Server) LastRequest() (Request, bool) {
	reqs := s.Requests()
	if len(reqs) == 0 {
		return Request{}, false
	}
	return reqs[len(reqs)-1], true
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	if s.rec != nil {
		s.rec.reset()
	}
}

// Received is how many requests reached the fake, recorded or not.
func (s *Server) Received() int64 { return s.received.Load() }
