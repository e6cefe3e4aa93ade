package snapshot

import (
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

func TestBuildLookups(t *testing.T) {
	kr := testKeyring(t, testMaster)
	x, problems := Build(7, baseEntities(kr))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if x.Revision() != 7 {
		t.Errorf("revision = %d", x.Revision())
	}
	tok, ok := x.Token(kr.TokenDigest("sk-bc-alice"))
	if !ok || tok.User != "alice" || tok.ID != 1 {
		t.Fatalf("token = %+v, %v", tok, ok)
	}
	if _, ok := x.Token(kr.TokenDigest("sk-bc-other")); ok {
		t.Error("unknown secret found")
	}
	if u, ok := x.User("alice"); !ok || u.Group != "default" {
		t.Errorf("user = %+v, %v", u, ok)
	}
	m, ok := x.Model("gpt-4o")
	if !ok || !m.Priced || m.Price.Input != 2_500_000_000 {
		t.Errorf("model = %+v, %v", m, ok)
	}
	c, ok := x.Channel("main")
	if !ok || c.BaseURL != "https://api.example.com/v1" || c.Keys[0].Secret != "sk-upstream-main" {
		t.Errorf("channel = %+v", c)
	}
	if !x.Known("gpt-4o") || x.Known("gpt-5") {
		t.Error("Known is wrong")
	}
}

func TestRoutes(t *testing.T) {
	kr := testKeyring(t, testMaster)
	withGroups := func(g ...string) chOpt { return func(c *snapshotv1.Channel) { c.Groups = g } }
	weight := func(w int32) chOpt { return func(c *snapshotv1.Channel) { c.Weight = w } }
	disabled := func(c *snapshotv1.Channel) { c.Status = adminv1.Status_STATUS_DISABLED }
	badURL := func(c *snapshotv1.Channel) { c.BaseUrl = "ftp://x" }
	noKeys := func(c *snapshotv1.Channel) { c.Keys = nil }
	ents := append(baseEntities(kr),
		channelEntity("b-backup", 1, []string{"gpt-4o"}, weight(3)),
		channelEntity("a-backup", 1, []string{"gpt-4o"}, weight(0)),
		channelEntity("vip", 20, []string{"gpt-4o"}, withGroups("vip")),
		channelEntity("off", 30, []string{"gpt-4o", "only-off"}, disabled),
		channelEntity("bad", 30, []string{"gpt-4o"}, badURL),
		channelEntity("keyless", 30, []string{"gpt-4o"}, noKeys),
	)
	x, problems := Build(1, ents)
	if len(problems) != 2 {
		t.Errorf("problems = %v, want the bad URL and the missing keys", problems)
	}
	names := func(tiers []Tier) [][]string {
		var out [][]string
		for _, tr := range tiers {
			var n []string
			for _, c := range tr.Channels {
				n = append(n, c.Name+":"+strconv.Itoa(int(c.Weight)))
			}
			out = append(out, n)
		}
		return out
	}
	got := names(x.Route("gpt-4o", "default"))
	want := [][]string{{"main:1"}, {"a-backup:1", "b-backup:3"}}
	if len(got) != len(want) || len(got[1]) != 2 || got[0][0] != want[0][0] || got[1][0] != want[1][0] || got[1][1] != want[1][1] {
		t.Errorf("default route = %v, want %v", got, want)
	}
	if tiers := x.Route("gpt-4o", "default"); tiers[1].TotalWeight != 4 || tiers[0].Priority != 10 {
		t.Errorf("tiers = %+v", tiers)
	}
	if got := names(x.Route("gpt-4o", "vip")); len(got) != 1 || got[0][0] != "vip:1" {
		t.Errorf("vip route = %v", got)
	}
	if len(x.Route("only-off", "default")) != 0 || !x.Known("only-off") {
		t.Error("a model served only by a disabled channel is known but has no route")
	}
}

func TestApplyChanges(t *testing.T) {
	kr := testKeyring(t, testMaster)
	x, _ := Build(1, baseEntities(kr))
	digest := kr.TokenDigest("sk-bc-alice")

	// Rotating a token's secret keeps one entry per id.
	y, _ := x.Apply(&snapshotv1.Changes{Revision: 2, Upserts: []*snapshotv1.Entity{
		tokenEntity(kr, 1, "sk-bc-alice-2", "alice"),
		tokenEntity(kr, 2, "sk-bc-bob", "bob"),
		userEntity("bob", "vip"),
		channelEntity("second", 5, []string{"gpt-4o"}),
	}})
	if _, ok := y.Token(digest); ok {
		t.Error("old secret still valid after rotation")
	}
	if tok, ok := y.Token(kr.TokenDigest("sk-bc-alice-2")); !ok || tok.ID != 1 {
		t.Error("rotated secret not found")
	}
	if n, _, _, _, _ := y.Counts(); n != 2 {
		t.Errorf("tokens = %d, want 2", n)
	}
	if len(y.Route("gpt-4o", "default")) != 2 {
		t.Error("new channel not routed")
	}
	// x is untouched.
	if _, ok := x.Token(digest); !ok {
		t.Error("Apply changed its base index")
	}
	if len(x.Route("gpt-4o", "default")) != 1 {
		t.Error("Apply changed its base routes")
	}

	z, _ := y.Apply(&snapshotv1.Changes{Revision: 3, Tombstones: []*snapshotv1.Tombstone{
		{Kind: snapshotv1.EntityKind_ENTITY_KIND_TOKEN, Key: "2"},
		{Kind: snapshotv1.EntityKind_ENTITY_KIND_USER, Key: "bob"},
		{Kind: snapshotv1.EntityKind_ENTITY_KIND_CHANNEL, Key: "main"},
		{Kind: snapshotv1.EntityKind_ENTITY_KIND_MODEL, Key: "gpt-4o"},
		{Kind: snapshotv1.EntityKind_ENTITY_KIND_GROUP, Key: "default"},
		{Kind: snapshotv1.EntityKind_ENTITY_KIND_TOKEN, Key: "not-a-number"},
	}})
	if _, ok := z.Token(kr.TokenDigest("sk-bc-bob")); ok {
		t.Error("tombstoned token still found")
	}
	if _, ok := z.User("bob"); ok {
		t.Error("tombstoned user still found")
	}
	if _, ok := z.Model("gpt-4o"); ok {
		t.Error("tombstoned model still found")
	}
	if _, ok := z.Group("default"); ok {
		t.Error("tombstoned group still found")
	}
	if tiers := z.Route("gpt-4o", "default"); len(tiers) != 1 || tiers[0].Channels[0].Name != "second" {
		t.Errorf("route after channel tombstone = %+v", tiers)
	}
	if z.Revision() != 3 {
		t.Errorf("revision = %d", z.Revision())
	}
}

func TestTokenUsable(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		tok  *snapshotv1.Token
		want bool
	}{
		{"active", &snapshotv1.Token{}, true},
		{"disabled", &snapshotv1.Token{Status: adminv1.Status_STATUS_DISABLED}, false},
		{"expired", &snapshotv1.Token{ExpireTime: timestamppb.New(now.Add(-time.Second))}, false},
		{"expires later", &snapshotv1.Token{ExpireTime: timestamppb.New(now.Add(time.Hour))}, true},
	}
	for _, tt := range tests {
		tt.tok.Digest = make([]byte, 32)
		tok, err := tokenOf(tt.tok)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Usable(now); got != tt.want {
			t.Errorf("%s: Usable = %v", tt.name, got)
		}
	}
	if _, err := tokenOf(&snapshotv1.Token{Id: 3, Digest: []byte{1, 2}}); err == nil {
		t.Error("short digest accepted")
	}
}

