package usage

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/burncloud/burncloud/pkg/sse"
)

const openAIChatStream = `data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"The \"usage\": {\"prompt_tokens\": 5}"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":90,"total_tokens":1290,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":64,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

data: [DONE]

`

const openAIResponsesStream = `event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[],"usage":null}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi there"}

event: response.completed
data: {"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Hi there"}]}],"usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0},"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}}}

`

const anthropicStream = `event: message_start
data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":2}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello \"usage\":{\"output_tokens\":9}"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"San"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":472,"cache_creation_input_tokens":null,"output_tokens":87}}

event: message_stop
data: {"type":"message_stop"}

`

const geminiStream = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"thinking\", \"thought\": true}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"totalTokenCount\": 9,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 9}],\"thoughtsTokenCount\": 40},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"abc\"}\r\n\r\n" +
	"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"The usageMetadata \\\"x\\\"\"}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 5,\"totalTokenCount\": 54,\"thoughtsTokenCount\": 40},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"abc\"}\r\n\r\n" +
	"data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"f\", \"args\": {\"q\": \"x\"}}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 12,\"totalTokenCount\": 61,\"thoughtsTokenCount\": 40},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"abc\"}\r\n\r\n"

// feed runs the first n events of an SSE stream (all when n < 0) through s
// and returns how many usage-only chunks it saw.
func feed(t *testing.T, s StreamScanner, stream string, n int) int {
	t.Helper()
	r := sse.NewReader(strings.NewReader(stream), 0)
	usageOnly := 0
	for i := 0; n < 0 || i < n; i++ {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		s.Feed(ev.Data)
		if IsOpenAIUsageOnlyChunk(ev.Data) {
			usageOnly++
		}
	}
	return usageOnly
}

func TestStreamScanners(t *testing.T) {
	tests := []struct {
		name          string
		scanner       func() StreamScanner
		stream        string
		events        int // -1: all
		want          Usage
		wantOK        bool
		wantBytes     int
		wantUsageOnly int
	}{
		{name: "openai chat full", scanner: func() StreamScanner { return &OpenAIStream{} }, stream: openAIChatStream, events: -1,
			want: Usage{InputUncached: 176, InputCacheRead: 1024, Output: 90, Reasoning: 64}, wantOK: true,
			wantBytes: len(`The \"usage\": {\"prompt_tokens\": 5}`) + len(`{\"a\":1}`), wantUsageOnly: 1},
		{name: "openai chat cut before usage", scanner: func() StreamScanner { return &OpenAIStream{} }, stream: openAIChatStream, events: 4,
			wantBytes: len(`The \"usage\": {\"prompt_tokens\": 5}`) + len(`{\"a\":1}`)},
		{name: "openai responses full", scanner: func() StreamScanner { return &OpenAIStream{} }, stream: openAIResponsesStream, events: -1,
			want: Usage{InputUncached: 37, Output: 11}, wantOK: true, wantBytes: len("Hi there")},
		{name: "openai responses cut", scanner: func() StreamScanner { return &OpenAIStream{} }, stream: openAIResponsesStream, events: 2,
			wantBytes: len("Hi there")},
		{name: "anthropic full", scanner: func() StreamScanner { return &AnthropicStream{} }, stream: anthropicStream, events: -1,
			want: Usage{InputUncached: 472, InputCacheWrite: 100, InputCacheRead: 2000, Output: 87}, wantOK: true,
			wantBytes: len(`Hello \"usage\":{\"output_tokens\":9}`) + len(`{\"location\": \"San`)},
		{name: "anthropic cut after message_start", scanner: func() StreamScanner { return &AnthropicStream{} }, stream: anthropicStream, events: 4,
			want: Usage{InputUncached: 472, InputCacheWrite: 100, InputCacheRead: 2000, Output: 2}, wantOK: true,
			wantBytes: len(`Hello \"usage\":{\"output_tokens\":9}`)},
		{name: "anthropic first delta", scanner: func() StreamScanner { return &AnthropicStream{} }, stream: anthropicStream, events: 7,
			want: Usage{InputUncached: 472, InputCacheWrite: 100, InputCacheRead: 2000, Output: 15}, wantOK: true,
			wantBytes: len(`Hello \"usage\":{\"output_tokens\":9}`) + len(`{\"location\": \"San`)},
		{name: "anthropic nothing", scanner: func() StreamScanner { return &AnthropicStream{} }, stream: anthropicStream, events: 0},
		{name: "gemini full, last wins", scanner: func() StreamScanner { return &GeminiStream{} }, stream: geminiStream, events: -1,
			want: Usage{InputUncached: 9, Output: 52, Reasoning: 40}, wantOK: true,
			wantBytes: len("thinking") + len(`The usageMetadata \"x\"`) + len(`{"q": "x"}`)},
		{name: "gemini first chunk", scanner: func() StreamScanner { return &GeminiStream{} }, stream: geminiStream, events: 1,
			want: Usage{InputUncached: 9, Output: 40, Reasoning: 40}, wantOK: true, wantBytes: len("thinking")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.scanner()
			usageOnly := feed(t, s, tt.stream, tt.events)
			got, ok := s.Usage()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("usage %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
			if b := s.OutputBytes(); b != tt.wantBytes {
				t.Errorf("OutputBytes = %d, want %d", b, tt.wantBytes)
			}
			if usageOnly != tt.wantUsageOnly {
				t.Errorf("usage-only chunks = %d, want %d", usageOnly, tt.wantUsageOnly)
			}
			checkUsage(t, got)
		})
	}
}

