package pgtest

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	"github.com/burncloud/burncloud/pkg/store"
	"github.com/burncloud/burncloud/pkg/store/postgres"
)

// TestDSNIsolated: each DSN is a migrated database of its own.
func TestDSNIsolated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 2 {
		s, err := postgres.Open(ctx, DSN(t), postgres.Options{Logger: zap.NewNop()})
		if err != nil {
			t.Fatalf("open without migrating: %v", err)
		}
		t.Cleanup(s.Close)
		if _, err := s.CreateUser(ctx, &adminv1.User{Name: "alice"}); err != nil {
			t.Fatalf("create user in a fresh database: %v", err)
		}
		users, err := s.ListUsers(ctx, store.Page{})
		if err != nil || len(users) != 1 {
			t.Fatalf("users %v, %v: want alice alone", users, err)
		}
	}
}
