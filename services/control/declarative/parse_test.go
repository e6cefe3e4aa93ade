package declarative

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

const sampleKey = "sk-test-openai-0123456789abcdef"

func sampleLookup(name string) (string, bool) {
	if name == "OPENAI_API_KEY" {
		return sampleKey, true
	}
	return "", false
}

func readSample(t *testing.T) []byte {
	t.Helper()
	doc, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	expanded, err := Expand(doc, sampleLookup)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	return expanded
}

func TestParseSample(t *testing.T) {
	f, err := Parse(readSample(t))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(f.Channels) != 1 || len(f.Models) != 1 || len(f.Groups) != 1 || len(f.Users) != 1 {
		t.Fatalf("got %d channels, %d models, %d groups, %d users; want 1 each",
			len(f.Channels), len(f.Models), len(f.Groups), len(f.Users))
	}

	ch := f.Channels[0]
	c := ch.Channel
	checks := []struct {
		name      string
		got, want any
	}{
		{"channel name", c.GetName(), "openai-main"},
		{"channel type", c.GetType(), adminv1.ChannelType_CHANNEL_TYPE_OPENAI},
		{"base_url", c.GetBaseUrl(), "https://api.openai.com/v1"},
		{"keys", strings.Join(ch.Keys, ","), sampleKey},
		{"models", strings.Join(c.GetModels(), ","), "gpt-4o,gpt-4o-mini"},
		{"model_map", c.GetModelMap()["gpt-4o"], "gpt-4o-2024-11-20"},
		{"groups", strings.Join(c.GetGroups(), ","), "default"},
		{"priority", c.GetPriority(), int32(10)},
		{"weight", c.GetWeight(), int32(1)},
		{"cost_ratio", c.GetCostRatioPpm(), int64(1_000_000)},
		{"channel rpm", c.GetLimits().GetRpm(), int64(3000)},
		{"channel tpm set", c.GetLimits().Tpm == nil, true},
		{"channel status", c.GetStatus(), adminv1.Status_STATUS_ACTIVE},
	}
	m := f.Models[0]
	checks = append(checks, []struct {
		name      string
		got, want any
	}{
		{"model name", m.GetName(), "gpt-4o"},
		{"input", m.GetPrice().GetInputNanoUsd(), int64(2_500_000_000)},
		{"output", m.GetPrice().GetOutputNanoUsd(), int64(10_000_000_000)},
		{"cache_read", m.GetPrice().GetCacheReadNanoUsd(), int64(1_250_000_000)},
		{"cache_write unset", m.GetPrice().CacheWriteNanoUsd == nil, true},
		{"max_output_tokens", m.GetMaxOutputTokens(), int64(16384)},
		{"tiers", len(m.GetTiers()), 1},
		{"tier threshold", m.GetTiers()[0].GetAboveInputTokens(), int64(200_000)},
		{"tier input", m.GetTiers()[0].GetPrice().GetInputNanoUsd(), int64(5_000_000_000)},
		{"tier output", m.GetTiers()[0].GetPrice().GetOutputNanoUsd(), int64(15_000_000_000)},
		{"group", f.Groups[0].GetName(), "default"},
		{"group ratio", f.Groups[0].GetRatioPpm(), int64(1_000_000)},
	}...)
	u := f.Users[0]
	checks = append(checks, []struct {
		name      string
		got, want any
	}{
		{"user", u.User.GetName(), "alice"},
		{"user group", u.User.GetGroup(), "default"},
		{"role", u.User.GetRole(), adminv1.Role_ROLE_USER},
		{"user quota", u.User.GetQuotaNanoUsd(), int64(10_000_000_000)},
		{"user rpm", u.User.GetLimits().GetRpm(), int64(600)},
		{"tokens", len(u.Tokens), 1},
	}...)
	tok := u.Tokens[0]
	checks = append(checks, []struct {
		name      string
		got, want any
	}{
		{"token", tok.Token.GetName(), "laptop"},
		{"token user", tok.Token.GetUser(), "alice"},
		{"token key", tok.Key, "sk-bc-alice-laptop"},
		{"token models", strings.Join(tok.Token.GetModels(), ","), "gpt-4o-mini"},
		{"token quota", tok.Token.GetQuotaNanoUsd(), int64(1_000_000_000)},
		{"token rpm", tok.Token.GetLimits().GetRpm(), int64(60)},
		{"token tpm", tok.Token.GetLimits().GetTpm(), int64(100_000)},
		{"token concurrency", tok.Token.GetLimits().GetMaxConcurrency(), int64(4)},
		{"expires_at", tok.Token.GetExpireTime().AsTime(), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}...)
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseSampleUnexpanded(t *testing.T) {
	doc, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(doc)
	want := `channels[0] "openai-main": keys[0]: ${OPENAI_API_KEY} was not expanded: set it and expand the file before applying`
	if got := problemStrings(t, err); !slices.Equal(got, []string{want}) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	out := make([]string, len(verr.Problems))
	for i, p := range verr.Problems {
		out[i] = p.String()
	}
	return out
}

func TestValidationErrorListsAll(t *testing.T) {
	err := &ValidationError{Problems: []Problem{
		{Path: `channels[0] "a"`, Field: "type", Message: "required"},
		{Message: "the document is empty", Line: 3},
	}}
	want := "invalid declarative file (2 problems):\n  channels[0] \"a\": type: required\n  line 3: the document is empty"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	one := &ValidationError{Problems: err.Problems[:1]}
	if want := `invalid declarative file: channels[0] "a": type: required`; one.Error() != want {
		t.Errorf("Error() = %q, want %q", one.Error(), want)
	}
}

func TestParseLineNumbers(t *testing.T) {
	tests := []struct {
		doc  string
		line int
	}{
		{"models:\n  - name: m\n    input: \"-1\"\n    output: \"1\"\n", 3},
		{"channels:\n  - name: c\n    type: openai\n    base_url: https://h\n    keys:\n      - a\n      - a\n", 5},
		{"channels:\n  - name: c\n    type: openai\n    base_url: https://h\n    timeouts:\n      idle: x\n", 6},
		{"groups:\n  - name: g\n  - name: g\n", 3},
		{"users:\n  - name: u\n    tokens:\n      - name: t\n        expires_at: soon\n", 5},
	}
	for _, tt := range tests {
		var verr *ValidationError
		if _, err := Parse([]byte(tt.doc)); !errors.As(err, &verr) {
			t.Fatalf("error = %v, want a *ValidationError", err)
		}
		if len(verr.Problems) != 1 || verr.Problems[0].Line != tt.line {
			t.Errorf("problems = %+v, want one on line %d", verr.Problems, tt.line)
		}
	}
}

func TestParseDefaults(t *testing.T) {
	doc := `
channels:
  - {name: c, type: anthropic, base_url: "https://api.anthropic.com", enabled: false}
groups:
  - name: vip
users:
  - name: bob
    tokens: [{name: t}]
`
	f, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Channels[0]
	if c.Keys != nil || c.Channel.GetWeight() != 1 || c.Channel.CostRatioPpm != nil || c.Channel.GetLimits() != nil ||
		c.Channel.GetStatus() != adminv1.Status_STATUS_DISABLED {
		t.Errorf("channel defaults: keys %v, weight %d, cost ratio %v, limits %v, status %v",
			c.Keys, c.Channel.GetWeight(), c.Channel.CostRatioPpm, c.Channel.GetLimits(), c.Channel.GetStatus())
	}
	if g := f.Groups[0]; g.GetRatioPpm() != 1_000_000 {
		t.Errorf("group ratio = %d, want 1000000", g.GetRatioPpm())
	}
	u := f.Users[0]
	if u.User.GetGroup() != "default" || u.User.GetRole() != adminv1.Role_ROLE_USER || u.User.QuotaNanoUsd != nil ||
		u.User.GetStatus() != adminv1.Status_STATUS_ACTIVE {
		t.Errorf("user defaults: %v", u.User)
	}
	if tok := u.Tokens[0]; tok.Key != "" || tok.Token.ExpireTime != nil || tok.Token.GetUser() != "bob" {
		t.Errorf("token defaults: key %q, %v", tok.Key, tok.Token)
	}

	f, err = Parse([]byte("channels:\n  - {name: c, type: openai, base_url: \"http://h\", keys: []}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Channels[0].Keys == nil || len(f.Channels[0].Keys) != 0 {
		t.Errorf("keys: [] gave %#v, want an empty non-nil list", f.Channels[0].Keys)
	}
}

func TestParseAcceptsUnquotedDecimalsAndAnchors(t *testing.T) {
	doc := `
models:
  - &base {name: a, input: 2.50, output: 10}
  - <<: *base
    name: b
    cache_read: 0.000000001
`
	f, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Models[0].GetPrice().GetInputNanoUsd(); got != 2_500_000_000 {
		t.Errorf("a input = %d", got)
	}
	b := f.Models[1]
	if b.GetName() != "b" || b.GetPrice().GetOutputNanoUsd() != 10_000_000_000 || b.GetPrice().GetCacheReadNanoUsd() != 1 {
		t.Errorf("b = %v", b)
	}
}
