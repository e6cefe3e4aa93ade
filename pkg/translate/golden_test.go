package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/burncloud/burncloud/pkg/sse"
)

// Fixtures live in testdata/<route>/<name>.json. The route is the client's
// side: openai_client (OpenAI client, Anthropic upstream) or
// anthropic_client. kind selects what is translated:
//
//	request   the client's request -> the upstream's
//	response  the upstream's answer -> the client's
//	stream    the upstream's events -> the client's events (then Finish)
//	error     the upstream's error body -> the client's
//
// want is compared semantically as JSON. OpenAI "created" fields must be
// positive and are compared as 0.
type fixture struct {
	Feature string          `json:"feature"`
	Section string          `json:"section"`
	Note    string          `json:"note"`
	Kind    string          `json:"kind"`
	Options fixtureOptions  `json:"options"`
	Input   json.RawMessage `json:"input"`
	Want    json.RawMessage `json:"want"`
}

type fixtureOptions struct {
	Model            string `json:"model"`
	DefaultMaxTokens int64  `json:"default_max_tokens"`
	AdaptiveThinking bool   `json:"adaptive_thinking"`
	LegacyMaxTokens  bool   `json:"legacy_max_tokens"`
	IncludeUsage     bool   `json:"include_usage"`
	Status           int    `json:"status"`
	Stream           bool   `json:"stream"`
}

func (o fixtureOptions) translate() Options {
	return Options{Model: o.Model, DefaultMaxTokens: o.DefaultMaxTokens, AdaptiveThinking: o.AdaptiveThinking, LegacyMaxTokens: o.LegacyMaxTokens, Stream: o.Stream}
}

// streamEvent is one SSE event of a stream fixture; Data is an object, or a
// string sent as is (e.g. "[DONE]").
type streamEvent struct {
	Event string          `json:"event,omitempty"`
	Data  json.RawMessage `json:"data"`
}

func (e streamEvent) raw() []byte {
	var s string
	if json.Unmarshal(e.Data, &s) == nil {
		return []byte(s)
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, e.Data)
	return buf.Bytes()
}

var routes = []string{"openai_client", "anthropic_client"}

func loadFixtures(t testing.TB, route string) map[string]fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", route, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures for %s: %v", route, err)
	}
	out := make(map[string]fixture, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fx fixture
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if fx.Feature == "" || fx.Want == nil || fx.Input == nil {
			t.Fatalf("%s: feature, input and want are required", f)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = fx
	}
	return out
}

// run translates a fixture's input the way its route and kind say.
func run(route string, fx fixture) ([]byte, error) {
	if pair, ok := geminiRoutes[route]; ok {
		return runBridge(pair, fx)
	}
	o := fx.Options
	oa := route == "openai_client"
	switch fx.Kind {
	case "request":
		if oa {
			return OpenAIChatToAnthropic(fx.Input, o.translate())
		}
		return AnthropicToOpenAIChat(fx.Input, o.translate())
	case "response":
		if oa {
			return AnthropicResponseToOpenAI(fx.Input, o.Model)
		}
		return OpenAIResponseToAnthropic(fx.Input, o.Model)
	case "error":
		if oa {
			return AnthropicErrorToOpenAI(fx.Input, o.Status), nil
		}
		return OpenAIErrorToAnthropic(fx.Input, o.Status), nil
	case "stream":
		var c streamConverter = NewOpenAIToAnthropicStream(o.Model)
		if oa {
			c = NewAnthropicToOpenAIStream(o.Model, o.IncludeUsage)
		}
		return runStream(c, fx.Input)
	}
	return nil, fmt.Errorf("unknown kind %q", fx.Kind)
}

