package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicopt "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// A 1×1 transparent PNG.
const pixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// sdkPrice is the price of every model of the SDK matrix.
var sdkPrice = pricing.Model{Input: 3_000_000_000, Output: 15_000_000_000}

// upstreams of the SDK matrix: one channel per protocol, each serving one
// model, on the fake's "tools" scenario (a request declaring tools gets a
// tool call).
var sdkUpstreams = []struct {
	model    string
	protocol usagev1.Protocol
}{
	{"gpt-up", usagev1.Protocol_PROTOCOL_OPENAI},
	{"claude-up", usagev1.Protocol_PROTOCOL_ANTHROPIC},
	{"gemini-up", usagev1.Protocol_PROTOCOL_GEMINI},
}

func sdkBootstrap(fakeURL string) string {
	return fmt.Sprintf(`channels:
  - name: oa
    type: openai
    base_url: %[1]s/s/tools/v1
    keys: ["upstream-key-openai"]
    models: [gpt-up]
  - name: an
    type: anthropic
    base_url: %[1]s/s/tools
    keys: ["upstream-key-anthropic"]
    models: [claude-up]
  - name: ge
    type: gemini
    base_url: %[1]s/s/tools
    keys: ["upstream-key-gemini"]
    models: [gemini-up]
models:
  - {name: gpt-up, input: "3", output: "15", max_output_tokens: 512}
  - {name: claude-up, input: "3", output: "15", max_output_tokens: 512}
  - {name: gemini-up, input: "3", output: "15", max_output_tokens: 512}
groups:
  - name: default
    ratio: "1.0"
users:
  - name: alice
    group: default
    role: user
    tokens:
      - name: laptop
        key: %[2]s
`, fakeURL, userKey)
}

// sdkResult is what a client saw: the request id, the usage the SDK
// reported (input including cached, and output) and, for tool calls, the
// function called and its arguments.
type sdkResult struct {
	id            string
	input, output int64
	text          string
	tool, args    string
}

// sdkClient drives one official SDK against a router.
type sdkClient struct {
	name     string
	protocol usagev1.Protocol
	text     func(t *testing.T, model string) sdkResult
	toolCall func(t *testing.T, model string) sdkResult // streamed
	image    func(t *testing.T, model string) sdkResult
}

func TestSDKMatrix(t *testing.T) {
	g := startGateway(t, gatewayOptions{bootstrap: sdkBootstrap})
	r := g.routers[0]
	clients := []sdkClient{openAIClient(r), anthropicClient(r), genaiClient(t, r)}
	for _, c := range clients {
		for _, up := range sdkUpstreams {
			t.Run(c.name+"→"+up.model, func(t *testing.T) {
				check := func(t *testing.T, res sdkResult) {
					t.Helper()
					ev := g.waitEvent(res.id)
					if ev.GetHttpStatus() != 200 || ev.GetInboundProtocol() != c.protocol || ev.GetUpstreamProtocol() != up.protocol {
						t.Fatalf("event status %d protocols %v→%v", ev.GetHttpStatus(), ev.GetInboundProtocol(), ev.GetUpstreamProtocol())
					}
					u := ev.GetUsage()
					in := u.GetInputUncached() + u.GetInputCacheRead() + u.GetInputCacheWrite()
					if in != res.input || u.GetOutput() != res.output || res.output == 0 || ev.GetUsageEstimated() {
						t.Fatalf("event usage %v, SDK saw input %d output %d", u, res.input, res.output)
					}
					if got, want := ev.GetCostNanoUsd(), wantCost(t, sdkPrice, u); got != want || want == 0 {
						t.Fatalf("event cost %d, want %d", got, want)
					}
				}
				t.Run("text", func(t *testing.T) {
					res := c.text(t, up.model)
					if len(strings.Fields(res.text)) == 0 {
						t.Fatalf("empty answer")
					}
					check(t, res)
				})
				t.Run("streamed tool call", func(t *testing.T) {
					res := c.toolCall(t, up.model)
					var args map[string]any
					if res.tool != "get_weather" || json.Unmarshal([]byte(res.args), &args) != nil || len(args) == 0 {
						t.Fatalf("tool call %q(%s)", res.tool, res.args)
					}
					check(t, res)
				})
				t.Run("image input", func(t *testing.T) {
					res := c.image(t, up.model)
					if res.text == "" {
						t.Fatal("empty answer")
					}
					// The picture reached the provider in its own format.
					last, ok := g.fake.LastRequest()
					if !ok || !strings.Contains(string(last.Body), pixelPNG) {
						t.Fatalf("upstream request %s lacks the image: %s", last.Path, last.Body)
					}
					check(t, res)
				})
			})
		}
	}
}

