package router

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

// stepUpstream sends each step of an event stream in one write and flush,
// and the next one only when the test says so.
type stepUpstream struct {
	steps []string
	next  chan struct{}
	stop  chan struct{}
}

func (s *stepUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	rc := http.NewResponseController(w)
	for i, step := range s.steps {
		if i > 0 {
			select {
			case <-s.next:
			case <-s.stop:
				return
			}
		}
		_, _ = w.Write([]byte(step))
		_ = rc.Flush()
	}
}

// readChunk reads one HTTP/1.1 chunk of a chunked body.
func readChunk(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("chunk size: %v", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
	if err != nil {
		t.Fatalf("chunk size %q: %v", line, err)
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(br, buf); err != nil {
		t.Fatalf("chunk body: %v", err)
	}
	return string(buf[:n])
}

// The router writes a stream's events as they come: events the upstream
// sent together reach the client in one write (one HTTP chunk), and an event
// is never held back while the next is awaited (the upstream sends the next
// step only after the client got the previous one).
func TestStreamEventsLeaveAsTheyCame(t *testing.T) {
	e := newEnv(t)
	const (
		role  = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
		hello = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n"
		world = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"}}]}\n\n"
		usage = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n"
		done  = "data: [DONE]\n\n"
	)
	up := &stepUpstream{steps: []string{role, hello + world, usage + done}, next: make(chan struct{}), stop: make(chan struct{})}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(up.stop) }) // first: a failed test leaves no handler waiting
	e.apply([]*snapshotv1.Entity{e.channelE("primary", 10, upPrimary, "", []string{"gpt-4o", "gpt-4o-mini"}, func(c *snapshotv1.Channel) {
		c.BaseUrl = srv.URL + "/v1"
	})})

	conn, err := net.Dial("tcp", e.front.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	body := `{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[]}`
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: router\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", keyAlice, len(body), body)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || len(res.TransferEncoding) != 1 || res.TransferEncoding[0] != "chunked" {
		t.Fatalf("status %d, transfer encoding %v", res.StatusCode, res.TransferEncoding)
	}
	// The status line and headers were read through br; the chunks follow.
	if got := readChunk(t, br); got != role {
		t.Fatalf("first write %q, want the role event alone", got)
	}
	up.next <- struct{}{}
	if got := readChunk(t, br); got != hello+world {
		t.Fatalf("second write %q, want both events the upstream sent together", got)
	}
	up.next <- struct{}{}
	if got := readChunk(t, br); got != usage+done {
		t.Fatalf("third write %q, want the usage chunk and [DONE]", got)
	}
}
