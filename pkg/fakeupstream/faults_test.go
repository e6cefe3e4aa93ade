package fakeupstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const streamUsage = `"stream":true,"stream_options":{"include_usage":true}`

func TestStatusFaults(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		scenario, path, body string
		status               int
		errType, retryAfter  string
		code                 string
	}{
		{"status=500", "/v1/chat/completions", chatBody, 500, "server_error", "", ""},
		{"status=503", "/v1/chat/completions", withFields(chatBody, streamUsage), 503, "server_error", "", ""},
		{"status=429,retry-after=2", "/v1/chat/completions", chatBody, 429, "requests", "2", "rate_limit_exceeded"},
		{"status=429", "/v1/responses", `{"model":"m","input":"x","stream":true}`, 429, "requests", "", "rate_limit_exceeded"},
		{"status=400", "/v1/embeddings", `{"model":"m","input":"x"}`, 400, "invalid_request_error", "", ""},
		{"status=502,latency=1ms", "/v1/completions", `{"model":"m","prompt":"x"}`, 502, "server_error", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+tt.path, func(t *testing.T) {
			status, hdr, body := post(t, ts, "/s/"+tt.scenario+tt.path, tt.body)
			if status != tt.status || hdr.Get("Retry-After") != tt.retryAfter || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d Retry-After %q headers %v", status, hdr.Get("Retry-After"), hdr)
			}
			e := checkError(t, body, tt.errType)
			if tt.code != "" && (e.Error.Code == nil || *e.Error.Code != tt.code) {
				t.Errorf("code %v, want %s", e.Error.Code, tt.code)
			}
		})
	}
}

func TestLatencyAndPace(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		scenario, extra string
		min             time.Duration
	}{
		{"latency=60ms", "", 60 * time.Millisecond},
		{"latency=30ms", `"stream":true`, 30 * time.Millisecond},
		{"chunks=6,pace=10ms", `"stream":true`, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			body := chatBody
			if tt.extra != "" {
				body = withFields(chatBody, tt.extra)
			}
			start := time.Now()
			status, _, raw := post(t, ts, "/s/"+tt.scenario+"/v1/chat/completions", body)
			if elapsed := time.Since(start); status != 200 || elapsed < tt.min {
				t.Errorf("status %d after %v, want 200 after at least %v: %s", status, elapsed, tt.min, raw)
			}
		})
	}
}

func TestHangBlocksUntilClientGivesUp(t *testing.T) {
	_, ts := newFake(t, Options{})
	const wait = 150 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	start := time.Now()
	resp, err := call(t, ctx, ts.Client(), http.MethodPost, ts.URL+"/s/hang/v1/chat/completions", testKey, chatBody)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("hang answered with status %d", resp.StatusCode)
	}
	if elapsed := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || elapsed < wait {
		t.Fatalf("err %v after %v, want deadline after %v", err, elapsed, wait)
	}
}

func TestCloseReleasesHang(t *testing.T) {
	s, ts := newFake(t, Options{})
	errc := make(chan error, 1)
	go func() {
		resp, err := call(t, context.Background(), ts.Client(), http.MethodPost, ts.URL+"/s/hang/v1/chat/completions", testKey, chatBody)
		if err == nil {
			resp.Body.Close()
			err = errors.New("answered")
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		t.Fatalf("returned before Close: %v", err)
	case <-time.After(80 * time.Millisecond):
	}
	s.Close()
	select {
	case err := <-errc:
		if err == nil || err.Error() == "answered" {
			t.Fatalf("want a connection error, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hanging request")
	}
}

func TestFailFirst(t *testing.T) {
	s, ts := newFake(t, Options{})
	statuses := func(scenario string, n int) []int {
		var out []int
		for range n {
			status, _, _ := post(t, ts, "/s/"+scenario+"/v1/chat/completions", chatBody)
			out = append(out, status)
		}
		return out
	}
	check := func(name string, got []int, want ...int) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %v, want %v", name, got, want)
			}
		}
	}
	check("fail-first=2", statuses("fail-first=2", 4), 500, 500, 200, 200)
	// Counted per canonical scenario: a different string has its own count,
	// the same options in another order share it.
	check("other scenario", statuses("fail-first=2,chunks=3", 1), 500)
	check("same canonical", statuses("chunks=3,fail-first=2", 2), 500, 200)
	s.ResetCounters()
	check("after reset", statuses("fail-first=2", 3), 500, 500, 200)
}

