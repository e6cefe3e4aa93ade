package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"testing"

	"github.com/burncloud/burncloud/pkg/sse"
)

// fixtureSeeds adds the inputs of every fixture of route and kind.
func fixtureSeeds(f *testing.F, route, kind string) {
	fixtures := loadFixtures(f, route)
	for _, name := range slices.Sorted(maps.Keys(fixtures)) {
		fx := fixtures[name]
		if fx.Kind != kind {
			continue
		}
		if kind != "stream" {
			f.Add([]byte(fx.Input))
			continue
		}
		var events []streamEvent
		if err := json.Unmarshal(fx.Input, &events); err != nil {
			f.Fatal(err)
		}
		var b []byte
		for _, e := range events {
			b, _ = sse.AppendEvent(b, e.Event, e.raw())
		}
		f.Add(b)
	}
}

func checkRequest(t *testing.T, out []byte, err error) {
	if err != nil {
		if !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, ErrNoMaxTokens) {
			t.Fatalf("error outside the contract: %v", err)
		}
		return
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, out)
	}
	if kind(v["messages"]) != '[' || kind(v["model"]) != '"' {
		t.Fatalf("output lacks model or messages: %s", out)
	}
}

// seedCases adds the bodies of the cases of route.
func seedCases(f *testing.F, route string, cases []unsupportedCase) {
	for _, tc := range cases {
		if tc.route == route {
			f.Add([]byte(tc.body))
		}
	}
}

