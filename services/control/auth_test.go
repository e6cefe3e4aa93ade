package control_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	owner := e.owner()
	aliceKey := e.createUser("alice", adminv1.Role_ROLE_USER)

	// A token that expired before the test clock, and one disabled.
	expired := must[*connect.Response[adminv1.CreateTokenResponse]](t)(owner.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{
		Token: &adminv1.Token{User: "alice", Name: "old", ExpireTime: timestamppb.New(testNow.Add(-time.Minute))},
	}))).Msg.GetSecret()
	disabled := must[*connect.Response[adminv1.CreateTokenResponse]](t)(owner.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{
		Token: &adminv1.Token{User: "alice", Name: "off", Status: adminv1.Status_STATUS_DISABLED},
	}))).Msg.GetSecret()
	bobKey := e.createUser("bob", adminv1.Role_ROLE_ADMIN)
	if _, err := owner.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
		User:       &adminv1.User{Name: "bob", Status: adminv1.Status_STATUS_DISABLED},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		key  string
		code connect.Code // 0: accepted
		user string
	}{
		{"no key", "", connect.CodeUnauthenticated, ""},
		{"unknown key", "sk-bc-nobody-knows-this-key", connect.CodeUnauthenticated, ""},
		{"admin key with a typo", testAdminKey + "x", connect.CodeUnauthenticated, ""},
		{"expired token", expired, connect.CodeUnauthenticated, ""},
		{"disabled token", disabled, connect.CodeUnauthenticated, ""},
		{"disabled user", bobKey, connect.CodeUnauthenticated, ""},
		{"admin key", testAdminKey, 0, "@admin-key"},
		{"user token", aliceKey, 0, "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.as(tt.key).users.GetCurrentUser(ctx, connect.NewRequest(&adminv1.GetCurrentUserRequest{}))
			if tt.code != 0 {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Msg.GetUser().GetName() != tt.user {
				t.Errorf("current user = %q, want %q", res.Msg.GetUser().GetName(), tt.user)
			}
		})
	}
}

