package cli

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
	"github.com/burncloud/burncloud/pkg/ops"
)

// fakeUpstreamCommand serves the built-in fake provider: the demo upstream of
// the compose file and a target for load tests. It never calls a real model.
func fakeUpstreamCommand(s *session) *cobra.Command {
	var addr, scenario string
	cmd := &cobra.Command{
		Use:   "fake-upstream",
		Short: "Serve the built-in fake LLM provider (OpenAI and Anthropic wire formats)",
		Long: `fake-upstream answers /v1/chat/completions, /v1/completions, /v1/embeddings,
/v1/responses, /v1/models and /v1/messages with deterministic text and usage,
for demos and load tests. Faults are chosen per channel through the base URL,
e.g. http://HOST:PORT/s/status=500/v1 or /s/latency=20ms,chunks=50/v1; --scenario
sets the default for every request.`,
		Example: `  burncloud fake-upstream --addr :9000
  burncloud fake-upstream --addr 127.0.0.1:9000 --scenario latency=20ms`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return s.runFakeUpstream(cmd.Context(), addr, scenario)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", ":9000", "listen address")
	cmd.Flags().StringVar(&scenario, "scenario", "", "default scenario, e.g. latency=20ms,chunks=16")
	return cmd
}

func (s *session) runFakeUpstream(ctx context.Context, addr, scenario string) error {
	sc, err := fakeupstream.ParseScenario(scenario)
	if err != nil {
		return usageErrorf("--scenario: %v", err)
	}
	opts := fakeupstream.Options{Scenario: sc, RecordLimit: -1}
	if err := opts.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	fake := fakeupstream.New(opts)
	defer fake.Close()
	ln, err := ops.Listen(addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/", fake)
	srv := ops.NewHTTPServer(mux, ops.ServerOptions{})
	fmt.Fprintf(s.out, "fake upstream listening on http://%s\n", ln.Addr())
	return ops.Serve(ctx, srv, ln, ops.ServeOptions{DrainTimeout: 5 * time.Second})
}
