package control_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
	"github.com/burncloud/burncloud/pkg/store/storetest"
	"github.com/burncloud/burncloud/services/control"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRun drives the whole process: migrations, streams on the machine's
// NATS (under a prefix of its own), the bootstrap file, gRPC over h2c, and a
// clean drain.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	boot := filepath.Join(dir, "bootstrap.yaml")
	raw, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(boot, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Addr = freeAddr(t)
	cfg.DatabaseURL = storetest.PostgresDSN(t)
	cfg.NATSURL = nats.DefaultURL
	cfg.BootstrapFile = boot
	cfg.SeedCatalogue = true
	cfg.DrainTimeout = 5 * time.Second
	cfg.Streams.Prefix = fmt.Sprintf("T%d_", time.Now().UnixNano())
	cfg.Streams.MaxBytes = 1 << 20
	cfg.Env = func(k string) (string, bool) {
		if k == "OPENAI_API_KEY" {
			return "sk-from-env-0123456789", true
		}
		return "", false
	}

	nc, err := nats.Connect(nats.DefaultURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = js.DeleteStream(context.Background(), cfg.Streams.UsageStream())
		_ = js.DeleteStream(context.Background(), cfg.Streams.DLQStream())
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- control.Run(ctx, cfg, zaptest.NewLogger(t)) }()
	t.Cleanup(cancel)

	base := "http://" + cfg.Addr
	waitReady(t, base, done)

	// gRPC without TLS (h2c).
	h2c := &http.Client{Transport: &http.Transport{Protocols: h2cOnly()}}
	users := adminv1connect.NewUserServiceClient(h2c, base, connect.WithGRPC(), connect.WithInterceptors(bearer{testAdminKey}))
	res, err := users.GetUser(ctxT(t), connect.NewRequest(&adminv1.GetUserRequest{Name: "alice"}))
	if err != nil {
		t.Fatalf("gRPC over h2c: %v", err)
	}
	if res.Msg.GetUser().GetName() != "alice" {
		t.Errorf("bootstrap user = %v", res.Msg.GetUser())
	}
	// The bootstrap's ${OPENAI_API_KEY} came from Config.Env.
	ch, err := adminv1connect.NewChannelServiceClient(h2c, base, connect.WithGRPC(), connect.WithInterceptors(bearer{testAdminKey})).
		GetChannel(ctxT(t), connect.NewRequest(&adminv1.GetChannelRequest{Name: "openai-main"}))
	if err != nil || len(ch.Msg.GetChannel().GetKeyInfo()) != 1 {
		t.Fatalf("bootstrap channel: %v %v", ch, err)
	}

	// The catalogue was seeded: a model the bootstrap file does not name.
	if _, err := adminv1connect.NewModelServiceClient(h2c, base, connect.WithGRPC(), connect.WithInterceptors(bearer{testAdminKey})).
		GetModel(ctxT(t), connect.NewRequest(&adminv1.GetModelRequest{Name: "gpt-4o-mini"})); err != nil {
		t.Errorf("catalogue model: %v", err)
	}

	// The streams exist (they are ensured in the background).
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := js.Stream(ctxT(t), cfg.Streams.UsageStream())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage stream not created: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := js.Stream(ctxT(t), cfg.Streams.DLQStream()); err != nil {
		t.Errorf("dlq stream: %v", err)
	}

	metrics := get(t, base+"/metrics")
	for _, name := range []string{"burncloud_control_requests_total", "burncloud_control_watchers", "burncloud_control_watch_messages_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func h2cOnly() *http.Protocols {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return p
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func waitReady(t *testing.T, base string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("Run ended before ready: %v", err)
		default:
		}
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 20s (last error: %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunRefusesBadBootstrapFile: a bad file stops the start with every
// problem named.
func TestRunRefusesBadBootstrapFile(t *testing.T) {
	boot := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(boot, []byte("channels:\n  - name: x\n    type: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Addr = freeAddr(t)
	cfg.DatabaseURL = storetest.PostgresDSN(t)
	cfg.BootstrapFile = boot
	err := control.Run(ctxT(t), cfg, zaptest.NewLogger(t))
	if err == nil || !strings.Contains(err.Error(), "type") || !strings.Contains(err.Error(), "bad.yaml") {
		t.Errorf("Run with a bad bootstrap file = %v", err)
	}
}
