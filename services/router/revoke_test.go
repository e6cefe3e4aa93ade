package router

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.uber.org/zap"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1/snapshotv1connect"
)

// control is an in-test SnapshotService: each Watch sends what the test
// queues on its channel.
type control struct {
	snapshotv1connect.UnimplementedSnapshotServiceHandler
	send  chan *snapshotv1.WatchResponse
	token string
}

func (c *control) Watch(ctx context.Context, req *connect.Request[snapshotv1.WatchRequest], st *connect.ServerStream[snapshotv1.WatchResponse]) error {
	if req.Header().Get("Authorization") != "Bearer "+c.token {
		return connect.NewError(connect.CodeUnauthenticated, errors.New("bad token"))
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-c.send:
			if err := st.Send(m); err != nil {
				return err
			}
		}
	}
}

// newWatchedEnv is an env whose snapshot comes from an in-test control
// through the router's own Watch client.
func newWatchedEnv(t *testing.T) (*env, *control) {
	t.Helper()
	e := newEnv(t) // for the fixture, the keyring and the fake upstream
	ctl := &control{send: make(chan *snapshotv1.WatchResponse, 8), token: "internal"}
	mux := http.NewServeMux()
	mux.Handle(snapshotv1connect.NewSnapshotServiceHandler(ctl))
	cs := httptest.NewServer(mux)
	t.Cleanup(cs.Close)

	cfg := testConfig(t, map[string]string{"BURNCLOUD_CONTROL_URL": cs.URL})
	srv, err := New(cfg, Deps{Logger: zap.NewNop(), Sink: e.sink, Keyring: e.kr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Sync(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	front := httptest.NewServer(srv.Handler())
	t.Cleanup(front.Close)
	e.srv, e.store, e.front = srv, srv.Store(), front
	return e, ctl
}

func (e *env) waitRevision(rev int64) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if x := e.store.Load(); x != nil && x.Revision() == rev {
			return
		}
		time.Sleep(time.Millisecond)
	}
	e.t.Fatalf("revision %d never applied", rev)
}

func TestRevokedKeyRefusedOnceChangeApplies(t *testing.T) {
	e, ctl := newWatchedEnv(t)
	if res := e.do(http.MethodGet, "/readyz", "", nil); res.status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d without a snapshot", res.status)
	}
	ctl.send <- &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Page{Page: &snapshotv1.SnapshotPage{
		Revision: 100, First: true, Last: true, Entities: e.fixture()}}}
	e.waitRevision(100)
	deadline := time.Now().Add(2 * time.Second)
	for e.do(http.MethodGet, "/readyz", "", nil).status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("not ready with a snapshot")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, k := range []string{keyAlice, keyBob} {
		if res := e.chat(k, chatBody); k == keyAlice && res.status != 200 {
			t.Fatalf("status %d before the revocation", res.status)
		}
	}

	// Disable alice's token: refused as soon as the change is applied.
	ctl.send <- &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Changes{Changes: &snapshotv1.Changes{
		Revision: 101, Upserts: []*snapshotv1.Entity{tokenE(1, "laptop", "alice", e.digest(keyAlice),
			func(t *snapshotv1.Token) { t.Status = adminv1.Status_STATUS_DISABLED })}}}}
	e.waitRevision(101)
	if res := e.chat(keyAlice, chatBody); res.status != 401 {
		t.Fatalf("disabled key got %d", res.status)
	}

	// Delete bob's token: refused too.
	ctl.send <- &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Changes{Changes: &snapshotv1.Changes{
		Revision: 102, Tombstones: []*snapshotv1.Tombstone{{Kind: snapshotv1.EntityKind_ENTITY_KIND_TOKEN, Key: "8"}}}}}
	e.waitRevision(102)
	if res := e.chat(keyBob, `{"model":"vip-model","messages":[]}`); res.status != 401 {
		t.Fatalf("deleted key got %d", res.status)
	}
	// The event of an accepted request names the revision it was priced at.
	e.sink.Reset()
	if res := e.chat(keyLimited, miniBody); res.status != 200 {
		t.Fatalf("status %d", res.status)
	}
	if ev := e.sink.WaitFor(1, time.Second)[0]; ev.GetPricingRevision() != 102 {
		t.Errorf("pricing revision %d, want 102", ev.GetPricingRevision())
	}
}
