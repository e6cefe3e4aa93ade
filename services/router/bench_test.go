package router

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

// cannedTransport answers every request from memory, so a benchmark
// measures the router and not an upstream.
type cannedTransport struct {
	contentType string
	body        []byte
}

type byteBody struct{ bytes.Reader }

func (*byteBody) Close() error { return nil }

func (t *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, req.Body)
	_ = req.Body.Close() // as a RoundTripper must
	b := &byteBody{}
	b.Reset(t.body)
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {t.contentType}},
		Body: b, ContentLength: int64(len(t.body)), Request: req,
	}, nil
}

type countingSink struct{ n atomic.Int64 }

func (s *countingSink) Publish(*usagev1.UsageEvent) { s.n.Add(1) }

// sinkWriter is a reusable ResponseWriter that throws the body away.
type sinkWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *sinkWriter) Header() http.Header { return w.h }
func (w *sinkWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}
func (w *sinkWriter) WriteHeader(code int) { w.status = code }
func (w *sinkWriter) Flush()               {}

func cannedStream() []byte {
	var b strings.Builder
	head := `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{`
	b.WriteString(head + `"role":"assistant","content":""},"finish_reason":null}],"usage":null}` + "\n\n")
	for i := range 16 {
		b.WriteString(head + `"content":" word` + strconv.Itoa(i) + `"},"finish_reason":null}],"usage":null}` + "\n\n")
	}
	b.WriteString(head + `},"finish_reason":"stop"}],"usage":null}` + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":17,"total_tokens":29}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

const cannedWhole = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how can I help?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`

func benchServer(b *testing.B, tr http.RoundTripper) *Server {
	b.Helper()
	kr, err := secrets.New([]byte(testMaster))
	if err != nil {
		b.Fatal(err)
	}
	e := &env{kr: kr, root: "https://api.openai.example"}
	store := snapshot.NewStore()
	x, _ := snapshot.Build(1, e.fixture())
	store.Publish(x)
	// Production logging: one JSON line per request.
	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.InfoLevel))
	s, err := New(testConfig(b, nil), Deps{Logger: logger, Sink: &countingSink{}, Store: store, Keyring: kr,
		Transport: tr, Registry: prometheus.NewRegistry(), Health: new(ops.Health)})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchHandler(b *testing.B, s *Server, body string, wantStatus int) {
	benchPath(b, s, "/v1/chat/completions", body, wantStatus)
}

func benchPath(b *testing.B, s *Server, path, body string, wantStatus int) {
	h := s.Handler()
	req, _ := http.NewRequest(http.MethodPost, "http://router"+path, nil)
	req.Header.Set("Authorization", "Bearer "+keyAlice)
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "192.0.2.1:5555"
	rb := &byteBody{}
	w := &sinkWriter{h: make(http.Header, 8)}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rb.Reset([]byte(body))
		req.Body, req.ContentLength = rb, int64(len(body))
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.status != wantStatus {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkHotPathChat is a whole non-streamed chat completion through the
// handler: auth, body scan, routing, upstream (in memory), usage, price,
// event, metrics and the log line.
func BenchmarkHotPathChat(b *testing.B) {
	s := benchServer(b, &cannedTransport{contentType: "application/json", body: []byte(cannedWhole)})
	benchHandler(b, s, miniBody, 200)
}

// BenchmarkHotPathChatStream is the same for a streamed completion of 18
// chunks, with include_usage added and its chunk held back.
func BenchmarkHotPathChatStream(b *testing.B) {
	s := benchServer(b, &cannedTransport{contentType: "text/event-stream", body: cannedStream()})
	benchHandler(b, s, miniStream, 200)
}

// BenchmarkTranslatedMessages is an Anthropic Messages request served by
// an OpenAI channel: both translations on top of the hot path.
func BenchmarkTranslatedMessages(b *testing.B) {
	s := benchServer(b, &cannedTransport{contentType: "application/json", body: []byte(cannedWhole)})
	benchPath(b, s, "/v1/messages", `{"model":"gpt-4o-mini","max_tokens":256,"messages":[{"role":"user","content":"hello there"}]}`, 200)
}

// BenchmarkTranslatedMessagesStream is the same, streamed.
func BenchmarkTranslatedMessagesStream(b *testing.B) {
	s := benchServer(b, &cannedTransport{contentType: "text/event-stream", body: cannedStream()})
	benchPath(b, s, "/v1/messages", `{"model":"gpt-4o-mini","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`, 200)
}

// BenchmarkRejectUnknownKey is the cost of refusing a request.
func BenchmarkRejectUnknownKey(b *testing.B) {
	s := benchServer(b, &cannedTransport{contentType: "application/json", body: []byte(cannedWhole)})
	h := s.Handler()
	req, _ := http.NewRequest(http.MethodPost, "http://router/v1/chat/completions", nil)
	req.Header.Set("Authorization", "Bearer sk-bc-nobody")
	w := &sinkWriter{h: make(http.Header, 8)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		req.Body = http.NoBody
		h.ServeHTTP(w, req)
		if w.status != 401 {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkBareReverseProxy is the yardstick of DESIGN §7: a plain
// httputil.ReverseProxy over the same in-memory upstream.
func BenchmarkBareReverseProxy(b *testing.B) {
	for _, bc := range []struct {
		name, ct string
		body     []byte
		req      string
	}{
		{"whole", "application/json", []byte(cannedWhole), miniBody},
		{"stream", "text/event-stream", cannedStream(), miniStream},
	} {
		b.Run(bc.name, func(b *testing.B) {
			target, _ := url.Parse("https://api.openai.example/v1")
			rp := &httputil.ReverseProxy{
				Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
				Transport:     &cannedTransport{contentType: bc.ct, body: bc.body},
				FlushInterval: -1,
			}
			req, _ := http.NewRequest(http.MethodPost, "http://router/v1/chat/completions", nil)
			req.Header.Set("Authorization", "Bearer "+keyAlice)
			req.RemoteAddr = "192.0.2.1:5555"
			rb := &byteBody{}
			w := &sinkWriter{h: make(http.Header, 8)}
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset([]byte(bc.req))
				req.Body, req.ContentLength = rb, int64(len(bc.req))
				clear(w.h)
				rp.ServeHTTP(w, req)
				if w.status != 200 {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}
