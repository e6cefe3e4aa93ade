package snapshot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"connectrpc.com/connect"

	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1/snapshotv1connect"
)

const internalToken = "internal-test-token"

// fakeControl is a SnapshotService the test drives: each Watch call shows
// up on conns and sends what the test puts on its channel.
type fakeControl struct {
	snapshotv1connect.UnimplementedSnapshotServiceHandler
	conns chan *watchConn
}

type watchConn struct {
	req  *snapshotv1.WatchRequest
	send chan *snapshotv1.WatchResponse
	end  chan struct{}
}

func (f *fakeControl) Watch(ctx context.Context, req *connect.Request[snapshotv1.WatchRequest], st *connect.ServerStream[snapshotv1.WatchResponse]) error {
	if req.Header().Get("Authorization") != "Bearer "+internalToken {
		return connect.NewError(connect.CodeUnauthenticated, errors.New("bad token"))
	}
	c := &watchConn{req: req.Msg, send: make(chan *snapshotv1.WatchResponse, 16), end: make(chan struct{})}
	select {
	case f.conns <- c:
	case <-ctx.Done():
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.end:
			return nil
		case m := <-c.send:
			if err := st.Send(m); err != nil {
				return err
			}
		}
	}
}

func startControl(t *testing.T) (*fakeControl, *httptest.Server) {
	t.Helper()
	f := &fakeControl{conns: make(chan *watchConn, 4)}
	mux := http.NewServeMux()
	mux.Handle(snapshotv1connect.NewSnapshotServiceHandler(f))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeControl) next(t *testing.T) *watchConn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("router did not connect")
		return nil
	}
}

func page(rev int64, first, last bool, ents ...*snapshotv1.Entity) *snapshotv1.WatchResponse {
	return &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Page{Page: &snapshotv1.SnapshotPage{
		Revision: rev, First: first, Last: last, Entities: ents}}}
}

func changes(rev int64, ups []*snapshotv1.Entity, tombs ...*snapshotv1.Tombstone) *snapshotv1.WatchResponse {
	return &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Changes{Changes: &snapshotv1.Changes{
		Revision: rev, Upserts: ups, Tombstones: tombs}}}
}

func heartbeat(rev int64) *snapshotv1.WatchResponse {
	return &snapshotv1.WatchResponse{Kind: &snapshotv1.WatchResponse_Heartbeat{Heartbeat: &snapshotv1.Heartbeat{Revision: rev}}}
}

func waitRevision(t *testing.T, s *Store, rev int64) *Index {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if x := s.Load(); x != nil && x.Revision() == rev {
			return x
		}
		time.Sleep(2 * time.Millisecond)
	}
	got := int64(-1)
	if x := s.Load(); x != nil {
		got = x.Revision()
	}
	t.Fatalf("revision %d never served; have %d", rev, got)
	return nil
}

type watchRun struct {
	store  *Store
	cancel context.CancelFunc
	done   chan struct{}
}

