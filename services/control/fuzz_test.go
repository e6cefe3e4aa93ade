package control

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// FuzzPageToken: any token either decodes to a key that encodes back to it,
// or is refused as InvalidArgument; never a panic.
func FuzzPageToken(f *testing.F) {
	for _, s := range []string{"", encodePageToken("alice"), encodePageToken("alice/laptop"), "%%", "YQ", "YQ==", encodePageToken("\xff")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		key, err := decodePageToken(token)
		if err != nil {
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Fatalf("decode(%q) = %v, want InvalidArgument", token, err)
			}
			return
		}
		if token != "" && encodePageToken(key) != token {
			t.Fatalf("decode(%q) = %q, which encodes to %q", token, key, encodePageToken(key))
		}
	})
}

// FuzzMaskPaths: any mask either applies or is refused as InvalidArgument,
// and never changes identity or output-only fields.
func FuzzMaskPaths(f *testing.F) {
	for _, s := range []string{"group", "limits.rpm", "limits", "name", "used_nano_usd", "x.y.z", "", ".", "limits..rpm", "group,role"} {
		f.Add(s)
	}
	cur := &adminv1.User{Name: "alice", Group: "default", UsedNanoUsd: 7, Limits: &adminv1.Limits{Rpm: proto.Int64(1)}}
	in := &adminv1.User{Name: "mallory", Group: "vip", Role: adminv1.Role_ROLE_OWNER, UsedNanoUsd: 1, Limits: &adminv1.Limits{Tpm: proto.Int64(2)}}
	f.Fuzz(func(t *testing.T, mask string) {
		got := proto.Clone(cur).(*adminv1.User)
		err := userMask.apply(got, in, strings.Split(mask, ","))
		if err != nil {
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Fatalf("apply(%q) = %v, want InvalidArgument", mask, err)
			}
			return
		}
		if got.GetName() != "alice" || got.GetUsedNanoUsd() != 7 {
			t.Fatalf("apply(%q) changed identity or output: %v", mask, got)
		}
	})
}

// FuzzBearer: the key extracted is never empty when accepted and never has
// surrounding space.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  x ", "Basic abc", "", "Bearer", "Bearer \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h["Authorization"] = []string{v}
		key, ok := bearer(h)
		if ok && (key == "" || strings.TrimSpace(key) != key) {
			t.Fatalf("bearer(%q) = %q", v, key)
		}
	})
}
