package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
)

func TestMarshalJSONUsesCamelCaseProtoNames(t *testing.T) {
	tests := []struct {
		name    string
		msg     *adminv1.User
		want    []string
		notWant []string
	}{
		{name: "quota and zero usage",
			msg:     &adminv1.User{Name: "alice", QuotaNanoUsd: i64(10_000_000_000), Role: adminv1.Role_ROLE_USER},
			want:    []string{`"quotaNanoUsd": "10000000000"`, `"usedNanoUsd": "0"`, `"role": "ROLE_USER"`},
			notWant: []string{"quota_nano_usd", "used_nano_usd"}},
		{name: "unlimited quota stays absent",
			msg:     &adminv1.User{Name: "bob", UsedNanoUsd: 5},
			want:    []string{`"usedNanoUsd": "5"`},
			notWant: []string{"quotaNanoUsd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := marshalJSON(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %s in\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %s in\n%s", w, got)
				}
			}
			if !json.Valid(b) {
				t.Errorf("not JSON:\n%s", got)
			}
		})
	}
}

func TestJSONToYAML(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{in: `{"name": "alice", "usedNanoUsd": "0", "models": ["a", "b"], "limits": {"rpm": "600"}}`,
			want: "name: alice\nusedNanoUsd: \"0\"\nmodels:\n  - a\n  - b\nlimits:\n  rpm: \"600\"\n"},
		{in: `{"z": true, "a": "true", "m": [], "e": {}}`,
			want: "z: true\na: \"true\"\nm: []\ne: {}\n"},
		{in: `{"s": "line\nbreak", "u": "\u00e9"}`,
			want: "s: |-\n  line\n  break\nu: é\n"},
	}
	for _, tt := range tests {
		got, err := jsonToYAML([]byte(tt.in))
		if err != nil {
			t.Fatalf("jsonToYAML(%s): %v", tt.in, err)
		}
		if string(got) != tt.want {
			t.Errorf("jsonToYAML(%s) =\n%s\nwant\n%s", tt.in, got, tt.want)
		}
	}
}

func TestWriteApplyResult(t *testing.T) {
	tests := []struct {
		name string
		res  *adminv1.ApplyResponse
		want []string
	}{
		{name: "no changes", res: &adminv1.ApplyResponse{}, want: []string{"no changes\n"}},
		{name: "changes and a secret", res: &adminv1.ApplyResponse{
			Changes: []*adminv1.ConfigChange{
				{Kind: "channel", Name: "openai-main", Action: adminv1.ChangeAction_CHANGE_ACTION_CREATE},
				{Kind: "user", Name: "alice", Action: adminv1.ChangeAction_CHANGE_ACTION_UPDATE, Details: []string{"quota_usd: 10 -> 20"}},
				{Kind: "token", Name: "alice/old", Action: adminv1.ChangeAction_CHANGE_ACTION_DELETE},
			},
			GeneratedSecrets: []*adminv1.GeneratedSecret{{User: "alice", Token: "laptop", Secret: "sk-bc-secret-1234"}},
		}, want: []string{
			"+ create channel openai-main\n", "~ update user alice\n    quota_usd: 10 -> 20\n", "- delete token alice/old\n",
			"applied 3 change(s): 1 create, 1 update, 1 delete", "shown only this once", "alice/laptop  sk-bc-secret-1234",
		}},
		{name: "dry run says so", res: &adminv1.ApplyResponse{DryRun: true, Changes: []*adminv1.ConfigChange{
			{Kind: "model", Name: "gpt-4o", Action: adminv1.ChangeAction_CHANGE_ACTION_CREATE}}},
			want: []string{"+ create model gpt-4o\n", "dry run, nothing changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeApplyResult(&b, tt.res); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("missing %q in\n%s", w, b.String())
				}
			}
		})
	}
}

// fakeUsers is a UserService and TokenService holding a few users in memory,
// recording the Authorization header it saw.
type fakeUsers struct {
	adminv1connect.UnimplementedUserServiceHandler
	adminv1connect.UnimplementedTokenServiceHandler
	mu       sync.Mutex
	users    []*adminv1.User
	auth     string
	repeat   bool // answer every page with the same token
	pageSize int
}

func (f *fakeUsers) GetUser(_ context.Context, req *connect.Request[adminv1.GetUserRequest]) (*connect.Response[adminv1.GetUserResponse], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = req.Header().Get("Authorization")
	for _, u := range f.users {
		if u.Name == req.Msg.Name {
			return connect.NewResponse(&adminv1.GetUserResponse{User: u}), nil
		}
	}
	return nil, connect.NewError(connect.CodeNotFound, fmt.Errorf("user %q not found", req.Msg.Name))
}

func (f *fakeUsers) ListUsers(_ context.Context, req *connect.Request[adminv1.ListUsersRequest]) (*connect.Response[adminv1.ListUsersResponse], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	start := 0
	if req.Msg.PageToken != "" {
		fmt.Sscanf(req.Msg.PageToken, "p%d", &start)
	}
	end := min(start+f.pageSize, len(f.users))
	res := &adminv1.ListUsersResponse{Users: f.users[start:end]}
	if end < len(f.users) {
		res.NextPageToken = fmt.Sprintf("p%d", end)
	}
	if f.repeat {
		res.NextPageToken = "p0"
	}
	return connect.NewResponse(res), nil
}

