package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations
var migrations embed.FS

// migrateLockKey is the PostgreSQL advisory lock key that serialises
// migrations of every Gatehouse instance sharing a database (the bytes of
// "gatehous" as a big-endian integer).
const migrateLockKey int64 = 0x6761746568_6f7573

// migrate applies, in order and each in its own transaction, every embedded
// migration of the dialect that is newer than the recorded version. Files are
// named NNNN_name.sql. Everything runs on one dedicated connection; on
// PostgreSQL that connection holds a session advisory lock for the whole
// run, so instances starting together wait for each other and the first one
// applies what is missing while the others find it done.
func (d *DB) migrate(ctx context.Context) (err error) {
	conn, err := d.writer().Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: connection: %w", err)
	}
	defer conn.Close()
	if d.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("store: migrate: advisory lock: %w", err)
		}
		defer func() {
			// Unlock even when ctx is done. A connection that cannot say
			// so must not go back to the pool still holding the lock:
			// close it, which ends the session and with it the lock.
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if _, uerr := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, migrateLockKey); uerr != nil {
				_ = conn.Raw(func(dc any) error {
					if c, ok := dc.(*stdlib.Conn); ok {
						_ = c.Conn().Close(uctx)
					}
					return driver.ErrBadConn
				})
				if err == nil {
					err = fmt.Errorf("store: migrate: advisory unlock: %w", uerr)
				}
			}
		}()
	}
	return d.applyMigrations(ctx, conn)
}

// applyMigrations does the work of migrate on conn.
func (d *DB) applyMigrations(ctx context.Context, conn *sql.Conn) error {
	dir := "migrations/sqlite"
	if d.dialect == Postgres {
		dir = "migrations/postgres"
	}
	if _, err := conn.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	type mig struct {
		version int64
		name    string
	}
	var all []mig
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			return fmt.Errorf("store: migration %s: bad version: %w", e.Name(), err)
		}
		all = append(all, mig{v, e.Name()})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].version < all[j].version })
	for _, m := range all {
		body, err := fs.ReadFile(migrations, dir+"/"+m.name)
		if err != nil {
			return fmt.Errorf("store: read %s: %w", m.name, err)
		}
		if err := d.applyMigration(ctx, conn, m.version, string(body)); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// applyMigration runs one migration body in a transaction on conn, unless
// its version is already recorded.
func (d *DB) applyMigration(ctx context.Context, conn *sql.Conn, version int64, body string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := d.queryRow(ctx, tx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("check version: %w", err)
	}
	if n > 0 {
		return nil
	}
	// No arguments: pgx sends the body with the simple protocol, so a file
	// may hold several statements, as it may for SQLite.
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if _, err := d.exec(ctx, tx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, ms(time.Now())); err != nil {
		return fmt.Errorf("record version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
