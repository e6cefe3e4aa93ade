package fakeupstream

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchServe measures the handler alone, without a network.
func benchServe(b *testing.B, path, body string) {
	s := New(Options{RecordLimit: -1})
	b.Cleanup(s.Close)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func BenchmarkChatJSON(b *testing.B) {
	benchServe(b, "/v1/chat/completions", chatBody)
}

func BenchmarkChatStream16(b *testing.B) {
	benchServe(b, "/v1/chat/completions", withFields(chatBody, streamUsage))
}

func BenchmarkChatStream10kb(b *testing.B) {
	benchServe(b, "/s/body=10kb,chunks=50/v1/chat/completions", withFields(chatBody, streamUsage))
}

func BenchmarkResponsesStream16(b *testing.B) {
	benchServe(b, "/v1/responses", `{"model":"gpt-4.1","input":"hello there","stream":true}`)
}

func BenchmarkParseScenario(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScenario("status=429,retry-after=2,latency=20ms,chunks=50,pace=5ms"); err != nil {
			b.Fatal(err)
		}
	}
}
