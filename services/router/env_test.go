package router

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/burncloud/burncloud/pkg/config"
	"github.com/burncloud/burncloud/pkg/fakeupstream"
	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/services/router/snapshot"
)

const testMaster = "router-test-master-secret"

// Client keys of the fixture.
const (
	keyAlice    = "sk-bc-alice-0123456789abcdef"
	keyLimited  = "sk-bc-limited-0123456789abcdef"
	keyExpired  = "sk-bc-expired-0123456789abcdef"
	keyDisabled = "sk-bc-disabled-0123456789abcdef"
	keyBroke    = "sk-bc-broke-0123456789abcdef"
	keyUserOff  = "sk-bc-useroff-0123456789abcdef"
	keyTokQuota = "sk-bc-tokquota-0123456789abcdef"
	keyBob      = "sk-bc-bob-0123456789abcdef"
)

// Upstream keys of the fixture's channels.
const (
	upPrimary = "sk-up-primary-SECRET-4242"
	upBackup  = "sk-up-backup-SECRET-4343"
	upOther   = "sk-up-other-SECRET-4444"
)

var clientKeys = []string{keyAlice, keyLimited, keyExpired, keyDisabled, keyBroke, keyUserOff, keyTokQuota, keyBob}
var upstreamKeys = []string{upPrimary, upBackup, upOther}

type env struct {
	t     *testing.T
	kr    *secrets.Keyring
	fake  *fakeupstream.Server
	root  string
	store *snapshot.Store
	srv   *Server
	front *httptest.Server
	sink  *EventRecorder
	logs  *observer.ObservedLogs
	mu    sync.Mutex
}

func testConfig(t testing.TB, extra map[string]string) Config {
	t.Helper()
	vars := map[string]string{
		"BURNCLOUD_SECRET": testMaster, "BURNCLOUD_INTERNAL_TOKEN": "internal", "BURNCLOUD_ROUTER_ID": "r-test",
		"BURNCLOUD_ALLOW_PRIVATE_UPSTREAMS": "true", "BURNCLOUD_SNAPSHOT_CACHE": "",
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := LoadConfig(nil, config.MapLookup(vars))
	if err != nil {
		t.Fatal(err)
	}
	cfg.SnapshotCache = ""
	return cfg
}

type envOption func(*Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	kr, err := secrets.New([]byte(testMaster))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, kr: kr, sink: NewEventRecorder()}
	e.fake = fakeupstream.New(fakeupstream.Options{Keys: upstreamKeys})
	up := httptest.NewServer(e.fake)
	t.Cleanup(up.Close)
	t.Cleanup(e.fake.Close)
	e.root = up.URL

	cfg := testConfig(t, nil)
	for _, o := range opts {
		o(&cfg)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	e.logs = logs
	e.store = snapshot.NewStore()
	x, problems := snapshot.Build(1, e.fixture())
	if len(problems) != 0 {
		t.Fatalf("fixture problems: %v", problems)
	}
	e.store.Publish(x)
	e.srv, err = New(cfg, Deps{Logger: zap.New(core), Sink: e.sink, Store: e.store, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	srv := e.srv // not e.srv inside: a later test may replace it
	go func() {
		defer close(done)
		_ = srv.Sync(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	e.front = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.front.Close)
	return e
}

func (e *env) digest(secret string) []byte {
	d := e.kr.TokenDigest(secret)
	return d[:]
}

func tokenE(id int64, name, user string, digest []byte, mod func(*snapshotv1.Token)) *snapshotv1.Entity {
	t := &snapshotv1.Token{Id: id, Name: name, User: user, Digest: digest, Status: adminv1.Status_STATUS_ACTIVE}
	if mod != nil {
		mod(t)
	}
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Token{Token: t}}
}

func userE(name, group string, mod func(*snapshotv1.User)) *snapshotv1.Entity {
	u := &snapshotv1.User{Name: name, Group: group, Role: adminv1.Role_ROLE_USER, Status: adminv1.Status_STATUS_ACTIVE}
	if mod != nil {
		mod(u)
	}
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_User{User: u}}
}

func modelE(name string, in, out int64) *snapshotv1.Entity {
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Model{Model: &adminv1.Model{
		Name: name, Price: &adminv1.Price{InputNanoUsd: in, OutputNanoUsd: out}, MaxOutputTokens: 4096,
	}}}
}

func groupE(name string, ratio int64) *snapshotv1.Entity {
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Group{Group: &adminv1.Group{Name: name, RatioPpm: &ratio}}}
}

// channelE is an OpenAI channel at the fake upstream, with a URL scenario.
func (e *env) channelE(name string, priority int32, key, scenario string, models []string, mod func(*snapshotv1.Channel)) *snapshotv1.Entity {
	c := &snapshotv1.Channel{
		Name: name, Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI, BaseUrl: fakeupstream.BaseURL(e.root, scenario),
		Keys: []*snapshotv1.ChannelKey{{Id: name + "-k1", Secret: key}}, Models: models,
		Groups: []string{"default", "vip"}, Priority: priority, Weight: 1, CostRatioPpm: 600_000,
		Status: adminv1.Status_STATUS_ACTIVE,
	}
	if mod != nil {
		mod(c)
	}
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Channel{Channel: c}}
}

