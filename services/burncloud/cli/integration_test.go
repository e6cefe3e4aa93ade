package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/burncloud/burncloud/pkg/store/postgres"
	"github.com/burncloud/burncloud/pkg/store/storetest"
	"github.com/burncloud/burncloud/services/control"
)

const (
	itAdminKey = "it-admin-key-0123456789abcdef"
	itOpenAI   = "sk-it-openai-0123456789abcdef"
)

// controlFixture is a real control server on a fresh Postgres database.
type controlFixture struct {
	env   map[string]string
	store *postgres.Store
}

func startControl(t *testing.T) *controlFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, storetest.PostgresDSN(t), postgres.Options{Migrate: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(st.Close)
	cfg := control.Config{
		Secret:        "it-master-secret-0123456789",
		InternalToken: "it-internal-token-0123456789",
		AdminKey:      itAdminKey,
		Env:           func(string) (string, bool) { return "", false },
	}
	// A fixed clock keeps the sample file's token expiry in the future.
	now := func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }
	srv, err := control.New(ctx, cfg, control.Deps{Store: st, Now: now})
	if err != nil {
		t.Fatalf("control.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Shutdown()
		hs.Close()
	})
	return &controlFixture{store: st, env: map[string]string{
		EnvControlURL:    hs.URL,
		EnvAdminKey:      itAdminKey,
		"OPENAI_API_KEY": itOpenAI,
	}}
}

