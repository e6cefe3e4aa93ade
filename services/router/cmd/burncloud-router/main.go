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
	"time"

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
	// One line per request: buffered, written once a second.
	logger, stopLog, err := ops.NewBufferedLogger(cfg.LogLevel, os.Stderr, ops.IsTerminal(os.Stderr), time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = router.Run(ctx, cfg, logger)
	stop()
	if err != nil {
		logger.Error("router stopped", zap.Error(err))
	}
	_ = stopLog()
	if err != nil {
		os.Exit(1)
	}
}
