package control_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.uber.org/zap/zaptest"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1/snapshotv1connect"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/pkg/store/postgres"
	"github.com/burncloud/burncloud/pkg/store/storetest"
	"github.com/burncloud/burncloud/services/control"
	"github.com/burncloud/burncloud/services/control/declarative"
)

const (
	testSecret   = "test-master-secret-0123456789"
	testInternal = "test-internal-token-0123456789"
	testAdminKey = "test-admin-key-0123456789abcdef"
)

// testNow is before the sample file's token expiry, whatever the real date.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func testConfig() control.Config {
	return control.Config{
		Secret:         testSecret,
		InternalToken:  testInternal,
		AdminKey:       testAdminKey,
		CoalesceWindow: 20 * time.Millisecond,
		Heartbeat:      200 * time.Millisecond,
		PollInterval:   300 * time.Millisecond,
		PageSize:       3,
		Env:            func(string) (string, bool) { return "", false },
	}
}

// openStore opens a migrated Postgres store on dsn, closed at cleanup.
func openStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, dsn, postgres.Options{Migrate: true, ChangeRetention: -1})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

// replica is one control Server behind an HTTP/2 test server (TLS, so gRPC
// works with the standard client).
type replica struct {
	srv *control.Server
	url string
	hc  *http.Client
}

func startReplica(t *testing.T, st store.Store, cfg control.Config) *replica {
	t.Helper()
	srv, err := control.New(context.Background(), cfg, control.Deps{
		Store: st, Logger: zaptest.NewLogger(t), Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatalf("control.New: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(func() {
		srv.Shutdown()
		hs.Close()
	})
	return &replica{srv: srv, url: hs.URL, hc: hs.Client()}
}

// env is one database with one replica.
type env struct {
	t     *testing.T
	dsn   string
	store *postgres.Store
	*replica
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	st := openStore(t, dsn)
	return &env{t: t, dsn: dsn, store: st, replica: startReplica(t, st, testConfig())}
}

// bearer adds a key to every request of a client.
type bearer struct{ key string }

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if b.key != "" {
			req.Header().Set("Authorization", "Bearer "+b.key)
		}
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if b.key != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+b.key)
		}
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// clients are every admin client, calling as one key.
type clients struct {
	users    adminv1connect.UserServiceClient
	tokens   adminv1connect.TokenServiceClient
	channels adminv1connect.ChannelServiceClient
	models   adminv1connect.ModelServiceClient
	groups   adminv1connect.GroupServiceClient
	usage    adminv1connect.UsageServiceClient
	config   adminv1connect.ConfigServiceClient
	fleet    adminv1connect.FleetServiceClient
}

func (r *replica) as(key string, opts ...connect.ClientOption) clients {
	opts = append(opts, connect.WithInterceptors(bearer{key}))
	return clients{
		users:    adminv1connect.NewUserServiceClient(r.hc, r.url, opts...),
		tokens:   adminv1connect.NewTokenServiceClient(r.hc, r.url, opts...),
		channels: adminv1connect.NewChannelServiceClient(r.hc, r.url, opts...),
		models:   adminv1connect.NewModelServiceClient(r.hc, r.url, opts...),
		groups:   adminv1connect.NewGroupServiceClient(r.hc, r.url, opts...),
		usage:    adminv1connect.NewUsageServiceClient(r.hc, r.url, opts...),
		config:   adminv1connect.NewConfigServiceClient(r.hc, r.url, opts...),
		fleet:    adminv1connect.NewFleetServiceClient(r.hc, r.url, opts...),
	}
}

func (r *replica) owner() clients { return r.as(testAdminKey) }

func (r *replica) snapshots(key string) snapshotv1connect.SnapshotServiceClient {
	return snapshotv1connect.NewSnapshotServiceClient(r.hc, r.url, connect.WithInterceptors(bearer{key}))
}

// sampleFile is §3.6's file with ${OPENAI_API_KEY} expanded as a client would.
func sampleFile(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := declarative.Expand(raw, func(k string) (string, bool) {
		if k == "OPENAI_API_KEY" {
			return "sk-test-openai-0123456789abcdef", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code connect.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	if got := connect.CodeOf(err); got != code {
		t.Fatalf("got %v (%v), want %v", got, err, code)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// createUser makes a user with role and a token for it, returning the key.
func (e *env) createUser(name string, role adminv1.Role) string {
	e.t.Helper()
	ctx := ctxT(e.t)
	c := e.owner()
	if _, err := c.users.CreateUser(ctx, connect.NewRequest(&adminv1.CreateUserRequest{User: &adminv1.User{Name: name, Role: role}})); err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	res, err := c.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: &adminv1.Token{User: name, Name: "main"}}))
	if err != nil {
		e.t.Fatalf("create token for %s: %v", name, err)
	}
	return res.Msg.GetSecret()
}
