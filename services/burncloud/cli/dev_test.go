package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/burncloud/burncloud/pkg/store/sqlite"
)

func TestLoadSecretsCreatesThenReuses(t *testing.T) {
	dir := t.TempDir()
	noEnv := mapEnv(nil)
	first, err := loadSecrets(dir, noEnv, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.created) != 4 {
		t.Errorf("first start created %v, want all four", first.created)
	}
	for name, v := range map[string]string{
		SecretFile: first.Secret, InternalTokenFile: first.InternalToken,
		AdminKeyFile: first.AdminKey, DemoKeyFile: first.DemoKey,
	} {
		if len(v) < minSecretLen {
			t.Errorf("%s = %q: too short", name, v)
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if !strings.HasPrefix(first.AdminKey, "sk-bc-admin-") || !strings.HasPrefix(first.DemoKey, "sk-bc-demo-") {
		t.Errorf("keys lack their prefixes: %q %q", first.AdminKey, first.DemoKey)
	}
	if first.Secret == first.InternalToken {
		t.Error("secret and internal token are the same")
	}
	again, err := loadSecrets(dir, noEnv, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.created) != 0 {
		t.Errorf("second start created %v", again.created)
	}
	if again.Secret != first.Secret || again.AdminKey != first.AdminKey || again.DemoKey != first.DemoKey || again.InternalToken != first.InternalToken {
		t.Error("second start did not reuse the stored secrets")
	}
}

func TestLoadSecrets(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		env     map[string]string
		demo    bool
		wantErr string
		check   func(t *testing.T, s devSecrets)
	}{
		{
			name: "environment wins and is not stored",
			env:  map[string]string{EnvAdminKey: "env-admin-key-0123456789"},
			check: func(t *testing.T, s devSecrets) {
				if s.AdminKey != "env-admin-key-0123456789" {
					t.Errorf("admin key %q", s.AdminKey)
				}
				for _, c := range s.created {
					if c == AdminKeyFile {
						t.Error("admin key file written although the environment gave the key")
					}
				}
			},
		},
		{
			name: "no demo key without demo",
			check: func(t *testing.T, s devSecrets) {
				if s.DemoKey != "" {
					t.Errorf("demo key %q", s.DemoKey)
				}
			},
		},
		{
			name:    "short environment value",
			env:     map[string]string{"BURNCLOUD_SECRET": "short"},
			wantErr: "BURNCLOUD_SECRET must be at least",
		},
		{
			name:    "damaged file",
			files:   map[string]string{InternalTokenFile: "abc\n"},
			wantErr: "shorter than",
		},
		{
			name:  "file kept with surrounding space trimmed",
			files: map[string]string{SecretFile: "  stored-secret-0123456789abcdef \n"},
			check: func(t *testing.T, s devSecrets) {
				if s.Secret != "stored-secret-0123456789abcdef" {
					t.Errorf("secret %q", s.Secret)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s, err := loadSecrets(dir, mapEnv(tt.env), tt.demo)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	f, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDataDir(dir); !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("second lock: err = %v, want ErrDataDirInUse", err)
	}
	f.Close()
	g, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	g.Close()
}

func TestBaseURLOf(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 41000}, "http://127.0.0.2:41000"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 80}, "http://[::1]:80"},
	}
	for _, tt := range tests {
		if got := baseURLOf(tt.addr); got != tt.want {
			t.Errorf("baseURLOf(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

type recordingRT struct{ hosts []string }

func (r *recordingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r.hosts = append(r.hosts, req.URL.Host)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

func TestEgressDispatchExemptsOnlyTheFake(t *testing.T) {
	allowed, guarded := &recordingRT{}, &recordingRT{}
	d := &egressDispatch{host: "127.0.0.1:4100", allowed: allowed, guarded: guarded}
	for _, u := range []string{
		"http://127.0.0.1:4100/v1/chat/completions",
		"http://127.0.0.1:4101/v1/chat/completions", // another loopback port
		"http://localhost:4100/v1/chat/completions", // a name, even one for the same address
		"http://127.0.0.1.evil.example:4100/v1",
		"https://api.openai.com/v1/chat/completions",
	} {
		req, err := http.NewRequest(http.MethodPost, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	if len(allowed.hosts) != 1 || allowed.hosts[0] != "127.0.0.1:4100" {
		t.Errorf("exempted %v, want only the fake", allowed.hosts)
	}
	if len(guarded.hosts) != 4 {
		t.Errorf("guarded %v, want the other four", guarded.hosts)
	}
}

func TestApplyDemoIsIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	const secret = "demo-test-secret-0123456789"
	const key = "sk-bc-demo-test-0123456789"
	n, err := applyDemo(ctx, st, secret, "http://127.0.0.1:4100/v1", key, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	// Four models, three channels, the user and the token.
	if n != 9 {
		t.Errorf("first apply made %d changes, want 9", n)
	}
	if n, err = applyDemo(ctx, st, secret, "http://127.0.0.1:4100/v1", key, zap.NewNop()); err != nil || n != 0 {
		t.Errorf("second apply: %d changes, err %v; want none", n, err)
	}
	// A new fake port only moves the channels.
	if n, err = applyDemo(ctx, st, secret, "http://127.0.0.1:4200/v1", key, zap.NewNop()); err != nil || n != 3 {
		t.Errorf("apply with a new fake URL: %d changes, err %v; want 3", n, err)
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Tokens) != 1 || len(snap.Channels) != 3 {
		t.Fatalf("snapshot holds %d tokens and %d channels, want 1 and 3", len(snap.Tokens), len(snap.Channels))
	}
	want := map[string]string{DemoChannel: "http://127.0.0.1:4200/v1", "demo-anthropic": "http://127.0.0.1:4200", "demo-gemini": "http://127.0.0.1:4200"}
	for _, c := range snap.Channels {
		if got := c.Channel.GetBaseUrl(); got != want[c.Channel.GetName()] {
			t.Errorf("channel %s base URL %q, want %q", c.Channel.GetName(), got, want[c.Channel.GetName()])
		}
	}
}

// TestDevInProcess runs `burncloud dev --demo` inside the test (so -race
// sees the whole gateway), serves one request and stops it by cancelling
// the context as SIGINT would.
func TestDevInProcess(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncWriter
	app := &App{Out: &out, Err: &errOut, Env: mapEnv(nil)}
	done := make(chan int, 1)
	go func() { done <- app.Run(ctx, []string{"dev", "--demo", "--addr", "127.0.0.1:0", "--data-dir", dir}) }()

	var url string
	deadline := time.Now().Add(30 * time.Second)
	for url == "" {
		select {
		case code := <-done:
			t.Fatalf("dev exited %d:\n%s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev not ready:\n%s", errOut.String())
		}
		if b, err := os.ReadFile(filepath.Join(dir, URLFile)); err == nil {
			url = strings.TrimSpace(string(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	key, err := os.ReadFile(filepath.Join(dir, DemoKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(`{"model":"demo-model","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(key)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Burncloud-Cost-Usd") == "" {
		t.Fatalf("status %d, cost header %q", resp.StatusCode, resp.Header.Get("X-Burncloud-Cost-Usd"))
	}
	for path, want := range map[string]int{"/readyz": 200, "/healthz": 200, "/": 200, "/v1/nothing": 404} {
		r, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("dev exited %d after cancel:\n%s", code, errOut.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("dev did not stop")
	}
	if !strings.Contains(out.String(), "BurnCloud dev gateway is ready.") {
		t.Errorf("no banner:\n%s", out.String())
	}
	f, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("data folder still locked after stop: %v", err)
	}
	f.Close()
}

// syncWriter is a buffer safe for the gateway's goroutines to write to.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
