package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `burncloud-bench measures the router against a bare reverse proxy (DESIGN §7).

Usage:
  burncloud-bench [run] [flags]     start the deployment, measure, write the report
  burncloud-bench proxy [flags]     serve the bare httputil.ReverseProxy (started by run)
  burncloud-bench router            burncloud-router with pprof on $` + pprofAddrEnv + ` (profiling runs)
  burncloud-bench phases TRACE...   where the requests of a one-client trace (run --profile-dir) spend their time

Flags of run:
`

// Main is the burncloud-bench command; it returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := "run"
	if len(args) > 0 && (args[0] == "run" || args[0] == "proxy" || args[0] == "router" || args[0] == "phases") {
		sub, args = args[0], args[1:]
	}
	var err error
	switch sub {
	case "proxy":
		err = mainProxy(ctx, args, stderr)
	case "router":
		err = RunProfiledRouter(ctx, args, os.LookupEnv, stderr)
	case "phases":
		err = mainPhases(args, stdout, stderr)
	default:
		err = mainRun(ctx, args, stdout, stderr)
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "burncloud-bench:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

func mainPhases(files []string, stdout, stderr io.Writer) error {
	if len(files) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		ph, err := ReadPhases(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(stdout, "## %s\n\n%s\n", name, ph.Markdown())
	}
	return nil
}

func mainProxy(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg ProxyConfig
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "listen address of the proxy")
	fs.StringVar(&cfg.Target, "target", "", "upstream root URL")
	fs.StringVar(&cfg.StatsAddr, "stats-addr", "", "listen address of /stats and /healthz")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return RunProxy(ctx, cfg)
}

func mainRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var cfg Config
	dbDefault := os.Getenv("BURNCLOUD_BENCH_DATABASE_URL")
	if dbDefault == "" {
		dbDefault = DefaultDatabaseURL
	}
	fs.StringVar(&cfg.BinDir, "bin-dir", "bin", "directory holding burncloud, burncloud-router, burncloud-control and burncloud-bench")
	fs.StringVar(&cfg.OutDir, "out", "bench/results/latest", "directory for README.md, results.json and the charts")
	fs.BoolVar(&cfg.Short, "short", false, "smoke mode: seconds, tiny rates")
	fs.StringVar(&cfg.DatabaseURL, "database-url", dbDefault, "Postgres on which a throw-away database for control is made (env BURNCLOUD_BENCH_DATABASE_URL)")
	fs.StringVar(&cfg.NATSServer, "nats-server", "", "nats-server program (default: nats-server on PATH)")
	fs.StringVar(&cfg.RedisServer, "redis-server", "", "redis-server program (default: redis-server on PATH)")
	fs.StringVar(&cfg.RedisURL, "redis-url", "", "Redis to use when redis-server is not installed")
	fs.StringVar(&cfg.GoBenchFile, "go-bench", "", "output of go test -bench -benchmem to include in the report")
	phases := fs.String("only", "", "comma-separated phases to run ("+strings.Join(AllPhases, ",")+"); default all")
	fs.StringVar(&cfg.ProfileDir, "profile-dir", "", "only profile: run the router with pprof under load and write CPU and allocation profiles and execution traces here")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	if *phases != "" {
		cfg.Phases = strings.Split(*phases, ",")
	}
	cfg.Log = stderr
	rep, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	if rep == nil { // profiling only
		return nil
	}
	fmt.Fprintf(stdout, "%s\nErrors: %d. Budget: %s.\n", rep.Summary(), rep.Errors(), map[bool]string{true: "pass", false: "fail"}[rep.Passed()])
	return nil
}
