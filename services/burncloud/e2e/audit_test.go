package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/services/burncloud/cli"
)

// audit runs `burncloud audit` against the gateway and returns its exit code
// and output.
func (g *gateway) audit(t *testing.T) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &cli.App{Out: &out, Err: &errOut, Env: func(string) (string, bool) { return "", false }}
	code := app.Run(context.Background(), []string{
		"audit", "--control-url", g.ctlURL, "--admin-key", adminKey, "--nats-url", g.nats.URL(),
		"--since", "1h", "--settle-lag", "0s",
	})
	return code, out.String() + errOut.String()
}

func (g *gateway) auditClean(t *testing.T) {
	t.Helper()
	// Events still in a router's spool reach the stream and the ledger a
	// moment later; a difference that lasts is a failure.
	var code int
	var out string
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out = g.audit(t)
		if code == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != 0 {
		t.Fatalf("burncloud audit exited %d:\n%s", code, out)
	}
	if !strings.Contains(out, "audit") {
		t.Fatalf("audit printed no summary:\n%s", out)
	}
}