// TestRoleBoundaries: one case per rule of §3.1.
func TestRoleBoundaries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := ctxT(t)
	owner := e.owner()
	if _, err := apply(owner, t, sampleFile(t), false); err != nil {
		t.Fatal(err)
	}
	ownerTwo := e.as(e.createUser("olga", adminv1.Role_ROLE_OWNER))
	admin := e.as(e.createUser("adam", adminv1.Role_ROLE_ADMIN))
	viewer := e.as(e.createUser("vera", adminv1.Role_ROLE_VIEWER))
	user := e.as(e.createUser("ursula", adminv1.Role_ROLE_USER))

	newUser := func(name string, role adminv1.Role) *connect.Request[adminv1.CreateUserRequest] {
		return connect.NewRequest(&adminv1.CreateUserRequest{User: &adminv1.User{Name: name, Role: role}})
	}
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	getCh := connect.NewRequest(&adminv1.GetChannelRequest{Name: "openai-main"})

	tests := []struct {
		name string
		call func() error
		code connect.Code // 0: allowed
	}{
		{"owner creates an owner", func() error {
			_, err := ownerTwo.users.CreateUser(ctx, newUser("otto", adminv1.Role_ROLE_OWNER))
			return err
		}, 0},
		{"admin creates an admin", func() error {
			_, err := admin.users.CreateUser(ctx, newUser("ada", adminv1.Role_ROLE_ADMIN))
			return err
		}, 0},
		{"admin creates an owner", func() error {
			_, err := admin.users.CreateUser(ctx, newUser("oscar", adminv1.Role_ROLE_OWNER))
			return err
		}, connect.CodePermissionDenied},
		{"admin promotes to owner", func() error {
			_, err := admin.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
				User: &adminv1.User{Name: "vera", Role: adminv1.Role_ROLE_OWNER}, UpdateMask: mask("role")}))
			return err
		}, connect.CodePermissionDenied},
		{"admin changes an owner", func() error {
			_, err := admin.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
				User: &adminv1.User{Name: "olga", Status: adminv1.Status_STATUS_DISABLED}, UpdateMask: mask("status")}))
			return err
		}, connect.CodePermissionDenied},
		{"admin deletes an owner", func() error {
			_, err := admin.users.DeleteUser(ctx, connect.NewRequest(&adminv1.DeleteUserRequest{Name: "olga"}))
			return err
		}, connect.CodePermissionDenied},
		{"admin makes a token for an owner", func() error {
			_, err := admin.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: &adminv1.Token{User: "olga", Name: "x"}}))
			return err
		}, connect.CodePermissionDenied},
		{"admin deletes an owner's token", func() error {
			_, err := admin.tokens.DeleteToken(ctx, connect.NewRequest(&adminv1.DeleteTokenRequest{User: "olga", Name: "main"}))
			return err
		}, connect.CodePermissionDenied},
		{"admin writes a channel", func() error {
			_, err := admin.channels.UpdateChannel(ctx, connect.NewRequest(&adminv1.UpdateChannelRequest{
				Channel: &adminv1.Channel{Name: "openai-main", Priority: 5}, UpdateMask: mask("priority")}))
			return err
		}, 0},
		{"viewer reads channels", func() error { _, err := viewer.channels.GetChannel(ctx, getCh); return err }, 0},
		{"viewer reads other users' tokens", func() error {
			_, err := viewer.tokens.ListTokens(ctx, connect.NewRequest(&adminv1.ListTokensRequest{User: "alice"}))
			return err
		}, 0},
		{"viewer writes a group", func() error {
			_, err := viewer.groups.CreateGroup(ctx, connect.NewRequest(&adminv1.CreateGroupRequest{Group: &adminv1.Group{Name: "g", RatioPpm: proto.Int64(1)}}))
			return err
		}, connect.CodePermissionDenied},
		{"viewer makes itself a token", func() error {
			_, err := viewer.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: &adminv1.Token{User: "vera", Name: "x"}}))
			return err
		}, connect.CodePermissionDenied},
		{"user makes itself a token", func() error {
			_, err := user.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: &adminv1.Token{User: "ursula", Name: "x"}}))
			return err
		}, 0},
		{"user makes a token for another", func() error {
			_, err := user.tokens.CreateToken(ctx, connect.NewRequest(&adminv1.CreateTokenRequest{Token: &adminv1.Token{User: "alice", Name: "x"}}))
			return err
		}, connect.CodePermissionDenied},
		{"user reads another's token", func() error {
			_, err := user.tokens.GetToken(ctx, connect.NewRequest(&adminv1.GetTokenRequest{User: "alice", Name: "laptop"}))
			return err
		}, connect.CodePermissionDenied},
		{"user lists another's tokens", func() error {
			_, err := user.tokens.ListTokens(ctx, connect.NewRequest(&adminv1.ListTokensRequest{User: "alice"}))
			return err
		}, connect.CodePermissionDenied},
		{"user deletes another's token", func() error {
			_, err := user.tokens.DeleteToken(ctx, connect.NewRequest(&adminv1.DeleteTokenRequest{User: "alice", Name: "laptop"}))
			return err
		}, connect.CodePermissionDenied},
		{"user sees another user", func() error {
			_, err := user.users.GetUser(ctx, connect.NewRequest(&adminv1.GetUserRequest{Name: "alice"}))
			return err
		}, connect.CodePermissionDenied},
		{"user changes its own role", func() error {
			_, err := user.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
				User: &adminv1.User{Name: "ursula", Role: adminv1.Role_ROLE_ADMIN}, UpdateMask: mask("role")}))
			return err
		}, connect.CodePermissionDenied},
		{"user changes its own group", func() error {
			_, err := user.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
				User: &adminv1.User{Name: "ursula", Group: "vip"}, UpdateMask: mask("group")}))
			return err
		}, connect.CodePermissionDenied},
		{"user changes its own quota", func() error {
			q := int64(1)
			_, err := user.users.UpdateUser(ctx, connect.NewRequest(&adminv1.UpdateUserRequest{
				User: &adminv1.User{Name: "ursula", QuotaNanoUsd: &q}, UpdateMask: mask("quota_nano_usd")}))
			return err
		}, connect.CodePermissionDenied},
		{"user reads channels", func() error { _, err := user.channels.GetChannel(ctx, getCh); return err }, connect.CodePermissionDenied},
		{"user reads another's usage", func() error {
			_, err := user.usage.ListRequestLogs(ctx, connect.NewRequest(&adminv1.ListRequestLogsRequest{Filter: &adminv1.UsageFilter{User: "alice"}}))
			return err
		}, connect.CodePermissionDenied},
		{"user reads its own usage", func() error {
			_, err := user.usage.AggregateUsage(ctx, connect.NewRequest(&adminv1.AggregateUsageRequest{}))
			return err
		}, 0},
		{"user reads the fleet", func() error {
			_, err := user.fleet.ListRouters(ctx, connect.NewRequest(&adminv1.ListRoutersRequest{}))
			return err
		}, connect.CodePermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantCode(t, err, tt.code)
		})
	}

	// Scoped lists: a user sees itself and its own tokens only.
	users := must[*connect.Response[adminv1.ListUsersResponse]](t)(user.users.ListUsers(ctx, connect.NewRequest(&adminv1.ListUsersRequest{}))).Msg.GetUsers()
	if len(users) != 1 || users[0].GetName() != "ursula" {
		t.Errorf("user lists users %v, want only itself", users)
	}
	toks := must[*connect.Response[adminv1.ListTokensResponse]](t)(user.tokens.ListTokens(ctx, connect.NewRequest(&adminv1.ListTokensRequest{}))).Msg.GetTokens()
	for _, tk := range toks {
		if tk.GetUser() != "ursula" {
			t.Errorf("user sees token %s/%s", tk.GetUser(), tk.GetName())
		}
	}
	if len(toks) != 2 {
		t.Errorf("user sees %d own tokens, want 2", len(toks))
	}
}
