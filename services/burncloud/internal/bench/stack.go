package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
)

// Credentials of the throw-away deployment a run starts; bench values only.
const (
	benchAdminKey      = "bench-admin-key-0123456789"
	benchMasterSecret  = "bench-master-secret-0123456789abcdef"
	benchInternalToken = "bench-internal-token-0123456789"
	benchUserKey       = "sk-bc-bench-load-0123456789abcdef"
)

// Binary names looked up in Config.BinDir.
const (
	binCLI     = "burncloud"
	binRouter  = "burncloud-router"
	binControl = "burncloud-control"
	binBench   = "burncloud-bench"
)

// ErrMissingTool is returned when a server the harness starts is not installed.
var ErrMissingTool = errors.New("bench: required program not found")

// stack is the deployment under test: every part a separate process, as in
// production, on loopback ports of this machine.
type stack struct {
	procs   []*proc
	fake    *proc
	proxy   *proc
	router  *proc
	control *proc
	// deps are the router's own dependencies: NATS and Redis (when private).
	deps []*proc

	ep             endpoints
	routerMetrics  string // the router's /metrics
	proxyStats     string // the bare proxy's /stats
	proxyTrace     string // the bare proxy's execution trace endpoint
	pprofURL       string // the profiled router's /debug/pprof, when profiling
	routerProfiled bool
	redisURL       string
	dropDB         func()
}

