package cli

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func i64(v int64) *int64 { return &v }

// requestCase is one command line and the request it must build.
type requestCase[M proto.Message] struct {
	name  string
	ids   []string
	flags []string
	want  M
	paths []string // update only
	err   bool
}

func parseFlags[M proto.Message](t *testing.T, r *resource[M], flags []string) (*pflag.FlagSet, *fieldFlags[M], error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := bindFields(fs, r.fields, r.newM)
	return fs, b, fs.Parse(flags)
}

func checkUpdates[M proto.Message](t *testing.T, r *resource[M], cases []requestCase[M]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(r.kind+" update "+tc.name, func(t *testing.T) {
			_, b, err := parseFlags(t, r, tc.flags)
			var m M
			var paths []string
			if err == nil {
				var mask *fieldmaskpb.FieldMask
				m, mask, err = r.buildUpdate(b, tc.ids)
				paths = mask.GetPaths()
			}
			if tc.err {
				if err == nil {
					t.Fatalf("built %v, want an error", m)
				}
				return
			}
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			checkMessage(t, tc.want, m)
			if !slices.Equal(paths, tc.paths) {
				t.Errorf("mask = %q, want %q", paths, tc.paths)
			}
		})
	}
}

func checkCreates[M proto.Message](t *testing.T, r *resource[M], cases []requestCase[M]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(r.kind+" create "+tc.name, func(t *testing.T) {
			fs, b, err := parseFlags(t, r, tc.flags)
			var m M
			if err == nil {
				m, err = r.buildCreate(fs, b, tc.ids)
			}
			if tc.err {
				if err == nil {
					t.Fatalf("built %v, want an error", m)
				}
				return
			}
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			checkMessage(t, tc.want, m)
		})
	}
}

func checkMessage(t *testing.T, want, got proto.Message) {
	t.Helper()
	if !proto.Equal(want, got) {
		t.Errorf("request:\n got %v\nwant %v", prototext.Format(got), prototext.Format(want))
	}
}

func TestUserRequests(t *testing.T) {
	r := userResource()
	checkCreates(t, r, []requestCase[user]{
		{name: "brief example", ids: []string{"alice"},
			flags: []string{"--group", "default", "--role", "user", "--quota-usd", "10.00", "--rpm", "600"},
			want: &adminv1.User{Name: "alice", Group: "default", Role: adminv1.Role_ROLE_USER,
				QuotaNanoUsd: i64(10_000_000_000), Limits: &adminv1.Limits{Rpm: i64(600)}}},
		{name: "name only", ids: []string{"bob"}, want: &adminv1.User{Name: "bob"}},
		{name: "bad role", ids: []string{"bob"}, flags: []string{"--role", "root"}, err: true},
		{name: "too precise quota", ids: []string{"bob"}, flags: []string{"--quota-usd", "0.0000000001"}, err: true},
		{name: "negative rpm", ids: []string{"bob"}, flags: []string{"--rpm", "-1"}, err: true},
	})
	checkUpdates(t, r, []requestCase[user]{
		{name: "quota only", ids: []string{"alice"}, flags: []string{"--quota-usd", "20"},
			want:  &adminv1.User{Name: "alice", QuotaNanoUsd: i64(20_000_000_000)},
			paths: []string{"quota_nano_usd"}},
		{name: "quota unlimited clears", ids: []string{"alice"}, flags: []string{"--quota-usd", "none"},
			want: &adminv1.User{Name: "alice"}, paths: []string{"quota_nano_usd"}},
		{name: "one limit names only its leaf", ids: []string{"alice"}, flags: []string{"--tpm", "1000"},
			want:  &adminv1.User{Name: "alice", Limits: &adminv1.Limits{Tpm: i64(1000)}},
			paths: []string{"limits.tpm"}},
		{name: "remove a limit", ids: []string{"alice"}, flags: []string{"--rpm", "none"},
			want: &adminv1.User{Name: "alice", Limits: &adminv1.Limits{}}, paths: []string{"limits.rpm"}},
		{name: "mask in field order, not flag order", ids: []string{"alice"},
			flags: []string{"--max-concurrency", "4", "--status", "disabled", "--role", "admin"},
			want: &adminv1.User{Name: "alice", Role: adminv1.Role_ROLE_ADMIN, Status: adminv1.Status_STATUS_DISABLED,
				Limits: &adminv1.Limits{MaxConcurrency: i64(4)}},
			paths: []string{"role", "status", "limits.max_concurrency"}},
		{name: "empty group is a change", ids: []string{"alice"}, flags: []string{"--group", ""},
			want: &adminv1.User{Name: "alice"}, paths: []string{"group"}},
		{name: "last value of a flag wins", ids: []string{"alice"}, flags: []string{"--quota-usd", "1", "--quota-usd", "2"},
			want: &adminv1.User{Name: "alice", QuotaNanoUsd: i64(2_000_000_000)}, paths: []string{"quota_nano_usd"}},
		{name: "nothing to update", ids: []string{"alice"}, err: true},
		{name: "bad status", ids: []string{"alice"}, flags: []string{"--status", "gone"}, err: true},
	})
}

