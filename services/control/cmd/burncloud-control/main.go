// Command burncloud-control is BurnCloud's control plane. `burncloud-control
// migrate` applies the database migrations and exits.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/burncloud/burncloud/services/control"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := control.Main(ctx, os.Args[1:], os.LookupEnv, os.Stderr)
	stop()
	os.Exit(code)
}
