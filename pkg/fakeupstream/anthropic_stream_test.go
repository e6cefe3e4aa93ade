package fakeupstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	normalized "github.com/burncloud/burncloud/pkg/usage"
)

// anStream posts a streaming request and splits the answer into events.
func anStream(t *testing.T, url, body string, client *http.Client) ([]sseEvent, error) {
	t.Helper()
	resp := anCall(t, client, url, body, nil)
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

type anStreamEvent struct {
	Type         string       `json:"type"`
	Index        *int         `json:"index"`
	Message      anMessageOut `json:"message"`
	ContentBlock anBlockOut   `json:"content_block"`
	Delta        struct {
		Type        string  `json:"type"`
		Text        string  `json:"text"`
		PartialJSON string  `json:"partial_json"`
		Thinking    string  `json:"thinking"`
		Signature   string  `json:"signature"`
		StopReason  *string `json:"stop_reason"`
	} `json:"delta"`
	Usage *anUsageOut `json:"usage"`
}

// decodeAn decodes events, checking each event name matches its data's type.
func decodeAn(t *testing.T, events []sseEvent) ([]anStreamEvent, []string) {
	t.Helper()
	var out []anStreamEvent
	var names []string
	for _, ev := range events {
		var e anStreamEvent
		mustJSON(t, []byte(ev.Data), &e)
		if e.Type != ev.Event {
			t.Fatalf("event %q carries type %q", ev.Event, e.Type)
		}
		out = append(out, e)
		names = append(names, ev.Event)
	}
	return out, names
}

func TestMessagesStream(t *testing.T) {
	_, ts := newFake(t, Options{})
	stream := withFields(anBody, `"stream":true`)
	text := []string{"message_start", "content_block_start", "ping"}
	end := []string{"content_block_stop", "message_delta", "message_stop"}
	thinking := []string{"message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "content_block_start", "ping"}
	seq := func(head []string, deltas int) []string {
		out := slices.Clone(head)
		for range deltas {
			out = append(out, "content_block_delta")
		}
		return append(out, end...)
	}
	tests := []struct {
		name, scenario, body string
		events               []string
		tokens, reasoning    int
		input, cached        int
		stop, tool           string
		usage                string // "", "none", "zero"
	}{
		{name: "text", scenario: "chunks=4", body: stream, events: seq(text, 4), tokens: 4, input: 5, stop: "end_turn"},
		{name: "chunks group tokens", scenario: "chunks=3,body=50", body: stream, events: seq(text, 3), tokens: 10, input: 5, stop: "end_turn"},
		{name: "thinking", scenario: "chunks=2,reasoning=7,cached=1", body: stream, events: seq(thinking, 2), tokens: 2, reasoning: 7, input: 4, cached: 1, stop: "end_turn"},
		{name: "capped", scenario: "chunks=8", body: strings.Replace(stream, "1024", "5", 1), events: seq(text, 5), tokens: 5, input: 5, stop: "max_tokens"},
		{name: "tool", scenario: "chunks=3,tools", body: withFields(stream, anTools), events: seq(text, 3), tokens: 3, input: 5, stop: "tool_use", tool: "get_weather"},
		{name: "no usage", scenario: "chunks=2,no-usage", body: stream, events: seq(text, 2), tokens: 2, stop: "end_turn", usage: "none"},
		{name: "zero usage", scenario: "chunks=2,zero-usage", body: stream, events: seq(text, 2), tokens: 2, stop: "end_turn", usage: "zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := anStream(t, ts.URL+"/s/"+tt.scenario+"/v1/messages", tt.body, ts.Client())
			if err != nil {
				t.Fatal(err)
			}
			evs, names := decodeAn(t, events)
			if !slices.Equal(names, tt.events) {
				t.Fatalf("events %v\nwant   %v", names, tt.events)
			}
			start := evs[0].Message
			if !strings.HasPrefix(start.ID, "msg_") || start.Role != "assistant" || start.Model != "claude-sonnet-4-5" || start.StopReason != nil || len(start.Content) != 0 {
				t.Errorf("message_start %s", events[0].Data)
			}
			var answer, args, thought, sig strings.Builder
			var block anBlockOut
			for _, e := range evs {
				switch e.Type {
				case "content_block_start":
					block = e.ContentBlock
				case "content_block_delta":
					switch e.Delta.Type {
					case "text_delta":
						answer.WriteString(e.Delta.Text)
					case "input_json_delta":
						args.WriteString(e.Delta.PartialJSON)
					case "thinking_delta":
						thought.WriteString(e.Delta.Thinking)
					case "signature_delta":
						sig.WriteString(e.Delta.Signature)
					default:
						t.Errorf("delta type %q", e.Delta.Type)
					}
				}
			}
			if tt.tool == "" {
				if block.Type != "text" {
					t.Errorf("answer block %+v", block)
				}
				checkContent(t, answer.String(), tt.tokens)
			} else {
				var in struct{ Input string }
				if block.Type != "tool_use" || block.Name != tt.tool || string(block.Input) != "{}" || json.Unmarshal([]byte(args.String()), &in) != nil {
					t.Fatalf("tool block %+v with input %q", block, args.String())
				}
				checkContent(t, in.Input, tt.tokens)
			}
			if tt.reasoning > 0 {
				checkContent(t, thought.String(), tt.reasoning)
				if sig.Len() == 0 {
					t.Error("no signature")
				}
			}
			delta := evs[len(evs)-2]
			if delta.Delta.StopReason == nil || *delta.Delta.StopReason != tt.stop {
				t.Errorf("message_delta %s, want stop %s", events[len(events)-2].Data, tt.stop)
			}
			switch tt.usage {
			case "none":
				if start.Usage != nil || delta.Usage != nil {
					t.Errorf("usage present")
				}
			case "zero":
				checkAnUsage(t, start.Usage, 0, 0, 0)
				checkAnUsage(t, delta.Usage, 0, 0, 0)
			default:
				checkAnUsage(t, start.Usage, tt.input, tt.cached, 1)
				checkAnUsage(t, delta.Usage, tt.input, tt.cached, tt.tokens+tt.reasoning)
			}
		})
	}
}

func TestAnthropicStreamFaults(t *testing.T) {
	_, ts := newFake(t, Options{})
	stream := withFields(anBody, `"stream":true`)
	count := func(t *testing.T, events []sseEvent) (content, broken int, stopped bool) {
		for _, ev := range events {
			var e anStreamEvent
			if json.Unmarshal([]byte(ev.Data), &e) != nil {
				broken++
				continue
			}
			if e.Type == "content_block_delta" && (e.Delta.Type == "text_delta" || e.Delta.Type == "input_json_delta") {
				content++
			}
			stopped = stopped || e.Type == "message_stop"
		}
		return content, broken, stopped
	}
	cuts := []struct {
		scenario        string
		content, events int
	}{
		{"cut-after=2,chunks=6", 2, 5},
		{"cut-after=0,chunks=6", 0, 3},
		{"cut-after=0,chunks=6,reasoning=3", 0, 7},
		{"cut-after=1,chunks=6,tools", 1, 4},
	}
	for _, tt := range cuts {
		t.Run(tt.scenario, func(t *testing.T) {
			body := stream
			if strings.Contains(tt.scenario, "tools") {
				body = withFields(stream, anTools)
			}
			events, err := anStream(t, ts.URL+"/s/"+tt.scenario+"/v1/messages", body, ts.Client())
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error %v, want unexpected EOF", err)
			}
			content, broken, stopped := count(t, events)
			if content != tt.content || len(events) != tt.events || broken != 0 || stopped {
				t.Errorf("%d events, %d content, %d broken, stopped %v; want %d events, %d content", len(events), content, broken, stopped, tt.events, tt.content)
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		events, err := anStream(t, ts.URL+"/s/malformed-after=2,chunks=5/v1/messages", stream, ts.Client())
		if err != nil {
			t.Fatal(err)
		}
		content, broken, stopped := count(t, events)
		if content != 5 || broken != 1 || !stopped {
			t.Fatalf("content %d broken %d stopped %v", content, broken, stopped)
		}
		if i := slices.IndexFunc(events, func(e sseEvent) bool { return !json.Valid([]byte(e.Data)) }); i != 3+2 {
			t.Errorf("broken event at %d, want after the second delta (5)", i)
		}
	})
	t.Run("json cut and malformed", func(t *testing.T) {
		status, _, raw := anPost(t, ts, "/s/malformed-after=0/v1/messages", anBody)
		if status != 200 || json.Valid(raw) || len(raw) == 0 {
			t.Errorf("status %d, valid %v: %s", status, json.Valid(raw), raw)
		}
		resp := anCall(t, ts.Client(), ts.URL+"/s/cut-after=0/v1/messages", anBody, nil)
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("read error %v, want unexpected EOF", err)
		}
	})
	t.Run("latency and pace", func(t *testing.T) {
		start := time.Now()
		events, err := anStream(t, ts.URL+"/s/latency=20ms,chunks=4,pace=10ms/v1/messages", stream, ts.Client())
		if elapsed := time.Since(start); err != nil || len(events) != 10 || elapsed < 50*time.Millisecond {
			t.Errorf("%d events, err %v after %v; want 10 events after at least 50ms", len(events), err, elapsed)
		}
	})
	t.Run("hang", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/s/hang/v1/messages", strings.NewReader(anBody))
		req.Header.Set("x-api-key", testKey)
		req.Header.Set("anthropic-version", "2023-06-01")
		resp, err := ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("hang answered %d", resp.StatusCode)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v, want the client's deadline", err)
		}
	})
	t.Run("fail-first", func(t *testing.T) {
		var got []int
		for range 3 {
			status, _, _ := anPost(t, ts, "/s/fail-first=2,chunks=1/v1/messages", anBody)
			got = append(got, status)
		}
		if !slices.Equal(got, []int{500, 500, 200}) {
			t.Errorf("statuses %v", got)
		}
	})
}

