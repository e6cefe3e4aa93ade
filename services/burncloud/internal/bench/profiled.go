package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/burncloud/burncloud/pkg/config"
	"github.com/burncloud/burncloud/pkg/ops"
	"github.com/burncloud/burncloud/services/router"
)

// pprofAddrEnv names the address RunProfiledRouter serves /debug/pprof on.
const pprofAddrEnv = "BURNCLOUD_BENCH_PPROF_ADDR"

// RunProfiledRouter is burncloud-router with net/http/pprof on a separate
// listener: the same configuration (flags and BURNCLOUD_* variables) and the
// same router.Run, for profiling runs only. Measured runs start the real
// burncloud-router binary.
func RunProfiledRouter(ctx context.Context, args []string, env config.Lookup, logOut io.Writer) error {
	cfg, err := router.LoadConfig(args, env)
	if err != nil {
		return err
	}
	addr, ok := env(pprofAddrEnv)
	if !ok || addr == "" {
		return fmt.Errorf("%w: %s is not set", ErrConfig, pprofAddrEnv)
	}
	logger, stopLog, err := ops.NewBufferedLogger(cfg.LogLevel, logOut, false, time.Second)
	if err != nil {
		return err
	}
	defer func() { _ = stopLog() }()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	psrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = psrv.Serve(ln) }()
	defer psrv.Close()
	err = router.Run(ctx, cfg, logger)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
