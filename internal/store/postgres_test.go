package store

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/store/storetest"
)

// TestPostgresMigrateConcurrently starts several instances on one fresh
// database at once: the advisory lock lets one migrate while the others
// wait, every instance opens, each migration is recorded once, and the lock
// is released afterwards.
func TestPostgresMigrateConcurrently(t *testing.T) {
	dsn := storetest.FreshSchemaDSN(t)
	ctx := context.Background()
	const instances = 8
	dbs := make([]*DB, instances)
	errs := raceErrs(instances, func(i int) error {
		var err error
		dbs[i], err = OpenPostgres(ctx, dsn)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	var n, distinct int
	if err := dbs[0].SQL().QueryRowContext(ctx,
		`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	files, err := fs.ReadDir(migrations, "migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(files); n != want || distinct != want {
		t.Fatalf("schema_migrations holds %d rows (%d versions), want %d", n, distinct, want)
	}
	// The lock is free again (another package's tests may hold it briefly).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got bool
		if err := dbs[0].SQL().QueryRowContext(ctx,
			`SELECT pg_try_advisory_lock($1) AND pg_advisory_unlock($1)`, migrateLockKey).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("migration advisory lock still held after every instance opened")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresClose checks that Close ends the pool's connections too.
func TestPostgresClose(t *testing.T) {
	dsn := storetest.FreshSchemaDSN(t)
	ctx := context.Background()
	d, err := OpenPostgres(ctx, dsn+"&application_name=gatehouse_close_test")
	if err != nil {
		t.Fatal(err)
	}
	watcher := openPostgresTest(t)
	count := func() int {
		var n int
		if err := watcher.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE application_name = 'gatehouse_close_test'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n == 0 {
		t.Fatal("the pool keeps no connection open")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("connections still open after Close")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := d.Ping(ctx); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("ping after close: %v", err)
	}
}

// TestPostgresBadDSN reports a malformed URL as a parse error.
func TestPostgresBadDSN(t *testing.T) {
	_, err := OpenPostgres(context.Background(), "postgres://x:y@127.0.0.1:notaport/db")
	if err == nil || !strings.Contains(err.Error(), "parse postgres url") {
		t.Fatalf("err = %v", err)
	}
	var target interface{ Unwrap() error }
	if !errors.As(err, &target) {
		t.Fatalf("error is not wrapped: %v", err)
	}
}
