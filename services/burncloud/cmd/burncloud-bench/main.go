// Command burncloud-bench is the benchmark harness of DESIGN §7: it measures
// the router against a bare reverse proxy; see `burncloud-bench -h`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/burncloud/burncloud/services/burncloud/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