func BenchmarkMessagesStream16(b *testing.B) {
	s := New(Options{RecordLimit: -1})
	b.Cleanup(s.Close)
	body := withFields(anBody, `"stream":true`)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body))
		req.Header.Set("x-api-key", testKey)
		req.Header.Set("anthropic-version", "2023-06-01")
		w := newDiscardWriter()
		s.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// discardWriter is a flushable ResponseWriter that keeps nothing, so the
// benchmark measures the handler rather than a recorder's buffer.
type discardWriter struct {
	h    http.Header
	code int
}

func newDiscardWriter() *discardWriter { return &discardWriter{h: http.Header{}} }

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
func (w *discardWriter) Flush() {}

// TestAnthropicUsageNormalizes checks the fake's Anthropic usage reads as
// the design's normalized usage through the router's scanners.
func TestAnthropicUsageNormalizes(t *testing.T) {
	_, ts := newFake(t, Options{})
	want := normalized.Usage{InputUncached: 3, InputCacheRead: 2, Output: 4 + 6}
	const scenario = "/s/chunks=2,body=19,cached=2,reasoning=6/v1/messages"
	_, _, body := anPost(t, ts, scenario, anBody)
	if got, ok := normalized.ScanAnthropic(body); !ok || got != want {
		t.Errorf("JSON usage %+v (%v), want %+v", got, ok, want)
	}
	events, err := anStream(t, ts.URL+scenario, withFields(anBody, `"stream":true`), ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	var s normalized.AnthropicStream
	for _, ev := range events {
		s.Feed([]byte(ev.Data))
	}
	if got, ok := s.Usage(); !ok || got != want {
		t.Errorf("stream usage %+v (%v), want %+v", got, ok, want)
	}
}