var weatherSchema = map[string]any{
	"type":       "object",
	"properties": map[string]any{"city": map[string]any{"type": "string"}},
	"required":   []string{"city"},
}

func openAIClient(r *router) sdkClient {
	client := r.openai(userKey)
	ctx := context.Background()
	whole := func(t *testing.T, params openai.ChatCompletionNewParams) sdkResult {
		t.Helper()
		var hr *http.Response
		resp, err := client.Chat.Completions.New(ctx, params, option.WithResponseInto(&hr))
		if err != nil {
			t.Fatalf("chat: %v", err)
		}
		if len(resp.Choices) != 1 {
			t.Fatalf("answer %+v", resp)
		}
		return sdkResult{id: hr.Header.Get("x-request-id"), input: resp.Usage.PromptTokens,
			output: resp.Usage.CompletionTokens, text: resp.Choices[0].Message.Content}
	}
	return sdkClient{
		name: "openai", protocol: usagev1.Protocol_PROTOCOL_OPENAI,
		text: func(t *testing.T, model string) sdkResult {
			return whole(t, openai.ChatCompletionNewParams{
				Model:    model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("say four short words please")},
			})
		},
		toolCall: func(t *testing.T, model string) sdkResult {
			var hr *http.Response
			stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
				Model:         model,
				Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("what is the weather in Paris")},
				StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
				Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
					Name: "get_weather", Description: openai.String("weather of a city"), Parameters: weatherSchema,
				})},
			}, option.WithResponseInto(&hr))
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			res := sdkResult{id: hr.Header.Get("x-request-id"), input: acc.Usage.PromptTokens, output: acc.Usage.CompletionTokens}
			if len(acc.Choices) == 1 && len(acc.Choices[0].Message.ToolCalls) == 1 {
				call := acc.Choices[0].Message.ToolCalls[0]
				res.tool, res.args = call.Function.Name, call.Function.Arguments
			}
			return res
		},
		image: func(t *testing.T, model string) sdkResult {
			return whole(t, openai.ChatCompletionNewParams{
				Model: model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
					openai.TextContentPart("describe this picture"),
					openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64," + pixelPNG}),
				})},
			})
		},
	}
}

func anthropicClient(r *router) sdkClient {
	client := anthropic.NewClient(
		anthropicopt.WithBaseURL(r.URL),
		anthropicopt.WithAPIKey(userKey),
		anthropicopt.WithMaxRetries(0),
		anthropicopt.WithRequestTimeout(20*time.Second),
	)
	ctx := context.Background()
	result := func(id string, m *anthropic.Message) sdkResult {
		u := m.Usage
		res := sdkResult{id: id, input: u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens, output: u.OutputTokens}
		for _, b := range m.Content {
			switch b.Type {
			case "text":
				res.text += b.Text
			case "tool_use":
				res.tool, res.args = b.Name, string(b.Input)
			}
		}
		return res
	}
	whole := func(t *testing.T, params anthropic.MessageNewParams) sdkResult {
		t.Helper()
		var hr *http.Response
		m, err := client.Messages.New(ctx, params, anthropicopt.WithResponseInto(&hr))
		if err != nil {
			t.Fatalf("messages: %v", err)
		}
		return result(hr.Header.Get("x-request-id"), m)
	}
	return sdkClient{
		name: "anthropic", protocol: usagev1.Protocol_PROTOCOL_ANTHROPIC,
		text: func(t *testing.T, model string) sdkResult {
			return whole(t, anthropic.MessageNewParams{
				Model: anthropic.Model(model), MaxTokens: 256,
				System:   []anthropic.TextBlockParam{{Text: "be brief"}},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("say four short words please"))},
			})
		},
		toolCall: func(t *testing.T, model string) sdkResult {
			var hr *http.Response
			stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{
				Model: anthropic.Model(model), MaxTokens: 256,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("what is the weather in Paris"))},
				Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
					Name: "get_weather", Description: anthropic.String("weather of a city"),
					InputSchema: anthropic.ToolInputSchemaParam{Properties: weatherSchema["properties"], Required: []string{"city"}},
				}}},
			}, anthropicopt.WithResponseInto(&hr))
			var m anthropic.Message
			for stream.Next() {
				if err := m.Accumulate(stream.Current()); err != nil {
					t.Fatalf("accumulate: %v", err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			return result(hr.Header.Get("x-request-id"), &m)
		},
		image: func(t *testing.T, model string) sdkResult {
			return whole(t, anthropic.MessageNewParams{
				Model: anthropic.Model(model), MaxTokens: 256,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(
					anthropic.NewTextBlock("describe this picture"),
					anthropic.NewImageBlockBase64("image/png", pixelPNG),
				)},
			})
		},
	}
}

