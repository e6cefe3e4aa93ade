package devtest

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/pkg/store/storetest"
	"github.com/burncloud/burncloud/pkg/usage"
	"github.com/burncloud/burncloud/services/burncloud/cli"
)

// cliJSON runs one CLI command in process against the data folder, with no
// environment, and decodes its -o json output into msg.
func cliJSON(t *testing.T, ctx context.Context, dataDir string, msg proto.Message, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &cli.App{Out: &out, Err: &errOut, Env: func(string) (string, bool) { return "", false }}
	args = append(args, "--data-dir", dataDir, "-o", "json")
	if code := app.Run(ctx, args); code != cli.ExitOK {
		t.Fatalf("burncloud %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	if err := protojson.Unmarshal(out.Bytes(), msg); err != nil {
		t.Fatalf("burncloud %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// totalUsage is the one aggregate `burncloud usage` prints without --by.
func totalUsage(t *testing.T, ctx context.Context, dataDir string) *adminv1.UsageAggregate {
	t.Helper()
	var res adminv1.AggregateUsageResponse
	cliJSON(t, ctx, dataDir, &res, "usage")
	if len(res.GetAggregates()) == 0 {
		return &adminv1.UsageAggregate{}
	}
	return res.GetAggregates()[0]
}

// waitRequests polls `burncloud usage` until n requests are settled.
func waitRequests(t *testing.T, ctx context.Context, dataDir string, n int64) *adminv1.UsageAggregate {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		agg := totalUsage(t, ctx, dataDir)
		if agg.GetRequests() >= n || time.Now().After(deadline) {
			if agg.GetRequests() != n {
				t.Fatalf("settled requests = %d, want %d", agg.GetRequests(), n)
			}
			return agg
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// listPrice reads a model's price through the admin API, as an operator
// would, and returns the pricing model of its plain input and output.
func listPrice(t *testing.T, ctx context.Context, dataDir, model string) pricing.Model {
	t.Helper()
	var m adminv1.Model
	cliJSON(t, ctx, dataDir, &m, "model", "get", model)
	if m.GetPrice() == nil {
		t.Fatalf("model %s has no price", model)
	}
	return pricing.Model{Input: m.GetPrice().GetInputNanoUsd(), Output: m.GetPrice().GetOutputNanoUsd()}
}

func costOf(t *testing.T, m pricing.Model, u openai.CompletionUsage) int64 {
	t.Helper()
	n := usage.OpenAIChat{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}.Normalize()
	res, err := pricing.Cost(m, n, pricing.ListPrice())
	if err != nil {
		t.Fatal(err)
	}
	return res.CostNano
}

func sdkClient(baseURL, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(baseURL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func chatParams(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    cli.DemoModel,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// TestDevDemoFromScratch starts `burncloud dev --demo` with no BURNCLOUD_*
// variable, calls it with the OpenAI SDK (plain and streamed), finds the
// usage settled through `burncloud usage`, restarts it and finds keys and
// usage intact.
func TestDevDemoFromScratch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	dev := startDev(t, dir, addr)

	if got := dev.file(cli.URLFile); got != dev.URL {
		t.Errorf("url file = %q, want %q", got, dev.URL)
	}
	adminKey, demoKey, secret := dev.file(cli.AdminKeyFile), dev.file(cli.DemoKeyFile), dev.file(cli.SecretFile)
	for _, name := range []string{cli.AdminKeyFile, cli.DemoKeyFile, cli.SecretFile, cli.InternalTokenFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	banner := dev.stdout.String()
	for _, want := range []string{adminKey, demoKey, dev.URL + "/v1", "curl " + dev.URL + "/v1/chat/completions", "from openai import OpenAI"} {
		if !strings.Contains(banner, want) {
			t.Errorf("first start's banner lacks %q:\n%s", want, banner)
		}
	}

	client := sdkClient(dev.URL, demoKey)
	var plainResp *http.Response
	plain, err := client.Chat.Completions.New(ctx, chatParams("Hello gateway, how are you"), option.WithResponseInto(&plainResp))
	if err != nil {
		t.Fatalf("plain completion: %v", err)
	}
	if len(plain.Choices) == 0 || plain.Choices[0].Message.Content == "" || plain.Usage.CompletionTokens == 0 {
		t.Fatalf("plain completion without content or usage: %s", plain.RawJSON())
	}
	headerCost, err := pricing.ParseUSD(plainResp.Header.Get("X-Burncloud-Cost-Usd"))
	if err != nil || headerCost <= 0 {
		t.Fatalf("cost header %q: %v", plainResp.Header.Get("X-Burncloud-Cost-Usd"), err)
	}
	price := listPrice(t, ctx, dir, cli.DemoModel)
	if want := costOf(t, price, plain.Usage); headerCost != want {
		t.Errorf("cost header %d nano-USD, want %d from the list price", headerCost, want)
	}

	params := chatParams("Now stream the answer please")
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	var streamed openai.CompletionUsage
	for stream.Next() {
		chunk := stream.Current()
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
		if chunk.JSON.Usage.Valid() {
			streamed = chunk.Usage
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	stream.Close()
	if text.Len() == 0 || streamed.CompletionTokens == 0 {
		t.Fatalf("stream gave text %q and usage %+v", text.String(), streamed)
	}

	agg := waitRequests(t, ctx, dir, 2)
	wantCost := headerCost + costOf(t, price, streamed)
	if agg.GetCostNanoUsd() != wantCost {
		t.Errorf("settled cost %d, want %d", agg.GetCostNanoUsd(), wantCost)
	}
	if got, want := agg.GetUsage().GetOutput(), plain.Usage.CompletionTokens+streamed.CompletionTokens; got != want {
		t.Errorf("settled output tokens %d, want %d", got, want)
	}
	if got, want := agg.GetUsage().GetInputUncached(), plain.Usage.PromptTokens+streamed.PromptTokens; got != want {
		t.Errorf("settled input tokens %d, want %d", got, want)
	}

	dev.stop()
	if dev.exitCode != 0 {
		t.Fatalf("burncloud dev exited %d after SIGTERM", dev.exitCode)
	}
	if !strings.Contains(dev.stderr.String(), "dev gateway stopped") {
		t.Error("no clean-stop log line")
	}

	again := startDev(t, dir, addr)
	if again.file(cli.AdminKeyFile) != adminKey || again.file(cli.DemoKeyFile) != demoKey || again.file(cli.SecretFile) != secret {
		t.Fatal("restart changed the stored keys")
	}
	if strings.Contains(again.stdout.String(), adminKey) {
		t.Error("restart printed the admin key again")
	}
	before := totalUsage(t, ctx, dir)
	if !proto.Equal(before, agg) {
		t.Errorf("usage after restart %v, want %v", before, agg)
	}
	client = sdkClient(again.URL, demoKey)
	if _, err := client.Chat.Completions.New(ctx, chatParams("Still there?")); err != nil {
		t.Fatalf("demo key after restart: %v", err)
	}
	after := waitRequests(t, ctx, dir, 3)
	var user adminv1.User
	cliJSON(t, ctx, dir, &user, "user", "get", cli.DemoUser)
	if user.GetUsedNanoUsd() != after.GetCostNanoUsd() {
		t.Errorf("demo user's settled usage %d, want the ledger's %d", user.GetUsedNanoUsd(), after.GetCostNanoUsd())
	}
}

// TestDevDemoOnPostgres is the same gateway with BURNCLOUD_DATABASE_URL set:
// the store is Postgres instead of the SQLite file.
func TestDevDemoOnPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	dev := startDev(t, dir, freeAddr(t), "BURNCLOUD_DATABASE_URL="+storetest.PostgresDSN(t))
	if !strings.Contains(dev.stdout.String(), "store: Postgres") {
		t.Errorf("banner does not name Postgres:\n%s", dev.stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "burncloud.db")); !os.IsNotExist(err) {
		t.Errorf("SQLite file created although Postgres was given (stat: %v)", err)
	}
	client := sdkClient(dev.URL, dev.file(cli.DemoKeyFile))
	res, err := client.Chat.Completions.New(ctx, chatParams("Hello Postgres"))
	if err != nil {
		t.Fatal(err)
	}
	agg := waitRequests(t, ctx, dir, 1)
	if want := costOf(t, listPrice(t, ctx, dir, cli.DemoModel), res.Usage); agg.GetCostNanoUsd() != want {
		t.Errorf("settled cost %d, want %d", agg.GetCostNanoUsd(), want)
	}
}
