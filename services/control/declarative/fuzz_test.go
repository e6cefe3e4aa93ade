package declarative

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that it either returns a file or
// a *ValidationError with problems, and that an accepted file survives
// Apply → Export → Parse → Apply with no changes.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/sample.yaml", "testdata/full.yaml", "catalogue.yaml"} {
		doc, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		expanded, err := Expand(doc, envKey)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(expanded))
	}
	for _, seed := range []string{
		"", "{}", "[]", "channels:", "channels: [{}]", "a: &x [*x]",
		"models:\n  - &m {name: a, input: 1, output: 2}\n  - {<<: *m, name: b}\n",
		"users: [{name: u, tokens: [{name: t, key: sk-0123456789abcdef}, {name: t}]}]",
		"channels: [{name: c, type: vertex, project: p, location: l, keys: []}]",
		"channels: [{name: c, type: openai, base_url: \"http://h\", enabled: true, timeouts: {total: 1h}}]",
		"groups: [{name: g, ratio: 0.5}]\nusers: [{name: u, group: g, quota_usd: 0}]",
		"models: [{name: m, input: 1, output: 1, tiers: [{above_input_tokens: 1, input: 2, output: 2}]}]",
		"---\n---\n", "channels: !!binary aGVsbG8=", "? [a]\n: b\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		file, err := Parse([]byte(doc))
		if err != nil {
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) == 0 || file != nil {
				t.Fatalf("Parse(%q) = %v, %v; want only a *ValidationError with problems", doc, file, err)
			}
			for _, p := range verr.Problems {
				if p.Message == "" {
					t.Fatalf("problem without a message: %+v", p)
				}
			}
			return
		}
		roundTrip(t, file)
	})
}

func roundTrip(t *testing.T, file *File) {
	t.Helper()
	ctx := context.Background()
	tx, s := newFakeTx(), &fakeSealer{}
	if _, err := Apply(ctx, tx, file, Options{}, s); err != nil {
		if errors.Is(err, ErrKeyInUse) {
			return // token keys clash with each other only through the store
		}
		t.Fatalf("Apply of an accepted file: %v", err)
	}
	doc, err := Export(ctx, tx)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	back, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse of the export: %v\n%s", err, doc)
	}
	writes := tx.writes
	res, err := Apply(ctx, tx, back, Options{Prune: true}, s)
	if err != nil {
		t.Fatalf("Apply of the export: %v", err)
	}
	if len(res.Changes) != 0 || tx.writes != writes {
		t.Fatalf("applying the export changed %s\n%s", strings.Join(changeLines(res.Changes), "; "), doc)
	}
	again, err := Apply(ctx, tx, file, Options{}, s)
	if err != nil || len(again.Changes) != 0 {
		t.Fatalf("applying the file twice changed %v, %v", again.Changes, err)
	}
}

func TestParseIsDeterministic(t *testing.T) {
	doc := []byte("channels:\n  - {name: c, type: x, model_map: {b: \"\", a: \"\", c: \"\"}, groups: [p, q]}\n")
	_, first := Parse(doc)
	for range 20 {
		if _, err := Parse(doc); !slices.Equal(problemStrings(t, err), problemStrings(t, first)) {
			t.Fatalf("problems differ between runs: %v vs %v", err, first)
		}
	}
}
