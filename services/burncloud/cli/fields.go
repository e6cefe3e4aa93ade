package cli

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/pricing"
)

// field is one settable field of a resource M, given on the command line as
// a flag of create and update. On update, the flags given name the fields
// of the update mask, and only those.
type field[M proto.Message] struct {
	flag  string
	path  string // update-mask path in proto names, e.g. "limits.rpm"
	typ   string // value kind shown in help, e.g. "usd"
	usage string
	// repeat: every occurrence of the flag applies (--key a --key b);
	// otherwise the last one does.
	repeat bool
	set    func(m M, raw string) error
}

// fieldValue is the pflag.Value of one field: it checks each value when the
// flag is parsed, so a bad value is a usage error naming the flag, and keeps
// the raw values to apply later.
type fieldValue[M proto.Message] struct {
	f       *field[M]
	scratch func() M
	raws    []string
}

func (v *fieldValue[M]) String() string { return strings.Join(v.raws, " ") }
func (v *fieldValue[M]) Type() string   { return v.f.typ }

func (v *fieldValue[M]) Set(raw string) error {
	if err := v.f.set(v.scratch(), raw); err != nil {
		return err
	}
	if v.f.repeat {
		v.raws = append(v.raws, raw)
	} else {
		v.raws = []string{raw}
	}
	return nil
}

// fieldFlags are fields bound to a flag set.
type fieldFlags[M proto.Message] struct {
	fs     *pflag.FlagSet
	values []*fieldValue[M]
}

func bindFields[M proto.Message](fs *pflag.FlagSet, fields []field[M], newM func() M) *fieldFlags[M] {
	b := &fieldFlags[M]{fs: fs}
	for i := range fields {
		v := &fieldValue[M]{f: &fields[i], scratch: newM}
		fs.Var(v, fields[i].flag, fields[i].usage)
		b.values = append(b.values, v)
	}
	return b
}

// apply sets the fields whose flags were given on m and returns their mask
// paths, in the order the fields are declared, each once.
func (b *fieldFlags[M]) apply(m M) ([]string, error) {
	var paths []string
	for _, v := range b.values {
		if !b.fs.Changed(v.f.flag) {
			continue
		}
		for _, raw := range v.raws {
			if err := v.f.set(m, raw); err != nil {
				return nil, usageErrorf("--%s: %v", v.f.flag, err)
			}
		}
		if !slices.Contains(paths, v.f.path) {
			paths = append(paths, v.f.path)
		}
	}
	return paths, nil
}

// flagNames lists the flags, for "nothing to update" messages.
func (b *fieldFlags[M]) flagNames() []string {
	names := make([]string, len(b.values))
	for i, v := range b.values {
		names[i] = "--" + v.f.flag
	}
	return names
}

// Field constructors. get returns a pointer into m, creating parents on the
// way (see limitFields), so set works on a fresh message.

func stringField[M proto.Message](flag, path, usage string, get func(M) *string) field[M] {
	return field[M]{flag: flag, path: path, typ: "string", usage: usage, set: func(m M, raw string) error {
		*get(m) = raw
		return nil
	}}
}

func int32Field[M proto.Message](flag, path, usage string, get func(M) *int32) field[M] {
	return field[M]{flag: flag, path: path, typ: "int", usage: usage, set: func(m M, raw string) error {
		v, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 32)
		if err != nil {
			return ErrBadNumber
		}
		*get(m) = int32(v)
		return nil
	}}
}

func countField[M proto.Message](flag, path, usage string, get func(M) *int64) field[M] {
	return field[M]{flag: flag, path: path, typ: "int", usage: usage, set: func(m M, raw string) error {
		v, err := parseCount(raw)
		*get(m) = v
		return err
	}}
}

func optCountField[M proto.Message](flag, path, usage string, get func(M) **int64) field[M] {
	return field[M]{flag: flag, path: path, typ: "int", usage: usage + ` ("none" removes it)`, set: func(m M, raw string) error {
		v, err := parseOptCount(raw)
		*get(m) = v
		return err
	}}
}

func usdField[M proto.Message](flag, path, usage string, get func(M) *int64) field[M] {
	return field[M]{flag: flag, path: path, typ: "usd", usage: usage, set: func(m M, raw string) error {
		v, err := pricing.ParseUSD(strings.TrimSpace(raw))
		*get(m) = v
		return err
	}}
}