// startStack starts NATS (JetStream), Redis, a fresh Postgres database,
// the fake upstream, control, the router and the bare proxy.
func startStack(ctx context.Context, cfg *Config, workDir string, logf func(string, ...any)) (_ *stack, err error) {
	st := &stack{}
	defer func() {
		if err != nil {
			st.close() // whatever started before the failure
		}
	}()
	bin := func(name string) (string, error) {
		p := filepath.Join(cfg.BinDir, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s (build it first: make build)", ErrMissingTool, p)
		}
		return p, nil
	}
	cli, err := bin(binCLI)
	if err != nil {
		return nil, err
	}
	routerBin, err := bin(binRouter)
	if err != nil {
		return nil, err
	}
	controlBin, err := bin(binControl)
	if err != nil {
		return nil, err
	}
	benchPath, err := bin(binBench)
	if err != nil {
		return nil, err
	}
	// The bare proxy (and the profiled router) run from copies of their
	// own (decision 0018).
	proxyBin, err := privateCopy(benchPath, workDir, "bare-proxy")
	if err != nil {
		return nil, err
	}
	var profiledBin string
	if cfg.ProfileDir != "" {
		if profiledBin, err = privateCopy(benchPath, workDir, "profiled-router"); err != nil {
			return nil, err
		}
	}

	// NATS with JetStream, private to the run.
	natsPath, err := lookTool(cfg.NATSServer, "/usr/sbin/nats-server")
	if err != nil {
		return nil, err
	}
	natsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port := splitAddr(natsAddr)
	nats, err := st.start(ctx, "nats-server", workDir, natsPath, nil, func() bool { return tcpOpen(natsAddr) },
		"-a", host, "-p", port, "-js", "-sd", filepath.Join(workDir, "nats"))
	if err != nil {
		return nil, err
	}
	st.deps = append(st.deps, nats)
	natsURL := "nats://" + natsAddr

	// Redis: a private server when one is installed, else the configured URL.
	st.redisURL = cfg.RedisURL
	if redisPath, lerr := lookTool(cfg.RedisServer, "/usr/bin/redis-server"); lerr == nil {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		h, p := splitAddr(addr)
		redis, err := st.start(ctx, "redis-server", workDir, redisPath, nil, func() bool { return tcpOpen(addr) },
			"--bind", h, "--port", p, "--save", "", "--appendonly", "no", "--dir", workDir)
		if err != nil {
			return nil, err
		}
		st.deps = append(st.deps, redis)
		st.redisURL = "redis://" + addr + "/0"
	} else if st.redisURL == "" {
		return nil, fmt.Errorf("%w: redis-server (or give --redis-url)", ErrMissingTool)
	}

	dsn, drop, err := createDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	st.dropDB = drop

	fakeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	st.ep.fakeURL = "http://" + fakeAddr
	st.fake, err = st.start(ctx, "fake-upstream", workDir, cli, nil, func() bool { return httpOK(st.ep.fakeURL + "/healthz") },
		"fake-upstream", "--addr", fakeAddr)
	if err != nil {
		return nil, err
	}

	boot := filepath.Join(workDir, "bootstrap.yaml")
	if err := os.WriteFile(boot, []byte(bootstrapFile(st.ep.fakeURL)), 0o600); err != nil {
		return nil, err
	}
	ctlAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ctlURL := "http://" + ctlAddr
	st.control, err = st.start(ctx, "control", workDir, controlBin, []string{
		"BURNCLOUD_CONTROL_ADDR=" + ctlAddr,
		"BURNCLOUD_DATABASE_URL=" + dsn,
		"BURNCLOUD_NATS_URL=" + natsURL,
		"BURNCLOUD_ADMIN_KEY=" + benchAdminKey,
		"BURNCLOUD_SECRET=" + benchMasterSecret,
		"BURNCLOUD_INTERNAL_TOKEN=" + benchInternalToken,
		"BURNCLOUD_BOOTSTRAP_FILE=" + boot,
		"BURNCLOUD_CONTROL_SEED_CATALOGUE=false",
		"BURNCLOUD_CONTROL_READINESS_DELAY=0s",
		"BURNCLOUD_CONTROL_DRAIN_TIMEOUT=3s",
	}, func() bool { return httpOK(ctlURL + "/readyz") })
	if err != nil {
		return nil, err
	}

	routerAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	st.ep.routerURL = "http://" + routerAddr
	st.ep.key = benchUserKey
	st.routerMetrics = st.ep.routerURL + "/metrics"
	routerEnv := []string{
		"BURNCLOUD_ROUTER_ADDR=" + routerAddr,
		"BURNCLOUD_ROUTER_ID=bench-router",
		"BURNCLOUD_CONTROL_URL=" + ctlURL,
		"BURNCLOUD_NATS_URL=" + natsURL,
		"BURNCLOUD_REDIS_URL=" + st.redisURL,
		"BURNCLOUD_SECRET=" + benchMasterSecret,
		"BURNCLOUD_INTERNAL_TOKEN=" + benchInternalToken,
		"BURNCLOUD_SPOOL_DIR=" + filepath.Join(workDir, "spool"),
		"BURNCLOUD_SNAPSHOT_CACHE=" + filepath.Join(workDir, "router-snapshot.bin"),
		"BURNCLOUD_ALLOW_PRIVATE_UPSTREAMS=true",
		"BURNCLOUD_LOG_LEVEL=info",
		"BURNCLOUD_DRAIN_TIMEOUT=5s",
	}
	routerPath, routerArgs := routerBin, []string(nil)
	if profiledBin != "" {
		pprofAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		st.pprofURL = "http://" + pprofAddr + "/debug/pprof"
		st.routerProfiled = true
		routerEnv = append(routerEnv, pprofAddrEnv+"="+pprofAddr)
		routerPath, routerArgs = profiledBin, []string{"router"}
	}
	st.router, err = st.start(ctx, "router", workDir, routerPath, routerEnv,
		func() bool { return httpOK(st.ep.routerURL + "/readyz") }, routerArgs...)
	if err != nil {
		return nil, err
	}

	proxyAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	statsAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	st.ep.proxyURL = "http://" + proxyAddr
	st.proxyStats = "http://" + statsAddr + "/stats"
	st.proxyTrace = "http://" + statsAddr + "/debug/pprof/trace"
	st.proxy, err = st.start(ctx, "bare-proxy", workDir, proxyBin, nil,
		func() bool { return httpOK("http://" + statsAddr + "/healthz") },
		"proxy", "--addr", proxyAddr, "--target", st.ep.fakeURL, "--stats-addr", statsAddr)
	if err != nil {
		return nil, err
	}
	logf("stack up: fake %s, proxy %s, router %s (redis %s, nats %s)", st.ep.fakeURL, st.ep.proxyURL, st.ep.routerURL, st.redisURL, natsURL)
	return st, nil
}