// streamUntilError posts a stream and returns the events and the read error.
func streamUntilError(t *testing.T, ctxURL string, client *http.Client, body string) ([]sseEvent, error) {
	t.Helper()
	resp, err := call(t, context.Background(), client, http.MethodPost, ctxURL, testKey, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	return readSSE(resp.Body)
}

func countContent(t *testing.T, events []sseEvent) (content, broken int, done bool) {
	t.Helper()
	for _, ev := range events {
		if ev.Data == "[DONE]" {
			done = true
			continue
		}
		var c struct {
			Type    string
			Choices []struct {
				Delta struct{ Content *string }
				Text  *string
			}
		}
		if json.Unmarshal([]byte(ev.Data), &c) != nil {
			broken++
			continue
		}
		switch {
		case c.Type == "response.output_text.delta":
			content++
		case len(c.Choices) == 1 && c.Choices[0].Delta.Content != nil && *c.Choices[0].Delta.Content != "":
			content++
		case len(c.Choices) == 1 && c.Choices[0].Text != nil && *c.Choices[0].Text != "":
			content++
		}
	}
	return content, broken, done
}

func TestCutAfter(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		scenario, path, body string
		content, events      int
	}{
		{"cut-after=3,chunks=10", "/v1/chat/completions", withFields(chatBody, streamUsage), 3, 4},
		{"cut-after=0,chunks=10", "/v1/chat/completions", withFields(chatBody, streamUsage), 0, 1},
		{"cut-after=2,chunks=5,pace=1ms", "/v1/completions", `{"model":"m","prompt":"x","stream":true}`, 2, 2},
		{"cut-after=2,chunks=5", "/v1/responses", `{"model":"m","input":"x","stream":true}`, 2, 6},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+tt.path, func(t *testing.T) {
			events, err := streamUntilError(t, ts.URL+"/s/"+tt.scenario+tt.path, ts.Client(), tt.body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error %v, want unexpected EOF (connection dropped mid-stream)", err)
			}
			content, broken, done := countContent(t, events)
			if content != tt.content || len(events) != tt.events || broken != 0 || done {
				t.Errorf("%d events, %d content, %d broken, done %v; want %d events, %d content", len(events), content, broken, done, tt.events, tt.content)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		resp, err := call(t, context.Background(), ts.Client(), http.MethodPost, ts.URL+"/s/cut-after=1/v1/chat/completions", testKey, chatBody)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read error %v, want unexpected EOF", err)
		}
	})
}

func TestMalformedAfter(t *testing.T) {
	_, ts := newFake(t, Options{})
	for _, path := range []string{"/v1/chat/completions", "/v1/responses"} {
		t.Run(path, func(t *testing.T) {
			body := withFields(chatBody, streamUsage)
			if path == "/v1/responses" {
				body = `{"model":"m","input":"x","stream":true}`
			}
			events, err := streamUntilError(t, ts.URL+"/s/malformed-after=2,chunks=5"+path, ts.Client(), body)
			if err != nil {
				t.Fatal(err)
			}
			content, broken, done := countContent(t, events)
			if content != 5 || broken != 1 || done != (path == "/v1/chat/completions") {
				t.Fatalf("content %d broken %d done %v", content, broken, done)
			}
			// The broken event follows the second content event.
			seen := 0
			for _, ev := range events {
				if json.Valid([]byte(ev.Data)) || ev.Data == "[DONE]" {
					if c, _, _ := countContent(t, []sseEvent{ev}); c == 1 {
						seen++
					}
					continue
				}
				if seen != 2 {
					t.Errorf("malformed event after %d content events, want 2", seen)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		status, _, raw := post(t, ts, "/s/malformed-after=0/v1/chat/completions", chatBody)
		if status != 200 || json.Valid(raw) || len(raw) == 0 {
			t.Errorf("status %d, valid %v: %s", status, json.Valid(raw), raw)
		}
	})
}

func TestUsageModes(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		scenario      string
		wantUsage     bool
		wantPrompt    int
		wantCompleted int
	}{
		{"chunks=3", true, 5, 3},
		{"chunks=3,no-usage", false, 0, 0},
		{"chunks=3,zero-usage", true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			events, err := postStream(t, ts, "/s/"+tt.scenario+"/v1/chat/completions", withFields(chatBody, streamUsage))
			if err != nil {
				t.Fatal(err)
			}
			var usage *chatUsage
			for _, ev := range events {
				if !strings.Contains(ev.Data, `"choices":[]`) {
					continue
				}
				var c chatCompletion
				mustJSON(t, []byte(ev.Data), &c)
				usage = c.Usage
			}
			if (usage != nil) != tt.wantUsage {
				t.Fatalf("usage chunk present %v, want %v", usage != nil, tt.wantUsage)
			}
			if usage != nil && (usage.PromptTokens != tt.wantPrompt || usage.CompletionTokens != tt.wantCompleted || usage.TotalTokens != tt.wantPrompt+tt.wantCompleted) {
				t.Errorf("usage %+v", *usage)
			}
		})
	}
}