func TestModelsFor(t *testing.T) {
	kr := testKeyring(t, testMaster)
	ents := append(baseEntities(kr),
		modelEntity("cheap", 1, 1),
		channelEntity("c2", 1, []string{"cheap", "unpriced"}),
	)
	x, _ := Build(1, ents)
	all, _ := x.Token(kr.TokenDigest("sk-bc-alice"))
	if got := x.ModelsFor("default", all, nil); len(got) != 2 || got[0] != "cheap" || got[1] != "gpt-4o" {
		t.Errorf("ModelsFor = %v", got)
	}
	y, _ := x.Apply(&snapshotv1.Changes{Revision: 2, Upserts: []*snapshotv1.Entity{tokenEntity(kr, 1, "sk-bc-alice", "alice", "cheap")}})
	limited, _ := y.Token(kr.TokenDigest("sk-bc-alice"))
	if got := y.ModelsFor("default", limited, nil); len(got) != 1 || got[0] != "cheap" {
		t.Errorf("ModelsFor with allowlist = %v", got)
	}
	if got := y.ModelsFor("nobody", limited, nil); len(got) != 0 {
		t.Errorf("ModelsFor unknown group = %v", got)
	}
	if got := x.ModelsFor("default", all, func(c *Channel) bool { return c.Name == "c2" }); len(got) != 1 || got[0] != "cheap" {
		t.Errorf("ModelsFor with a channel filter = %v", got)
	}
}

