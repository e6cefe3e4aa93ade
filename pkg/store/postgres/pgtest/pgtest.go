// Package pgtest gives integration tests a fresh Postgres database with the
// current schema, fast: each is a copy of a template migrated once per
// schema version (see storetest.PostgresClone).
package pgtest

import (
	"testing"

	"github.com/burncloud/burncloud/pkg/store/postgres"
	"github.com/burncloud/burncloud/pkg/store/storetest"
)

// DSN returns the URL of a new, migrated database on the test Postgres
// (BURNCLOUD_TEST_DATABASE_URL, default storetest.DefaultPostgresURL),
// dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	return storetest.PostgresClone(t, TemplateName(), postgres.Migrate)
}

// TemplateName is the template database of the current schema.
func TemplateName() string { return "bctest_tpl_" + postgres.SchemaID() }
