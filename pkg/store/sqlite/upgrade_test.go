package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
)

// TestUpgradeKeepsModels: a file made by a binary that knew only the first
// migration opens with its models intact and without per-user limits, and
// takes them afterwards.
func TestUpgradeKeepsModels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	initSQL, err := os.ReadFile("migrations/0001_init.sql")
	must(t, err)
	db, err := sql.Open("sqlite", path)
	must(t, err)
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		string(initSQL),
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO models (name, input_nano_usd, output_nano_usd, max_output_tokens, create_time, update_time)
			VALUES ('old-model', 100, 200, 50, 1, 1)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("preparing a version-1 file: %v", err)
		}
	}
	must(t, db.Close())

	s := openAt(t, path)
	defer s.Close()
	ctx := ctxT(t)
	m, err := s.GetModel(ctx, "old-model")
	must(t, err)
	if m.GetPrice().GetInputNanoUsd() != 100 || m.GetMaxOutputTokens() != 50 || m.PerUserLimits != nil {
		t.Fatalf("model after the upgrade: %v", m)
	}
	m.PerUserLimits = &adminv1.Limits{Rpm: proto.Int64(5)}
	got, err := s.UpdateModel(ctx, m)
	must(t, err)
	if got.GetPerUserLimits().GetRpm() != 5 || got.GetPerUserLimits().Tpm != nil {
		t.Fatalf("per-user limits after an update: %v", got.GetPerUserLimits())
	}
}
