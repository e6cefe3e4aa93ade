package devtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/services/burncloud/internal/proctest"
)

// binary is the burncloud command built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := proctest.Build("github.com/burncloud/burncloud/services/burncloud/cmd/burncloud")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "burncloud")
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string { return proctest.FreeAddr(t) }

// devProcess is one running `burncloud dev`.
type devProcess struct {
	*proctest.Proc
	t        *testing.T
	URL      string
	dataDir  string
	stdout   *proctest.Buffer
	stderr   *proctest.Buffer
	exitCode int
}

// startDev starts `burncloud dev --demo` on addr with dataDir and waits
// until it is ready. env adds KEY=VALUE entries to the clean environment.
func startDev(t *testing.T, dataDir, addr string, env ...string) *devProcess {
	t.Helper()
	proc := proctest.Start(t, "burncloud dev", "", binary, append(proctest.CleanEnv(), env...),
		"dev", "--demo", "--addr", addr, "--data-dir", dataDir)
	p := &devProcess{Proc: proc, t: t, URL: "http://" + addr, dataDir: dataDir, stdout: proc.Stdout, stderr: proc.Stderr}
	// The banner is printed right after readiness is set.
	proc.WaitReady(t, p.URL, 60*time.Second, func() bool { return strings.Contains(p.stdout.String(), "Try it:") })
	return p
}

// stop sends SIGTERM and waits for a graceful exit; the exit code is kept.
func (p *devProcess) stop() {
	if !p.Stop(40 * time.Second) {
		p.t.Errorf("burncloud dev did not stop within 40s of SIGTERM")
	}
	_, p.exitCode = p.Exited()
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
	cmd.Env = proctest.CleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("burncloud %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}
