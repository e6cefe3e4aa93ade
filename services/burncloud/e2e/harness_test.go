package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/fakeupstream"
	"github.com/burncloud/burncloud/pkg/store/storetest"
	"github.com/burncloud/burncloud/services/burncloud/internal/proctest"
)

// binDir holds the binaries built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	dir, err := proctest.Build(
		"github.com/burncloud/burncloud/services/control/cmd/burncloud-control",
		"github.com/burncloud/burncloud/services/router/cmd/burncloud-router",
		"github.com/burncloud/burncloud/services/billing/cmd/burncloud-billing",
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	_, port, err := net.SplitHostPort(proctest.FreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	return n
}

// start runs a binary with a clean environment plus env.
func start(t *testing.T, name string, path string, env map[string]string, args ...string) *proctest.Proc {
	t.Helper()
	full := proctest.CleanEnv()
	for k, v := range env {
		full = append(full, k+"="+v)
	}
	return proctest.Start(t, name, "", path, full, args...)
}

func waitReady(t *testing.T, p *proctest.Proc, url string) {
	t.Helper()
	p.WaitReady(t, url, 30*time.Second, nil)
}

// natsServer is a private nats-server process with JetStream, restartable on
// the same port and store directory.
type natsServer struct {
	t    *testing.T
	port int
	dir  string
	p    *proctest.Proc
}

func startNATS(t *testing.T) *natsServer {
	t.Helper()
	n := &natsServer{t: t, port: freePort(t), dir: t.TempDir()}
	n.start()
	return n
}

func (n *natsServer) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

func (n *natsServer) start() {
	n.t.Helper()
	path, err := exec.LookPath("nats-server")
	if err != nil {
		path = "/usr/sbin/nats-server"
	}
	n.p = start(n.t, "nats-server", path, nil, "-a", "127.0.0.1", "-p", fmt.Sprint(n.port), "-js", "-sd", n.dir)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port))
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Fatalf("nats-server did not start:\n%s", n.p.Stderr.String())
}

func (n *natsServer) stop() { n.p.Stop(15 * time.Second) }

// Secrets shared by every process of one gateway; test values only.
const (
	adminKey      = "e2e-admin-key-0123456789"
	masterSecret  = "e2e-master-secret-0123456789abcdef"
	internalToken = "e2e-internal-token-0123456789"
	userKey       = "sk-bc-e2e-alice-0123456789abcdef"
)

// gateway is one whole BurnCloud deployment on this machine.
type gateway struct {
	t          *testing.T
	nats       *natsServer
	fake       *fakeupstream.Server
	fakeURL    string
	dsn        string
	control    *proctest.Proc
	ctlURL     string
	billing    *proctest.Proc
	billingURL string
	routers    []*router
	spoolDir   string
}

type router struct {
	p     *proctest.Proc
	URL   string
	id    string
	env   map[string]string
	spool string
}

// bootstrap is a declarative file with two channels (primary and fallback)
// on the fake upstream and a user with a key.
func bootstrap(fakeURL, primaryScenario, fallbackScenario string, quota string) string {
	q := ""
	if quota != "" {
		q = "\n    quota_usd: \"" + quota + "\""
	}
	return fmt.Sprintf(`channels:
  - name: primary
    type: openai
    base_url: %s
    keys: ["upstream-key-primary"]
    models: [gpt-4o-mini, text-embedding-3-small]
    priority: 10
  - name: fallback
    type: openai
    base_url: %s
    keys: ["upstream-key-fallback"]
    models: [gpt-4o-mini, text-embedding-3-small]
    priority: 1
models:
  - name: gpt-4o-mini
    input: "0.15"
    output: "0.60"
    max_output_tokens: 1000
  - name: text-embedding-3-small
    input: "0.02"
    output: "0"
groups:
  - name: default
    ratio: "1.0"
users:
  - name: alice
    group: default
    role: user%s
    tokens:
      - name: laptop
        key: %s
`, fakeupstream.BaseURL(fakeURL, primaryScenario), fakeupstream.BaseURL(fakeURL, fallbackScenario), q, userKey)
}

