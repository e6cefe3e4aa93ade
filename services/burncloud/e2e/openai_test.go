package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	usagev1 "github.com/burncloud/burncloud/pkg/gen/burncloud/usage/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/usage"
)

// miniPrice is gpt-4o-mini as the bootstrap file prices it.
var miniPrice = pricing.Model{Input: 150_000_000, Output: 600_000_000}

func wantCost(t *testing.T, m pricing.Model, u *usagev1.Usage) int64 {
	t.Helper()
	res, err := pricing.Cost(m, usage.Usage{
		InputUncached: u.GetInputUncached(), InputCacheRead: u.GetInputCacheRead(),
		InputCacheWrite: u.GetInputCacheWrite(), Output: u.GetOutput(), Reasoning: u.GetReasoning(),
	}, pricing.ListPrice())
	if err != nil {
		t.Fatal(err)
	}
	return res.CostNano
}

func checkEvent(t *testing.T, ev *usagev1.UsageEvent, status int32, channel string, prompt, completion int64) {
	t.Helper()
	if ev.GetHttpStatus() != status || ev.GetChannel() != channel || ev.GetUser() != "alice" {
		t.Fatalf("event status=%d channel=%q user=%q; want %d %q alice", ev.GetHttpStatus(), ev.GetChannel(), ev.GetUser(), status, channel)
	}
	u := ev.GetUsage()
	if u.GetInputUncached()+u.GetInputCacheRead() != prompt || u.GetOutput() != completion {
		t.Fatalf("event usage %v; want prompt %d completion %d", u, prompt, completion)
	}
	if ev.GetUsageEstimated() {
		t.Fatal("usage marked estimated though the provider reported it")
	}
	if got, want := ev.GetCostNanoUsd(), wantCost(t, miniPrice, u); got != want || want == 0 {
		t.Fatalf("event cost %d, want %d", got, want)
	}
}

func TestOpenAISurface(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	r := g.routers[0]
	client := r.openai(userKey)
	ctx := context.Background()
	ids := map[string]bool{}

	t.Run("chat", func(t *testing.T) {
		var hr *http.Response
		resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:    "gpt-4o-mini",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("say four short words please")},
		}, option.WithResponseInto(&hr))
		if err != nil {
			t.Fatalf("chat: %v", err)
		}
		if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" {
			t.Fatalf("empty answer: %+v", resp)
		}
		id := hr.Header.Get("x-request-id")
		if id == "" || hr.Header.Get("x-burncloud-cost-usd") == "" {
			t.Fatalf("missing headers: %v", hr.Header)
		}
		ev := g.waitEvent(id)
		checkEvent(t, ev, 200, "primary", resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
		if got := hr.Header.Get("x-burncloud-cost-usd"); got != pricing.FormatUSD(ev.GetCostNanoUsd()) {
			t.Fatalf("cost header %s, event cost %s", got, pricing.FormatUSD(ev.GetCostNanoUsd()))
		}
		ids[id] = true
	})

	t.Run("chat stream", func(t *testing.T) {
		var hr *http.Response
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model:    "gpt-4o-mini",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream me an answer")},
		}, option.WithResponseInto(&hr))
		var text strings.Builder
		chunks := 0
		for stream.Next() {
			c := stream.Current()
			chunks++
			if len(c.Choices) == 0 {
				t.Fatal("usage-only chunk forwarded to a client that did not ask for it")
			}
			text.WriteString(c.Choices[0].Delta.Content)
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("stream: %v", err)
		}
		if text.Len() == 0 || chunks < 2 {
			t.Fatalf("stream gave %d chunks, text %q", chunks, text.String())
		}
		id := hr.Header.Get("x-request-id")
		ev := g.waitEvent(id)
		if !ev.GetStream() {
			t.Fatal("event not marked as a stream")
		}
		words := int64(len(strings.Fields(text.String())))
		checkEvent(t, ev, 200, "primary", 4, words)
		ids[id] = true
	})

	t.Run("chat stream with usage", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model:         "gpt-4o-mini",
			Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count me")},
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
		})
		var usage openai.CompletionUsage
		for stream.Next() {
			if c := stream.Current(); c.Usage.TotalTokens > 0 {
				usage = c.Usage
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if usage.PromptTokens != 2 || usage.CompletionTokens == 0 {
			t.Fatalf("client asked for usage and got %+v", usage)
		}
	})

	t.Run("completions", func(t *testing.T) {
		var hr *http.Response
		resp, err := client.Completions.New(ctx, openai.CompletionNewParams{
			Model:  openai.CompletionNewParamsModel("gpt-4o-mini"),
			Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("once upon a time")},
		}, option.WithResponseInto(&hr))
		if err != nil {
			t.Fatalf("completions: %v", err)
		}
		if len(resp.Choices) == 0 || resp.Choices[0].Text == "" {
			t.Fatalf("empty completion: %+v", resp)
		}
		ev := g.waitEvent(hr.Header.Get("x-request-id"))
		checkEvent(t, ev, 200, "primary", resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	})

	t.Run("embeddings", func(t *testing.T) {
		var hr *http.Response
		resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
			Model: "text-embedding-3-small",
			Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("embed these five words")},
		}, option.WithResponseInto(&hr))
		if err != nil {
			t.Fatalf("embeddings: %v", err)
		}
		if len(resp.Data) != 1 || len(resp.Data[0].Embedding) == 0 {
			t.Fatalf("no embedding: %+v", resp)
		}
		ev := g.waitEvent(hr.Header.Get("x-request-id"))
		if ev.GetUsage().GetInputUncached() != resp.Usage.PromptTokens || ev.GetUsage().GetOutput() != 0 {
			t.Fatalf("embedding usage %v, response says %d", ev.GetUsage(), resp.Usage.PromptTokens)
		}
		if want := resp.Usage.PromptTokens * 20; ev.GetCostNanoUsd() != want {
			t.Fatalf("embedding cost %d, want %d", ev.GetCostNanoUsd(), want)
		}
	})

	t.Run("responses", func(t *testing.T) {
		var hr *http.Response
		resp, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "gpt-4o-mini",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("tell me something")},
		}, option.WithResponseInto(&hr))
		if err != nil {
			t.Fatalf("responses: %v", err)
		}
		if resp.OutputText() == "" {
			t.Fatalf("empty response: %+v", resp)
		}
		ev := g.waitEvent(hr.Header.Get("x-request-id"))
		checkEvent(t, ev, 200, "primary", resp.Usage.InputTokens, resp.Usage.OutputTokens)
	})

	t.Run("models", func(t *testing.T) {
		page, err := client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, m := range page.Data {
			names[m.ID] = true
		}
		if !names["gpt-4o-mini"] || !names["text-embedding-3-small"] {
			t.Fatalf("models: %v", names)
		}
	})

	t.Run("errors are OpenAI-shaped", func(t *testing.T) {
		bad := r.openai("sk-bc-unknown-key-000000000000")
		_, err := bad.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Message == "" {
			t.Fatalf("unknown key: %v", err)
		}
		_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "no-such-model", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
		})
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
			t.Fatalf("unknown model: %v", err)
		}
	})

	t.Run("settled once", func(t *testing.T) {
		all := map[string]bool{}
		for _, ev := range g.streamEvents() {
			all[ev.GetId()] = true
		}
		for id := range ids {
			if !all[id] {
				t.Fatalf("event %s missing from the stream", id)
			}
		}
		g.settled(t, nil)
		g.auditClean(t)
	})
}

