// Command burncloud-router serves BurnCloud's LLM APIs.
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
	"github.com/burncloud/burncloud/services/router"
)

func main() {
	cfg, err := router.LoadConfig(os.Args[1:], os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logger, err := ops.NewLogger(cfg.LogLevel, os.Stderr, ops.IsTerminal(os.Stderr))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer func() { _ = logger.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := router.Run(ctx, cfg, logger); err != nil {
		logger.Error("router stopped", zap.Error(err))
		os.Exit(1)
	}
}