func runWatcher(t *testing.T, url string, opts WatcherOptions) *watchRun {
	t.Helper()
	opts.Client = snapshotv1connect.NewSnapshotServiceClient(http.DefaultClient, url)
	if opts.InternalToken == "" {
		opts.InternalToken = internalToken
	}
	opts.RouterID, opts.Version = "r-test", "test"
	if opts.Store == nil {
		opts.Store = NewStore()
	}
	opts.BackoffMin, opts.BackoffMax = 5*time.Millisecond, 20*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	r := &watchRun{store: opts.Store, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := NewWatcher(opts).Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *watchRun) stop() {
	r.cancel()
	<-r.done
}

func TestWatchFullSnapshotChangesAndReconnect(t *testing.T) {
	kr := testKeyring(t, testMaster)
	ctl, srv := startControl(t)
	run := runWatcher(t, srv.URL, WatcherOptions{})
	conn := ctl.next(t)
	if conn.req.GetRevision() != 0 || conn.req.GetRouterId() != "r-test" {
		t.Fatalf("first request = %v", conn.req)
	}
	ents := baseEntities(kr)
	conn.send <- page(10, true, false, ents[:2]...)
	conn.send <- page(10, false, false, ents[2:4]...)
	select {
	case <-run.store.Ready():
		t.Fatal("ready before the last page")
	case <-time.After(30 * time.Millisecond):
	}
	conn.send <- page(10, false, true, ents[4:]...)
	x := waitRevision(t, run.store, 10)
	if _, ok := x.Token(kr.TokenDigest("sk-bc-alice")); !ok {
		t.Fatal("token from the full snapshot missing")
	}

	// Changes: a new token, then its tombstone.
	conn.send <- changes(11, []*snapshotv1.Entity{tokenEntity(kr, 2, "sk-bc-bob", "alice")})
	x = waitRevision(t, run.store, 11)
	if _, ok := x.Token(kr.TokenDigest("sk-bc-bob")); !ok {
		t.Fatal("upserted token missing")
	}
	conn.send <- changes(11, nil, &snapshotv1.Tombstone{Kind: snapshotv1.EntityKind_ENTITY_KIND_TOKEN, Key: "1"}) // duplicate revision: ignored
	conn.send <- changes(12, nil, &snapshotv1.Tombstone{Kind: snapshotv1.EntityKind_ENTITY_KIND_TOKEN, Key: "2"})
	x = waitRevision(t, run.store, 12)
	if _, ok := x.Token(kr.TokenDigest("sk-bc-bob")); ok {
		t.Fatal("tombstoned token still served")
	}
	if _, ok := x.Token(kr.TokenDigest("sk-bc-alice")); !ok {
		t.Fatal("changes at an old revision were applied")
	}

	// Control drops the stream: the router comes back with its revision.
	close(conn.end)
	conn = ctl.next(t)
	if conn.req.GetRevision() != 12 {
		t.Fatalf("reconnected with revision %d, want 12", conn.req.GetRevision())
	}
	conn.send <- changes(13, []*snapshotv1.Entity{userEntity("carol", "default")})
	x = waitRevision(t, run.store, 13)
	if _, ok := x.User("carol"); !ok {
		t.Fatal("change after reconnect missing")
	}
	// A full snapshot mid-stream replaces everything.
	conn.send <- page(20, true, true, groupEntity("default", 1_000_000))
	x = waitRevision(t, run.store, 20)
	if _, ok := x.User("carol"); ok {
		t.Fatal("full snapshot did not replace the state")
	}
}

func TestWatchOutOfSequencePageReconnects(t *testing.T) {
	ctl, srv := startControl(t)
	runWatcher(t, srv.URL, WatcherOptions{})
	conn := ctl.next(t)
	conn.send <- page(5, false, true) // no first page
	conn = ctl.next(t)                // the router gave up on that stream
	if conn.req.GetRevision() != 0 {
		t.Fatalf("revision = %d", conn.req.GetRevision())
	}
}

func TestWatchStallReconnects(t *testing.T) {
	ctl, srv := startControl(t)
	runWatcher(t, srv.URL, WatcherOptions{StallTimeout: 50 * time.Millisecond})
	ctl.next(t)
	ctl.next(t) // nothing was sent, so the router reconnected by itself
}

func TestWatchRejectedToken(t *testing.T) {
	ctl, srv := startControl(t)
	run := runWatcher(t, srv.URL, WatcherOptions{InternalToken: "wrong"})
	time.Sleep(100 * time.Millisecond)
	select {
	case <-ctl.conns:
		t.Fatal("stream opened with a wrong internal token")
	default:
	}
	if run.store.Load() != nil {
		t.Fatal("store filled without control")
	}
}

func TestWatchStartsFromCacheWhenControlIsDown(t *testing.T) {
	kr := testKeyring(t, testMaster)
	path := filepath.Join(t.TempDir(), "snapshot.cache")

	// First life: control sends a snapshot; the watcher writes the cache.
	ctl, srv := startControl(t)
	run := runWatcher(t, srv.URL, WatcherOptions{Cache: NewCache(path, kr), SaveInterval: time.Millisecond})
	conn := ctl.next(t)
	conn.send <- page(30, true, true, baseEntities(kr)...)
	waitRevision(t, run.store, 30)
	run.stop() // saves on the way out
	srv.Close()

	// Second life: control is gone; the cache is served after the grace.
	start := time.Now()
	run2 := runWatcher(t, srv.URL, WatcherOptions{Cache: NewCache(path, kr), CacheGrace: 50 * time.Millisecond})
	x := waitRevision(t, run2.store, 30)
	if time.Since(start) < 50*time.Millisecond {
		t.Error("cache served before the grace period")
	}
	if _, ok := x.Token(kr.TokenDigest("sk-bc-alice")); !ok {
		t.Fatal("cached token missing")
	}
}

func TestWatchCacheConfirmedByControl(t *testing.T) {
	kr := testKeyring(t, testMaster)
	path := filepath.Join(t.TempDir(), "snapshot.cache")
	x, _ := Build(40, baseEntities(kr))
	if err := NewCache(path, kr).Save(x); err != nil {
		t.Fatal(err)
	}
	ctl, srv := startControl(t)
	run := runWatcher(t, srv.URL, WatcherOptions{Cache: NewCache(path, kr), CacheGrace: time.Hour})
	conn := ctl.next(t)
	if conn.req.GetRevision() != 40 {
		t.Fatalf("asked from revision %d, want the cached 40", conn.req.GetRevision())
	}
	if run.store.Load() != nil {
		t.Fatal("cache served before control answered or the grace passed")
	}
	// Control brings the cache forward: the revoked token never serves.
	conn.send <- changes(41, nil, &snapshotv1.Tombstone{Kind: snapshotv1.EntityKind_ENTITY_KIND_TOKEN, Key: "1"})
	y := waitRevision(t, run.store, 41)
	if _, ok := y.Token(kr.TokenDigest("sk-bc-alice")); ok {
		t.Fatal("revoked token served")
	}
}

func TestWatchHeartbeatConfirmsCache(t *testing.T) {
	kr := testKeyring(t, testMaster)
	path := filepath.Join(t.TempDir(), "snapshot.cache")
	x, _ := Build(50, baseEntities(kr))
	if err := NewCache(path, kr).Save(x); err != nil {
		t.Fatal(err)
	}
	ctl, srv := startControl(t)
	run := runWatcher(t, srv.URL, WatcherOptions{Cache: NewCache(path, kr), CacheGrace: time.Hour})
	conn := ctl.next(t)
	conn.send <- heartbeat(50)
	waitRevision(t, run.store, 50)
}

func TestBackoffBounds(t *testing.T) {
	w := NewWatcher(WatcherOptions{BackoffMin: 10 * time.Millisecond, BackoffMax: 80 * time.Millisecond})
	for attempt := range 40 {
		for range 50 {
			d := w.backoff(attempt)
			ceil := min(10*time.Millisecond<<min(attempt, 20), 80*time.Millisecond)
			if d < 10*time.Millisecond || d > ceil {
				t.Fatalf("attempt %d: backoff %v outside [10ms, %v]", attempt, d, ceil)
			}
		}
	}
}

func TestWatchRunsOnce(t *testing.T) {
	ctl, srv := startControl(t)
	runWatcher(t, srv.URL, WatcherOptions{})
	ctl.next(t)
	w := NewWatcher(WatcherOptions{Client: snapshotv1connect.NewSnapshotServiceClient(http.DefaultClient, srv.URL),
		InternalToken: internalToken, Store: NewStore()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	ctl.next(t)
	if err := w.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}
}
