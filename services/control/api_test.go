package control_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func newChannel(name string, keys ...string) *adminv1.Channel {
	return &adminv1.Channel{
		Name: name, Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI, BaseUrl: "https://api.openai.com/v1",
		Keys: keys, Models: []string{"gpt-4o"}, Priority: 1, Weight: 1,
	}
}

func TestChannelKeysSealedAndMasked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	const key = "sk-upstream-secret-abcdefghijklmnop"
	res, err := e.owner().channels.CreateChannel(ctx, connect.NewRequest(&adminv1.CreateChannelRequest{Channel: newChannel("c1", key, key)}))
	if err != nil {
		t.Fatal(err)
	}
	ch := res.Msg.GetChannel()
	if len(ch.GetKeys()) != 0 || len(ch.GetKeyInfo()) != 1 {
		t.Fatalf("created channel keys %v info %v, want no keys and one (deduplicated) key info", ch.GetKeys(), ch.GetKeyInfo())
	}
	if m := ch.GetKeyInfo()[0].GetMasked(); strings.Contains(m, "abcdefghijklmnop") || m == "" {
		t.Errorf("masked key %q", m)
	}
	raw, err := e.store.GetChannel(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 1 || bytes.Contains(raw.Keys[0].Sealed, []byte(key)) || len(raw.Channel.GetKeys()) != 0 {
		t.Errorf("stored keys %+v: want one sealed key without the plaintext", raw.Keys)
	}
	if raw.Keys[0].ID != ch.GetKeyInfo()[0].GetId() {
		t.Errorf("key id %q in the store, %q in the API", raw.Keys[0].ID, ch.GetKeyInfo()[0].GetId())
	}
}

func TestTokenSecretShownOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	e.createUser("alice", adminv1.Role_ROLE_USER)
	owner := e.owner()
	res, err := owner.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: &adminv1.Token{User: "alice", Name: "gen"}}))
	if err != nil {
		t.Fatal(err)
	}
	secret := res.Msg.GetSecret()
	tok := res.Msg.GetToken()
	if !strings.HasPrefix(secret, "sk-bc-") || !strings.HasPrefix(secret, tok.GetPrefix()) || !strings.HasSuffix(secret, tok.GetLast4()) || tok.GetLast4() == "" {
		t.Errorf("secret %q with prefix %q last4 %q", secret, tok.GetPrefix(), tok.GetLast4())
	}
	got := must[*connect.Response[adminv1.GetTokenResponse]](t)(owner.tokens.GetToken(ctx, connect.NewRequest(&adminv1.GetTokenRequest{User: "alice", Name: "gen"})))
	if strings.Contains(got.Msg.String(), secret) {
		t.Errorf("GetToken shows the secret")
	}
	// A chosen secret is taken as given.
	chosen := "sk-bc-chosen-secret-0001"
	res2, err := owner.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: &adminv1.Token{User: "alice", Name: "chosen"}, Secret: chosen}))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Msg.GetSecret() != chosen {
		t.Errorf("secret %q, want the chosen one", res2.Msg.GetSecret())
	}
	if me, err := e.as(chosen).users.GetCurrentUser(ctx, connect.NewRequest(&adminv1.GetCurrentUserRequest{})); err != nil || me.Msg.GetUser().GetName() != "alice" {
		t.Errorf("chosen secret does not authenticate as alice: %v", err)
	}
}

