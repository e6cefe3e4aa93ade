package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/spf13/cobra"

	"github.com/burncloud/burncloud/pkg/usage"
)

// Where chat finds the gateway's LLM API when neither a flag nor the data
// folder says.
const (
	DefaultGatewayURL = "http://127.0.0.1:8080"
	// EnvAPIKey is the API key chat sends when --key is not given.
	EnvAPIKey = "BURNCLOUD_API_KEY"
	// maxChatLine bounds one line of input.
	maxChatLine = 1 << 20
)

type chatOptions struct {
	model, baseURL, key string
}

func chatCommand(s *session) *cobra.Command {
	var o chatOptions
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Chat with a model through the gateway, with tokens and cost per turn",
		Long: `chat reads lines from standard input (a terminal or a pipe), sends each with
the conversation so far to the gateway's OpenAI chat completions API and
streams the answer. After each answer it prints the tokens the gateway
reported and their cost.

The gateway is --base-url, else the URL "burncloud dev" wrote in its data
folder, else ` + DefaultGatewayURL + `. The key is --key, else ` + EnvAPIKey + `,
else (with the data folder's URL) the demo key, else the admin key, from the
data folder.

The cost is computed from the usage the stream reports (stream_options.
include_usage), the model's price and the caller's group ratio, read through
the admin API (standard service tier); without admin access only tokens are
shown. It equals what billing settles for the request.

Commands: /model NAME switches the model, /reset forgets the conversation,
/exit (or end of input) quits.`,
		Example: `  burncloud chat
  echo "Hello" | burncloud chat --model gpt-4o-mini
  BURNCLOUD_API_KEY=sk-... burncloud chat --base-url https://llm.example.com/v1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return s.runChat(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "model to chat with (default "+DemoModel+" with the demo key, else gpt-4o-mini)")
	f.StringVar(&o.baseURL, "base-url", "", "the gateway's OpenAI base URL (default: the dev gateway's, else "+DefaultGatewayURL+")")
	f.StringVar(&o.key, "key", "", "API key (env "+EnvAPIKey+"; prefer the variable: flags show in process lists)")
	return cmd
}

// chatTarget is the resolved gateway, key and starting model.
type chatTarget struct {
	baseURL, key, model string
}

// resolveChat applies the defaults described in chat's help.
func (s *session) resolveChat(o chatOptions) (chatTarget, error) {
	dir := DataDir(s.flagDataDir, s.env)
	t := chatTarget{baseURL: o.baseURL, key: o.key, model: o.model}
	fromDataDir := false
	if t.baseURL == "" {
		u, found, err := readDataFile(dir, URLFile)
		if err != nil {
			return t, err
		}
		t.baseURL, fromDataDir = DefaultGatewayURL, found
		if found {
			t.baseURL = u
		}
	}
	if t.key == "" {
		if v, ok := s.env(EnvAPIKey); ok && v != "" {
			t.key = v
		}
	}
	demo := false
	// A key from the data folder only goes to the gateway that wrote it.
	if t.key == "" && fromDataDir {
		k, found, err := readDataFile(dir, DemoKeyFile)
		if err != nil {
			return t, err
		}
		if demo = found; !found {
			if k, _, err = readDataFile(dir, AdminKeyFile); err != nil {
				return t, err
			}
		}
		t.key = k
	}
	if t.key == "" {
		return t, usageErrorf("no API key: pass --key, set %s, or start \"burncloud dev --demo\"", EnvAPIKey)
	}
	if err := checkControlURL(t.baseURL); err != nil {
		return t, usageErrorf("--base-url %s: %v", t.baseURL, err)
	}
	t.baseURL = openAIBase(t.baseURL)
	if t.model == "" {
		t.model = "gpt-4o-mini"
		if demo {
			t.model = DemoModel
		}
	}
	return t, nil
}

// openAIBase turns a gateway URL into the OpenAI SDK's base URL (…/v1/).
func openAIBase(u string) string {
	u = strings.TrimRight(u, "/")
	if !strings.HasSuffix(u, "/v1") {
		u += "/v1"
	}
	return u + "/"
}

func (s *session) runChat(ctx context.Context, o chatOptions) error {
	t, err := s.resolveChat(o)
	if err != nil {
		return err
	}
	hc, _ := s.httpClient.(*http.Client)
	if hc == nil {
		hc = defaultHTTPClient()
	}
	client := openai.NewClient(
		option.WithBaseURL(t.baseURL), option.WithAPIKey(t.key),
		option.WithHTTPClient(hc), option.WithMaxRetries(0),
	)
	c := &chat{
		out: s.out, errOut: s.errOut, model: t.model,
		api:    client.Chat.Completions,
		prices: newPricer(s, t.key),
	}
	fmt.Fprintf(s.out, "Chatting with %s through %s. /model NAME, /reset, /exit.\n", t.model, strings.TrimSuffix(t.baseURL, "/"))
	return c.loop(ctx, s.in)
}

// chat is one conversation.
type chat struct {
	out, errOut io.Writer
	api         openai.ChatCompletionService
	model       string
	history     []openai.ChatCompletionMessageParamUnion
	prices      *pricer
}

func (c *chat) loop(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxChatLine)
	for {
		fmt.Fprint(c.out, "> ")
		if !sc.Scan() {
			fmt.Fprintln(c.out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "/"):
			if done := c.command(line); done {
				return nil
			}
			continue
		}
		if err := c.turn(ctx, line); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(c.errOut, "error: %s\n", describeChatError(err))
		}
	}
}

// command runs a /command and reports whether the chat should end.
func (c *chat) command(line string) bool {
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "/exit", "/quit":
		return true
	case "/reset":
		c.history = nil
		fmt.Fprintln(c.out, "(conversation forgotten)")
	case "/model":
		if arg == "" {
			fmt.Fprintf(c.out, "(model: %s)\n", c.model)
			break
		}
		c.model = arg
		fmt.Fprintf(c.out, "(model: %s)\n", c.model)
	default:
		fmt.Fprintf(c.out, "(unknown command %s: /model NAME, /reset, /exit)\n", name)
	}
	return false
}

// turn sends line with the history, streams the answer and prints the
// turn's tokens and cost. The history keeps the exchange only when the
// answer arrived whole.
func (c *chat) turn(ctx context.Context, line string) error {
	msgs := append(c.history, openai.UserMessage(line))
	stream := c.api.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         c.model,
		Messages:      msgs,
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	defer stream.Close()
	var answer strings.Builder
	var used *openai.CompletionUsage
	for stream.Next() {
		chunk := stream.Current()
		for _, ch := range chunk.Choices {
			if ch.Index == 0 && ch.Delta.Content != "" {
				answer.WriteString(ch.Delta.Content)
				fmt.Fprint(c.out, ch.Delta.Content)
			}
		}
		if chunk.JSON.Usage.Valid() {
			u := chunk.Usage
			used = &u
		}
	}
	if answer.Len() > 0 {
		fmt.Fprintln(c.out)
	}
	if err := stream.Err(); err != nil {
		return err
	}
	c.history = append(msgs, openai.AssistantMessage(answer.String()))
	fmt.Fprintln(c.out, c.turnLine(ctx, used))
	return nil
}

// turnLine is the summary printed after an answer.
func (c *chat) turnLine(ctx context.Context, u *openai.CompletionUsage) string {
	if u == nil {
		return "[" + c.model + " · the gateway reported no usage]"
	}
	n := usage.OpenAIChat{
		PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
		CachedTokens: u.PromptTokensDetails.CachedTokens, ReasoningTokens: u.CompletionTokensDetails.ReasoningTokens,
	}.Normalize()
	in := fmt.Sprintf("%d in", u.PromptTokens)
	if n.InputCacheRead > 0 {
		in += fmt.Sprintf(" (%d cached)", n.InputCacheRead)
	}
	out := fmt.Sprintf("%d out", u.CompletionTokens)
	if n.Reasoning > 0 {
		out += fmt.Sprintf(" (%d reasoning)", n.Reasoning)
	}
	return fmt.Sprintf("[%s · tokens: %s, %s · cost: %s]", c.model, in, out, c.prices.describe(ctx, c.model, n))
}

// describeChatError keeps the gateway's own message and status.
func describeChatError(err error) string {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		msg := apiErr.Message
		if msg == "" {
			msg = http.StatusText(apiErr.StatusCode)
		}
		hint := ""
		if apiErr.StatusCode == http.StatusUnauthorized {
			hint = " (hint: the key must be an API key of a user: burncloud token create)"
		}
		return fmt.Sprintf("gateway answered %d: %s%s", apiErr.StatusCode, msg, hint)
	}
	return err.Error()
}
