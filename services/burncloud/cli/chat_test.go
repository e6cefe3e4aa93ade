package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/usage"
)

func TestResolveChat(t *testing.T) {
	const (
		devURL   = "http://127.0.0.1:3999"
		demoKey  = "sk-bc-demo-file-0123456789"
		adminKey = "sk-bc-admin-file-0123456789"
	)
	tests := []struct {
		name    string
		files   map[string]string
		env     map[string]string
		opts    chatOptions
		want    chatTarget
		wantErr bool
	}{
		{
			name:  "dev gateway with the demo",
			files: map[string]string{URLFile: devURL, DemoKeyFile: demoKey, AdminKeyFile: adminKey},
			want:  chatTarget{baseURL: devURL + "/v1/", key: demoKey, model: DemoModel},
		},
		{
			name:  "dev gateway without the demo uses the admin key",
			files: map[string]string{URLFile: devURL, AdminKeyFile: adminKey},
			want:  chatTarget{baseURL: devURL + "/v1/", key: adminKey, model: "gpt-4o-mini"},
		},
		{
			name:  "environment key wins over the files",
			files: map[string]string{URLFile: devURL, DemoKeyFile: demoKey},
			env:   map[string]string{EnvAPIKey: "sk-env-0123456789abcdef"},
			want:  chatTarget{baseURL: devURL + "/v1/", key: "sk-env-0123456789abcdef", model: "gpt-4o-mini"},
		},
		{
			name:  "flags win",
			files: map[string]string{URLFile: devURL, DemoKeyFile: demoKey},
			env:   map[string]string{EnvAPIKey: "sk-env-0123456789abcdef"},
			opts:  chatOptions{baseURL: "https://llm.example.com/v1/", key: "sk-flag-0123456789", model: "m"},
			want:  chatTarget{baseURL: "https://llm.example.com/v1/", key: "sk-flag-0123456789", model: "m"},
		},
		{
			name:    "a dev key never goes to another gateway",
			files:   map[string]string{URLFile: devURL, DemoKeyFile: demoKey},
			opts:    chatOptions{baseURL: "https://llm.example.com"},
			wantErr: true,
		},
		{
			name:    "nothing known",
			wantErr: true,
		},
		{
			name:    "bad base URL",
			opts:    chatOptions{baseURL: "ftp://x", key: "k"},
			wantErr: true,
		},
		{
			name: "default gateway with an environment key",
			env:  map[string]string{EnvAPIKey: "sk-env-0123456789abcdef"},
			want: chatTarget{baseURL: DefaultGatewayURL + "/v1/", key: "sk-env-0123456789abcdef", model: "gpt-4o-mini"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := &session{env: mapEnv(tt.env), flagDataDir: dir}
			got, err := s.resolveChat(tt.opts)
			if tt.wantErr {
				var ue usageError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestChatCommands(t *testing.T) {
	tests := []struct {
		line      string
		done      bool
		wantModel string
		wantOut   string
		reset     bool
	}{
		{line: "/exit", done: true, wantModel: "a"},
		{line: "/quit", done: true, wantModel: "a"},
		{line: "/model  b ", wantModel: "b", wantOut: "(model: b)"},
		{line: "/model", wantModel: "a", wantOut: "(model: a)"},
		{line: "/reset", wantModel: "a", wantOut: "forgotten", reset: true},
		{line: "/nope", wantModel: "a", wantOut: "unknown command /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			var out bytes.Buffer
			c := &chat{out: &out, model: "a", history: make([]openai.ChatCompletionMessageParamUnion, 2)}
			if got := c.command(tt.line); got != tt.done {
				t.Errorf("done = %v, want %v", got, tt.done)
			}
			if c.model != tt.wantModel {
				t.Errorf("model = %q, want %q", c.model, tt.wantModel)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), tt.wantOut)
			}
			if (len(c.history) == 0) != tt.reset {
				t.Errorf("history has %d messages after %s", len(c.history), tt.line)
			}
		})
	}
}

var turnLineRE = regexp.MustCompile(`\[(\S+) · tokens: (\d+) in, (\d+) out · cost: ([^\]]+)\]`)

// TestChatAgainstFakeUpstream drives the chat loop straight at the fake
// upstream, which speaks OpenAI: answers stream, history grows, /model
// switches, /reset forgets, and without admin access the cost is "n/a".
func TestChatAgainstFakeUpstream(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{})
	r, err := fake.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })

	var out, errOut bytes.Buffer
	app := &App{
		In:  strings.NewReader("first question\n\nsecond one here\n/model other-model\n/reset\nthird\n"),
		Out: &out, Err: &errOut, Env: mapEnv(nil),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := app.Run(ctx, []string{"chat", "--data-dir", t.TempDir(), "--base-url", r.URL, "--key", "k", "--model", "first-model"})
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	lines := turnLineRE.FindAllStringSubmatch(out.String(), -1)
	if len(lines) != 3 {
		t.Fatalf("want 3 turn lines, got %d:\n%s", len(lines), out.String())
	}
	models := []string{lines[0][1], lines[1][1], lines[2][1]}
	if strings.Join(models, ",") != "first-model,first-model,other-model" {
		t.Errorf("models per turn %v", models)
	}
	in := func(i int) int { n, _ := strconv.Atoi(lines[i][2]); return n }
	// The fake counts words: the second turn carries the first exchange.
	if in(0) != 2 || in(1) <= in(0)+3 {
		t.Errorf("input tokens per turn %d, %d: history not sent", in(0), in(1))
	}
	if in(2) != 1 {
		t.Errorf("input tokens after /reset = %d, want 1", in(2))
	}
	if !strings.HasPrefix(lines[0][4], "n/a") {
		t.Errorf("cost without admin access = %q, want n/a", lines[0][4])
	}
	requests := fake.Requests()
	if len(requests) != 3 {
		t.Fatalf("fake saw %d requests, want 3", len(requests))
	}
	var body struct {
		Stream        bool `json:"stream"`
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.Unmarshal(requests[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if !body.Stream || !body.StreamOptions.IncludeUsage {
		t.Errorf("request did not stream with usage: %s", requests[0].Body)
	}
}

func TestChatReportsGatewayErrors(t *testing.T) {
	fake := fakeupstream.New(fakeupstream.Options{Keys: []string{"right-key"}})
	r, err := fake.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	var out, errOut bytes.Buffer
	app := &App{In: strings.NewReader("hello\n/exit\nnot sent\n"), Out: &out, Err: &errOut, Env: mapEnv(nil)}
	code := app.Run(context.Background(), []string{"chat", "--data-dir", t.TempDir(), "--base-url", r.URL + "/v1", "--key", "wrong-key"})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "gateway answered 401") {
		t.Errorf("stderr %q lacks the 401", errOut.String())
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("fake saw %d requests, want 1 (input after /exit is not read)", n)
	}
}

func TestPriceOf(t *testing.T) {
	i64p := func(v int64) *int64 { return &v }
	m := &adminv1.Model{
		Name: "m",
		Price: &adminv1.Price{
			InputNanoUsd: 1_000_000_000, OutputNanoUsd: 2_000_000_000, CacheReadNanoUsd: i64p(100_000_000),
		},
		Tiers: []*adminv1.PriceTier{{AboveInputTokens: 1000, Price: &adminv1.Price{InputNanoUsd: 3_000_000_000, OutputNanoUsd: 4_000_000_000}}},
	}
	p, err := priceOf(m)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		u    usage.Usage
		want int64
	}{
		{"base", usage.Usage{InputUncached: 10, Output: 20}, 10*1000 + 20*2000},
		{"cache read", usage.Usage{InputUncached: 10, InputCacheRead: 10, Output: 0}, 10*1000 + 10*100},
		{"tier", usage.Usage{InputUncached: 1001, Output: 1}, 1001*3000 + 4000},
	}
	for _, tt := range tests {
		res, err := pricing.Cost(p, tt.u, pricing.ListPrice())
		if err != nil {
			t.Fatal(err)
		}
		if res.CostNano != tt.want {
			t.Errorf("%s: cost %d, want %d", tt.name, res.CostNano, tt.want)
		}
	}
	if _, err := priceOf(&adminv1.Model{Name: "unpriced"}); err == nil {
		t.Error("a model without a price converted")
	}
}

func TestOpenAIBase(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:1":       "http://h:1/v1/",
		"http://h:1/":      "http://h:1/v1/",
		"http://h:1/v1":    "http://h:1/v1/",
		"http://h:1/v1/":   "http://h:1/v1/",
		"https://h/api":    "https://h/api/v1/",
		"https://h/api/v1": "https://h/api/v1/",
	} {
		if got := openAIBase(in); got != want {
			t.Errorf("openAIBase(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzChatCommand checks that any command line is handled without a panic
// and that only /exit and /quit end the chat and only /model NAME switches.
func FuzzChatCommand(f *testing.F) {
	for _, seed := range []string{"/exit", "/quit", "/model gpt-4o", "/model", "/model   x  ", "/reset", "/", "/model\tx", "/exit now", "/mode l"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var out bytes.Buffer
		c := &chat{out: &out, model: "before"}
		done := c.command(line)
		name, arg, _ := strings.Cut(line, " ")
		if want := name == "/exit" || name == "/quit"; done != want {
			t.Errorf("command(%q) done = %v", line, done)
		}
		arg = strings.TrimSpace(arg)
		wantModel := "before"
		if name == "/model" && arg != "" {
			wantModel = arg
		}
		if c.model != wantModel {
			t.Errorf("command(%q) set model %q, want %q", line, c.model, wantModel)
		}
	})
}
