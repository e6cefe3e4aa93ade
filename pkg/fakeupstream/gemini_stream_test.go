package fakeupstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// gemStreamRaw posts a stream request and returns the raw body and the read error.
func gemStreamRaw(t *testing.T, client *http.Client, url, body string) (http.Header, []byte, error) {
	t.Helper()
	resp := gemCall(t, client, http.MethodPost, url, body, nil)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	raw, err := io.ReadAll(resp.Body)
	return resp.Header, raw, err
}

// gemSSEChunks splits an SSE body into decoded chunks; undecodable events
// are counted as broken.
func gemSSEChunks(t *testing.T, raw []byte) (chunks []gemResponseOut, broken int) {
	t.Helper()
	events, err := readSSE(bytes.NewReader(raw))
	if err != nil && !errors.Is(err, errPartialEvent) {
		t.Fatal(err)
	}
	for _, ev := range events {
		var c gemResponseOut
		if json.Unmarshal([]byte(ev.Data), &c) != nil {
			broken++
			continue
		}
		chunks = append(chunks, c)
	}
	return chunks, broken
}

// gemAssemble joins a stream's chunks into one answer and checks the
// per-chunk rules: one candidate, role model, finishReason and complete
// usage only on the last chunk, prompt-side usage on the others.
func gemAssemble(t *testing.T, chunks []gemResponseOut, w gemWant) (parts []gemPartOut, last gemResponseOut) {
	t.Helper()
	var text strings.Builder
	hasText := false
	for i, c := range chunks {
		if len(c.Candidates) != 1 || c.Candidates[0].Content.Role != "model" || c.ModelVersion != "gemini-2.5-flash" || c.ResponseID != chunks[0].ResponseID {
			t.Fatalf("chunk %d: %+v", i, c)
		}
		final := i == len(chunks)-1
		if (c.Candidates[0].FinishReason != "") != final {
			t.Errorf("chunk %d finishReason %q", i, c.Candidates[0].FinishReason)
		}
		if !final {
			u := c.UsageMetadata
			switch {
			case w.usage == "none" && u != nil:
				t.Errorf("chunk %d has usage", i)
			case w.usage != "none" && (u == nil || intp(u.PromptTokenCount) != w.prompt || intp(u.TotalTokenCount) != w.prompt || u.CandidatesTokenCount != nil || u.ThoughtsTokenCount != nil):
				t.Errorf("chunk %d partial usage %+v, want prompt %d only", i, u, w.prompt)
			}
		}
		for _, p := range c.Candidates[0].Content.Parts {
			switch {
			case p.Thought || p.FunctionCall != nil:
				parts = append(parts, p)
			case p.Text != nil:
				text.WriteString(*p.Text)
				hasText = true
			}
		}
	}
	if len(w.calls) == 0 && hasText {
		s := text.String()
		parts = append(parts, gemPartOut{Text: &s})
	}
	return parts, chunks[len(chunks)-1]
}

func TestGeminiStream(t *testing.T) {
	_, ts := newFake(t, Options{})
	tests := []struct {
		name, scenario, body string
		want                 gemWant
		chunks               int // chunks in the stream, final included
	}{
		{name: "text", scenario: "chunks=4", body: gemBody, want: gemWant{tokens: 4, prompt: 5, finish: "STOP"}, chunks: 5},
		{name: "chunks group tokens", scenario: "chunks=3,body=50", body: gemBody, want: gemWant{tokens: 10, prompt: 5, finish: "STOP"}, chunks: 4},
		{name: "thoughts and cache", scenario: "chunks=2,reasoning=7,cached=1", body: gemBody, want: gemWant{tokens: 2, prompt: 5, cached: 1, reasoning: 7, finish: "STOP"}, chunks: 4},
		{name: "capped", scenario: "chunks=8", body: withFields(gemBody, `"generationConfig":{"maxOutputTokens":5}`), want: gemWant{tokens: 5, prompt: 5, finish: "MAX_TOKENS"}, chunks: 6},
		{name: "capped to nothing", body: withFields(gemBody, `"generationConfig":{"maxOutputTokens":0}`), want: gemWant{tokens: 0, prompt: 5, finish: "MAX_TOKENS"}, chunks: 1},
		{name: "tool", scenario: "chunks=3,tools", body: withFields(gemBody, gemTools), want: gemWant{tokens: 3, prompt: 5, finish: "STOP", calls: []string{"get_weather"}}, chunks: 2},
		{name: "parallel tools", body: withFields(gemBody, gemTools+`,"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather","now"]}}`),
			want: gemWant{tokens: 16, prompt: 5, finish: "STOP", calls: []string{"get_weather", "now"}}, chunks: 2},
		{name: "no usage", scenario: "chunks=2,no-usage", body: gemBody, want: gemWant{tokens: 2, finish: "STOP", usage: "none"}, chunks: 3},
		{name: "zero usage", scenario: "chunks=2,zero-usage", body: gemBody, want: gemWant{tokens: 2, finish: "STOP", usage: "zero"}, chunks: 3},
	}
	for _, framing := range []string{"sse", "array"} {
		for _, tt := range tests {
			t.Run(framing+"/"+tt.name, func(t *testing.T) {
				url := ts.URL
				if tt.scenario != "" {
					url += "/s/" + tt.scenario
				}
				url += gemModelPath + ":streamGenerateContent"
				if framing == "sse" {
					url += "?alt=sse"
				}
				hdr, raw, err := gemStreamRaw(t, ts.Client(), url, tt.body)
				if err != nil {
					t.Fatal(err)
				}
				var chunks []gemResponseOut
				if framing == "sse" {
					if !strings.HasPrefix(hdr.Get("Content-Type"), "text/event-stream") {
						t.Errorf("Content-Type %q", hdr.Get("Content-Type"))
					}
					// Google frames events with CRLF pairs.
					if n := bytes.Count(raw, []byte("data: ")); n != tt.chunks || bytes.Count(raw, []byte("\r\n\r\n")) != n || !bytes.HasSuffix(raw, []byte("}\r\n\r\n")) {
						t.Errorf("framing of %d events: %q", n, raw)
					}
					var broken int
					if chunks, broken = gemSSEChunks(t, raw); broken != 0 {
						t.Fatalf("%d broken events", broken)
					}
				} else {
					if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
						t.Errorf("Content-Type %q", hdr.Get("Content-Type"))
					}
					mustJSON(t, raw, &chunks)
				}
				if len(chunks) != tt.chunks {
					t.Fatalf("%d chunks, want %d", len(chunks), tt.chunks)
				}
				if tt.want.reasoning > 0 {
					if p := chunks[0].Candidates[0].Content.Parts; len(p) != 1 || !p[0].Thought {
						t.Errorf("first chunk is not the thought: %+v", p)
					}
				}
				parts, last := gemAssemble(t, chunks, tt.want)
				if last.Candidates[0].FinishReason != tt.want.finish {
					t.Errorf("finishReason %q, want %q", last.Candidates[0].FinishReason, tt.want.finish)
				}
				checkGemParts(t, parts, tt.want)
				checkGemUsage(t, last.UsageMetadata, tt.want)
			})
		}
	}
}

