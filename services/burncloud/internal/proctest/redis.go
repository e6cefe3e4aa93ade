package proctest

import (
	"bufio"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Redis is a private redis-server of one test on a free loopback port,
// without persistence, which the test may kill and start again (empty) on
// the same port. Tests that break Redis use one of these, never a shared
// server.
type Redis struct {
	t    testing.TB
	Addr string
	p    *Proc
}

// StartRedis starts a private redis-server and waits until it answers.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{t: t, Addr: FreeAddr(t)}
	r.Start()
	return r
}

// URL is the server's redis:// URL.
func (r *Redis) URL() string { return "redis://" + r.Addr + "/0" }

// Start runs the server (again) on its port and waits until it answers
// PING. The test's cleanup stops it.
func (r *Redis) Start() {
	r.t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		r.t.Fatalf("redis-server: %v", err)
	}
	host, port, _ := net.SplitHostPort(r.Addr)
	r.p = Start(r.t, "redis-server", "", path, CleanEnv(),
		"--bind", host, "--port", port, "--save", "", "--appendonly", "no")
	deadline := time.Now().Add(10 * time.Second)
	for !r.answers() {
		if ended, code := r.p.Exited(); ended {
			r.t.Fatalf("redis-server exited (code %d):\n%s", code, Tail(r.p.Stdout.String(), 2000))
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer", r.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL; its data is gone.
func (r *Redis) Kill() { r.p.Kill() }

// answers reports whether the server replies +PONG to PING.
func (r *Redis) answers() bool {
	c, err := net.DialTimeout("tcp", r.Addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
