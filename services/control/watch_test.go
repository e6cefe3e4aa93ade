package control_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// routerState applies a Watch stream the way a router does.
type routerState struct {
	rev        int64
	ents       map[string]*snapshotv1.Entity
	pending    map[string]*snapshotv1.Entity // a full snapshot being received
	pages      int
	changes    int
	heartbeats int
}

func newRouterState() *routerState { return &routerState{ents: map[string]*snapshotv1.Entity{}} }

func entityKey(e *snapshotv1.Entity) string {
	switch x := e.GetEntity().(type) {
	case *snapshotv1.Entity_Channel:
		return "channel/" + x.Channel.GetName()
	case *snapshotv1.Entity_Model:
		return "model/" + x.Model.GetName()
	case *snapshotv1.Entity_Group:
		return "group/" + x.Group.GetName()
	case *snapshotv1.Entity_Token:
		return fmt.Sprintf("token/%d", x.Token.GetId())
	case *snapshotv1.Entity_User:
		return "user/" + x.User.GetName()
	}
	return "unknown"
}

func tombstoneKey(ts *snapshotv1.Tombstone) string {
	kind := strings.ToLower(strings.TrimPrefix(ts.GetKind().String(), "ENTITY_KIND_"))
	return kind + "/" + ts.GetKey()
}

func (s *routerState) apply(t *testing.T, m *snapshotv1.WatchResponse) {
	t.Helper()
	switch k := m.GetKind().(type) {
	case *snapshotv1.WatchResponse_Page:
		p := k.Page
		if p.GetFirst() {
			s.pending = map[string]*snapshotv1.Entity{}
		}
		if s.pending == nil {
			t.Fatalf("page without a first page")
		}
		for _, e := range p.GetEntities() {
			s.pending[entityKey(e)] = e
		}
		s.pages++
		if p.GetLast() {
			s.ents, s.pending, s.rev = s.pending, nil, p.GetRevision()
		}
	case *snapshotv1.WatchResponse_Changes:
		c := k.Changes
		if c.GetRevision() <= s.rev {
			t.Fatalf("changes at revision %d after %d: not strictly increasing", c.GetRevision(), s.rev)
		}
		for _, e := range c.GetUpserts() {
			s.ents[entityKey(e)] = e
		}
		for _, ts := range c.GetTombstones() {
			delete(s.ents, tombstoneKey(ts))
		}
		s.rev = c.GetRevision()
		s.changes++
	case *snapshotv1.WatchResponse_Heartbeat:
		if k.Heartbeat.GetRevision() != s.rev {
			t.Errorf("heartbeat at revision %d, state at %d", k.Heartbeat.GetRevision(), s.rev)
		}
		s.heartbeats++
	}
}

func (s *routerState) has(key string) bool { _, ok := s.ents[key]; return ok }

// watcher runs one Watch stream in the background.
type watcher struct {
	msgs   chan *snapshotv1.WatchResponse
	done   chan error
	cancel context.CancelFunc
	state  *routerState
}

func startWatch(t *testing.T, r *replica, id string, rev int64) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{msgs: make(chan *snapshotv1.WatchResponse, 1024), done: make(chan error, 1), cancel: cancel, state: newRouterState()}
	w.state.rev = rev
	stream, err := r.snapshots(testInternal).Watch(ctx, connect.NewRequest(&snapshotv1.WatchRequest{RouterId: id, Version: "test", Revision: rev}))
	if err != nil {
		cancel()
		t.Fatalf("watch: %v", err)
	}
	go func() {
		for stream.Receive() {
			w.msgs <- stream.Msg()
		}
		w.done <- stream.Err()
		stream.Close()
	}()
	t.Cleanup(cancel)
	return w
}

// until applies messages until cond holds, failing after timeout.
func (w *watcher) until(t *testing.T, timeout time.Duration, what string, cond func(*routerState) bool) {
	t.Helper()
	deadline := time.After(timeout)
	for !cond(w.state) {
		select {
		case m := <-w.msgs:
			w.state.apply(t, m)
		case err := <-w.done:
			t.Fatalf("stream ended waiting for %s: %v", what, err)
		case <-deadline:
			t.Fatalf("no %s within %s", what, timeout)
		}
	}
}

func (w *watcher) synced(t *testing.T) {
	t.Helper()
	w.until(t, 5*time.Second, "full snapshot", func(s *routerState) bool { return len(s.ents) > 0 && s.pending == nil })
}