func TestGeminiStreamFaults(t *testing.T) {
	_, ts := newFake(t, Options{})
	// content counts the chunks carrying answer text or function calls.
	count := func(chunks []gemResponseOut) (content int, final bool) {
		for _, c := range chunks {
			for _, p := range c.Candidates[0].Content.Parts {
				if p.FunctionCall != nil || p.Text != nil && *p.Text != "" && !p.Thought {
					content++
					break
				}
			}
			final = final || c.Candidates[0].FinishReason != ""
		}
		return content, final
	}
	cuts := []struct {
		scenario, body  string
		content, chunks int
	}{
		{"cut-after=2,chunks=6", gemBody, 2, 2},
		{"cut-after=0,chunks=6", gemBody, 0, 0},
		{"cut-after=0,chunks=6,reasoning=3", gemBody, 0, 1},
		{"cut-after=6,chunks=6", gemBody, 6, 6},
		{"cut-after=0,tools", withFields(gemBody, gemTools), 0, 0},
		{"cut-after=1,tools", withFields(gemBody, gemTools), 1, 1},
		{"cut-after=1,chunks=3,pace=1ms", gemBody, 1, 1},
	}
	for _, tt := range cuts {
		t.Run(tt.scenario, func(t *testing.T) {
			_, raw, err := gemStreamRaw(t, ts.Client(), ts.URL+"/s/"+tt.scenario+gemModelPath+":streamGenerateContent?alt=sse", tt.body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error %v, want unexpected EOF (connection dropped mid-stream)", err)
			}
			chunks, broken := gemSSEChunks(t, raw)
			content, final := count(chunks)
			if content != tt.content || len(chunks) != tt.chunks || broken != 0 || final {
				t.Errorf("%d chunks, %d content, %d broken, final %v; want %d chunks, %d content", len(chunks), content, broken, final, tt.chunks, tt.content)
			}
		})
	}
	t.Run("malformed sse", func(t *testing.T) {
		_, raw, err := gemStreamRaw(t, ts.Client(), ts.URL+"/s/malformed-after=2,chunks=5"+gemModelPath+":streamGenerateContent?alt=sse", gemBody)
		if err != nil {
			t.Fatal(err)
		}
		events, err := readSSE(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		seen, broken := 0, 0
		for _, ev := range events {
			var c gemResponseOut
			if json.Unmarshal([]byte(ev.Data), &c) != nil {
				broken++
				if seen != 2 {
					t.Errorf("malformed event after %d content chunks, want 2", seen)
				}
				continue
			}
			if n, _ := count([]gemResponseOut{c}); n == 1 {
				seen++
			}
		}
		chunks, _ := gemSSEChunks(t, raw)
		if _, final := count(chunks); broken != 1 || seen != 5 || !final {
			t.Errorf("broken %d, content %d, final %v", broken, seen, final)
		}
	})
	t.Run("malformed array", func(t *testing.T) {
		_, raw, err := gemStreamRaw(t, ts.Client(), ts.URL+"/s/malformed-after=1,chunks=3"+gemModelPath+":streamGenerateContent", gemBody)
		if err != nil {
			t.Fatal(err)
		}
		if json.Valid(raw) || !bytes.HasPrefix(raw, []byte("[")) || !bytes.HasSuffix(raw, []byte("]")) {
			t.Errorf("array stream should be complete but invalid: %q", raw)
		}
	})
	t.Run("cut array", func(t *testing.T) {
		_, raw, err := gemStreamRaw(t, ts.Client(), ts.URL+"/s/cut-after=1,chunks=3"+gemModelPath+":streamGenerateContent", gemBody)
		if !errors.Is(err, io.ErrUnexpectedEOF) || bytes.HasSuffix(raw, []byte("]")) {
			t.Errorf("err %v body %q", err, raw)
		}
	})
}