func (f *fakeUsers) CreateToken(_ context.Context, req *connect.Request[adminv1.CreateTokenRequest]) (*connect.Response[adminv1.CreateTokenResponse], error) {
	t := req.Msg.Token
	t.Prefix, t.Last4 = "sk-bc-", "wxyz"
	return connect.NewResponse(&adminv1.CreateTokenResponse{Token: t, Secret: "sk-bc-generated-secret-wxyz"}), nil
}

func startFake(t *testing.T, f *fakeUsers) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(adminv1connect.NewUserServiceHandler(f))
	mux.Handle(adminv1connect.NewTokenServiceHandler(f))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// run runs the CLI in process with only the given environment.
func run(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	app := &App{In: strings.NewReader(""), Out: &out, Err: &errOut, Env: mapEnv(env)}
	code = app.Run(t.Context(), args)
	return out.String(), errOut.String(), code
}

func TestCommandsAgainstFake(t *testing.T) {
	f := &fakeUsers{pageSize: 2, users: []*adminv1.User{
		{Name: "alice", Group: "default", Role: adminv1.Role_ROLE_USER, QuotaNanoUsd: i64(10_000_000_000), UsedNanoUsd: 1_250_000_000,
			Limits: &adminv1.Limits{Rpm: i64(600)}},
		{Name: "bob", Role: adminv1.Role_ROLE_ADMIN},
		{Name: "carol", Role: adminv1.Role_ROLE_VIEWER},
		{Name: "dave", Role: adminv1.Role_ROLE_USER},
		{Name: "erin", Role: adminv1.Role_ROLE_USER},
	}}
	env := map[string]string{EnvControlURL: startFake(t, f), EnvAdminKey: "owner-key-0123456789"}

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout []string
	}{
		{name: "get json shows camelCase", args: []string{"user", "get", "alice", "-o", "json"},
			stdout: []string{`"name": "alice"`, `"quotaNanoUsd": "10000000000"`, `"usedNanoUsd": "1250000000"`}},
		{name: "get yaml", args: []string{"user", "get", "alice", "-o", "yaml"},
			stdout: []string{"name: alice\n", "quotaNanoUsd: \"10000000000\"\n", "limits:\n  rpm: \"600\"\n"}},
		{name: "get table shows USD", args: []string{"user", "get", "alice"},
			stdout: []string{"QUOTA USD", "alice", "10 ", "1.25 ", "600"}},
		{name: "unlimited quota in table", args: []string{"user", "get", "bob"},
			stdout: []string{"unlimited"}},
		{name: "list reads every page", args: []string{"user", "list"},
			stdout: []string{"alice", "bob", "carol", "dave", "erin"}},
		{name: "list json wraps in the List response", args: []string{"user", "list", "-o", "json"},
			stdout: []string{`"users": [`, `"name": "erin"`}},
		{name: "not found is code and message", args: []string{"user", "get", "zed"}, code: ExitError,
			stderr: []string{"burncloud: not_found: user \"zed\" not found\n"}},
		{name: "token create prints the secret once", args: []string{"token", "create", "alice", "laptop", "--models", "gpt-4o-mini"},
			stdout: []string{"sk-bc-…wxyz", "shown only this once", "alice/laptop  sk-bc-generated-secret-wxyz"}},
		{name: "token create json carries the secret", args: []string{"token", "create", "alice", "ci", "-o", "json"},
			stdout: []string{`"secret": "sk-bc-generated-secret-wxyz"`, `"token": {`}, noStdout: []string{"shown only"}},
		{name: "unknown output format", args: []string{"user", "list", "-o", "xml"}, code: ExitUsage,
			stderr: []string{"unknown output format"}},
		{name: "wrong argument count", args: []string{"token", "get", "alice"}, code: ExitUsage,
			stderr: []string{"takes 2 argument(s) (USER NAME)"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: ExitUsage,
			stderr: []string{`unknown command "frobnicate"`}},
		{name: "unknown flag", args: []string{"user", "list", "--nope"}, code: ExitUsage,
			stderr: []string{"unknown flag: --nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := run(t, env, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.noStdout {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	if f.auth != "Bearer owner-key-0123456789" {
		t.Errorf("Authorization = %q", f.auth)
	}
}

func TestCredentialsFromDataDir(t *testing.T) {
	f := &fakeUsers{pageSize: 10, users: []*adminv1.User{{Name: "alice"}}}
	url := startFake(t, f)
	dir := t.TempDir()
	if err := WriteEndpointFiles(dir, url, "dev-key-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, map[string]string{EnvDataDir: dir}, "user", "get", "alice"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if f.auth != "Bearer dev-key-0123456789" {
		t.Errorf("Authorization = %q, want the data folder's key", f.auth)
	}
	// With BURNCLOUD_ADMIN_KEY set the files are not read at all.
	_, errOut, code := run(t, map[string]string{EnvDataDir: dir, EnvAdminKey: "k", EnvControlURL: "http://127.0.0.1:1"}, "user", "get", "alice")
	if code != ExitError || !strings.Contains(errOut, "unavailable") {
		t.Errorf("exit %d stderr %q, want unavailable from the env URL", code, errOut)
	}
}

func TestListStopsOnRepeatedPageToken(t *testing.T) {
	f := &fakeUsers{pageSize: 1, repeat: true, users: []*adminv1.User{{Name: "a"}, {Name: "b"}}}
	_, errOut, code := run(t, map[string]string{EnvControlURL: startFake(t, f), EnvAdminKey: "k"}, "user", "list")
	if code != ExitError || !strings.Contains(errOut, "repeated a page token") {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
}