// cli runs one command line and fails the test unless it exits with code.
func (f *controlFixture) cli(t *testing.T, code int, args ...string) string {
	t.Helper()
	out, errOut, got := run(t, f.env, args...)
	if got != code {
		t.Fatalf("burncloud %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out, errOut)
	}
	if code != 0 {
		return errOut
	}
	return out
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// getJSON runs a get with -o json and decodes it.
func (f *controlFixture) getJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out := f.cli(t, 0, append(args, "-o", "json")...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m
}

func TestCLIAgainstControl(t *testing.T) {
	f := startControl(t)

	// Create one of each through the commands.
	out := f.cli(t, 0, "user", "create", "alice", "--group", "default", "--role", "user", "--quota-usd", "10.00", "--rpm", "600")
	mustContain(t, "user create", out, "alice", "default", "user", "10", "600")
	// Not "laptop": the sample file applied below creates that one.
	out = f.cli(t, 0, "token", "create", "alice", "phone", "--models", "gpt-4o-mini", "--quota-usd", "1", "--expires", "2027-01-01T00:00:00Z")
	mustContain(t, "token create", out, "phone", "gpt-4o-mini", "2027-01-01T00:00:00Z", "shown only this once")
	secret := regexp.MustCompile(`alice/phone\s+(\S+)`).FindStringSubmatch(out)
	if secret == nil {
		t.Fatalf("no secret in:\n%s", out)
	}
	out = f.cli(t, 0, "channel", "create", "openai-main", "--type", "openai", "--base-url", "https://api.openai.com/v1",
		"--key", itOpenAI, "--models", "gpt-4o,gpt-4o-mini", "--priority", "10", "--weight", "1", "--model-map", "gpt-4o=gpt-4o-2024-11-20")
	mustContain(t, "channel create", out, "openai-main", "openai", "https://api.openai.com/v1")
	if strings.Contains(out, itOpenAI) {
		t.Errorf("channel create printed the upstream key:\n%s", out)
	}
	out = f.cli(t, 0, "model", "create", "gpt-4o", "--input", "2.50", "--output", "10.00", "--cache-read", "1.25", "--max-output-tokens", "16384")
	mustContain(t, "model create", out, "gpt-4o", "2.5", "10", "1.25", "16384")
	f.cli(t, 0, "group", "create", "vip", "--ratio", "0.8", "--description", "friends")

	// The generated secret is a working key: its user sees itself.
	withKey := map[string]string{EnvControlURL: f.env[EnvControlURL], EnvAdminKey: secret[1]}
	if out, errOut, code := run(t, withKey, "user", "current"); code != 0 || !strings.Contains(out, "alice") {
		t.Errorf("user current with the token: exit %d\n%s%s", code, out, errOut)
	}

	// Listings, across pages.
	for _, name := range []string{"bob", "carol", "dave", "erin"} {
		f.cli(t, 0, "user", "create", name)
	}
	mustContain(t, "user list", f.cli(t, 0, "user", "list", "--page-size", "2"), "alice", "bob", "carol", "dave", "erin")
	mustContain(t, "token list", f.cli(t, 0, "token", "list", "--user", "alice"), "phone")
	mustContain(t, "channel list", f.cli(t, 0, "channel", "list"), "openai-main")
	mustContain(t, "model list", f.cli(t, 0, "model", "list"), "gpt-4o")
	mustContain(t, "group list", f.cli(t, 0, "group", "list"), "vip", "0.8", "default")

	// Updates change only the flags given.
	f.cli(t, 0, "user", "update", "alice", "--quota-usd", "20")
	u := f.getJSON(t, "user", "get", "alice")
	if u["quotaNanoUsd"] != "20000000000" || u["usedNanoUsd"] != "0" || u["role"] != "ROLE_USER" || u["group"] != "default" {
		t.Errorf("alice after quota update: %v", u)
	}
	if l, _ := u["limits"].(map[string]any); l["rpm"] != "600" {
		t.Errorf("alice's rpm after a quota update: %v", u["limits"])
	}
	f.cli(t, 0, "channel", "update", "openai-main", "--priority", "5")
	c := f.getJSON(t, "channel", "get", "openai-main")
	if c["priority"] != float64(5) || c["weight"] != float64(1) || len(c["keyInfo"].([]any)) != 1 || len(c["models"].([]any)) != 2 {
		t.Errorf("channel after priority update: %v", c)
	}
	f.cli(t, 0, "model", "update", "gpt-4o", "--output", "12")
	m := f.getJSON(t, "model", "get", "gpt-4o")
	if p, _ := m["price"].(map[string]any); p["outputNanoUsd"] != "12000000000" || p["inputNanoUsd"] != "2500000000" || p["cacheReadNanoUsd"] != "1250000000" {
		t.Errorf("model after output update: %v", m)
	}
	f.cli(t, 0, "token", "update", "alice", "phone", "--status", "disabled")
	tok := f.getJSON(t, "token", "get", "alice", "phone")
	if tok["status"] != "STATUS_DISABLED" || tok["quotaNanoUsd"] != "1000000000" || len(tok["models"].([]any)) != 1 {
		t.Errorf("token after status update: %v", tok)
	}
	mustContain(t, "yaml", f.cli(t, 0, "group", "get", "vip", "-o", "yaml"), "name: vip\n", "ratioPpm: \"800000\"\n")
	// The control plane stores a group created without --ratio at 1.0; an
	// explicit 0 is a free group and stays 0.
	f.cli(t, 0, "group", "create", "plain")
	f.cli(t, 0, "group", "create", "free", "--ratio", "0")
	if g := f.getJSON(t, "group", "get", "plain"); g["ratioPpm"] != "1000000" {
		t.Errorf("group created without a ratio: %v", g)
	}
	if g := f.getJSON(t, "group", "get", "free"); g["ratioPpm"] != "0" {
		t.Errorf("group created with ratio 0: %v", g)
	}
	f.cli(t, 0, "group", "delete", "plain")
	f.cli(t, 0, "group", "delete", "free")

	// Delete, then the resource is gone.
	mustContain(t, "group delete", f.cli(t, 0, "group", "delete", "vip"), "deleted group vip")
	mustContain(t, "group get", f.cli(t, ExitError, "group", "get", "vip"), "burncloud: not_found: ")

	// Apply the sample file twice: the second time changes nothing.
	sample := filepath.Join("testdata", "sample.yaml")
	out = f.cli(t, 0, "apply", "-f", sample)
	mustContain(t, "first apply", out, "applied", "~ update channel openai-main", "priority: 5 -> 10", "~ update user alice", "+ create token alice/laptop")
	if strings.Contains(out, "no changes") {
		t.Errorf("first apply changed nothing:\n%s", out)
	}
	mustContain(t, "second apply", f.cli(t, 0, "apply", "-f", sample), "no changes")
	mustContain(t, "dry run", f.cli(t, 0, "apply", "-f", sample, "--dry-run"), "no changes")
	// The file's token key works as a key.
	withKey[EnvAdminKey] = "sk-bc-alice-laptop"
	if out, errOut, code := run(t, withKey, "user", "current", "-o", "json"); code != 0 || !strings.Contains(out, `"name": "alice"`) {
		t.Errorf("user current with the file's key: exit %d\n%s%s", code, out, errOut)
	}

	// A changed file from stdin, dry run: reported, not made.
	doc, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(doc), "priority: 10", "priority: 20", 1)
	var stdout, stderr strings.Builder
	app := &App{In: strings.NewReader(changed), Out: &stdout, Err: &stderr, Env: mapEnv(f.env)}
	if code := app.Run(t.Context(), []string{"apply", "-f", "-", "--dry-run"}); code != 0 {
		t.Fatalf("dry run from stdin: exit %d: %s", code, stderr.String())
	}
	mustContain(t, "dry run from stdin", stdout.String(), "~ update channel openai-main", "dry run")
	if c := f.getJSON(t, "channel", "get", "openai-main"); c["priority"] != float64(10) {
		t.Errorf("dry run changed the priority: %v", c["priority"])
	}

	// A file naming an unset variable is refused before anything is sent.
	delete(f.env, "OPENAI_API_KEY")
	mustContain(t, "unset variable", f.cli(t, ExitError, "apply", "-f", sample), "OPENAI_API_KEY")
	f.env["OPENAI_API_KEY"] = itOpenAI

	// Export writes the state back in the file's shape, secrets left out,
	// and applies back with no changes.
	out = f.cli(t, 0, "export")
	mustContain(t, "export", out, "openai-main", "gpt-4o", "alice", "laptop")
	for _, secretText := range []string{itOpenAI, "sk-bc-alice-laptop"} {
		if strings.Contains(out, secretText) {
			t.Errorf("export holds a secret %q:\n%s", secretText, out)
		}
	}
	exported := filepath.Join(t.TempDir(), "exported.yaml")
	f.cli(t, 0, "export", "-f", exported)
	mustContain(t, "apply exported", f.cli(t, 0, "apply", "-f", exported), "no changes")

	// Read-only views answer on an empty usage history.
	mustContain(t, "usage", f.cli(t, 0, "usage", "--by", "user,model"), "REQUESTS", "COST USD")
	mustContain(t, "logs", f.cli(t, 0, "logs", "--since", "1h"), "TIME")
	mustContain(t, "routers", f.cli(t, 0, "routers"), "ID")

	// Without a key: the code, the message and a hint.
	noKey := map[string]string{EnvControlURL: f.env[EnvControlURL]}
	if _, errOut, code := run(t, noKey, "user", "list"); code != ExitError || !strings.Contains(errOut, "burncloud: unauthenticated: ") ||
		!strings.Contains(errOut, "hint: no admin key") {
		t.Errorf("without a key: exit %d stderr %q", code, errOut)
	}
}