type gatewayOptions struct {
	primary, fallback string // fake upstream scenarios of the two channels
	quota             string // alice's quota in USD; "" = unlimited
	routers           int
	noBilling         bool
	// bootstrap, when set, replaces the default declarative file; it gets
	// the fake upstream's root URL.
	bootstrap func(fakeURL string) string
}

func startGateway(t *testing.T, o gatewayOptions) *gateway {
	t.Helper()
	if o.routers == 0 {
		o.routers = 1
	}
	g := &gateway{t: t, nats: startNATS(t), dsn: storetest.PostgresDSN(t)}
	g.fake = fakeupstream.New(fakeupstream.Options{})
	running, err := g.fake.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = running.Close() })
	g.fakeURL = running.URL

	boot := filepath.Join(t.TempDir(), "bootstrap.yaml")
	file := bootstrap(g.fakeURL, o.primary, o.fallback, o.quota)
	if o.bootstrap != nil {
		file = o.bootstrap(g.fakeURL)
	}
	if err := os.WriteFile(boot, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	ctlPort := freePort(t)
	g.ctlURL = fmt.Sprintf("http://127.0.0.1:%d", ctlPort)
	g.control = start(t, "control", filepath.Join(binDir, "burncloud-control"), map[string]string{
		"BURNCLOUD_CONTROL_ADDR":            fmt.Sprintf("127.0.0.1:%d", ctlPort),
		"BURNCLOUD_DATABASE_URL":            g.dsn,
		"BURNCLOUD_NATS_URL":                g.nats.URL(),
		"BURNCLOUD_ADMIN_KEY":               adminKey,
		"BURNCLOUD_SECRET":                  masterSecret,
		"BURNCLOUD_INTERNAL_TOKEN":          internalToken,
		"BURNCLOUD_BOOTSTRAP_FILE":          boot,
		"BURNCLOUD_LOG_LEVEL":               "debug",
		"BURNCLOUD_CONTROL_COALESCE_WINDOW": "20ms",
	})
	waitReady(t, g.control, g.ctlURL)
	if !o.noBilling {
		g.startBilling()
	}
	for i := 0; i < o.routers; i++ {
		g.addRouter()
	}
	return g
}

func (g *gateway) startBilling() {
	port := freePort(g.t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	g.billingURL = url
	g.billing = start(g.t, "billing", filepath.Join(binDir, "burncloud-billing"), map[string]string{
		"BURNCLOUD_BILLING_ADDR":       fmt.Sprintf("127.0.0.1:%d", port),
		"BURNCLOUD_DATABASE_URL":       g.dsn,
		"BURNCLOUD_NATS_URL":           g.nats.URL(),
		"BURNCLOUD_LOG_LEVEL":          "debug",
		"BURNCLOUD_BILLING_BATCH_WAIT": "20ms",
		"BURNCLOUD_BILLING_ACK_WAIT":   "2s",
	})
	waitReady(g.t, g.billing, url)
}

func (g *gateway) addRouter() *router {
	id := fmt.Sprintf("router-%d", len(g.routers)+1)
	r := &router{id: id, spool: g.t.TempDir()}
	port := freePort(g.t)
	r.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	r.env = map[string]string{
		"BURNCLOUD_ROUTER_ADDR":             fmt.Sprintf("127.0.0.1:%d", port),
		"BURNCLOUD_ROUTER_ID":               id,
		"BURNCLOUD_CONTROL_URL":             g.ctlURL,
		"BURNCLOUD_NATS_URL":                g.nats.URL(),
		"BURNCLOUD_SECRET":                  masterSecret,
		"BURNCLOUD_INTERNAL_TOKEN":          internalToken,
		"BURNCLOUD_SPOOL_DIR":               r.spool,
		"BURNCLOUD_ALLOW_PRIVATE_UPSTREAMS": "true",
		"BURNCLOUD_LOG_LEVEL":               "debug",
	}
	g.routers = append(g.routers, r)
	g.startRouter(r)
	return r
}

func (g *gateway) startRouter(r *router) {
	r.p = start(g.t, r.id, filepath.Join(binDir, "burncloud-router"), r.env)
	waitReady(g.t, r.p, r.URL)
}

func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s (last: %s)", what, d, last)
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

var _ = context.Background