func FuzzOpenAIChatToAnthropic(f *testing.F) {
	fixtureSeeds(f, oa, "request")
	seedCases(f, oa, unsupportedCases)
	f.Add([]byte(`{"model":"m","messages":[{"role":"tool","tool_call_id":"a","content":"x"},{"role":"tool","tool_call_id":"b","content":[]}],"reasoning_effort":"xhigh"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := OpenAIChatToAnthropic(body, Options{DefaultMaxTokens: 4096})
		checkRequest(t, out, err)
		out, err = OpenAIChatToAnthropic(body, Options{Model: "x", AdaptiveThinking: true})
		checkRequest(t, out, err)
	})
}

func FuzzAnthropicToOpenAIChat(f *testing.F) {
	fixtureSeeds(f, an, "request")
	seedCases(f, an, unsupportedCases)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := AnthropicToOpenAIChat(body, Options{})
		checkRequest(t, out, err)
		out, err = AnthropicToOpenAIChat(body, Options{Model: "x", LegacyMaxTokens: true})
		checkRequest(t, out, err)
	})
}

type streamConverter interface {
	Feed(name, data, dst []byte) ([]byte, error)
	Finish(dst []byte) []byte
}

// feedAll splits in as SSE and runs it through c, one Feed per event.
func feedAll(c streamConverter, in []byte) []byte {
	r := sse.NewReader(bytes.NewReader(in), 1<<16)
	var out []byte
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		if !ev.HasData {
			continue
		}
		out, _ = c.Feed(ev.Name, ev.Data, out)
	}
	return c.Finish(out)
}

// outputEvents parses converter output; every event must carry JSON data
// except OpenAI's [DONE].
func outputEvents(t *testing.T, out []byte) []sse.Event {
	r := sse.NewReader(bytes.NewReader(out), 0)
	var events []sse.Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return events
		}
		if err != nil {
			t.Fatalf("output is not SSE: %v", err)
		}
		if !json.Valid(ev.Data) && string(ev.Data) != "[DONE]" {
			t.Fatalf("event data is not JSON: %q", ev.Data)
		}
		ev.Name, ev.Data = bytes.Clone(ev.Name), bytes.Clone(ev.Data)
		events = append(events, ev)
	}
}

// checkOpenAIStream: JSON chunks without event names, ending in [DONE] or
// an error chunk and in nothing else.
func checkOpenAIStream(t *testing.T, out []byte) {
	events := outputEvents(t, out)
	if len(events) == 0 {
		t.Fatal("no terminating event")
	}
	last := events[len(events)-1].Data
	if string(last) != "[DONE]" && !bytes.HasPrefix(last, []byte(`{"error":`)) {
		t.Fatalf("stream ends with %s, want [DONE] or an error", last)
	}
	for _, ev := range events[:len(events)-1] {
		if len(ev.Name) > 0 || string(ev.Data) == "[DONE]" || bytes.HasPrefix(ev.Data, []byte(`{"error":`)) {
			t.Fatalf("terminator or event name before the end: %s %s", ev.Name, ev.Data)
		}
	}
}

// checkAnthropicStream: named events matching their data's type, blocks
// that open and close one at a time, ending in message_stop or error.
func checkAnthropicStream(t *testing.T, out []byte) {
	events := outputEvents(t, out)
	if len(events) == 0 {
		t.Fatal("no terminating event")
	}
	open := -1
	for i, ev := range events {
		name := string(ev.Name)
		var d struct {
			Type  string `json:"type"`
			Index int    `json:"index"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.Type != name {
			t.Fatalf("event %q with data %s", name, ev.Data)
		}
		last := i == len(events)-1
		switch name {
		case "message_stop", "error":
			if !last {
				t.Fatalf("%s before the end", name)
			}
		case "content_block_start":
			if open >= 0 {
				t.Fatalf("block %d starts while %d is open", d.Index, open)
			}
			open = d.Index
		case "content_block_delta", "content_block_stop":
			if d.Index != open {
				t.Fatalf("%s for block %d while %d is open", name, d.Index, open)
			}
			if name == "content_block_stop" {
				open = -1
			}
		}
		if last && name != "message_stop" && name != "error" {
			t.Fatalf("stream ends with %s", name)
		}
	}
	if string(events[0].Name) != "message_start" && string(events[0].Name) != "error" {
		t.Fatalf("stream starts with %s", events[0].Name)
	}
}

func FuzzAnthropicToOpenAIStream(f *testing.F) {
	fixtureSeeds(f, oa, "stream")
	f.Add([]byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":5,\"delta\":{}}\n\n"))
	f.Add([]byte("data: {\"type\":\"content_block_start\",\"index\":99999999,\"content_block\":{\"type\":\"text\"}}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkOpenAIStream(t, feedAll(NewAnthropicToOpenAIStream("m", true), in))
	})
}

func FuzzOpenAIToAnthropicStream(f *testing.F) {
	fixtureSeeds(f, an, "stream")
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"x\"}}]}}]}\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"thinking_blocks\":[{\"type\":\"redacted_thinking\",\"data\":\"x\"}]}}]}\n\ndata: [DONE]\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkAnthropicStream(t, feedAll(NewOpenAIToAnthropicStream("m"), in))
	})
}

// checkResponses runs answer translators on body: JSON out, or an error
// inside the contract.
func checkResponses(t *testing.T, body []byte, trs ...func([]byte, string) ([]byte, error)) {
	for _, tr := range trs {
		out, err := tr(body, "m")
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		if err != nil && !errors.Is(err, ErrInvalidResponse) {
			t.Fatalf("error outside the contract: %v", err)
		}
	}
}

// checkErrors runs error translators on body for each status: JSON out.
func checkErrors(t *testing.T, body []byte, statuses []int, trs ...func([]byte, int) []byte) {
	for _, status := range statuses {
		for _, tr := range trs {
			if out := tr(body, status); !json.Valid(out) {
				t.Fatalf("invalid JSON: %s", out)
			}
		}
	}
}

// FuzzResponses covers the non-streaming and error translators: never panic,
// and JSON out whenever there is no error.
func FuzzResponses(f *testing.F) {
	fixtureSeeds(f, oa, "response")
	fixtureSeeds(f, an, "response")
	fixtureSeeds(f, oa, "error")
	fixtureSeeds(f, an, "error")
	f.Fuzz(func(t *testing.T, body []byte) {
		checkResponses(t, body, AnthropicResponseToOpenAI, OpenAIResponseToAnthropic)
		checkErrors(t, body, []int{0, 400, 529}, AnthropicErrorToOpenAI, OpenAIErrorToAnthropic)
	})
}
