// Package storetest gives tests of any package a fresh PostgreSQL schema on
// the test server named by GATEHOUSE_TEST_POSTGRES_URL (scripts/postgres
// start DIR prints such a URL). Without a URL tests skip, or fail when
// CI=true. It does not import package store, so store's own tests use it too.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URLEnv names the variable holding the test server's URL.
const URLEnv = "GATEHOUSE_TEST_POSTGRES_URL"

// URL returns the test server's URL; without one it skips tb, or
// fails it when CI=true.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(URLEnv)
	if u != "" {
		return u
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not set but CI=true requires the PostgreSQL tests: "+
			"start a server with `scripts/postgres start DIR` and export the URL it prints", URLEnv)
	}
	tb.Skipf("%s not set: PostgreSQL tests skipped (scripts/postgres start DIR prints one)", URLEnv)
	return ""
}

// FreshSchemaDSN creates a uniquely named schema on the test server, drops
// it (with everything in it) at cleanup, and returns a DSN whose
// search_path selects it.
func FreshSchemaDSN(tb testing.TB) string {
	tb.Helper()
	base := URL(tb)
	schema := "gh_test_" + randomHex(tb)
	AdminExec(tb, base, `CREATE SCHEMA `+schema)
	tb.Cleanup(func() { AdminExec(tb, base, `DROP SCHEMA `+schema+` CASCADE`) })
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
		tb.Fatalf("%s: %v", URLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// AdminExec runs statements, each on the same own connection, on the server at dsn.
func AdminExec(tb testing.TB, dsn string, stmts ...string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to %s: %v", URLEnv, err)
	}
	defer c.Close(ctx)
	for _, stmt := range stmts {
		if _, err := c.Exec(ctx, stmt); err != nil {
			tb.Fatalf("%s: %v", stmt, err)
		}
	}
}

// FreshDatabaseURL creates a database of its own for the test on the test
// server and returns its URL; it is dropped (connections and all) when the
// test ends, so create it before starting anything that uses it.
func FreshDatabaseURL(tb testing.TB) string {
	tb.Helper()
	base := URL(tb)
	name := "gh_test_" + randomHex(tb)
	AdminExec(tb, base, "CREATE DATABASE "+name)
	tb.Cleanup(func() { AdminExec(tb, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", URLEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(tb testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}