func TestExplicitZeroIsReported(t *testing.T) {
	var o OpenAIStream
	o.Feed([]byte(`{"choices":[],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}`))
	if u, ok := o.Usage(); !ok || u != (Usage{}) {
		t.Errorf("openai zero: %+v, %v", u, ok)
	}
	var a AnthropicStream
	a.Feed([]byte(`{"type":"message_delta","delta":{},"usage":{"output_tokens":0}}`))
	if u, ok := a.Usage(); !ok || u != (Usage{}) {
		t.Errorf("anthropic zero: %+v, %v", u, ok)
	}
	var g GeminiStream
	g.Feed([]byte(`{"usageMetadata":{"promptTokenCount":0}}`))
	if u, ok := g.Usage(); !ok || u != (Usage{}) {
		t.Errorf("gemini zero: %+v, %v", u, ok)
	}
}

func TestIsOpenAIUsageOnlyChunk(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`, true},
		{`{"usage":{"prompt_tokens":1}, "choices" : [ ] }`, true},
		{`{"id":"c","choices":[],"usage":null}`, false},
		{`{"id":"c","choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1}}`, false},
		{`{"id":"c","choices":[{"delta":{"content":"\"choices\":[],\"usage\":{}"}}],"usage":null}`, false},
		{`{"choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}`, false},
		{`[DONE]`, false},
		{``, false},
	}
	for _, tt := range tests {
		if got := IsOpenAIUsageOnlyChunk([]byte(tt.in)); got != tt.want {
			t.Errorf("IsOpenAIUsageOnlyChunk(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEstimates(t *testing.T) {
	tests := []struct {
		n       int
		out, in int64
	}{
		{-5, 0, 0},
		{0, 0, 0},
		{1, 1, 1},
		{4, 1, 4},
		{5, 2, 5},
		{4096, 1024, 4096},
		{1 << 62, MaxCount, MaxCount},
	}
	for _, tt := range tests {
		if got := EstimateTokens(tt.n); got != tt.out {
			t.Errorf("EstimateTokens(%d) = %d, want %d", tt.n, got, tt.out)
		}
		if got := InputUpperBound(tt.n); got != tt.in {
			t.Errorf("InputUpperBound(%d) = %d, want %d", tt.n, got, tt.in)
		}
	}
}

// Every event of every sample stream, and every sample body, scans without
// allocating (the §7 budget), not only the ones the benchmarks use.
func TestScannersDoNotAllocate(t *testing.T) {
	streams := []struct {
		s      StreamScanner
		stream string
	}{
		{&OpenAIStream{}, openAIChatStream}, {&OpenAIStream{}, openAIResponsesStream},
		{&AnthropicStream{}, anthropicStream}, {&GeminiStream{}, geminiStream},
	}
	for _, st := range streams {
		r := sse.NewReader(strings.NewReader(st.stream), 0)
		for {
			ev, err := r.Next()
			if err != nil {
				break
			}
			data := append([]byte(nil), ev.Data...)
			if n := testing.AllocsPerRun(10, func() {
				st.s.Feed(data)
				st.s.Usage()
				IsOpenAIUsageOnlyChunk(data)
			}); n != 0 {
				t.Errorf("%.0f allocs feeding %s", n, data)
			}
		}
	}
	bodies := [][]byte{openAIChatBody(filler(500)), openAIResponsesBody(""), []byte(openAIEmbeddingsBody),
		anthropicBody(filler(500)), geminiBody(filler(500))}
	for _, b := range bodies {
		if n := testing.AllocsPerRun(10, func() {
			ScanOpenAI(b)
			ScanAnthropic(b)
			ScanGemini(b)
		}); n != 0 {
			t.Errorf("%.0f allocs scanning %.60s", n, b)
		}
	}
}
