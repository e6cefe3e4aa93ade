package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultPostgresURL is the machine's Postgres that tests use unless
// BURNCLOUD_TEST_DATABASE_URL names another.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PostgresDSN creates a fresh, uniquely named, empty database on the test
// Postgres and returns its URL; the database is dropped (with FORCE, so
// leftover connections do not keep it) when the test ends. The caller
// migrates it (postgres.Open with Migrate, or postgres.Migrate).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return cloneDatabase(t, "")
}

// PostgresClone is PostgresDSN for a database that starts as a copy of the
// template database named template, which prepare fills once (the first
// test of any process to ask does it, under an advisory lock) and which is
// kept for later runs: name it after what prepare puts in, e.g. a hash of
// the migrations. Copying a prepared template is faster than preparing each
// database.
func PostgresClone(t testing.TB, template string, prepare func(ctx context.Context, dsn string) error) string {
	t.Helper()
	if _, ready := templatesReady.Load(template); !ready {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := ensureTemplate(ctx, adminURL(), template, prepare); err != nil {
			t.Fatalf("storetest: template %s: %v", template, err)
		}
		templatesReady.Store(template, true)
	}
	return cloneDatabase(t, template)
}

var templatesReady sync.Map

func adminURL() string {
	if u := os.Getenv("BURNCLOUD_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// ensureTemplate creates and prepares the template unless a ready one
// exists. Ready means it refuses connections, the last step of preparing;
// one that still accepts them is the remains of an interrupted run.
func ensureTemplate(ctx context.Context, admin, template string, prepare func(context.Context, string) error) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to test Postgres (set BURNCLOUD_TEST_DATABASE_URL): %w", err)
	}
	defer conn.Close(context.Background())
	key := int64(crc32.ChecksumIEEE([]byte(template)))
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", key) //nolint:errcheck // closing next
	var allowConn bool
	err = conn.QueryRow(ctx, "SELECT datallowconn FROM pg_database WHERE datname = $1", template).Scan(&allowConn)
	switch {
	case err == nil && !allowConn:
		return nil
	case err == nil:
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{template}.Sanitize()+" WITH (FORCE)"); err != nil {
			return err
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	if err := createDatabase(ctx, conn, template, ""); err != nil {
		return err
	}
	dsn, err := withDatabase(admin, template)
	if err != nil {
		return err
	}
	if err := prepare(ctx, dsn); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{template}.Sanitize()+" WITH ALLOW_CONNECTIONS false")
	return err
}

// cloneDatabase creates a database for the test from template ("" for
// the server's default) and registers its removal.
func cloneDatabase(t testing.TB, template string) string {
	t.Helper()
	admin := adminURL()
	name := databaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("storetest: connect to test Postgres (set BURNCLOUD_TEST_DATABASE_URL): %v", err)
	}
	defer conn.Close(context.Background())
	if err := createDatabase(ctx, conn, name, template); err != nil {
		t.Fatalf("storetest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return dsn
}

// createDatabase retries while a session is still connected to the
// template (SQLSTATE 55006): a test package connected to template1, or the
// preparation of a template whose last connection is still closing.
func createDatabase(ctx context.Context, conn *pgx.Conn, name, template string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	for attempt := 0; ; attempt++ {
		_, err := conn.Exec(ctx, sql)
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || pe.Code != "55006" || attempt == 20 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(50+attempt*25) * time.Millisecond):
		}
	}
}

// databaseName is bctest_<test name>_<random>, within Postgres's 63 bytes.
func databaseName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	slug := b.String()
	if len(slug) > 40 {
		slug = slug[len(slug)-40:]
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "bctest_" + slug + "_" + hex.EncodeToString(rnd[:])
}

// withDatabase points a URL or keyword/value DSN at another database.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse test database URL: %w", err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// In keyword/value form a later keyword wins.
	return dsn + " dbname=" + name, nil
}
