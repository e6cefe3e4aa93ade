package e2e

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func chat(t *testing.T, r *router) string {
	t.Helper()
	var hr *http.Response
	_, err := r.openai(userKey).Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("bill me please")},
	}, option.WithResponseInto(&hr))
	if err != nil {
		t.Fatalf("chat via %s: %v", r.id, err)
	}
	return hr.Header.Get("x-request-id")
}

// spoolBytes is the size of the spool's segment files: a segment header is
// 32 bytes, so more than minEvent bytes means a whole event was written.
func spoolBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(path, ".seg") {
			n += info.Size()
		}
		return nil
	})
	return n
}

// minEvent is more than a segment header plus the smallest frame.
const minEvent = 100

func TestNATSOutageLosesNothing(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	r := g.routers[0]
	ids := map[string]bool{chat(t, r): true}
	g.nats.stop()
	for i := 0; i < 5; i++ {
		ids[chat(t, r)] = true // requests still succeed while NATS is down
	}
	eventually(t, 5*time.Second, "the spool holds the events", func() (bool, string) {
		return spoolBytes(t, r.spool) > minEvent, "spool empty"
	})
	g.nats.start()
	g.settled(t, ids)
	if n := len(g.streamEvents()); n != len(ids) {
		t.Fatalf("stream holds %d events, want %d", n, len(ids))
	}
	g.auditClean(t)
}

func TestRouterKilledAfterSpooling(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	r := g.routers[0]
	g.nats.stop() // the event cannot leave the spool
	id := chat(t, r)
	eventually(t, 5*time.Second, "the event is on disk", func() (bool, string) {
		return spoolBytes(t, r.spool) > minEvent, "spool empty"
	})
	r.p.Kill()
	g.nats.start()
	g.startRouter(r)
	g.settled(t, map[string]bool{id: true})
	count := 0
	for _, ev := range g.streamEvents() {
		if ev.GetId() == id {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("event on the stream %d times, want once", count)
	}
}

// A router stopped right after answering still publishes the event: it is
// not restarted, so the event reaches billing only if the stop sent it.
func TestRouterStoppedRightAfterAnswering(t *testing.T) {
	g := startGateway(t, gatewayOptions{})
	r := g.routers[0]
	id := chat(t, r)
	if !r.p.Stop(10 * time.Second) {
		t.Fatal("router did not stop within 10 s")
	}
	g.settled(t, map[string]bool{id: true})
}

func TestQuotaExhaustedReachesSecondRouter(t *testing.T) {
	// The fake reports 100k prompt tokens ($0.015 at $0.15/1M): the first
	// request's reservation fits the $0.01 quota, its actual cost exhausts it,
	// and the second router must refuse once billing settled it.
	g := startGateway(t, gatewayOptions{routers: 2, quota: "0.01", primary: "prompt-tokens=100000"})
	id := chat(t, g.routers[0])
	g.settled(t, map[string]bool{id: true})
	settledAt := time.Now()
	eventually(t, time.Second, "router-2 refuses with 402", func() (bool, string) {
		_, err := g.routers[1].openai(userKey).Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("more")},
		})
		var apiErr *openai.Error
		return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusPaymentRequired, "still admitted"
	})
	t.Logf("402 on the second router %s after settlement", time.Since(settledAt))
}