func TestUpdateWithFieldMask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	c := e.owner().channels
	if _, err := c.CreateChannel(ctx, connect.NewRequest(&adminv1.CreateChannelRequest{Channel: newChannel("c1", "sk-key-one-0123456789")})); err != nil {
		t.Fatal(err)
	}
	update := func(ch *adminv1.Channel, paths ...string) (*adminv1.Channel, error) {
		req := &adminv1.UpdateChannelRequest{Channel: ch}
		if paths != nil {
			req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
		}
		res, err := c.UpdateChannel(ctx, connect.NewRequest(req))
		if err != nil {
			return nil, err
		}
		return res.Msg.GetChannel(), nil
	}

	// Only the named field changes; output-only fields in the mask are ignored.
	got, err := update(&adminv1.Channel{Name: "c1", Priority: 7, BaseUrl: "https://elsewhere.example"}, "priority", "create_time", "key_info")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetPriority() != 7 || got.GetBaseUrl() != "https://api.openai.com/v1" || len(got.GetKeyInfo()) != 1 || got.GetType() != adminv1.ChannelType_CHANNEL_TYPE_OPENAI {
		t.Errorf("after priority update: %v", got)
	}
	// A nested path.
	got, err = update(&adminv1.Channel{Name: "c1", Limits: &adminv1.Limits{Rpm: ptr(int64(99))}}, "limits.rpm")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetLimits().GetRpm() != 99 || got.GetPriority() != 7 {
		t.Errorf("after limits.rpm update: %v", got)
	}
	// Unknown paths are refused and change nothing.
	for _, p := range []string{"nonsense", "limits.nonsense", "models.x", "Priority"} {
		_, err := update(&adminv1.Channel{Name: "c1", Priority: 1}, p)
		wantCode(t, err, connect.CodeInvalidArgument)
	}
	// Naming keys replaces them.
	got, err = update(&adminv1.Channel{Name: "c1", Keys: []string{"sk-key-two-0123456789", "sk-key-one-0123456789"}}, "keys")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetKeyInfo()) != 2 || got.GetPriority() != 7 {
		t.Errorf("after keys update: %v", got)
	}
	// An empty mask sets every settable field, but keeps keys when none are sent.
	full := newChannel("c1")
	full.Priority = 3
	got, err = update(full)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetPriority() != 3 || got.GetLimits().GetRpm() != 0 || len(got.GetKeyInfo()) != 2 {
		t.Errorf("after full update: %v", got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	g := e.owner().groups
	for i := range 6 {
		if _, err := g.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{Group: &adminv1.Group{Name: fmt.Sprintf("g%d", i), RatioPpm: proto.Int64(1_000_000)}})); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	token := ""
	pages := 0
	for {
		res, err := g.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{PageSize: 3, PageToken: token}))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, gr := range res.Msg.GetGroups() {
			names = append(names, gr.GetName())
		}
		if len(res.Msg.GetGroups()) > 3 {
			t.Fatalf("page of %d > page_size 3", len(res.Msg.GetGroups()))
		}
		token = res.Msg.GetNextPageToken()
		if token == "" {
			break
		}
	}
	// default + g0..g5 = 7 groups in 3 pages.
	if len(names) != 7 || pages != 3 {
		t.Errorf("listed %v in %d pages, want 7 groups in 3", names, pages)
	}
	all := must[*connect.Response[adminv1.ListGroupsResponse]](t)(g.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{})))
	if len(all.Msg.GetGroups()) != 7 || all.Msg.GetNextPageToken() != "" {
		t.Errorf("default page: %d groups, next %q", len(all.Msg.GetGroups()), all.Msg.GetNextPageToken())
	}
	_, err := g.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{PageToken: "!!not-a-token"}))
	wantCode(t, err, connect.CodeInvalidArgument)
	_, err = g.ListGroups(ctx, connect.NewRequest(&adminv1.ListGroupsRequest{PageSize: 1001}))
	wantCode(t, err, connect.CodeInvalidArgument)
}

func TestErrorsMappedToCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	c := e.owner()
	e.createUser("alice", adminv1.Role_ROLE_USER)

	_, err := c.users.GetUser(ctx, connect.NewRequest(&adminv1.GetUserRequest{Name: "nobody"}))
	wantCode(t, err, connect.CodeNotFound)
	if !strings.Contains(err.Error(), `user "nobody" not found`) || strings.Contains(err.Error(), "store:") {
		t.Errorf("not found message %q", err)
	}
	_, err = c.users.CreateUser(ctx, connect.NewRequest(&adminv1.CreateUserRequest{User: &adminv1.User{Name: "alice"}}))
	wantCode(t, err, connect.CodeAlreadyExists)
	_, err = c.groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{Group: &adminv1.Group{Name: "vip", RatioPpm: proto.Int64(1)}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
		User: &adminv1.User{Name: "alice", Group: "vip"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"group"}},
	})); err != nil {
		t.Fatal(err)
	}
	_, err = c.groups.DeleteGroup(ctx, connect.NewRequest(&adminv1.DeleteGroupRequest{Name: "vip"}))
	wantCode(t, err, connect.CodeFailedPrecondition)
	// protovalidate: every violation is reported.
	_, err = c.channels.CreateChannel(ctx, connect.NewRequest(&adminv1.CreateChannelRequest{Channel: &adminv1.Channel{Name: "bad name!", Weight: -1}}))
	wantCode(t, err, connect.CodeInvalidArgument)
	for _, f := range []string{"channel.name", "channel.type", "channel.weight"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("validation error %q does not name %s", err, f)
		}
	}
}

// TestProtocols: the same service answers Connect, gRPC and gRPC-Web.
func TestProtocols(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	for name, opt := range map[string]connect.ClientOption{
		"connect+json": connect.WithProtoJSON(),
		"grpc":         connect.WithGRPC(),
		"grpc-web":     connect.WithGRPCWeb(),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := e.as(testAdminKey, opt).groups.GetGroup(ctx, connect.NewRequest(&adminv1.GetGroupRequest{Name: "default"}))
			if err != nil {
				t.Fatal(err)
			}
			if res.Msg.GetGroup().GetName() != "default" {
				t.Errorf("group = %v", res.Msg.GetGroup())
			}
			_, err = e.as("wrong-key", opt).groups.GetGroup(ctx, connect.NewRequest(&adminv1.GetGroupRequest{Name: "default"}))
			wantCode(t, err, connect.CodeUnauthenticated)
		})
	}
}
