package publish

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// The test binary runs as a router that is killed with SIGKILL once its
// events are spooled (see TestMain).
const (
	crashChildEnv   = "BURNCLOUD_TEST_PUBLISH_CRASH_DIR"
	crashNATSEnv    = "BURNCLOUD_TEST_PUBLISH_CRASH_NATS"
	crashPrefixEnv  = "BURNCLOUD_TEST_PUBLISH_CRASH_PREFIX"
	crashEventsEnv  = "BURNCLOUD_TEST_PUBLISH_CRASH_EVENTS"
	crashDurableMsg = "durable"
)

// crashChild publishes the events, reports once they are durable and then
// waits to be killed.
func crashChild(dir string) int {
	n, err := strconv.Atoi(os.Getenv(crashEventsEnv))
	if err != nil {
		fmt.Println("bad event count:", err)
		return 2
	}
	nc, err := nats.Connect(os.Getenv(crashNATSEnv), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		fmt.Println("connect:", err)
		return 2
	}
	sp := openSpool(nil, dir)
	prefix := os.Getenv(crashPrefixEnv)
	p, err := New(nc, sp, testConfig(prefix), nil, nil)
	if err != nil {
		fmt.Println("publisher:", err)
		return 2
	}
	for i := range n {
		p.Publish(testEvent(prefix, i))
	}
	if err := p.Flush(context.Background()); err != nil {
		fmt.Println("flush:", err)
		return 2
	}
	fmt.Println(crashDurableMsg)
	select {} // killed here, possibly while publishing
}

func TestCrashRepublishes(t *testing.T) {
	tests := []struct {
		name      string
		childNATS string
		// unreachable: the child published nothing, so all n must be spooled.
		unreachable bool
	}{
		{"NATS unreachable before the kill", "nats://127.0.0.1:1", true},
		{"killed while publishing", sharedNATS, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 2000
			prefix := testPrefix(t)
			nc := connect(t, sharedNATS)
			cfg := testConfig(prefix)
			js := ensureStreams(t, nc, cfg.Events)
			dir := t.TempDir()

			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(),
				crashChildEnv+"="+dir, crashNATSEnv+"="+tt.childNATS,
				crashPrefixEnv+"="+prefix, crashEventsEnv+"="+strconv.Itoa(n))
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			sc := bufio.NewScanner(out)
			if !sc.Scan() || sc.Text() != crashDurableMsg {
				t.Fatalf("child: %q %v", sc.Text(), sc.Err())
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()

			sp := openSpool(t, dir)
			left := sp.Stats().Records
			if err := sp.Close(); err != nil {
				t.Fatal(err)
			}
			if tt.unreachable && left != n {
				t.Fatalf("spool holds %d events after kill -9, want all %d", left, n)
			}
			t.Logf("%d of %d events still spooled after kill -9", left, n)

			p := newPublisher(t, nc, dir, cfg, nil)
			waitFor(t, 30*time.Second, func() bool { return p.sp.Stats().Records == 0 }, "replay drained")
			checkExactlyOnce(t, streamContent(t, js, cfg.Events), prefix, n)
		})
	}
}
