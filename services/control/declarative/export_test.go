package declarative

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
)

func export(t *testing.T, tx store.Tx) string {
	t.Helper()
	doc, err := Export(context.Background(), tx)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return string(doc)
}

func TestExportRoundTrip(t *testing.T) {
	for _, path := range []string{"testdata/sample.yaml", "testdata/full.yaml"} {
		t.Run(path, func(t *testing.T) {
			tx, s := newFakeTx(), &fakeSealer{}
			apply(t, tx, mustParse(t, readFile(t, path)), Options{}, s)
			doc := export(t, tx)

			f, err := Parse([]byte(doc))
			if err != nil {
				t.Fatalf("Parse of the export: %v\n%s", err, doc)
			}
			writes := tx.writes
			res := apply(t, tx, f, Options{Prune: true}, s)
			if len(res.Changes) != 0 || tx.writes != writes {
				t.Errorf("applying the export changed %v\n%s", changeLines(res.Changes), doc)
			}
			if again := export(t, tx); again != doc {
				t.Errorf("second export differs:\n%s\nfirst:\n%s", again, doc)
			}
		})
	}
}

func TestExportLeavesSecretsOut(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	apply(t, tx, mustParse(t, readFile(t, "testdata/full.yaml")), Options{}, s)
	doc := export(t, tx)
	for _, secret := range []string{"sk-openai_key_1", "sk-azure_key", "sk-bc-alice-laptop", "sk-bc-ops-dashboard-key", "key:", "keys:"} {
		if strings.Contains(doc, secret) {
			t.Errorf("export contains %q:\n%s", secret, doc)
		}
	}
	for _, want := range []string{
		"- name: openai-main # 2 key(s) stored, not exported",
		`input: "2.5"`,
		`request_fee: "0.0001"`,
		`cost_ratio: "0.85"`,
		"weight: 0\n",
		"status: disabled",
		"expires_at: \"2027-01-01T00:00:00Z\"",
		"models: [gpt-4o, gpt-4o-mini]",
		"connect: 5s",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("export lacks %q:\n%s", want, doc)
		}
	}
}

func TestExportEmptyStore(t *testing.T) {
	doc := export(t, newFakeTx())
	f, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	if len(f.Groups) != 1 || f.Groups[0].GetName() != "default" || len(f.Channels)+len(f.Models)+len(f.Users) != 0 {
		t.Errorf("export of an empty store = %q", doc)
	}
}

// Resources written through the admin API rather than a file may hold values
// a file never produces; the export must still apply back unchanged.
func TestExportRoundTripOfAPIValues(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tx.CreateChannel(ctx, store.Channel{Channel: &adminv1.Channel{
		Name: "c", Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI, BaseUrl: "https://h", Weight: 1,
		Limits:   &adminv1.Limits{Tpm: proto.Int64(5)},
		Timeouts: &adminv1.ChannelTimeouts{Idle: durationpb.New(1500_000_000)},
		Status:   adminv1.Status_STATUS_ACTIVE,
	}}))
	must(tx.CreateModel(ctx, &adminv1.Model{Name: "free", Price: &adminv1.Price{}}))
	must(tx.CreateUser(ctx, &adminv1.User{Name: "u", Role: adminv1.Role_ROLE_USER, QuotaNanoUsd: proto.Int64(0)}))
	must(tx.CreateToken(ctx, store.Token{Token: &adminv1.Token{User: "u", Name: "t", QuotaNanoUsd: proto.Int64(1)}, Digest: []byte{1}}))

	f, err := Parse([]byte(export(t, tx)))
	if err != nil {
		t.Fatal(err)
	}
	if res := apply(t, tx, f, Options{Prune: true}, s); len(res.Changes) != 0 {
		t.Errorf("applying the export changed %v", changeLines(res.Changes))
	}
}

func TestExportAndPrunePageThroughLists(t *testing.T) {
	tx, s := newFakeTx(), &fakeSealer{}
	ctx := context.Background()
	const n = 2*listPageSize + 7
	for i := range n {
		name := fmt.Sprintf("m%04d", i)
		if _, err := tx.CreateModel(ctx, &adminv1.Model{Name: name, Price: &adminv1.Price{InputNanoUsd: int64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := Parse([]byte(export(t, tx)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Models) != n {
		t.Fatalf("export holds %d models, want %d", len(f.Models), n)
	}
	res := apply(t, tx, &File{}, Options{Prune: true}, s)
	if len(res.Changes) != n || len(tx.models) != 0 {
		t.Errorf("prune deleted %d of %d models, %d left", len(res.Changes), n, len(tx.models))
	}
}