func TestWatchFullSnapshotThenChanges(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	if _, err := apply(e.owner(), t, sampleFile(t), false); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, e.replica, "r1", 0)
	w.synced(t)
	st := w.state
	if st.pages < 2 {
		t.Errorf("full snapshot in %d pages, want several at page size 3", st.pages)
	}
	ch := st.ents["channel/openai-main"].GetChannel()
	if len(ch.GetKeys()) != 1 || ch.GetKeys()[0].GetSecret() != "sk-test-openai-0123456789abcdef" || ch.GetKeys()[0].GetId() == "" {
		t.Errorf("snapshot channel keys %v, want the decrypted key with its id", ch.GetKeys())
	}
	if ch.GetCostRatioPpm() != 1_000_000 || len(ch.GetGroups()) != 1 {
		t.Errorf("snapshot channel = %v", ch)
	}
	var tok *snapshotv1.Token
	for _, en := range st.ents {
		if en.GetToken().GetName() == "laptop" {
			tok = en.GetToken()
		}
	}
	if tok == nil || len(tok.GetDigest()) != 32 || tok.GetUser() != "alice" || tok.GetQuotaNanoUsd() != 1_000_000_000 {
		t.Fatalf("snapshot token = %v", tok)
	}
	for _, k := range []string{"model/gpt-4o", "group/default", "user/alice"} {
		if !st.has(k) {
			t.Errorf("snapshot lacks %s", k)
		}
	}

	// A committed change reaches the watcher within 1 s.
	start := time.Now()
	if _, err := e.owner().groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{Group: &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(800_000)}})); err != nil {
		t.Fatal(err)
	}
	w.until(t, time.Second, "new group", func(s *routerState) bool { return s.has("group/vip") })
	t.Logf("change pushed in %s", time.Since(start))

	// A revoked key disappears within 1 s.
	if _, err := e.owner().tokens.DeleteToken(ctx, connect.NewRequest(&adminv1.DeleteTokenRequest{User: "alice", Name: "laptop"})); err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("token/%d", tok.GetId())
	w.until(t, time.Second, "token tombstone", func(s *routerState) bool { return !s.has(key) })
	beats := w.state.heartbeats
	w.until(t, time.Second, "heartbeat", func(s *routerState) bool { return s.heartbeats > beats })
}

func TestWatchTwoReplicasBothPush(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	second := startReplica(t, openStore(t, e.dsn), testConfig())
	w1 := startWatch(t, e.replica, "r1", 0)
	w2 := startWatch(t, second, "r2", 0)
	w1.synced(t)
	w2.synced(t)
	if _, err := e.owner().groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{Group: &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(1)}})); err != nil {
		t.Fatal(err)
	}
	w1.until(t, time.Second, "group on the writing replica", func(s *routerState) bool { return s.has("group/vip") })
	w2.until(t, time.Second, "group on the other replica", func(s *routerState) bool { return s.has("group/vip") })
	if w1.state.rev != w2.state.rev {
		t.Errorf("replicas at revisions %d and %d", w1.state.rev, w2.state.rev)
	}
}

func TestWatchReconnectMatchesFreshSnapshot(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	owner := e.owner()
	if _, err := apply(owner, t, sampleFile(t), false); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, e.replica, "r1", 0)
	w.synced(t)
	w.cancel()
	held := w.state
	pagesBefore := held.pages

	// Changes of every kind while the router is away.
	if _, err := owner.groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{Group: &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(2)}})); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.channels.CreateChannel(ctx, connect.NewRequest(&adminv1.CreateChannelRequest{Channel: newChannel("c2", "sk-second-key-0123456789")})); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.models.DeleteModel(ctx, connect.NewRequest(&adminv1.DeleteModelRequest{Name: "gpt-4o"})); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.users.DeleteUser(ctx, connect.NewRequest(&adminv1.DeleteUserRequest{Name: "alice"})); err != nil {
		t.Fatal(err)
	}
	e.createUser("bob", adminv1.Role_ROLE_USER)

	again := startWatch(t, e.replica, "r1", held.rev)
	again.state = held
	again.until(t, 5*time.Second, "catch-up", func(s *routerState) bool { return s.changes > 0 })
	if again.state.pages != pagesBefore {
		t.Errorf("reconnect sent a full snapshot; want changes only")
	}

	fresh := startWatch(t, e.replica, "r2", 0)
	fresh.synced(t)
	// The reconnected router may be behind by nothing: same revision, same content.
	again.until(t, 5*time.Second, "fresh revision", func(s *routerState) bool { return s.rev >= fresh.state.rev })
	if again.state.rev != fresh.state.rev {
		t.Fatalf("revisions %d (reconnected) and %d (fresh)", again.state.rev, fresh.state.rev)
	}
	sameState(t, again.state.ents, fresh.state.ents)
	if again.state.has("user/alice") || again.state.has("model/gpt-4o") || !again.state.has("channel/c2") || !again.state.has("user/bob") {
		t.Errorf("reconnected state misses changes: %v", keys(again.state.ents))
	}
}

