package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

// Every admin procedure has a rule: a new RPC must be given one on purpose.
func TestEveryProcedureHasARule(t *testing.T) {
	files := []protoreflect.FileDescriptor{
		adminv1.File_burncloud_admin_v1_user_proto, adminv1.File_burncloud_admin_v1_token_proto,
		adminv1.File_burncloud_admin_v1_channel_proto, adminv1.File_burncloud_admin_v1_model_proto,
		adminv1.File_burncloud_admin_v1_group_proto, adminv1.File_burncloud_admin_v1_usage_proto,
		adminv1.File_burncloud_admin_v1_config_proto, adminv1.File_burncloud_admin_v1_fleet_proto,
	}
	n := 0
	for _, f := range files {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				p := fmt.Sprintf("/%s/%s", svc.FullName(), svc.Methods().Get(j).Name())
				if _, ok := rules[p]; !ok {
					t.Errorf("no rule for %s", p)
				}
				n++
			}
		}
	}
	if n != len(rules) {
		t.Errorf("%d procedures, %d rules", n, len(rules))
	}
}

func TestRuleAllowed(t *testing.T) {
	roles := []adminv1.Role{adminv1.Role_ROLE_OWNER, adminv1.Role_ROLE_ADMIN, adminv1.Role_ROLE_VIEWER, adminv1.Role_ROLE_USER, adminv1.Role_ROLE_UNSPECIFIED}
	tests := []struct {
		rule rule
		want []bool // by role above
	}{
		{rule{access: accessRead}, []bool{true, true, true, false, false}},
		{rule{access: accessRead, ownScope: true}, []bool{true, true, true, true, false}},
		{rule{access: accessWrite}, []bool{true, true, false, false, false}},
		{rule{access: accessWrite, ownScope: true}, []bool{true, true, false, true, false}},
		{rule{access: accessAny}, []bool{true, true, true, true, false}},
	}
	for _, tt := range tests {
		for i, r := range roles {
			if got := tt.rule.allowed(principal{user: "u", role: r}); got != tt.want[i] {
				t.Errorf("%+v allowed(%s) = %v, want %v", tt.rule, r, got, tt.want[i])
			}
		}
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		header, key string
		ok          bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"Bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Authorization", tt.header)
		}
		key, ok := bearer(h)
		if key != tt.key || ok != tt.ok {
			t.Errorf("bearer(%q) = %q %v, want %q %v", tt.header, key, ok, tt.key, tt.ok)
		}
	}
}

func TestPageRequest(t *testing.T) {
	tests := []struct {
		size     int32
		token    string
		wantSize int
		after    string
		err      bool
	}{
		{0, "", defaultPageSize, "", false},
		{10, "", 10, "", false},
		{5000, "", maxListPageSize, "", false},
		{-3, "", defaultPageSize, "", false},
		{2, encodePageToken("alice"), 2, "alice", false},
		{2, "%%%", 0, "", true},
		{2, encodePageToken("\xff\xfe"), 0, "", true},
	}
	for _, tt := range tests {
		p, want, err := pageRequest(tt.size, tt.token, maxListPageSize)
		if (err != nil) != tt.err {
			t.Errorf("pageRequest(%d, %q) error %v", tt.size, tt.token, err)
			continue
		}
		if err != nil {
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("bad token code %v", connect.CodeOf(err))
			}
			continue
		}
		if want != tt.wantSize || p.Size != want+1 || p.After != tt.after {
			t.Errorf("pageRequest(%d, %q) = %+v %d", tt.size, tt.token, p, want)
		}
	}
	items, next := trimPage([]string{"a", "b", "c"}, 2, func(s string) string { return s })
	if len(items) != 2 || next != encodePageToken("b") {
		t.Errorf("trimPage = %v %q", items, next)
	}
	items, next = trimPage([]string{"a", "b"}, 2, func(s string) string { return s })
	if len(items) != 2 || next != "" {
		t.Errorf("trimPage last page = %v %q", items, next)
	}
}

