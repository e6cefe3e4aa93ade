package declarative

import (
	"context"
	"os"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	doc, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	doc, err = Expand(doc, envKey)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyUnchanged measures the common bootstrap case: a file that
// is already applied.
func BenchmarkApplyUnchanged(b *testing.B) {
	doc, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	doc, err = Expand(doc, envKey)
	if err != nil {
		b.Fatal(err)
	}
	f, err := Parse(doc)
	if err != nil {
		b.Fatal(err)
	}
	tx, s := newFakeTx(), &fakeSealer{}
	ctx := context.Background()
	if _, err := Apply(ctx, tx, f, Options{}, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Apply(ctx, tx, f, Options{Prune: true}, s)
		if err != nil || len(res.Changes) != 0 {
			b.Fatal(res.Changes, err)
		}
	}
}
