package declarative

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

func TestModelPerUserLimits(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *adminv1.Limits
	}{
		{"absent", `models: [{name: m, input: "1", output: "2"}]`, nil},
		{"empty", `models: [{name: m, input: "1", output: "2", per_user: {}}]`, nil},
		{"all three", `models: [{name: m, input: "1", output: "2", per_user: {rpm: 60, tpm: 100000, max_concurrency: 2}}]`,
			&adminv1.Limits{Rpm: proto.Int64(60), Tpm: proto.Int64(100_000), MaxConcurrency: proto.Int64(2)}},
		{"block style, one field", "models:\n  - name: m\n    input: \"1\"\n    output: \"2\"\n    per_user:\n      tpm: 5000\n",
			&adminv1.Limits{Tpm: proto.Int64(5000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := f.Models[0].GetPerUserLimits(); !proto.Equal(got, tt.want) {
				t.Fatalf("per-user limits %v, want %v", got, tt.want)
			}
		})
	}
}

func TestModelPerUserLimitsProblems(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"zero and negative", `models: [{name: m, input: "1", output: "2", per_user: {rpm: 0, max_concurrency: -1}}]`,
			[]string{`models[0] "m": per_user.rpm: must be positive`, `models[0] "m": per_user.max_concurrency: must be positive`}},
		{"unknown field", `models: [{name: m, input: "1", output: "2", per_user: {rps: 5}}]`,
			[]string{`models[0] "m": per_user.rps: unknown field`}},
		{"not a mapping", `models: [{name: m, input: "1", output: "2", per_user: 60}]`,
			[]string{`models[0] "m": per_user: want a mapping`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse: %v, want a ValidationError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestApplyModelPerUserLimitsDetails(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	base := `models: [{name: m, input: "1", output: "2"}]`
	apply(t, tx, mustParse(t, base), Options{}, s)
	steps := []struct {
		doc  string
		want []string
	}{
		{`models: [{name: m, input: "1", output: "2", per_user: {rpm: 60}}]`,
			[]string{"update model m: per_user.rpm: none -> 60"}},
		{`models: [{name: m, input: "1", output: "2", per_user: {rpm: 30, max_concurrency: 2}}]`,
			[]string{"update model m: per_user.rpm: 60 -> 30; per_user.max_concurrency: none -> 2"}},
		{`models: [{name: m, input: "1", output: "2", per_user: {rpm: 30, max_concurrency: 2}}]`, nil},
		{base, []string{"update model m: per_user.rpm: 30 -> none; per_user.max_concurrency: 2 -> none"}},
	}
	for i, st := range steps {
		checkChanges(t, apply(t, tx, mustParse(t, st.doc), Options{}, s), st.want)
		if t.Failed() {
			t.Fatalf("step %d", i)
		}
	}
	if got := tx.models["m"].GetPerUserLimits(); got != nil {
		t.Fatalf("stored per-user limits %v after removing them from the file", got)
	}
}

func TestExportWritesModelPerUserLimits(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	apply(t, tx, mustParse(t, readFile(t, "testdata/full.yaml")), Options{}, s)
	doc := export(t, tx)
	for _, want := range []string{
		"per_user: {rpm: 60, tpm: 200000, max_concurrency: 4}",
		"per_user: {max_concurrency: 1}",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("export lacks %q:\n%s", want, doc)
		}
	}
	if n := strings.Count(doc, "per_user:"); n != 2 {
		t.Errorf("export has %d per_user entries, want 2:\n%s", n, doc)
	}
}
