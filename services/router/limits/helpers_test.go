package limits

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"
)

const sharedRedis = "redis://127.0.0.1:6379/0"

// redisAt connects to url with the limiter's options.
func redisAt(t testing.TB, url string) *redis.Client {
	t.Helper()
	o, err := RedisOptions(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// machineRedis is the machine's Redis; tests need it.
func machineRedis(t testing.TB) *redis.Client {
	t.Helper()
	c := redisAt(t, sharedRedis)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s: %v", sharedRedis, err)
	}
	return c
}

// testPrefix is a key prefix of this test only; its keys go at cleanup.
func testPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	p := "bctest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, p+"*", 500).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return p
}

// noGrants as Config.GrantMax turns grants off in newTestLimiter.
const noGrants = -1

type testLimiter struct {
	*Limiter
	reg *prometheus.Registry
}

// newTestLimiter builds a limiter; run starts its background loop for the
// test's lifetime.
func newTestLimiter(t testing.TB, cfg Config, c redis.UniversalClient, run bool) testLimiter {
	t.Helper()
	if cfg.CallTimeout == 0 {
		// The machine may be busy (and -race slow); tests of timeouts set
		// their own.
		cfg.CallTimeout = 2 * time.Second
	}
	// Routers run with grants (DefaultGrantMax), so tests do too unless
	// they ask for request-by-request admission (noGrants).
	switch {
	case cfg.GrantMax == noGrants:
		cfg.GrantMax = 0
	case cfg.GrantMax == 0:
		cfg.GrantMax = DefaultGrantMax
	}
	reg := prometheus.NewRegistry()
	d := Deps{Logger: zaptest.NewLogger(t), Registry: reg}
	if c != nil {
		d.Redis = c
	}
	l, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = l.Run(ctx) })
		t.Cleanup(func() { cancel(); wg.Wait() })
	}
	return testLimiter{Limiter: l, reg: reg}
}

func (tl testLimiter) decisions(limit Limit, result string) float64 {
	return testutil.ToFloat64(tl.m.decisions.WithLabelValues(string(limit), result))
}

// outcome tallies concurrent admissions.
type outcome struct {
	mu       sync.Mutex
	admitted []*Admission
	refused  map[Limit]int
	errs     []error
}

// admitAll runs n Admit calls at once, alternating between limiters.
func admitAll(t testing.TB, n int, req func(i int) Request, ls ...testLimiter) *outcome {
	t.Helper()
	o := &outcome{refused: map[Limit]int{}}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			a, err := ls[i%len(ls)].Admit(context.Background(), req(i))
			o.mu.Lock()
			defer o.mu.Unlock()
			var ref *Refusal
			switch {
			case err == nil:
				o.admitted = append(o.admitted, a)
			case errors.As(err, &ref):
				o.refused[ref.Limit]++
			default:
				o.errs = append(o.errs, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(o.errs) > 0 {
		t.Fatalf("admission errors: %v", o.errs)
	}
	return o
}

// privateRedis is a redis-server of one test on a free port, which the
// test may kill, freeze and restart.
type privateRedis struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t testing.TB) *privateRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	p := &privateRedis{t: t, port: port}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *privateRedis) url() string { return "redis://127.0.0.1:" + strconv.Itoa(p.port) + "/0" }

func (p *privateRedis) start() {
	p.t.Helper()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(p.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("redis-server: %v", err)
	}
	p.cmd = cmd
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(p.port)})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			p.t.Fatal("private redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *privateRedis) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

func (p *privateRedis) freeze() { _ = p.cmd.Process.Signal(syscall.SIGSTOP) }
func (p *privateRedis) thaw()   { _ = p.cmd.Process.Signal(syscall.SIGCONT) }

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