func optUSDField[M proto.Message](flag, path, usage string, get func(M) **int64) field[M] {
	return field[M]{flag: flag, path: path, typ: "usd", usage: usage, set: func(m M, raw string) error {
		v, err := parseOptUSD(raw)
		*get(m) = v
		return err
	}}
}

// ppmField is a ratio that is optional on the wire but cannot be cleared:
// the flag always sends a value.
func ppmField[M proto.Message](flag, path, usage string, get func(M) **int64) field[M] {
	return field[M]{flag: flag, path: path, typ: "ratio", usage: usage, set: func(m M, raw string) error {
		v, err := pricing.ParsePPM(strings.TrimSpace(raw))
		*get(m) = proto.Int64(v)
		return err
	}}
}

func optPPMField[M proto.Message](flag, path, usage string, get func(M) **int64) field[M] {
	return field[M]{flag: flag, path: path, typ: "ratio", usage: usage + ` ("none" for the default)`, set: func(m M, raw string) error {
		v, err := parseOptPPM(raw)
		*get(m) = v
		return err
	}}
}

func listField[M proto.Message](flag, path, usage string, get func(M) *[]string) field[M] {
	return field[M]{flag: flag, path: path, typ: "list", usage: usage + ` (comma-separated; "" for none)`, set: func(m M, raw string) error {
		*get(m) = parseList(raw)
		return nil
	}}
}

func mapField[M proto.Message](flag, path, usage string, get func(M) *map[string]string) field[M] {
	return field[M]{flag: flag, path: path, typ: "k=v,...", usage: usage, set: func(m M, raw string) error {
		v, err := parseMap(raw)
		*get(m) = v
		return err
	}}
}

func timeField[M proto.Message](flag, path, usage string, get func(M) **timestamppb.Timestamp) field[M] {
	return field[M]{flag: flag, path: path, typ: "time", usage: usage + ` (RFC 3339 or date; "never" removes it)`, set: func(m M, raw string) error {
		if none(raw) {
			*get(m) = nil
			return nil
		}
		t, err := parseTime(raw)
		*get(m) = timestamppb.New(t)
		return err
	}}
}

func durationField[M proto.Message](flag, path, usage string, get func(M) **durationpb.Duration) field[M] {
	return field[M]{flag: flag, path: path, typ: "duration", usage: usage + ` ("none" for the default)`, set: func(m M, raw string) error {
		if none(raw) {
			*get(m) = nil
			return nil
		}
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err == nil && d <= 0 {
			err = ErrBadNumber
		}
		*get(m) = durationpb.New(d)
		return err
	}}
}

// enumField reads a lower-case enum name; values is the generated map
// (adminv1.Role_value) and prefix its common prefix ("ROLE_").
func enumField[M proto.Message](flag, path, usage, prefix string, values map[string]int32, set func(M, int32)) field[M] {
	usage += " (" + strings.Join(enumChoices(prefix, values), ", ") + ")"
	return field[M]{flag: flag, path: path, typ: "string", usage: usage, set: func(m M, raw string) error {
		v, err := parseEnum(raw, prefix, values)
		set(m, v)
		return err
	}}
}

func statusField[M proto.Message](usage string, set func(M, adminv1.Status)) field[M] {
	return enumField("status", "status", usage, "STATUS_", adminv1.Status_value, func(m M, v int32) {
		set(m, adminv1.Status(v))
	})
}

// limitFields are --rpm, --tpm and --max-concurrency of a resource's Limits.
func limitFields[M proto.Message](what string, limits func(M) **adminv1.Limits) []field[M] {
	get := func(m M) *adminv1.Limits {
		l := limits(m)
		if *l == nil {
			*l = &adminv1.Limits{}
		}
		return *l
	}
	return []field[M]{
		optCountField("rpm", "limits.rpm", "requests per minute of the "+what, func(m M) **int64 { return &get(m).Rpm }),
		optCountField("tpm", "limits.tpm", "tokens per minute of the "+what, func(m M) **int64 { return &get(m).Tpm }),
		optCountField("max-concurrency", "limits.max_concurrency", "requests in flight at once for the "+what,
			func(m M) **int64 { return &get(m).MaxConcurrency }),
	}
}