func keys(m map[string]*snapshotv1.Entity) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sameState(t *testing.T, got, want map[string]*snapshotv1.Entity) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d entities, want %d: %v vs %v", len(got), len(want), keys(got), keys(want))
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !proto.Equal(g, w) {
			t.Errorf("entity %s = %v, want %v", k, g, w)
		}
	}
}

// deafStore loses every change notification, as a replica whose LISTEN
// connection dropped would.
type deafStore struct{ store.Store }

func (deafStore) Subscribe() (<-chan struct{}, func()) { return make(chan struct{}), func() {} }

func TestWatchMissedNotificationDeliveredByPoll(t *testing.T) {
	dsnEnv := newEnv(t)
	ctx := ctxT(t)
	deaf := startReplica(t, deafStore{openStore(t, dsnEnv.dsn)}, testConfig())
	w := startWatch(t, deaf, "r1", 0)
	w.synced(t)

	// Committed through another store instance: this replica hears nothing.
	other := openStore(t, dsnEnv.dsn)
	if _, err := other.CreateGroup(ctx, &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(1)}); err != nil {
		t.Fatal(err)
	}
	w.until(t, time.Second, "change found by the fallback poll", func(s *routerState) bool { return s.has("group/vip") })
}

func TestWatchRevisionGoneSendsFullSnapshot(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	w := startWatch(t, e.replica, "r1", 0)
	w.synced(t)
	w.cancel()
	old, pagesBefore := w.state.rev, w.state.pages
	e.createUser("bob", adminv1.Role_ROLE_USER)
	e.createUser("carol", adminv1.Role_ROLE_USER)
	rev := must[int64](t)(e.store.Revision(ctx))
	if err := e.store.PruneChanges(ctx, rev); err != nil {
		t.Fatal(err)
	}
	again := startWatch(t, e.replica, "r1", old)
	again.state = w.state
	again.until(t, 5*time.Second, "full snapshot", func(s *routerState) bool { return s.pages > pagesBefore && s.has("user/carol") && s.pending == nil })
	if again.state.rev != rev {
		t.Errorf("full snapshot at %d, want %d", again.state.rev, rev)
	}
}

func TestWatchNeedsInternalToken(t *testing.T) {
	e := newEnv(t)
	for _, key := range []string{"", "wrong-internal-token-000", testAdminKey} {
		stream, err := e.snapshots(key).Watch(ctxT(t), connect.NewRequest(&snapshotv1.WatchRequest{RouterId: "r1"}))
		if err == nil {
			for stream.Receive() {
				t.Errorf("key %q received %v", key, stream.Msg())
			}
			err = stream.Err()
		}
		wantCode(t, err, connect.CodeUnauthenticated)
	}
}

func TestFleetViewAndShutdown(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	w := startWatch(t, e.replica, "router-7", 0)
	w.synced(t)
	routers := func() []*adminv1.Router {
		return must[*connect.Response[adminv1.ListRoutersResponse]](t)(e.owner().fleet.ListRouters(ctx, connect.NewRequest(&adminv1.ListRoutersRequest{}))).Msg.GetRouters()
	}
	// The fleet view is written right after the last page went out.
	var rs []*adminv1.Router
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rs = routers()
		if len(rs) == 1 && rs[0].GetRevision() == w.state.rev || time.Now().After(deadline) {
			break
		}
	}
	if len(rs) != 1 || rs[0].GetId() != "router-7" || !rs[0].GetConnected() || rs[0].GetRevision() != w.state.rev || rs[0].GetControlReplica() == "" {
		t.Fatalf("fleet = %v, want router-7 connected at revision %d", rs, w.state.rev)
	}
	// Shutdown ends the stream with Unavailable, so the router reconnects elsewhere.
	e.srv.Shutdown()
	select {
	case err := <-w.done:
		if connect.CodeOf(err) != connect.CodeUnavailable {
			t.Errorf("stream ended with %v, want Unavailable", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open after Shutdown")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rs = routers()
		if len(rs) == 1 && !rs[0].GetConnected() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("router still connected in the fleet view: %v", rs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("test ran out of time")
	}
}
