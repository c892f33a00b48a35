package store

import (
	"context"
	"path/filepath"
	"testing"

	"gatehouse/internal/store/storetest"
)

// The store contract tests run every test once per backend: SQLite always,
// PostgreSQL when pgURLEnv names a server (scripts/postgres start DIR prints
// such a URL). Each PostgreSQL test gets a fresh schema of that database,
// selected through search_path in the DSN and dropped at cleanup. With
// CI=true and no URL the PostgreSQL half fails instead of skipping.
const pgURLEnv = storetest.URLEnv

// forEachBackend runs fn as the subtests "sqlite" and "postgres", each on a
// fresh, migrated database.
func forEachBackend(t *testing.T, fn func(t *testing.T, d *DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLiteTest(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgresTest(t)) })
}

// openSQLiteTest opens a fresh SQLite database in a temporary directory.
func openSQLiteTest(tb testing.TB) *DB {
	tb.Helper()
	d, err := OpenSQLite(context.Background(), filepath.Join(tb.TempDir(), "g.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// openPostgresTest opens a fresh schema of the test server.
func openPostgresTest(tb testing.TB) *DB {
	tb.Helper()
	d, err := OpenPostgres(context.Background(), storetest.FreshSchemaDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}
