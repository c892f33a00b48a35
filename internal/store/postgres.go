package store

import (
	"context"
	"errors"
)

// OpenPostgres opens a PostgreSQL database. Not yet supported.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	return nil, errors.New("store: PostgreSQL is not supported yet")
}