func TestMaskApply(t *testing.T) {
	q := int64(5)
	cur := &adminv1.User{Name: "alice", Group: "default", Role: adminv1.Role_ROLE_USER, QuotaNanoUsd: &q,
		UsedNanoUsd: 7, Limits: &adminv1.Limits{Rpm: proto.Int64(10), Tpm: proto.Int64(20)}}
	tests := []struct {
		name  string
		in    *adminv1.User
		paths []string
		want  *adminv1.User
		err   bool
	}{
		{"one field", &adminv1.User{Group: "vip"}, []string{"group"},
			&adminv1.User{Name: "alice", Group: "vip", Role: adminv1.Role_ROLE_USER, QuotaNanoUsd: &q, UsedNanoUsd: 7, Limits: &adminv1.Limits{Rpm: proto.Int64(10), Tpm: proto.Int64(20)}}, false},
		{"clearing an optional", &adminv1.User{}, []string{"quota_nano_usd"},
			&adminv1.User{Name: "alice", Group: "default", Role: adminv1.Role_ROLE_USER, UsedNanoUsd: 7, Limits: &adminv1.Limits{Rpm: proto.Int64(10), Tpm: proto.Int64(20)}}, false},
		{"nested", &adminv1.User{Limits: &adminv1.Limits{Rpm: proto.Int64(99)}}, []string{"limits.rpm"},
			&adminv1.User{Name: "alice", Group: "default", Role: adminv1.Role_ROLE_USER, QuotaNanoUsd: &q, UsedNanoUsd: 7, Limits: &adminv1.Limits{Rpm: proto.Int64(99), Tpm: proto.Int64(20)}}, false},
		{"output only ignored", &adminv1.User{Name: "bob", UsedNanoUsd: 1}, []string{"name", "used_nano_usd", "update_time"}, proto.Clone(cur).(*adminv1.User), false},
		{"empty mask sets all", &adminv1.User{Name: "x", Group: "g", UsedNanoUsd: 1}, nil,
			&adminv1.User{Name: "alice", Group: "g", UsedNanoUsd: 7}, false},
		{"unknown", &adminv1.User{}, []string{"colour"}, nil, true},
		{"unknown nested", &adminv1.User{}, []string{"limits.colour"}, nil, true},
		{"into a scalar", &adminv1.User{}, []string{"group.x"}, nil, true},
		{"camel case", &adminv1.User{}, []string{"quotaNanoUsd"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := proto.Clone(cur).(*adminv1.User)
			err := userMask.apply(got, tt.in, tt.paths)
			if tt.err {
				if connect.CodeOf(err) != connect.CodeInvalidArgument {
					t.Fatalf("err = %v, want InvalidArgument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
	// The result shares nothing with the request.
	in := &adminv1.User{Limits: &adminv1.Limits{Rpm: proto.Int64(1)}}
	got := proto.Clone(cur).(*adminv1.User)
	if err := userMask.apply(got, in, []string{"limits"}); err != nil {
		t.Fatal(err)
	}
	in.Limits.Rpm = proto.Int64(2)
	if got.GetLimits().GetRpm() != 1 {
		t.Error("merged user aliases the request")
	}
}

func TestPublicError(t *testing.T) {
	log := zap.NewNop()
	tests := []struct {
		err  error
		code connect.Code
		msg  string
	}{
		{about("user", "bob", fmt.Errorf("%w: user %q", store.ErrNotFound, "bob")), connect.CodeNotFound, `user "bob" not found`},
		{about("group", "g", store.ErrAlreadyExists), connect.CodeAlreadyExists, `group "g" already exists`},
		{about("group", "g", store.ErrInUse), connect.CodeFailedPrecondition, `group "g" is in use`},
		{store.ErrNotFound, connect.CodeNotFound, "not found"},
		{fmt.Errorf("list: %w", store.ErrBadPage), connect.CodeInvalidArgument, "page_token"},
		{errors.New("pq: connection refused at 10.0.0.1"), connect.CodeInternal, "internal error"},
		{permissionDenied("no"), connect.CodePermissionDenied, "no"},
		{context.Canceled, connect.CodeCanceled, "canceled"},
	}
	for _, tt := range tests {
		err := publicError(log, "/p", tt.err)
		if connect.CodeOf(err) != tt.code {
			t.Errorf("publicError(%v) code %v, want %v", tt.err, connect.CodeOf(err), tt.code)
		}
		var ce *connect.Error
		if !errors.As(err, &ce) || !strings.Contains(ce.Message(), tt.msg) || strings.Contains(ce.Message(), "10.0.0.1") || strings.Contains(ce.Message(), "store:") {
			t.Errorf("publicError(%v) message %q, want %q and no internals", tt.err, ce.Message(), tt.msg)
		}
	}
	if publicError(log, "/p", nil) != nil {
		t.Error("nil error mapped to an error")
	}
}

// A partial update's resource is not held to the rules of a whole one; an
// update without a mask is.
func TestValidatePartialUpdate(t *testing.T) {
	v, err := newValidateInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	partial := &adminv1.UpdateChannelRequest{Channel: &adminv1.Channel{Name: "c", Priority: 2}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"priority"}}}
	if err := v.check(partial); err != nil {
		t.Errorf("partial update refused: %v", err)
	}
	whole := &adminv1.UpdateChannelRequest{Channel: &adminv1.Channel{Name: "c", Priority: 2}}
	if err := v.check(whole); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("whole update without type: %v", err)
	}
	if err := v.check(&adminv1.ListUsersRequest{PageSize: 5000}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("page size 5000: %v", err)
	}
}
