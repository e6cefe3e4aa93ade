package control_test

import (
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func apply(c clients, t *testing.T, doc string, dryRun bool) (*adminv1.ApplyResponse, error) {
	res, err := c.config.Apply(ctxT(t), connect.NewRequest(&adminv1.ApplyRequest{Document: doc, DryRun: dryRun}))
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

func TestApplySampleTwiceExportAndReadBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	owner := e.owner()
	doc := sampleFile(t)

	first, err := apply(owner, t, doc, false)
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	kinds := map[string]int{}
	for _, c := range first.GetChanges() {
		kinds[c.GetKind()]++
	}
	// "default" exists in a new store and matches the file, so it is no change.
	for _, k := range []string{"channel", "model", "user", "token"} {
		if kinds[k] != 1 {
			t.Errorf("first apply changed %d %s entries, want 1 (changes %v)", kinds[k], k, first.GetChanges())
		}
	}
	if len(first.GetGeneratedSecrets()) != 0 {
		t.Errorf("generated secrets for a file giving every key: %v", first.GetGeneratedSecrets())
	}
	rev := must[int64](t)(e.store.Revision(ctx))

	second, err := apply(owner, t, doc, false)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if len(second.GetChanges()) != 0 {
		t.Errorf("second apply reported changes: %v", second.GetChanges())
	}
	if got := must[int64](t)(e.store.Revision(ctx)); got != rev {
		t.Errorf("second apply moved the revision from %d to %d", rev, got)
	}

	exported := must[*connect.Response[adminv1.ExportResponse]](t)(owner.config.Export(ctx, connect.NewRequest(&adminv1.ExportRequest{}))).Msg.GetDocument()
	for _, want := range []string{"openai-main", "gpt-4o", "alice", "laptop", "https://api.openai.com/v1"} {
		if !strings.Contains(exported, want) {
			t.Errorf("export lacks %q:\n%s", want, exported)
		}
	}
	for _, secret := range []string{"sk-test-openai", "sk-bc-alice-laptop"} {
		if strings.Contains(exported, secret) {
			t.Errorf("export leaks a secret %q", secret)
		}
	}
	back, err := apply(owner, t, exported, false)
	if err != nil {
		t.Fatalf("apply export: %v", err)
	}
	if len(back.GetChanges()) != 0 {
		t.Errorf("applying the export changed %v", back.GetChanges())
	}

	// Every resource reads back as the file says.
	ch := must[*connect.Response[adminv1.GetChannelResponse]](t)(owner.channels.GetChannel(ctx, connect.NewRequest(&adminv1.GetChannelRequest{Name: "openai-main"}))).Msg.GetChannel()
	if ch.GetType() != adminv1.ChannelType_CHANNEL_TYPE_OPENAI || ch.GetPriority() != 10 || ch.GetWeight() != 1 ||
		ch.GetModelMap()["gpt-4o"] != "gpt-4o-2024-11-20" || ch.GetLimits().GetRpm() != 3000 || ch.GetCostRatioPpm() != 1_000_000 {
		t.Errorf("channel = %v", ch)
	}
	if len(ch.GetKeys()) != 0 || len(ch.GetKeyInfo()) != 1 || strings.Contains(ch.GetKeyInfo()[0].GetMasked(), "0123456789abcdef") {
		t.Errorf("channel keys = %v, key info = %v; want one masked key and no secret", ch.GetKeys(), ch.GetKeyInfo())
	}
	m := must[*connect.Response[adminv1.GetModelResponse]](t)(owner.models.GetModel(ctx, connect.NewRequest(&adminv1.GetModelRequest{Name: "gpt-4o"}))).Msg.GetModel()
	if m.GetPrice().GetInputNanoUsd() != 2_500_000_000 || m.GetPrice().GetOutputNanoUsd() != 10_000_000_000 ||
		m.GetPrice().GetCacheReadNanoUsd() != 1_250_000_000 || m.GetMaxOutputTokens() != 16384 ||
		len(m.GetTiers()) != 1 || m.GetTiers()[0].GetAboveInputTokens() != 200000 || m.GetTiers()[0].GetPrice().GetInputNanoUsd() != 5_000_000_000 {
		t.Errorf("model = %v", m)
	}
	g := must[*connect.Response[adminv1.GetGroupResponse]](t)(owner.groups.GetGroup(ctx, connect.NewRequest(&adminv1.GetGroupRequest{Name: "default"}))).Msg.GetGroup()
	if g.GetRatioPpm() != 1_000_000 {
		t.Errorf("group = %v", g)
	}
	u := must[*connect.Response[adminv1.GetUserResponse]](t)(owner.users.GetUser(ctx, connect.NewRequest(&adminv1.GetUserRequest{Name: "alice"}))).Msg.GetUser()
	if u.GetRole() != adminv1.Role_ROLE_USER || u.GetQuotaNanoUsd() != 10_000_000_000 || u.GetLimits().GetRpm() != 600 {
		t.Errorf("user = %v", u)
	}
	tok := must[*connect.Response[adminv1.GetTokenResponse]](t)(owner.tokens.GetToken(ctx, connect.NewRequest(&adminv1.GetTokenRequest{User: "alice", Name: "laptop"}))).Msg.GetToken()
	if tok.GetQuotaNanoUsd() != 1_000_000_000 || tok.GetLimits().GetTpm() != 100000 || tok.GetLimits().GetMaxConcurrency() != 4 ||
		len(tok.GetModels()) != 1 || tok.GetExpireTime().AsTime().Year() != 2027 || tok.GetLast4() != "ptop" {
		t.Errorf("token = %v", tok)
	}
	// The file's key works as alice's credential.
	me := must[*connect.Response[adminv1.GetCurrentUserResponse]](t)(e.as("sk-bc-alice-laptop").users.GetCurrentUser(ctx, connect.NewRequest(&adminv1.GetCurrentUserRequest{}))).Msg.GetUser()
	if me.GetName() != "alice" {
		t.Errorf("sk-bc-alice-laptop is %q, want alice", me.GetName())
	}
}

func TestApplyDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	rev := must[int64](t)(e.store.Revision(ctx))
	res, err := apply(e.owner(), t, sampleFile(t), true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.GetDryRun() || len(res.GetChanges()) == 0 {
		t.Errorf("dry run = %v, want the changes it would make", res)
	}
	if got := must[int64](t)(e.store.Revision(ctx)); got != rev {
		t.Errorf("dry run moved the revision from %d to %d", rev, got)
	}
	_, err = e.owner().channels.GetChannel(ctx, connect.NewRequest(&adminv1.GetChannelRequest{Name: "openai-main"}))
	wantCode(t, err, connect.CodeNotFound)
}

func TestApplyBadFilesChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	good := sampleFile(t)
	tests := []struct {
		name string
		doc  string
		want []string // in the error message
	}{
		{"malformed YAML", "channels:\n  - name: [unclosed\n", nil},
		{"unknown channel type", strings.Replace(good, "type: openai", "type: openia", 1), []string{"openai-main", "type"}},
		{"negative price", strings.Replace(good, `input: "2.50"`, `input: "-2.50"`, 1), []string{"gpt-4o", "input"}},
		{"more than 9 decimals", strings.Replace(good, `output: "10.00"`, `output: "10.0000000001"`, 1), []string{"gpt-4o", "output"}},
		{"duplicate names", good + "  - name: alice\n", []string{"alice"}},
		{"several problems at once",
			strings.Replace(strings.Replace(good, "type: openai", "type: openia", 1), `input: "2.50"`, `input: "-2.50"`, 1),
			[]string{"type", "input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev := must[int64](t)(e.store.Revision(ctx))
			_, err := apply(e.owner(), t, tt.doc, false)
			wantCode(t, err, connect.CodeInvalidArgument)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if got := must[int64](t)(e.store.Revision(ctx)); got != rev {
				t.Errorf("a bad file moved the revision from %d to %d", rev, got)
			}
			_, err = e.owner().channels.GetChannel(ctx, connect.NewRequest(&adminv1.GetChannelRequest{Name: "openai-main"}))
			wantCode(t, err, connect.CodeNotFound)
		})
	}
}

func TestApplyAndExportNeedOwnerOrAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	viewer := e.as(e.createUser("vera", adminv1.Role_ROLE_VIEWER))
	_, err := apply(viewer, t, sampleFile(t), false)
	wantCode(t, err, connect.CodePermissionDenied)
	_, err = viewer.config.Export(ctx, connect.NewRequest(&adminv1.ExportRequest{}))
	wantCode(t, err, connect.CodePermissionDenied)

	admin := e.as(e.createUser("adam", adminv1.Role_ROLE_ADMIN))
	if _, err := apply(admin, t, sampleFile(t), false); err != nil {
		t.Fatalf("admin apply: %v", err)
	}
}

func TestAdminApplyCannotTouchOwners(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.createUser("olga", adminv1.Role_ROLE_OWNER)
	admin := e.as(e.createUser("adam", adminv1.Role_ROLE_ADMIN))
	tests := []struct{ name, doc string }{
		{"create an owner", "users:\n  - name: otto\n    role: owner\n"},
		{"demote an owner", "users:\n  - name: olga\n    role: user\n"},
		{"give an owner a token", "users:\n  - name: olga\n    role: owner\n    tokens:\n      - name: extra\n        key: sk-bc-olga-extra-0001\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev := must[int64](t)(e.store.Revision(ctx))
			_, err := apply(admin, t, tt.doc, false)
			wantCode(t, err, connect.CodePermissionDenied)
			if got := must[int64](t)(e.store.Revision(ctx)); got != rev {
				t.Errorf("refused apply moved the revision from %d to %d", rev, got)
			}
		})
	}
	// Pruning would delete the owner: refused too.
	_, err := admin.config.Apply(ctx, connect.NewRequest(&adminv1.ApplyRequest{Document: "groups:\n  - name: default\n", Prune: true}))
	wantCode(t, err, connect.CodePermissionDenied)
	if _, err := e.owner().users.GetUser(ctx, connect.NewRequest(&adminv1.GetUserRequest{Name: "olga"})); err != nil {
		t.Errorf("owner gone after a refused prune: %v", err)
	}
}

func TestSeedCatalogueOnlyOnFirstStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	if err := e.srv.SeedCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	models := must[*connect.Response[adminv1.ListModelsResponse]](t)(e.owner().models.ListModels(ctx, connect.NewRequest(&adminv1.ListModelsRequest{PageSize: 1000}))).Msg.GetModels()
	if len(models) < 2 {
		t.Fatalf("catalogue seeded %d models", len(models))
	}
	gone := models[0].GetName()
	if _, err := e.owner().models.DeleteModel(ctx, connect.NewRequest(&adminv1.DeleteModelRequest{Name: gone})); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SeedCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := e.owner().models.GetModel(ctx, connect.NewRequest(&adminv1.GetModelRequest{Name: gone}))
	wantCode(t, err, connect.CodeNotFound)
}

// Bad credentials on Apply are refused with a clear message and change nothing.
func TestApplyWithBadKeysChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.createUser("adam", adminv1.Role_ROLE_ADMIN)
	expired := must[*connect.Response[adminv1.CreateTokenResponse]](t)(e.owner().tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{
		Token: &adminv1.Token{User: "adam", Name: "old", ExpireTime: timestamppb.New(testNow.Add(-time.Hour))},
	}))).Msg.GetSecret()
	rev := must[int64](t)(e.store.Revision(ctx))
	for key, want := range map[string]string{
		"sk-bc-unknown-key-0123456789": "unknown key",
		expired:                        "key expired",
		"":                             "missing key",
	} {
		_, err := apply(e.as(key), t, sampleFile(t), false)
		wantCode(t, err, connect.CodeUnauthenticated)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want %q", err, want)
		}
	}
	if got := must[int64](t)(e.store.Revision(ctx)); got != rev {
		t.Errorf("refused applies moved the revision from %d to %d", rev, got)
	}
}
