package postgres

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store/storetest"
)

// TestUpgradeKeepsModels: a database migrated by a binary that knew only the
// first migration keeps its models, which read back without per-user limits
// and take them afterwards.
func TestUpgradeKeepsModels(t *testing.T) {
	ctx := testCtx(t)
	dsn := storetest.PostgresDSN(t)
	initSQL, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		string(initSQL),
		`INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql')`,
		`INSERT INTO models (name, input_nano_usd, output_nano_usd, max_output_tokens) VALUES ('old-model', 100, 200, 50)`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("preparing a version-1 database: %v", err)
		}
	}
	_ = conn.Close(ctx)

	s := openOn(t, dsn, Options{Migrate: true})
	m, err := s.GetModel(ctx, "old-model")
	if err != nil {
		t.Fatal(err)
	}
	if m.GetPrice().GetInputNanoUsd() != 100 || m.GetMaxOutputTokens() != 50 || m.PerUserLimits != nil {
		t.Fatalf("model after the upgrade: %v", m)
	}
	m.PerUserLimits = &adminv1.Limits{MaxConcurrency: proto.Int64(3)}
	got, err := s.UpdateModel(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetPerUserLimits().GetMaxConcurrency() != 3 || got.GetPerUserLimits().Rpm != nil {
		t.Fatalf("per-user limits after an update: %v", got.GetPerUserLimits())
	}
}