// runStream feeds a stream fixture's events to c and finishes it. The
// converter must be done then, and a failed Feed must have written an
// error event.
func runStream(c streamConverter, input json.RawMessage) ([]byte, error) {
	var events []streamEvent
	if err := json.Unmarshal(input, &events); err != nil {
		return nil, err
	}
	var out []byte
	var ferr error
	for _, e := range events {
		var err error
		out, err = c.Feed([]byte(e.Event), e.raw(), out)
		ferr = errors.Join(ferr, err)
	}
	out = c.Finish(out)
	if d, ok := c.(interface{ Done() bool }); ok && !d.Done() {
		return nil, fmt.Errorf("not done after Finish")
	}
	if ferr != nil && !bytes.Contains(out, []byte("error")) {
		return nil, fmt.Errorf("feed failed without an error event: %w", ferr)
	}
	return out, nil
}

// decodeStream parses SSE output into events with JSON data.
func decodeStream(t testing.TB, out []byte) []streamEvent {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(out), 0)
	var events []streamEvent
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return events
		}
		if err != nil {
			t.Fatalf("output is not SSE: %v\n%s", err, out)
		}
		data := json.RawMessage(bytes.Clone(ev.Data))
		if !json.Valid(data) {
			if string(data) != "[DONE]" {
				t.Fatalf("event data is not JSON: %s", data)
			}
			data, _ = json.Marshal(string(ev.Data))
		}
		events = append(events, streamEvent{Event: string(ev.Name), Data: data})
	}
}

// normalize decodes JSON and sets top-level "created" fields to 0; in
// output (got) they must be positive.
func normalize(t testing.TB, raw []byte, got bool) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	if m, ok := v.(map[string]any); ok {
		if c, ok := m["created"].(float64); ok {
			if got && c <= 0 {
				t.Errorf("created = %v, want a positive time", c)
			}
			m["created"] = float64(0)
		}
	}
	return v
}

func pretty(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// compare checks got against want and reports differences.
func compare(t *testing.T, kind string, got []byte, want json.RawMessage) {
	t.Helper()
	if kind != "stream" {
		if !json.Valid(got) {
			t.Fatalf("output is not JSON: %s", got)
		}
		g, w := normalize(t, got, true), normalize(t, want, false)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("got:\n%s\nwant:\n%s", pretty(g), pretty(w))
		}
		return
	}
	var wantEvents []streamEvent
	if err := json.Unmarshal(want, &wantEvents); err != nil {
		t.Fatalf("want: %v", err)
	}
	gotEvents := decodeStream(t, got)
	for i := range max(len(gotEvents), len(wantEvents)) {
		switch {
		case i >= len(gotEvents):
			t.Errorf("event %d missing: want %s %s", i, wantEvents[i].Event, wantEvents[i].Data)
		case i >= len(wantEvents):
			t.Errorf("event %d extra: got %s %s", i, gotEvents[i].Event, gotEvents[i].Data)
		default:
			g, w := gotEvents[i], wantEvents[i]
			gv, wv := normalize(t, g.Data, true), normalize(t, w.Data, false)
			if g.Event != w.Event || !reflect.DeepEqual(gv, wv) {
				t.Errorf("event %d:\ngot  %q %s\nwant %q %s", i, g.Event, g.Data, w.Event, w.Data)
			}
		}
	}
}

func TestGolden(t *testing.T) { testGolden(t, routes, false) }

// testGolden runs the fixtures of routes; everyKind asks each route to
// have a fixture of every kind.
func testGolden(t *testing.T, routes []string, everyKind bool) {
	for _, route := range routes {
		fixtures := loadFixtures(t, route)
		kinds := map[string]int{}
		for _, name := range slices.Sorted(maps.Keys(fixtures)) {
			fx := fixtures[name]
			kinds[fx.Kind]++
			t.Run(route+"/"+name, func(t *testing.T) {
				got, err := run(route, fx)
				if err != nil {
					t.Fatalf("translate: %v", err)
				}
				compare(t, fx.Kind, got, fx.Want)
			})
		}
		for _, k := range []string{"request", "response", "stream", "error"} {
			if everyKind && kinds[k] == 0 {
				t.Errorf("%s has no %s fixture", route, k)
			}
		}
	}
}