func genaiClient(t *testing.T, r *router) sdkClient {
	ctx := context.Background()
	timeout := 20 * time.Second
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: userKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: r.URL + "/", Timeout: &timeout},
	})
	if err != nil {
		t.Fatal(err)
	}
	result := func(t *testing.T, resp *genai.GenerateContentResponse) sdkResult {
		t.Helper()
		if resp.SDKHTTPResponse == nil || resp.UsageMetadata == nil {
			t.Fatalf("answer without headers or usage: %+v", resp)
		}
		u := resp.UsageMetadata
		return sdkResult{id: resp.SDKHTTPResponse.Headers.Get("x-request-id"), input: int64(u.PromptTokenCount),
			output: int64(u.CandidatesTokenCount) + int64(u.ThoughtsTokenCount), text: resp.Text()}
	}
	whole := func(t *testing.T, model string, contents []*genai.Content, cfg *genai.GenerateContentConfig) sdkResult {
		t.Helper()
		resp, err := client.Models.GenerateContent(ctx, model, contents, cfg)
		if err != nil {
			t.Fatalf("generate: %v", err)
		}
		return result(t, resp)
	}
	return sdkClient{
		name: "genai", protocol: usagev1.Protocol_PROTOCOL_GEMINI,
		text: func(t *testing.T, model string) sdkResult {
			return whole(t, model, genai.Text("say four short words please"), &genai.GenerateContentConfig{
				SystemInstruction: genai.NewContentFromText("be brief", genai.RoleUser),
			})
		},
		toolCall: func(t *testing.T, model string) sdkResult {
			cfg := &genai.GenerateContentConfig{Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
				Name: "get_weather", Description: "weather of a city",
				Parameters: &genai.Schema{Type: genai.TypeObject, Required: []string{"city"},
					Properties: map[string]*genai.Schema{"city": {Type: genai.TypeString}}},
			}}}}}
			var res sdkResult
			for resp, err := range client.Models.GenerateContentStream(ctx, model, genai.Text("what is the weather in Paris"), cfg) {
				if err != nil {
					t.Fatalf("stream: %v", err)
				}
				if res.id == "" && resp.SDKHTTPResponse != nil {
					res.id = resp.SDKHTTPResponse.Headers.Get("x-request-id")
				}
				if u := resp.UsageMetadata; u != nil {
					res.input, res.output = int64(u.PromptTokenCount), int64(u.CandidatesTokenCount)+int64(u.ThoughtsTokenCount)
				}
				for _, fc := range resp.FunctionCalls() {
					args, _ := json.Marshal(fc.Args)
					res.tool, res.args = fc.Name, string(args)
				}
			}
			return res
		},
		image: func(t *testing.T, model string) sdkResult {
			png, err := base64.StdEncoding.DecodeString(pixelPNG)
			if err != nil {
				t.Fatal(err)
			}
			return whole(t, model, []*genai.Content{genai.NewContentFromParts([]*genai.Part{
				genai.NewPartFromText("describe this picture"), genai.NewPartFromBytes(png, "image/png"),
			}, genai.RoleUser)}, nil)
		},
	}
}