func manyTokens(t testing.TB, n int) (*Index, []string) {
	kr := testKeyring(t, testMaster)
	ents := baseEntities(kr)
	secrets := make([]string, n)
	for i := range n {
		secrets[i] = "sk-bc-" + strconv.Itoa(i) + "-abcdefghijklmnopqrstuvwxyz0123456789"
		ents = append(ents, tokenEntity(kr, int64(i+10), secrets[i], "alice"))
	}
	x, _ := Build(1, ents)
	return x, secrets
}

func TestTokenLookupDoesNotAllocate(t *testing.T) {
	x, _ := manyTokens(t, 1000)
	kr := testKeyring(t, testMaster)
	d := kr.TokenDigest("sk-bc-alice")
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := x.Token(d); !ok {
			t.Fatal("not found")
		}
	})
	if allocs != 0 {
		t.Fatalf("Token lookup allocates %v times", allocs)
	}
}

func BenchmarkTokenLookup(b *testing.B) {
	x, secrets := manyTokens(b, 100_000)
	kr := testKeyring(b, testMaster)
	d := kr.TokenDigest(secrets[4242])
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := x.Token(d); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkAuthenticate is what a request pays: digest of the secret, then
// the lookup.
func BenchmarkAuthenticate(b *testing.B) {
	x, secrets := manyTokens(b, 100_000)
	kr := testKeyring(b, testMaster)
	s := secrets[4242]
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := x.Token(kr.TokenDigest(s)); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkApplyOneToken(b *testing.B) {
	x, _ := manyTokens(b, 100_000)
	kr := testKeyring(b, testMaster)
	ch := &snapshotv1.Changes{Revision: 2, Upserts: []*snapshotv1.Entity{tokenEntity(kr, 50, "sk-bc-new", "alice")}}
	b.ReportAllocs()
	for b.Loop() {
		x.Apply(ch)
	}
}

func TestHasChannelKeyAndVertexBaseURL(t *testing.T) {
	x, problems := Build(1, []*snapshotv1.Entity{
		channelEntity("main", 10, []string{"gpt-4o"}),
		channelEntity("vx", 10, []string{"gemini"}, func(c *snapshotv1.Channel) {
			c.Type, c.BaseUrl, c.Location = adminv1.ChannelType_CHANNEL_TYPE_VERTEX, "", "europe-west4"
		}),
		channelEntity("vg", 10, []string{"gemini"}, func(c *snapshotv1.Channel) {
			c.Type, c.BaseUrl, c.Location = adminv1.ChannelType_CHANNEL_TYPE_VERTEX, "", "global"
		}),
	})
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	for _, tt := range []struct {
		channel, key string
		want         bool
	}{{"main", "", true}, {"main", "k1", true}, {"main", "k2", false}, {"gone", "", false}, {"gone", "k1", false}} {
		if got := x.HasChannelKey(tt.channel, tt.key); got != tt.want {
			t.Errorf("HasChannelKey(%q, %q) = %v", tt.channel, tt.key, got)
		}
	}
	for name, want := range map[string]string{"vx": "https://europe-west4-aiplatform.googleapis.com", "vg": "https://aiplatform.googleapis.com"} {
		if c, ok := x.Channel(name); !ok || c.BaseURL != want || c.Disabled {
			t.Errorf("channel %s: %+v, want base %s", name, c, want)
		}
	}
}

func TestChannelBaseURLParsedOnce(t *testing.T) {
	for _, tt := range []struct {
		raw, want string
		disabled  bool
	}{
		{"https://api.example.com/v1/", "https://api.example.com/v1", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"https://h.example/a%2Fb/v1", "https://h.example/a%2Fb/v1", false},
		{"https://api.example.com/v1?", "", true},
		{"https://api.example.com/v1?x=1", "", true},
		{"ftp://api.example.com", "", true},
	} {
		x, _ := Build(1, []*snapshotv1.Entity{channelEntity("c", 10, []string{"gpt-4o"}, func(c *snapshotv1.Channel) {
			c.BaseUrl = tt.raw
		})})
		c, ok := x.Channel("c")
		if !ok || c.Disabled != tt.disabled {
			t.Fatalf("%s: channel %+v, want disabled %v", tt.raw, c, tt.disabled)
		}
		if tt.disabled {
			continue
		}
		if c.BaseURL != tt.want || c.Base.String() != tt.want {
			t.Errorf("%s: base %q, parsed %q, want %q", tt.raw, c.BaseURL, c.Base.String(), tt.want)
		}
	}
}