func TestFailoverBeforeFirstByte(t *testing.T) {
	g := startGateway(t, gatewayOptions{primary: "status=500"})
	client := g.routers[0].openai(userKey)
	var hr *http.Response
	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello there")},
	}, option.WithResponseInto(&hr))
	if err != nil {
		t.Fatalf("chat should fail over: %v", err)
	}
	if resp.Choices[0].Message.Content == "" {
		t.Fatal("empty answer")
	}
	ev := g.waitEvent(hr.Header.Get("x-request-id"))
	checkEvent(t, ev, 200, "fallback", resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	if ev.GetAttempts() < 2 {
		t.Fatalf("attempts = %d, want ≥ 2", ev.GetAttempts())
	}
}

func TestNoFailoverAfterFirstByte(t *testing.T) {
	g := startGateway(t, gatewayOptions{primary: "chunks=10,cut-after=3"})
	client := g.routers[0].openai(userKey)
	var hr *http.Response
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("a long answer")},
	}, option.WithResponseInto(&hr))
	got := 0
	for stream.Next() {
		got++
	}
	if stream.Err() == nil {
		t.Fatalf("a cut stream ended cleanly after %d chunks", got)
	}
	for _, req := range g.fake.Requests() {
		if req.Scenario == "" {
			t.Fatal("the router retried on the fallback after the first byte reached the client")
		}
	}
	ev := g.waitEvent(hr.Header.Get("x-request-id"))
	if ev.GetChannel() != "primary" || ev.GetErrorClass() == "" || !ev.GetUsageEstimated() {
		t.Fatalf("cut stream event: channel=%q class=%q estimated=%v", ev.GetChannel(), ev.GetErrorClass(), ev.GetUsageEstimated())
	}
	if ev.GetUsage().GetOutput() == 0 || ev.GetUsage().GetInputUncached() == 0 || ev.GetCostNanoUsd() == 0 {
		t.Fatalf("cut stream billed nothing: %v cost %d", ev.GetUsage(), ev.GetCostNanoUsd())
	}
}

func TestRevokedKeyRefusedWithinOneSecond(t *testing.T) {
	g := startGateway(t, gatewayOptions{routers: 2})
	ctx := context.Background()
	for _, r := range g.routers {
		if _, err := r.openai(userKey).Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		}); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
	}
	revoked := time.Now()
	if _, err := g.tokens().DeleteToken(ctx, connect.NewRequest(&adminv1.DeleteTokenRequest{User: "alice", Name: "laptop"})); err != nil {
		t.Fatalf("delete token: %v", err)
	}
	for _, r := range g.routers {
		eventually(t, time.Second-time.Since(revoked), r.id+" refuses the revoked key", func() (bool, string) {
			_, err := r.openai(userKey).Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
				Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
			})
			var apiErr *openai.Error
			return errors.As(err, &apiErr) && apiErr.StatusCode == 401, "still accepted"
		})
	}
	t.Logf("revoked key refused by every router %s after the change", time.Since(revoked))
}
