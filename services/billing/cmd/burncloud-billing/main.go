// Command burncloud-billing settles usage events into the ledger.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/services/billing"
)

func main() {
	cfg, err := billing.LoadConfig(os.Args[1:], os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "burncloud-billing: invalid configuration:\n%v\n", err)
		os.Exit(2)
	}
	log, err := ops.NewLogger(cfg.LogLevel, os.Stderr, ops.IsTerminal(os.Stderr))
	if err != nil {
		fmt.Fprintln(os.Stderr, "burncloud-billing:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := billing.Run(ctx, cfg, log); err != nil {
		log.Error("exiting", zap.Error(err))
		_ = log.Sync()
		os.Exit(1)
	}
	_ = log.Sync()
}
