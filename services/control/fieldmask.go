package control

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maskSpec says which fields of a resource an update may set. Paths are the
// proto field names (snake_case), nested with dots ("limits.rpm").
type maskSpec struct {
	// settable top-level fields; an empty mask means all of them.
	settable []string
	// ignored are identity and output-only fields: named in a mask, they
	// are skipped rather than refused, so a client may send back what it read.
	ignored []string
}

// apply copies the fields named by paths from src into dst (both of one
// message type). A field absent in src is cleared in dst. Unknown paths,
// paths into lists or maps, and fields that are not settable are refused.
func (s maskSpec) apply(dst, src proto.Message, paths []string) error {
	if len(paths) == 0 {
		paths = s.settable
	}
	src = proto.Clone(src) // dst must not share lists, maps or messages with the request
	for _, path := range paths {
		if err := s.applyPath(dst.ProtoReflect(), src.ProtoReflect(), path); err != nil {
			return err
		}
	}
	return nil
}

func (s maskSpec) applyPath(dst, src protoreflect.Message, path string) error {
	segs := strings.Split(path, ".")
	if slices.Contains(s.ignored, segs[0]) {
		return nil
	}
	if !slices.Contains(s.settable, segs[0]) {
		return invalidArgument("update_mask: %q is not a field that can be updated", path)
	}
	md := dst.Descriptor()
	for i, seg := range segs {
		fd := md.Fields().ByName(protoreflect.Name(seg))
		if fd == nil {
			return invalidArgument("update_mask: unknown field %q", path)
		}
		if i == len(segs)-1 {
			if src != nil && src.Has(fd) {
				dst.Set(fd, src.Get(fd))
			} else {
				dst.Clear(fd)
			}
			return nil
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return invalidArgument("update_mask: %q does not name a field inside a message", path)
		}
		if src != nil && src.Has(fd) {
			src = src.Get(fd).Message()
		} else {
			src = nil
		}
		dst = dst.Mutable(fd).Message()
		md = fd.Message()
	}
	return nil
}

// masks of each resource.
var (
	userMask = maskSpec{
		settable: []string{"group", "role", "status", "quota_nano_usd", "limits"},
		ignored:  []string{"name", "used_nano_usd", "create_time", "update_time"},
	}
	tokenMask = maskSpec{
		settable: []string{"models", "quota_nano_usd", "limits", "expire_time", "status"},
		ignored:  []string{"user", "name", "prefix", "last4", "used_nano_usd", "create_time", "update_time"},
	}
	// channelMask leaves out keys: they are input only and handled apart,
	// so that an update without keys does not erase them.
	channelMask = maskSpec{
		settable: []string{"type", "base_url", "models", "model_map", "groups", "priority", "weight",
			"cost_ratio_ppm", "limits", "status", "timeouts", "api_version", "project", "location"},
		ignored: []string{"name", "key_info", "create_time", "update_time"},
	}
	modelMask = maskSpec{
		settable: []string{"price", "tiers", "request_fee_nano_usd", "max_output_tokens", "per_user_limits"},
		ignored:  []string{"name", "create_time", "update_time"},
	}
	groupMask = maskSpec{
		settable: []string{"ratio_ppm", "description"},
		ignored:  []string{"name", "create_time", "update_time"},
	}
)
