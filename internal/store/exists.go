package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Exists reports whether dsn (as Open takes it) names a Gatehouse database
// that was set up already, without creating or migrating anything: for
// SQLite a non-empty file, for PostgreSQL a schema_migrations table in the
// schema the URL selects. Administration commands check it first, so that
// a mistyped data directory is an error rather than a new, empty database.
func Exists(ctx context.Context, dsn string) (bool, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return false, fmt.Errorf("store: connect: %w", dbErr(err))
		}
		defer conn.Close(context.WithoutCancel(ctx))
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&ok); err != nil {
			return false, fmt.Errorf("store: look for the schema: %w", dbErr(err))
		}
		return ok, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: look for the database: %w", err)
	}
	return fi.Mode().IsRegular() && fi.Size() > 0, nil
}