func TestTokenRequests(t *testing.T) {
	r := tokenResource()
	exp := timestamppb.New(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	checkCreates(t, r, []requestCase[token]{
		{name: "brief example", ids: []string{"alice", "laptop"},
			flags: []string{"--models", "gpt-4o-mini", "--quota-usd", "1", "--expires", "2027-01-01T00:00:00Z"},
			want: &adminv1.Token{User: "alice", Name: "laptop", Models: []string{"gpt-4o-mini"},
				QuotaNanoUsd: i64(1_000_000_000), ExpireTime: exp}},
		{name: "date expiry", ids: []string{"alice", "ci"}, flags: []string{"--expires", "2027-01-01"},
			want: &adminv1.Token{User: "alice", Name: "ci", ExpireTime: exp}},
		{name: "bad expiry", ids: []string{"alice", "ci"}, flags: []string{"--expires", "tomorrow"}, err: true},
	})
	checkUpdates(t, r, []requestCase[token]{
		{name: "models list", ids: []string{"alice", "laptop"}, flags: []string{"--models", "gpt-4o, gpt-4o-mini"},
			want:  &adminv1.Token{User: "alice", Name: "laptop", Models: []string{"gpt-4o", "gpt-4o-mini"}},
			paths: []string{"models"}},
		{name: "allow every model", ids: []string{"alice", "laptop"}, flags: []string{"--models", ""},
			want: &adminv1.Token{User: "alice", Name: "laptop"}, paths: []string{"models"}},
		{name: "never expires", ids: []string{"alice", "laptop"}, flags: []string{"--expires", "never"},
			want: &adminv1.Token{User: "alice", Name: "laptop"}, paths: []string{"expire_time"}},
		{name: "disable", ids: []string{"alice", "laptop"}, flags: []string{"--status", "disabled"},
			want:  &adminv1.Token{User: "alice", Name: "laptop", Status: adminv1.Status_STATUS_DISABLED},
			paths: []string{"status"}},
	})
}

func TestChannelRequests(t *testing.T) {
	r := channelResource()
	checkCreates(t, r, []requestCase[channel]{
		{name: "brief example", ids: []string{"openai-main"},
			flags: []string{"--type", "openai", "--base-url", "https://api.openai.com/v1", "--key", "sk-1",
				"--models", "gpt-4o,gpt-4o-mini", "--priority", "10", "--weight", "1", "--model-map", "gpt-4o=gpt-4o-2024-11-20"},
			want: &adminv1.Channel{Name: "openai-main", Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI,
				BaseUrl: "https://api.openai.com/v1", Keys: []string{"sk-1"}, Models: []string{"gpt-4o", "gpt-4o-mini"},
				Priority: 10, Weight: 1, ModelMap: map[string]string{"gpt-4o": "gpt-4o-2024-11-20"}}},
		{name: "type is required", ids: []string{"c"}, flags: []string{"--base-url", "https://x"}, err: true},
		{name: "unknown type", ids: []string{"c"}, flags: []string{"--type", "cohere"}, err: true},
	})
	checkUpdates(t, r, []requestCase[channel]{
		{name: "priority and weight", ids: []string{"c"}, flags: []string{"--weight", "2", "--priority", "5"},
			want: &adminv1.Channel{Name: "c", Priority: 5, Weight: 2}, paths: []string{"priority", "weight"}},
		{name: "keys repeat and replace", ids: []string{"c"}, flags: []string{"--key", "sk-a", "--key", "sk-b"},
			want: &adminv1.Channel{Name: "c", Keys: []string{"sk-a", "sk-b"}}, paths: []string{"keys"}},
		{name: "cost ratio", ids: []string{"c"}, flags: []string{"--cost-ratio", "0.8"},
			want: &adminv1.Channel{Name: "c", CostRatioPpm: i64(800_000)}, paths: []string{"cost_ratio_ppm"}},
		{name: "a timeout", ids: []string{"c"}, flags: []string{"--idle-timeout", "30s"},
			want:  &adminv1.Channel{Name: "c", Timeouts: &adminv1.ChannelTimeouts{Idle: durationpb.New(30 * time.Second)}},
			paths: []string{"timeouts.idle"}},
		{name: "model map cleared", ids: []string{"c"}, flags: []string{"--model-map", ""},
			want: &adminv1.Channel{Name: "c", ModelMap: map[string]string{}}, paths: []string{"model_map"}},
		{name: "bad model map", ids: []string{"c"}, flags: []string{"--model-map", "gpt-4o"}, err: true},
		{name: "empty key", ids: []string{"c"}, flags: []string{"--key", ""}, err: true},
	})
}

func TestModelRequests(t *testing.T) {
	r := modelResource()
	checkCreates(t, r, []requestCase[model]{
		{name: "brief example", ids: []string{"gpt-4o"},
			flags: []string{"--input", "2.50", "--output", "10.00", "--cache-read", "1.25", "--max-output-tokens", "16384"},
			want: &adminv1.Model{Name: "gpt-4o", MaxOutputTokens: 16384, Price: &adminv1.Price{
				InputNanoUsd: 2_500_000_000, OutputNanoUsd: 10_000_000_000, CacheReadNanoUsd: i64(1_250_000_000)}}},
		{name: "prices are required", ids: []string{"m"}, flags: []string{"--input", "1"}, err: true},
		{name: "with a tier", ids: []string{"m"},
			flags: []string{"--input", "1", "--output", "2", "--tier", "above=200000,input=5.00,output=15.00,cache_read=0.5"},
			want: &adminv1.Model{Name: "m", Price: &adminv1.Price{InputNanoUsd: 1e9, OutputNanoUsd: 2e9},
				Tiers: []*adminv1.PriceTier{{AboveInputTokens: 200000,
					Price: &adminv1.Price{InputNanoUsd: 5e9, OutputNanoUsd: 15e9, CacheReadNanoUsd: i64(5e8)}}}}},
	})
	checkUpdates(t, r, []requestCase[model]{
		{name: "one price names its nested path", ids: []string{"m"}, flags: []string{"--output", "12"},
			want: &adminv1.Model{Name: "m", Price: &adminv1.Price{OutputNanoUsd: 12e9}}, paths: []string{"price.output_nano_usd"}},
		{name: "back to default cache price", ids: []string{"m"}, flags: []string{"--cache-read", "none", "--input", "3"},
			want:  &adminv1.Model{Name: "m", Price: &adminv1.Price{InputNanoUsd: 3e9}},
			paths: []string{"price.input_nano_usd", "price.cache_read_nano_usd"}},
		{name: "tiers replace", ids: []string{"m"},
			flags: []string{"--tier", "above=200000,input=5,output=15", "--tier", "above=1000000,input=6,output=18"},
			want: &adminv1.Model{Name: "m", Tiers: []*adminv1.PriceTier{
				{AboveInputTokens: 200000, Price: &adminv1.Price{InputNanoUsd: 5e9, OutputNanoUsd: 15e9}},
				{AboveInputTokens: 1000000, Price: &adminv1.Price{InputNanoUsd: 6e9, OutputNanoUsd: 18e9}}}},
			paths: []string{"tiers"}},
		{name: "tiers removed", ids: []string{"m"}, flags: []string{"--tier", "none"},
			want: &adminv1.Model{Name: "m"}, paths: []string{"tiers"}},
		{name: "fee", ids: []string{"m"}, flags: []string{"--request-fee", "0.001"},
			want: &adminv1.Model{Name: "m", RequestFeeNanoUsd: i64(1_000_000)}, paths: []string{"request_fee_nano_usd"}},
		{name: "tier without output", ids: []string{"m"}, flags: []string{"--tier", "above=1,input=1"}, err: true},
	})
}

func TestGroupRequests(t *testing.T) {
	r := groupResource()
	checkCreates(t, r, []requestCase[group]{
		// The control plane turns the absent ratio into 1.0.
		{name: "ratio left absent", ids: []string{"vip"}, flags: []string{"--description", "x"},
			want: &adminv1.Group{Name: "vip", Description: "x"}},
		{name: "ratio given", ids: []string{"vip"}, flags: []string{"--ratio", "0.8"},
			want: &adminv1.Group{Name: "vip", RatioPpm: i64(800_000)}},
		{name: "free group keeps an explicit 0", ids: []string{"vip"}, flags: []string{"--ratio", "0"},
			want: &adminv1.Group{Name: "vip", RatioPpm: i64(0)}},
	})
	checkUpdates(t, r, []requestCase[group]{
		{name: "ratio", ids: []string{"vip"}, flags: []string{"--ratio", "1.25"},
			want: &adminv1.Group{Name: "vip", RatioPpm: i64(1_250_000)}, paths: []string{"ratio_ppm"}},
		{name: "description only, ratio untouched", ids: []string{"vip"}, flags: []string{"--description", "y"},
			want: &adminv1.Group{Name: "vip", Description: "y"}, paths: []string{"description"}},
		{name: "bad ratio", ids: []string{"vip"}, flags: []string{"--ratio", "x"}, err: true},
	})
}

// A bad value is reported while parsing, naming the flag, as a usage error.
func TestBadValueIsUsageError(t *testing.T) {
	var out, errOut strings.Builder
	app := &App{Out: &out, Err: &errOut, Env: mapEnv(nil)}
	code := app.Run(t.Context(), []string{"user", "update", "alice", "--quota-usd", "ten"})
	if code != ExitUsage {
		t.Errorf("exit = %d, want %d", code, ExitUsage)
	}
	if got := errOut.String(); !strings.Contains(got, "--quota-usd") || !strings.Contains(got, "burncloud user update --help") {
		t.Errorf("stderr = %q", got)
	}
}
