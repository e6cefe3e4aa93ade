package devtest

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
	"github.com/burncloud/burncloud/services/burncloud/cli"
)

var turnLine = regexp.MustCompile(`\[(\S+) · tokens: (\d+) in, (\d+) out · cost: \$([0-9.]+)\]`)

// TestChatThroughDevDemo drives `burncloud chat` through a pipe against
// `burncloud dev --demo`: two lines and /exit. Each answer streams, each turn
// prints its tokens and cost, the second turn carries the first, and the
// printed costs are what billing settles.
func TestChatThroughDevDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	dev := startDev(t, dir, freeAddr(t))

	// The fake upstream's answer does not depend on the question; learn it
	// through the gateway.
	client := sdkClient(dev.URL, dev.file(cli.DemoKeyFile))
	ref, err := client.Chat.Completions.New(ctx, chatParams("reference"))
	if err != nil {
		t.Fatal(err)
	}
	answer := ref.Choices[0].Message.Content

	out := runCLI(t, ctx, "Hello there gateway\nAnd a second line\n/exit\nnever sent\n", "chat", "--data-dir", dir)
	if got := strings.Count(out, answer); got != 2 {
		t.Errorf("answer %q appears %d times, want 2:\n%s", answer, got, out)
	}
	turns := turnLine.FindAllStringSubmatch(out, -1)
	if len(turns) != 2 {
		t.Fatalf("want 2 per-turn lines, got %d:\n%s", len(turns), out)
	}
	price := listPrice(t, ctx, dir, cli.DemoModel)
	var printed int64
	var inputs []int64
	for _, m := range turns {
		if m[1] != cli.DemoModel {
			t.Errorf("turn model %q", m[1])
		}
		in, _ := strconv.ParseInt(m[2], 10, 64)
		outTok, _ := strconv.ParseInt(m[3], 10, 64)
		cost, err := pricing.ParseUSD(m[4])
		if err != nil {
			t.Fatal(err)
		}
		if want := costOf(t, price, openai.CompletionUsage{PromptTokens: in, CompletionTokens: outTok}); cost != want {
			t.Errorf("turn cost %d nano-USD for %d in / %d out, want %d", cost, in, outTok, want)
		}
		inputs = append(inputs, in)
		printed += cost
	}
	if inputs[0] != 3 || inputs[1] <= inputs[0]+int64(len(strings.Fields(answer))) {
		t.Errorf("input tokens per turn %v: the second turn must carry the first exchange", inputs)
	}

	// The reference call and the two turns.
	waitRequests(t, ctx, dir, 3)
	var logs adminv1.ListRequestLogsResponse
	cliJSON(t, ctx, dir, &logs, "logs")
	var settled int64
	for _, ev := range logs.GetLogs() {
		if ev.GetStream() {
			settled += ev.GetCostNanoUsd()
		}
	}
	if settled != printed {
		t.Errorf("chat printed a cost of %d nano-USD, billing settled %d for the streamed turns", printed, settled)
	}
}