func (st *stack) start(ctx context.Context, name, dir, path string, env []string, ready func() bool, args ...string) (*proc, error) {
	p, err := startProc(name, dir, path, env, args...)
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, p)
	if err := p.waitFor(ctx, 60*time.Second, "readiness", ready); err != nil {
		return nil, err
	}
	return p, nil
}

// close stops every process, last started first, and drops the database.
func (st *stack) close() {
	for i := len(st.procs) - 1; i >= 0; i-- {
		st.procs[i].stop(10 * time.Second)
	}
	st.procs = nil
	if st.dropDB != nil {
		st.dropDB()
		st.dropDB = nil
	}
}

// pidOf is the process id serving target.
func (st *stack) pidOf(target string) int {
	switch target {
	case targetProxy:
		return st.proxy.pid()
	case targetRouter:
		return st.router.pid()
	}
	return st.fake.pid()
}

func lookTool(name, fallback string) (string, error) {
	if name == "" {
		name = filepath.Base(fallback)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if _, err := os.Stat(fallback); err == nil {
		return fallback, nil
	}
	return "", fmt.Errorf("%w: %s", ErrMissingTool, name)
}

func splitAddr(addr string) (host, port string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

// createDatabase makes an empty database for control on the Postgres that
// adminURL reaches, and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to Postgres (set --database-url): %w", err)
	}
	defer conn.Close(context.Background())
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "burncloud_bench_" + hex.EncodeToString(rnd[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(dctx, adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(dctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

// bootstrapFile is control's declarative file: one channel and one priced
// model per workload, and a user whose token has rate, token and
// concurrency limits and a quota far above what a run uses, so the limiter
// and the quota reservation run on every request without refusing one.
func bootstrapFile(fakeURL string) string {
	var b strings.Builder
	b.WriteString("channels:\n")
	for _, w := range allWorkloads() {
		fmt.Fprintf(&b, "  - name: %s\n    type: openai\n    base_url: %q\n    keys: [\"bench-upstream-key\"]\n    models: [%s]\n",
			w.model(), fakeupstream.BaseURL(fakeURL, w.Scenario), w.model())
	}
	b.WriteString("models:\n")
	for _, w := range allWorkloads() {
		fmt.Fprintf(&b, "  - name: %s\n    input: \"0.15\"\n    output: \"0.60\"\n    max_output_tokens: 4096\n", w.model())
	}
	const limits = "    rpm: 1000000000\n    tpm: 1000000000000\n    max_concurrency: 1000000\n"
	b.WriteString("groups:\n  - name: default\n    ratio: \"1.0\"\n")
	b.WriteString("users:\n  - name: bench\n    group: default\n    role: user\n    quota_usd: \"1000000\"\n" + limits)
	b.WriteString("    tokens:\n      - name: load\n        key: " + benchUserKey + "\n        quota_usd: \"1000000\"\n")
	b.WriteString(strings.ReplaceAll(limits, "    ", "        "))
	return b.String()
}

// checkTargets sends one request of each workload to each target and
// checks the answer, so a misconfigured run fails before it measures.
func (st *stack) checkTargets(ctx context.Context) error {
	client := &http.Client{Timeout: 30 * time.Second}
	for _, w := range []workload{wlJSON1K, wlSSE} {
		for _, t := range targetNames {
			req, err := st.ep.of(t, w).request()
			if err != nil {
				return err
			}
			resp, err := client.Do(req.WithContext(ctx))
			if err != nil {
				return fmt.Errorf("%s %s: %w", t, w.Name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%w: %s %s: status %d: %.300s", ErrTargetFailed, t, w.Name, resp.StatusCode, body)
			}
			if t == targetRouter && !w.Stream && resp.Header.Get("X-Burncloud-Cost-Usd") == "" {
				return fmt.Errorf("%w: router answered without a cost: pricing is off", ErrTargetFailed)
			}
			if w.Stream && !strings.Contains(string(body), "data: [DONE]") {
				return fmt.Errorf("%w: %s %s: stream without [DONE]: %q", ErrTargetFailed, t, w.Name, tailOf(body, 400))
			}
		}
	}
	return nil
}

// ErrTargetFailed is returned when a target answers a check wrongly.
var ErrTargetFailed = errors.New("bench: target failed")

func tailOf(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
