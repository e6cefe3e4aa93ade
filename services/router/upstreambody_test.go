package router

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/translate"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

func TestCallBuffersReusedOnlyAfterUpstreamBodiesClosed(t *testing.T) {
	for _, tc := range []struct {
		name            string
		closeFirst      bool
		closeResent     bool
		wantBuffersKept bool
	}{
		{"every body closed", true, true, true},
		{"the first body still read", false, true, false},
		{"a resent body still read", true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{}
			s.calls.New = func() any { return new(call) }
			c := s.getCall(opChat)
			c.body = append(c.body, `{"model":"m"}`...)
			c.upBuf = append(c.upBuf, `{"model":"upstream-m"}`...)
			flight := c.flight
			first := flight.body(c.upBuf)
			resent, err := first.again() // what a transport resends on a new connection
			if err != nil {
				t.Fatal(err)
			}
			if tc.closeFirst {
				_ = first.Close()
				_ = first.Close() // a second Close counts once
			}
			if tc.closeResent {
				_ = resent.Close()
			}
			s.putCall(c)
			kept := c.body != nil && c.upBuf != nil && c.flight == flight
			if kept != tc.wantBuffersKept {
				t.Fatalf("buffers kept = %v, want %v", kept, tc.wantBuffersKept)
			}
			// A Close that comes after the call went back to the pool must
			// not count against the call's next request.
			_ = first.Close()
			_ = resent.Close()
			if next := s.getCall(opChat); !next.flight.settled() {
				t.Fatal("the next request starts with bodies counted as open")
			}
		})
	}
}

func TestUpstreamBodyResendsTheWholeBody(t *testing.T) {
	f := new(bodyFlight)
	b := f.body([]byte("hello"))
	buf := make([]byte, 3)
	if _, err := b.Read(buf); err != nil { // the first attempt read part of it
		t.Fatal(err)
	}
	again, err := b.again()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 16)
	n, _ := again.Read(got)
	if string(got[:n]) != "hello" {
		t.Fatalf("resent body %q, want %q", got[:n], "hello")
	}
}

func TestUpstreamURLLayouts(t *testing.T) {
	channel := func(typ adminv1.ChannelType, base string) *snapshot.Channel {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		return &snapshot.Channel{Type: typ, BaseURL: base, Base: *u, Project: "my proj", Location: "us-central1"}
	}
	for _, tc := range []struct {
		name   string
		ch     *snapshot.Channel
		op     *operation
		up     translate.Protocol
		stream bool
		model  string
		want   string
	}{
		{"openai", channel(adminv1.ChannelType_CHANNEL_TYPE_OPENAI, "https://api.example/v1"), opChat, translate.OpenAI, false, "gpt",
			"https://api.example/v1/chat/completions"},
		{"openai with a port and a prefix", channel(adminv1.ChannelType_CHANNEL_TYPE_OPENAI, "http://127.0.0.1:8080/proxy/v1"), opEmbeddings, translate.OpenAI, false, "e",
			"http://127.0.0.1:8080/proxy/v1/embeddings"},
		{"an escaped base path stays escaped", channel(adminv1.ChannelType_CHANNEL_TYPE_OPENAI, "https://h.example/a%2Fb/v1"), opChat, translate.OpenAI, true, "gpt",
			"https://h.example/a%2Fb/v1/chat/completions"},
		{"anthropic", channel(adminv1.ChannelType_CHANNEL_TYPE_ANTHROPIC, "https://api.anthropic.example"), opChat, translate.Anthropic, false, "claude",
			"https://api.anthropic.example/v1/messages"},
		{"azure", channel(adminv1.ChannelType_CHANNEL_TYPE_AZURE, "https://r.openai.azure.example"), opChat, translate.OpenAI, false, "my deploy",
			"https://r.openai.azure.example/openai/deployments/my%20deploy/chat/completions?api-version=" + azureAPIVersion},
		{"gemini streamed", channel(adminv1.ChannelType_CHANNEL_TYPE_GEMINI, "https://g.example"), opChat, translate.Gemini, true, "gemini-2.0",
			"https://g.example/v1beta/models/gemini-2.0:streamGenerateContent?alt=sse"},
		{"vertex", channel(adminv1.ChannelType_CHANNEL_TYPE_VERTEX, "https://us-central1-aiplatform.example"), opChat, translate.Gemini, false, "gemini-2.0",
			"https://us-central1-aiplatform.example/v1/projects/my%20proj/locations/us-central1/publishers/google/models/gemini-2.0:generateContent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &call{op: tc.op, up: tc.up, stream: tc.stream, upstreamModel: tc.model}
			var u url.URL
			if err := c.upstreamURL(tc.ch, &u); err != nil {
				t.Fatal(err)
			}
			if got := u.String(); got != tc.want {
				t.Fatalf("URL %s, want %s", got, tc.want)
			}
			if tc.ch.Base.Path != mustParse(t, tc.ch.BaseURL).Path {
				t.Fatal("the channel's base URL was changed")
			}
		})
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// writeCounter counts the writes on a client connection.
type writeCounter struct {
	net.Conn
	writes *atomic.Int32
}

func (c writeCounter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestSmallRequestGoesOutInOneWrite: a small body leaves with its headers;
// a large one, sent from the call's buffers, after them.
func TestSmallRequestGoesOutInOneWrite(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	var writes atomic.Int32
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return writeCounter{conn, &writes}, nil
		},
		WriteBufferSize: 32 << 10, // as the router's egress transport
	}
	t.Cleanup(tr.CloseIdleConnections)
	base, err := url.Parse(srv.URL + "/v1")
	if err != nil {
		t.Fatal(err)
	}
	ch := &snapshot.Channel{Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI, BaseURL: srv.URL + "/v1", Base: *base}
	for _, tc := range []struct {
		name    string
		size    int
		oneSend bool
	}{
		{"small", 600, true},
		{"at the limit", inlineBodyMax, true},
		{"large", inlineBodyMax + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &call{op: opChat, up: translate.OpenAI, upstreamModel: "gpt", flight: new(bodyFlight), idValue: []string{"req-1"}}
			in := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
			body := bytes.Repeat([]byte("x"), tc.size)
			req, err := c.newUpstreamRequest(context.Background(), in, ch, snapshot.Key{Bearer: []string{"Bearer k"}}, body)
			if err != nil {
				t.Fatal(err)
			}
			writes.Store(0)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if got.Load() != int64(tc.size) {
				t.Fatalf("upstream read %d bytes, want %d", got.Load(), tc.size)
			}
			if n := writes.Load(); (n == 1) != tc.oneSend {
				t.Fatalf("request of %d bytes went out in %d writes; one: %v", tc.size, n, tc.oneSend)
			}
			if tc.oneSend {
				// The call's buffer was never lent: it is free for the next request.
				body[0] = 'y'
				again, err := req.GetBody()
				if err != nil {
					t.Fatal(err)
				}
				resent, _ := io.ReadAll(again)
				if resent[0] != 'x' || len(resent) != tc.size {
					t.Fatal("the resent body is not the copy that was sent")
				}
				if !c.flight.settled() {
					t.Fatal("a copied body counted as in flight")
				}
			}
		})
	}
}
