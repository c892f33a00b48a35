package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// Pool defaults for PostgreSQL, used unless the URL sets pool_max_conns or
// connect_timeout. Several instances share one server (PostgreSQL's default
// max_connections is 100), so each instance keeps a modest pool; requests
// beyond it wait for a free connection.
const (
	pgDefaultMaxConns       = 10
	pgDefaultConnectTimeout = 5 * time.Second
)

// OpenPostgres opens the PostgreSQL database at dsn (a postgres:// URL or a
// key=value connection string) through a pgx pool, wrapped as a database/sql
// handle so every statement of the package serves both dialects, checks the
// connection and applies the embedded migrations under an advisory lock, so
// that several instances starting together migrate once.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: parse postgres url: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = pgDefaultMaxConns
	}
	if !strings.Contains(dsn, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = pgDefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	// OpenDBFromPool keeps no idle connections in database/sql (the pgx pool
	// holds them); capping open ones at the pool size makes callers queue in
	// database/sql rather than inside the pool.
	sqldb := stdlib.OpenDBFromPool(pool)
	sqldb.SetMaxOpenConns(int(cfg.MaxConns))
	d := &DB{db: sqldb, dialect: Postgres, onClose: pool.Close, opTimeout: pgOpTimeout}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("store: ping postgres: %w", err)
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}
