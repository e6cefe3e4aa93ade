package translate

import (
	"encoding/json"
	"errors"
	"testing"
)

// checkGeminiRequest: a translation either fails inside the contract or is
// a Gemini body: an object with contents and neither model nor stream flag.
func checkGeminiRequest(t *testing.T, out []byte, err error) {
	if err != nil {
		if !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("error outside the contract: %v", err)
		}
		return
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, out)
	}
	if kind(v["contents"]) != '[' || v["model"] != nil || v["stream"] != nil {
		t.Fatalf("not a Gemini body: %s", out)
	}
}

func FuzzOpenAIChatToGemini(f *testing.F) {
	fixtureSeeds(f, oaGm, "request")
	fixtureSeeds(f, oa, "request")
	seedCases(f, oaGm, geminiUnsupportedCases)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := OpenAIChatToGemini(body, Options{})
		checkGeminiRequest(t, out, err)
		out, err = OpenAIChatToGemini(body, Options{AdaptiveThinking: true})
		checkGeminiRequest(t, out, err)
	})
}

func FuzzAnthropicToGemini(f *testing.F) {
	fixtureSeeds(f, anGm, "request")
	fixtureSeeds(f, an, "request")
	seedCases(f, anGm, geminiUnsupportedCases)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := AnthropicToGemini(body, Options{})
		checkGeminiRequest(t, out, err)
	})
}

func FuzzGeminiToOpenAIChat(f *testing.F) {
	fixtureSeeds(f, gmOa, "request")
	fixtureSeeds(f, gmAn, "request")
	seedCases(f, gmOa, geminiUnsupportedCases)
	f.Add([]byte(`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f"}},{"functionCall":{"name":"f"}}]},{"parts":[{"functionResponse":{"name":"f","response":{}}},{"function_response":{"name":"f","response":{"output":"x"}}}]}]}`))
	f.Add([]byte(`{"contents":[],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","nullable":true,"anyOf":[{"type":"STRING","enum":["a"]}],"items":{"items":{"type":"ARRAY"}}}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, opts := range []Options{{Model: "m"}, {Model: "m", Stream: true, LegacyMaxTokens: true}} {
			out, err := GeminiToOpenAIChat(body, opts)
			checkRequest(t, out, err)
		}
	})
}

func FuzzGeminiToAnthropic(f *testing.F) {
	fixtureSeeds(f, gmAn, "request")
	fixtureSeeds(f, gmOa, "request")
	seedCases(f, gmAn, geminiUnsupportedCases)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, opts := range []Options{{Model: "m", DefaultMaxTokens: 4096}, {Model: "m", DefaultMaxTokens: 1500, AdaptiveThinking: true, Stream: true}} {
			out, err := GeminiToAnthropic(body, opts)
			checkRequest(t, out, err)
		}
	})
}

// checkGeminiStream: unnamed events, each a GenerateContentResponse; the
// last one and only it has finishReason (with usageMetadata) or is an error.
func checkGeminiStream(t *testing.T, out []byte) {
	events := outputEvents(t, out)
	if len(events) == 0 {
		t.Fatal("no terminating event")
	}
	for i, ev := range events {
		var c struct {
			Candidates []struct {
				Content *struct {
					Parts []json.RawMessage `json:"parts"`
				} `json:"content"`
				FinishReason string `json:"finishReason"`
			} `json:"candidates"`
			UsageMetadata *gmUsage        `json:"usageMetadata"`
			Error         json.RawMessage `json:"error"`
		}
		if len(ev.Name) > 0 || json.Unmarshal(ev.Data, &c) != nil {
			t.Fatalf("event %q %s", ev.Name, ev.Data)
		}
		last := i == len(events)-1
		switch {
		case c.Error != nil:
			if !last {
				t.Fatalf("error before the end: %s", ev.Data)
			}
		case len(c.Candidates) != 1 || c.Candidates[0].Content == nil || len(c.Candidates[0].Content.Parts) == 0:
			t.Fatalf("chunk without parts: %s", ev.Data)
		case last != (c.Candidates[0].FinishReason != "") || last != (c.UsageMetadata != nil):
			t.Fatalf("finishReason and usage only in the last chunk: %s", ev.Data)
		}
	}
}

func FuzzGeminiStream(f *testing.F) {
	fixtureSeeds(f, oaGm, "stream")
	fixtureSeeds(f, anGm, "stream")
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":null}},{\"thought\":true,\"thoughtSignature\":\"s\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"))
	f.Add([]byte("data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}\n\ndata: {\"error\":{\"code\":500}}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkOpenAIStream(t, feedAll(NewGeminiToOpenAIStream("m", true), in))
		checkAnthropicStream(t, feedAll(NewGeminiToAnthropicStream("m"), in))
	})
}

// FuzzToGeminiStream feeds every input to both converters that write
// Gemini streams, each seeded with what it reads.
func FuzzToGeminiStream(f *testing.F) {
	for _, route := range []string{gmOa, an, gmAn, oa} {
		fixtureSeeds(f, route, "stream")
	}
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{\"a\":[1]}}}\n\nevent: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkGeminiStream(t, feedAll(NewOpenAIToGeminiStream("m"), in))
		checkGeminiStream(t, feedAll(NewAnthropicToGeminiStream("m"), in))
	})
}

// FuzzGeminiResponses covers the Gemini answer and error translators:
// never panic, JSON out whenever there is no error.
func FuzzGeminiResponses(f *testing.F) {
	for _, route := range geminiRouteNames {
		fixtureSeeds(f, route, "response")
		fixtureSeeds(f, route, "error")
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkResponses(t, body, GeminiResponseToOpenAI, GeminiResponseToAnthropic, OpenAIResponseToGemini, AnthropicResponseToGemini)
		checkErrors(t, body, []int{0, 400, 413, 529}, GeminiErrorToOpenAI, GeminiErrorToAnthropic, OpenAIErrorToGemini, AnthropicErrorToGemini)
	})
}
