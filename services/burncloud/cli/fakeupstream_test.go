package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFakeUpstreamCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	app := &App{Out: &out, Err: &out, Env: func(string) (string, bool) { return "", false }}
	done := make(chan int, 1)
	go func() { done <- app.Run(ctx, []string{"fake-upstream", "--addr", addr, "--scenario", "chunks=3"}) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("fake-upstream exited %d: %s", code, out.String())
		}
	})

	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/chat/completions",
			strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Authorization", "Bearer any")
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("fake upstream not reachable: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestFakeUpstreamRefusesBadScenario(t *testing.T) {
	var out bytes.Buffer
	app := &App{Out: &out, Err: &out, Env: func(string) (string, bool) { return "", false }}
	if code := app.Run(context.Background(), []string{"fake-upstream", "--scenario", "status=42"}); code != ExitUsage {
		t.Fatalf("exit %d, want %d: %s", code, ExitUsage, out.String())
	}
}
