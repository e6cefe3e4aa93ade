package devtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the burncloud command built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "burncloud-devtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "burncloud")
	build := exec.Command("go", "build", "-o", binary, "github.com/burncloud/burncloud/services/burncloud/cmd/burncloud")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building burncloud:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is a process environment without any BURNCLOUD_* variable: what
// a newcomer has.
func cleanEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// devProcess is one running `burncloud dev`.
type devProcess struct {
	t        *testing.T
	cmd      *exec.Cmd
	URL      string
	dataDir  string
	stdout   *syncBuffer
	stderr   *syncBuffer
	done     chan struct{}
	exitCode int
}

// startDev starts `burncloud dev --demo` on addr with dataDir and waits
// until it is ready. env adds KEY=VALUE entries to the clean environment.
func startDev(t *testing.T, dataDir, addr string, env ...string) *devProcess {
	t.Helper()
	cmd := exec.Command(binary, "dev", "--demo", "--addr", addr, "--data-dir", dataDir)
	cmd.Env = append(cleanEnv(), env...)
	p := &devProcess{t: t, cmd: cmd, URL: "http://" + addr, dataDir: dataDir,
		stdout: new(syncBuffer), stderr: new(syncBuffer), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		p.exitCode = cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("---- burncloud dev stdout ----\n%s\n---- stderr ----\n%s", p.stdout.String(), tail(p.stderr.String(), 6000))
		}
	})
	p.waitReady()
	return p
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func (p *devProcess) waitReady() {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			p.t.Fatalf("burncloud dev exited early (code %d):\n%s", p.exitCode, tail(p.stderr.String(), 4000))
		default:
		}
		resp, err := http.Get(p.URL + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			// The banner is printed right after readiness is set.
			if resp.StatusCode == http.StatusOK && strings.Contains(p.stdout.String(), "Try it:") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("burncloud dev not ready at %s:\n%s", p.URL, tail(p.stderr.String(), 4000))
}

// stop sends SIGTERM and waits for a graceful exit; the exit code is kept.
func (p *devProcess) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(40 * time.Second):
		p.t.Errorf("burncloud dev did not stop within 40s of SIGTERM")
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// file reads one trimmed file from the data folder.
func (p *devProcess) file(name string) string {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dataDir, name))
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// runCLI runs the burncloud binary with a clean environment and returns
// stdout, failing the test unless it exits 0.
func runCLI(t *testing.T, ctx context.Context, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("burncloud %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}
