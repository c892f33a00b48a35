package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The store contract tests run every test once per backend: SQLite always,
// PostgreSQL when pgURLEnv names a server (scripts/postgres start DIR prints
// such a URL). Each PostgreSQL test gets a fresh schema of that database,
// selected through search_path in the DSN and dropped at cleanup. With
// CI=true and no URL the PostgreSQL half fails instead of skipping.
const pgURLEnv = "GATEHOUSE_TEST_POSTGRES_URL"

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
	d, err := OpenPostgres(context.Background(), freshSchemaDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// postgresURL returns the test server's URL; without one it skips tb, or
// fails it when CI=true.
func postgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(pgURLEnv)
	if u != "" {
		return u
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not set but CI=true requires the PostgreSQL store tests: "+
			"start a server with `scripts/postgres start DIR` and export the URL it prints", pgURLEnv)
	}
	tb.Skipf("%s not set: PostgreSQL store tests skipped (scripts/postgres start DIR prints one)", pgURLEnv)
	return ""
}

// freshSchemaDSN creates a uniquely named schema on the test server, drops
// it (with everything in it) at cleanup, and returns a DSN whose
// search_path selects it.
func freshSchemaDSN(tb testing.TB) string {
	tb.Helper()
	base := postgresURL(tb)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "gh_test_" + hex.EncodeToString(b[:])
	adminExec(tb, base, `CREATE SCHEMA `+schema)
	tb.Cleanup(func() { adminExec(tb, base, `DROP SCHEMA `+schema+` CASCADE`) })
	return withSearchPath(tb, base, schema)
}

// withSearchPath adds search_path=schema to a URL or key=value DSN.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", pgURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// adminExec runs one statement on its own connection to the test server.
func adminExec(tb testing.TB, dsn, stmt string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", pgURLEnv, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}
