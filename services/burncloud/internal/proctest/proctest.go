// Package proctest runs the project's binaries as processes in tests: it
// builds them once, starts them with a chosen environment, keeps their
// output, waits for readiness and stops them gracefully or with SIGKILL.
package proctest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles the given main packages into a new temporary directory and
// returns it; the caller removes it.
func Build(pkgs ...string) (string, error) {
	dir, err := os.MkdirTemp("", "burncloud-bin-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("building %v: %w", pkgs, err)
	}
	return dir, nil
}

// FreeAddr returns a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// CleanEnv is an environment without any BURNCLOUD_* variable.
func CleanEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
}

// Buffer collects a process's output while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Tail is the last n bytes of s.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// Proc is one running binary.
type Proc struct {
	Name     string
	Stdout   *Buffer
	Stderr   *Buffer
	cmd      *exec.Cmd
	done     chan struct{}
	exitCode int
}

// Start runs path with args and env in dir (a new temporary one when
// empty). The test's cleanup stops it and, on failure, logs its output.
func Start(t testing.TB, name, dir, path string, env []string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(path, args...)
	if dir == "" {
		dir = t.TempDir() // nothing a binary writes by default lands in the source tree
	}
	cmd.Dir, cmd.Env = dir, env
	p := &Proc{Name: name, Stdout: new(Buffer), Stderr: new(Buffer), cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = cmd.Wait()
		p.exitCode = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop(15 * time.Second)
		if t.Failed() {
			t.Logf("---- %s stdout ----\n%s\n---- %s stderr ----\n%s", name, Tail(p.Stdout.String(), 4000), name, Tail(p.Stderr.String(), 8000))
		}
	})
	return p
}

// Exited reports whether the process ended, and its exit code.
func (p *Proc) Exited() (bool, int) {
	select {
	case <-p.done:
		return true, p.exitCode
	default:
		return false, 0
	}
}

// Stop sends SIGTERM and waits up to grace for the exit, then kills. It
// reports whether the process stopped by itself.
func (p *Proc) Stop(grace time.Duration) bool {
	if ended, _ := p.Exited(); ended {
		return true
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return false
	}
}

// Kill ends the process with SIGKILL: no shutdown code runs.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// WaitReady waits until url/readyz answers 200 and more (when given) holds.
func (p *Proc) WaitReady(t testing.TB, url string, timeout time.Duration, more func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ended, code := p.Exited(); ended {
			t.Fatalf("%s exited early (code %d):\n%s", p.Name, code, Tail(p.Stderr.String()+p.Stdout.String(), 4000))
		}
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && (more == nil || more()) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready at %s:\n%s", p.Name, url, Tail(p.Stderr.String()+p.Stdout.String(), 4000))
}