const (
	priceIn  = 2_500_000_000  // 2.50 USD per 1M input tokens
	priceOut = 10_000_000_000 // 10.00 USD per 1M output tokens
)

func (e *env) fixture() []*snapshotv1.Entity {
	past := timestamppb.New(time.Now().Add(-time.Hour))
	quota := func(q, used int64) func(*snapshotv1.User) {
		return func(u *snapshotv1.User) { u.QuotaNanoUsd, u.UsedNanoUsd = &q, used }
	}
	return []*snapshotv1.Entity{
		groupE("default", 1_000_000),
		groupE("vip", 2_000_000),
		userE("alice", "default", nil),
		userE("bob", "vip", nil),
		userE("broke", "default", quota(100, 100)),
		userE("off", "default", func(u *snapshotv1.User) { u.Status = adminv1.Status_STATUS_DISABLED }),
		tokenE(1, "laptop", "alice", e.digest(keyAlice), nil),
		tokenE(2, "limited", "alice", e.digest(keyLimited), func(t *snapshotv1.Token) { t.Models = []string{"gpt-4o-mini"} }),
		tokenE(3, "old", "alice", e.digest(keyExpired), func(t *snapshotv1.Token) { t.ExpireTime = past }),
		tokenE(4, "off", "alice", e.digest(keyDisabled), func(t *snapshotv1.Token) { t.Status = adminv1.Status_STATUS_DISABLED }),
		tokenE(5, "broke", "broke", e.digest(keyBroke), nil),
		tokenE(6, "useroff", "off", e.digest(keyUserOff), nil),
		tokenE(7, "tokquota", "alice", e.digest(keyTokQuota), func(t *snapshotv1.Token) {
			q := int64(10)
			t.QuotaNanoUsd, t.UsedNanoUsd = &q, 10
		}),
		tokenE(8, "bob", "bob", e.digest(keyBob), nil),
		modelE("gpt-4o", priceIn, priceOut),
		modelE("gpt-4o-mini", 150_000_000, 600_000_000),
		modelE("text-embedding-3-small", 20_000_000, 0),
		modelE("vip-model", priceIn, priceOut),
		modelE("claude-x", 3_000_000_000, 15_000_000_000),
		modelE("broken-model", 1, 1),
		e.channelE("primary", 10, upPrimary, "", []string{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "unpriced"},
			func(c *snapshotv1.Channel) { c.ModelMap = map[string]string{"gpt-4o": "gpt-4o-2024-11-20"} }),
		e.channelE("vip-only", 10, upOther, "", []string{"vip-model"}, func(c *snapshotv1.Channel) { c.Groups = []string{"vip"} }),
		e.channelE("anthropic", 10, upOther, "", []string{"claude-x"}, func(c *snapshotv1.Channel) {
			c.Type = adminv1.ChannelType_CHANNEL_TYPE_ANTHROPIC
			c.BaseUrl = e.root // Anthropic's base URL carries no /v1
		}),
		e.channelE("broken", 10, upOther, "status=500", []string{"broken-model"}, nil),
	}
}

// apply publishes changes at the next revision.
func (e *env) apply(upserts []*snapshotv1.Entity, tombs ...*snapshotv1.Tombstone) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.store.Load()
	x, problems := cur.Apply(&snapshotv1.Changes{Revision: cur.Revision() + 1, Upserts: upserts, Tombstones: tombs})
	if len(problems) != 0 {
		e.t.Fatalf("change problems: %v", problems)
	}
	e.store.Publish(x)
}

type result struct {
	status int
	header http.Header
	body   []byte
	err    error // reading the body
}

func (e *env) do(method, path string, body string, hdr map[string]string) result {
	e.t.Helper()
	req, err := http.NewRequest(method, e.front.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.front.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

func (e *env) chat(key, body string) result {
	return e.do(http.MethodPost, "/v1/chat/completions", body, bearer(key))
}

type openAIError struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    string `json:"code"`
	} `json:"error"`
}

// decodeError checks the exact OpenAI error shape.
func decodeError(t *testing.T, body []byte) openAIError {
	t.Helper()
	var shape map[string]map[string]any
	if err := json.Unmarshal(body, &shape); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if len(shape) != 1 || len(shape["error"]) != 3 {
		t.Fatalf("error body %q is not {\"error\":{message,type,code}}", body)
	}
	var e openAIError
	_ = json.Unmarshal(body, &e)
	if e.Error.Message == "" || e.Error.Type == "" || e.Error.Code == "" {
		t.Fatalf("error body %q has empty fields", body)
	}
	return e
}

const chatBody = `{"model":"gpt-4o","messages":[{"role":"user","content":"hello there router"}]}`

func newEmptyStore() *snapshot.Store { return snapshot.NewStore() }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newRequest(method, path, body string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}
