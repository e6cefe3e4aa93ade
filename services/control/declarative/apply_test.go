package declarative

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/secrets"
	"github.com/burncloud/burncloud/pkg/store"
)

// envKey is the value tests give every ${NAME} of testdata/full.yaml.
func envKey(name string) (string, bool) {
	if name == "OPENAI_API_KEY" {
		return sampleKey, true
	}
	return "sk-" + strings.ToLower(name) + "-0123456789", true
}

func mustParse(t *testing.T, doc string) *File {
	t.Helper()
	expanded, err := Expand([]byte(doc), envKey)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	f, err := Parse(expanded)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// changeLines renders changes as "action kind name: details".
func changeLines(changes []*adminv1.ConfigChange) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		action := strings.ToLower(strings.TrimPrefix(c.GetAction().String(), "CHANGE_ACTION_"))
		out[i] = fmt.Sprintf("%s %s %s", action, c.GetKind(), c.GetName())
		if len(c.GetDetails()) > 0 {
			out[i] += ": " + strings.Join(c.GetDetails(), "; ")
		}
	}
	return out
}

func apply(t *testing.T, tx store.Tx, f *File, opts Options, s Sealer) Result {
	t.Helper()
	res, err := Apply(context.Background(), tx, f, opts, s)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func checkChanges(t *testing.T, res Result, want []string) {
	t.Helper()
	if got := changeLines(res.Changes); !slices.Equal(got, want) {
		t.Errorf("changes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestApplySampleIsIdempotent(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	f := mustParse(t, readFile(t, "testdata/sample.yaml"))

	res := apply(t, tx, f, Options{}, s)
	checkChanges(t, res, []string{
		"create model gpt-4o",
		"create channel openai-main",
		"create user alice",
		"create token alice/laptop",
	})
	if len(res.Secrets) != 0 {
		t.Errorf("secrets = %v, want none: the token's key is given", res.Secrets)
	}

	ch := tx.channels["openai-main"]
	if len(ch.Keys) != 1 || ch.Keys[0].ID != s.KeyID(sampleKey) || string(ch.Keys[0].Sealed) != "openai-main:"+sampleKey {
		t.Errorf("stored keys = %+v", ch.Keys)
	}
	if len(ch.Channel.GetKeys()) != 0 || len(ch.Channel.GetKeyInfo()) != 0 {
		t.Errorf("key material in the channel message: %v", ch.Channel)
	}
	tok := tx.tokens["alice/laptop"]
	if !bytes.Equal(tok.Digest, s.TokenDigest("sk-bc-alice-laptop")) {
		t.Errorf("token digest does not match its key")
	}
	if shown := secrets.Describe("sk-bc-alice-laptop"); tok.Token.GetPrefix() != shown.Prefix || tok.Token.GetLast4() != shown.Last4 {
		t.Errorf("token display = %q…%q, want %q…%q", tok.Token.GetPrefix(), tok.Token.GetLast4(), shown.Prefix, shown.Last4)
	}

	writes, seals := tx.writes, s.seals
	again := apply(t, tx, mustParse(t, readFile(t, "testdata/sample.yaml")), Options{Prune: true}, s)
	checkChanges(t, again, nil)
	if tx.writes != writes || s.seals != seals {
		t.Errorf("second apply wrote %d times and sealed %d keys, want nothing: %v",
			tx.writes-writes, s.seals-seals, tx.log[writes:])
	}
}

func TestApplyFullIsIdempotent(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	res := apply(t, tx, mustParse(t, readFile(t, "testdata/full.yaml")), Options{}, s)
	if len(res.Changes) != 15 {
		t.Errorf("first apply made %d changes, want 15:\n%s", len(res.Changes), strings.Join(changeLines(res.Changes), "\n"))
	}
	if len(res.Secrets) != 1 || res.Secrets[0].GetUser() != "alice" || res.Secrets[0].GetToken() != "ci" {
		t.Fatalf("secrets = %v, want one for alice/ci", res.Secrets)
	}
	writes := tx.writes
	checkChanges(t, apply(t, tx, mustParse(t, readFile(t, "testdata/full.yaml")), Options{Prune: true}, s), nil)
	if tx.writes != writes {
		t.Errorf("second apply wrote: %v", tx.log[writes:])
	}
}

func TestApplyReportsDetails(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	apply(t, tx, mustParse(t, readFile(t, "testdata/sample.yaml")), Options{}, s)

	changed := strings.NewReplacer(
		"priority: 10 ", "priority: 20 ",
		`keys: ["${OPENAI_API_KEY}"]`, `keys: ["${OPENAI_API_KEY}", "sk-second-key-0123456789"]`,
		`input: "2.50"`, `input: "3"`,
		`cache_read: "1.25"`, `cache_write: "4"`,
		`tiers: [{above_input_tokens: 200000, input: "5.00", output: "15.00"}]`, `tiers: []`,
		`quota_usd: "10.00"`, `status: disabled`,
		`key: sk-bc-alice-laptop`, `key: sk-bc-alice-laptop-2`,
		"rpm: 60\n", "rpm: 30\n",
		`ratio: "1.0"`, `ratio: "1.5"`,
	).Replace(readFile(t, "testdata/sample.yaml"))
	res := apply(t, tx, mustParse(t, changed), Options{}, s)
	checkChanges(t, res, []string{
		"update group default: ratio: 1 -> 1.5",
		"update model gpt-4o: input: 2.5 -> 3; cache_read: 1.25 -> default; cache_write: default -> 4; " +
			"tiers[0]: {above 200000: input 5, output 15} -> none",
		"update channel openai-main: priority: 10 -> 20; cost_ratio: 1 -> 1.5; keys: 1 -> 2; added sk-sec...6789",
		"update user alice: status: active -> disabled; quota_usd: 10 -> unlimited",
		"update token alice/laptop: rpm: 60 -> 30; key: replaced",
	})
	if s.seals != 2 {
		t.Errorf("sealed %d keys in all, want 2: the stored key is reused", s.seals)
	}
	ch := tx.channels["openai-main"]
	if len(ch.Keys) != 2 || string(ch.Keys[0].Sealed) != "openai-main:"+sampleKey {
		t.Errorf("keys after update = %+v", ch.Keys)
	}
	if got := tx.tokens["alice/laptop"].Digest; !bytes.Equal(got, s.TokenDigest("sk-bc-alice-laptop-2")) {
		t.Errorf("token digest was not replaced")
	}
	if u := tx.users["alice"]; u.QuotaNanoUsd != nil || u.GetStatus() != adminv1.Status_STATUS_DISABLED {
		t.Errorf("user after update = %v", u)
	}
}

func TestApplyKeepsUsageAndTimes(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	apply(t, tx, mustParse(t, readFile(t, "testdata/sample.yaml")), Options{}, s)
	tx.users["alice"].UsedNanoUsd = 123
	tx.tokens["alice/laptop"].Token.UsedNanoUsd = 45
	apply(t, tx, mustParse(t, strings.Replace(readFile(t, "testdata/sample.yaml"), "rpm: 60", "rpm: 61", 1)+
		"\n"), Options{}, s)
	apply(t, tx, mustParse(t, strings.Replace(readFile(t, "testdata/sample.yaml"), "rpm: 600", "rpm: 601", 1)), Options{}, s)
	if got := tx.users["alice"].GetUsedNanoUsd(); got != 123 {
		t.Errorf("user usage = %d after update, want 123", got)
	}
	if got := tx.tokens["alice/laptop"].Token.GetUsedNanoUsd(); got != 45 {
		t.Errorf("token usage = %d after update, want 45", got)
	}
}

func TestApplyDryRun(t *testing.T) {
	doc := readFile(t, "testdata/full.yaml")
	real := apply(t, newFakeTx(), mustParse(t, doc), Options{}, &fakeSealer{})

	tx, s := newFakeTx(), &fakeSealer{}
	dry := apply(t, tx, mustParse(t, doc), Options{DryRun: true}, s)
	if got, want := changeLines(dry.Changes), changeLines(real.Changes); !slices.Equal(got, want) {
		t.Errorf("dry run changes:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if tx.writes != 0 || s.seals != 0 || len(dry.Secrets) != 0 {
		t.Errorf("dry run wrote %d, sealed %d, generated %d secrets; want nothing", tx.writes, s.seals, len(dry.Secrets))
	}
}

func TestApplyGeneratesSecretOnce(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	doc := "users:\n  - name: carol\n    tokens: [{name: cli}]\n"
	res := apply(t, tx, mustParse(t, doc), Options{}, s)
	checkChanges(t, res, []string{"create user carol", "create token carol/cli: key: generated"})
	if len(res.Secrets) != 1 {
		t.Fatalf("secrets = %v, want one", res.Secrets)
	}
	sec := res.Secrets[0]
	if sec.GetUser() != "carol" || sec.GetToken() != "cli" || !strings.HasPrefix(sec.GetSecret(), secrets.TokenPrefix) {
		t.Errorf("secret = %v", sec)
	}
	if !bytes.Equal(tx.tokens["carol/cli"].Digest, s.TokenDigest(sec.GetSecret())) {
		t.Errorf("stored digest is not the digest of the returned secret")
	}
	again := apply(t, tx, mustParse(t, doc), Options{}, s)
	if len(again.Changes) != 0 || len(again.Secrets) != 0 {
		t.Errorf("second apply: %v, %v; want nothing (the secret is kept)", changeLines(again.Changes), again.Secrets)
	}
}

func TestApplyRefusesKeyOfAnotherToken(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	apply(t, tx, mustParse(t, "users:\n  - {name: a, tokens: [{name: t, key: sk-bc-shared-key-0001}]}\n"+
		"  - {name: b, tokens: [{name: x, key: sk-bc-other-key-00001}]}\n"), Options{}, s)
	for name, doc := range map[string]string{
		"create": "users:\n  - {name: b, tokens: [{name: t, key: sk-bc-shared-key-0001}]}\n",
		"rekey":  "users:\n  - {name: b, tokens: [{name: x, key: sk-bc-shared-key-0001}]}\n",
	} {
		for _, dry := range []bool{false, true} {
			writes := tx.writes
			_, err := Apply(context.Background(), tx, mustParse(t, doc), Options{DryRun: dry}, s)
			if !errors.Is(err, ErrKeyInUse) {
				t.Errorf("%s, dry run %v: error = %v, want ErrKeyInUse", name, dry, err)
			}
			if tx.writes != writes {
				t.Errorf("%s, dry run %v: wrote %v", name, dry, tx.log[writes:])
			}
		}
	}
	// Two tokens of one file may swap keys: the first is rekeyed before the
	// second takes its old key.
	swap := "users:\n  - {name: a, tokens: [{name: t, key: sk-bc-third-key-00001}, {name: u, key: sk-bc-shared-key-0001}]}\n"
	checkChanges(t, apply(t, tx, mustParse(t, swap), Options{}, s), []string{
		"update token a/t: key: replaced",
		"create token a/u",
	})
}

func TestApplyChannelKeys(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	with := "channels:\n  - {name: c, type: openai, base_url: \"https://h\", keys: [sk-aaaaaaaaaaaaaaaa, sk-bbbbbbbbbbbbbbbb]}\n"
	apply(t, tx, mustParse(t, with), Options{}, s)

	without := "channels:\n  - {name: c, type: openai, base_url: \"https://h\"}\n"
	checkChanges(t, apply(t, tx, mustParse(t, without), Options{}, s), nil)
	if len(tx.channels["c"].Keys) != 2 {
		t.Fatalf("absent keys removed the stored ones")
	}

	reordered := "channels:\n  - {name: c, type: openai, base_url: \"https://h\", keys: [sk-bbbbbbbbbbbbbbbb, sk-aaaaaaaaaaaaaaaa]}\n"
	checkChanges(t, apply(t, tx, mustParse(t, reordered), Options{}, s), []string{"update channel c: keys: 2 -> 2; reordered"})

	empty := "channels:\n  - {name: c, type: openai, base_url: \"https://h\", keys: []}\n"
	checkChanges(t, apply(t, tx, mustParse(t, empty), Options{}, s),
		[]string{"update channel c: keys: 2 -> 0; removed sk-b...bbbb, sk-a...aaaa"})
	if len(tx.channels["c"].Keys) != 0 {
		t.Errorf("keys: [] left %d keys", len(tx.channels["c"].Keys))
	}
}

// seed fills a store with resources a file may not name.
func seed(t *testing.T, tx *fakeTx, s Sealer) {
	t.Helper()
	apply(t, tx, mustParse(t, `
channels: [{name: old-channel, type: openai, base_url: "https://h", keys: [sk-old-key-000000000]}]
models: [{name: old-model, input: "1", output: "1"}]
groups: [{name: old-group}]
users:
  - {name: owner, role: owner, tokens: [{name: bootstrap, key: sk-bc-bootstrap-00000}]}
  - {name: old-user, group: old-group, tokens: [{name: a}, {name: b}]}
  - {name: alice, tokens: [{name: old-token}]}
`), Options{}, s)
}

func TestApplyPrune(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	seed(t, tx, s)
	f := mustParse(t, readFile(t, "testdata/sample.yaml"))

	checkChanges(t, apply(t, tx, f, Options{}, s), []string{
		"create model gpt-4o",
		"create channel openai-main",
		"update user alice: quota_usd: unlimited -> 10; rpm: none -> 600",
		"create token alice/laptop",
	})
	res := apply(t, tx, f, Options{Prune: true, KeepUsers: []string{"owner"}}, s)
	checkChanges(t, res, []string{
		"delete token alice/old-token",
		"delete token old-user/a",
		"delete token old-user/b",
		"delete user old-user",
		"delete channel old-channel",
		"delete model old-model",
		"delete group old-group",
	})
	if _, ok := tx.users["owner"]; !ok {
		t.Errorf("the kept user was pruned")
	}
	if _, ok := tx.tokens["owner/bootstrap"]; !ok {
		t.Errorf("the kept user's token was pruned")
	}
	if _, ok := tx.groups["default"]; !ok {
		t.Errorf("the default group was pruned")
	}
	writes := tx.writes
	checkChanges(t, apply(t, tx, f, Options{Prune: true, KeepUsers: []string{"owner"}}, s), nil)
	if tx.writes != writes {
		t.Errorf("second prune wrote %v", tx.log[writes:])
	}
}

func TestApplyPruneDryRunWritesNothing(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	seed(t, tx, s)
	writes := tx.writes
	res := apply(t, tx, &File{}, Options{Prune: true, DryRun: true}, s)
	if len(res.Changes) != 10 || tx.writes != writes {
		t.Errorf("dry prune: %d changes, %d writes; want 10 changes, no writes:\n%s",
			len(res.Changes), tx.writes-writes, strings.Join(changeLines(res.Changes), "\n"))
	}
}

func TestApplyPruneInUse(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	seed(t, tx, s)
	// old-user is kept, so its group cannot go.
	_, err := Apply(context.Background(), tx, &File{}, Options{Prune: true, KeepUsers: []string{"owner", "old-user"}}, s)
	if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), `group "old-group"`) {
		t.Errorf("error = %v, want ErrInUse naming the group", err)
	}
}

// failingTx fails every read, as a broken connection would.
type failingTx struct{ *fakeTx }

var errBroken = errors.New("connection reset")

func (failingTx) GetGroup(context.Context, string) (*adminv1.Group, error) { return nil, errBroken }

func TestApplyStoreErrors(t *testing.T) {
	_, err := Apply(context.Background(), failingTx{newFakeTx()}, mustParse(t, readFile(t, "testdata/sample.yaml")), Options{}, &fakeSealer{})
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), `group "default"`) {
		t.Errorf("error = %v, want the store's error naming the group", err)
	}
}
