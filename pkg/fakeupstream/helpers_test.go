package fakeupstream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testKey = "sk-test-key"

// sseEvent is one dispatched server-sent event.
type sseEvent struct {
	Event string
	Data  string
}

var errPartialEvent = errors.New("stream ended inside an event")

// readSSE splits a text/event-stream by the SSE rules (field lines, blank
// line dispatches, ':' comments), on its own so the tests do not trust the
// code under test. It returns the events read before any error.
func readSSE(r io.Reader) ([]sseEvent, error) {
	br := bufio.NewReader(r)
	var (
		events  []sseEvent
		cur     sseEvent
		data    []string
		pending bool
	)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && line == "" && !pending {
				return events, nil
			}
			if errors.Is(err, io.EOF) {
				return events, errPartialEvent
			}
			return events, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if len(data) > 0 {
				cur.Data = strings.Join(data, "\n")
				events = append(events, cur)
			}
			cur, data, pending = sseEvent{}, nil, false
			continue
		}
		pending = true
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			cur.Event = value
		case "data":
			data = append(data, value)
		}
	}
}

func TestReadSSE(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []sseEvent
		wantErr error
	}{
		{"data only", "data: a\n\ndata: b\n\n", []sseEvent{{Data: "a"}, {Data: "b"}}, nil},
		{"typed and multiline", "event: x\ndata: 1\ndata: 2\n\n", []sseEvent{{Event: "x", Data: "1\n2"}}, nil},
		{"comment and crlf", ": hi\r\ndata: z\r\n\r\n", []sseEvent{{Data: "z"}}, nil},
		{"partial", "data: a\n\ndata: b\n", []sseEvent{{Data: "a"}}, errPartialEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readSSE(strings.NewReader(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("event %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// newFake starts s behind httptest; the Server closes first so hanging
// requests do not block the httptest Close.
func newFake(t testing.TB, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	t.Cleanup(s.Close)
	return s, ts
}

func call(t testing.TB, ctx context.Context, client *http.Client, method, url, key, body string) (*http.Response, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	return client.Do(req)
}

// post sends a body and returns the status, headers and whole body.
func post(t testing.TB, ts *httptest.Server, path, body string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := call(t, context.Background(), ts.Client(), http.MethodPost, ts.URL+path, testKey, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, resp.Header, b
}

// postStream sends a body and splits the answer into events.
func postStream(t testing.TB, ts *httptest.Server, path, body string) ([]sseEvent, error) {
	t.Helper()
	resp, err := call(t, context.Background(), ts.Client(), http.MethodPost, ts.URL+path, testKey, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type = %q", ct)
	}
	return readSSE(resp.Body)
}

func mustJSON(t testing.TB, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

type openAIError struct {
	Error struct {
		Message *string `json:"message"`
		Type    string  `json:"type"`
		Param   any     `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// checkError asserts an OpenAI-shaped error body.
func checkError(t testing.TB, body []byte, wantType string) openAIError {
	t.Helper()
	var e openAIError
	mustJSON(t, body, &e)
	if e.Error.Message == nil || *e.Error.Message == "" || e.Error.Type != wantType {
		t.Fatalf("error body %s: want type %q and a message", body, wantType)
	}
	return e
}

// checkContent asserts an answer of n tokens: n words, 5n-1 bytes.
func checkContent(t testing.TB, content string, tokens int) {
	t.Helper()
	if got := len(strings.Fields(content)); got != tokens {
		t.Errorf("content has %d words, want %d: %q", got, tokens, content)
	}
	if tokens > 0 && len(content) != 5*tokens-1 {
		t.Errorf("content is %d bytes, want %d", len(content), 5*tokens-1)
	}
}
