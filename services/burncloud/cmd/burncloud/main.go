// Command burncloud operates a BurnCloud gateway; see `burncloud --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/burncloud/burncloud/services/burncloud/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := (&cli.App{}).Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
