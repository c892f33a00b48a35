// Package store holds every SQL statement of the portal. One DB type serves
// SQLite (the default, pure Go, WAL mode) and PostgreSQL (pgx through its
// pool, for several instances sharing one database): statements are written
// with '?' placeholders and portable SQL (ON CONFLICT upserts, RETURNING),
// times are stored as Unix milliseconds in integer columns and flags as 0/1
// integers, so the same statement text serves both dialects.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a unique row already exists (for example a
// spent one-time token).
var ErrConflict = errors.New("store: already exists")

// Dialect names a SQL flavour.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// DB is the portal's database.
type DB struct {
	// db is the pool statements are sent to. On SQLite it serves reads
	// only, and every write goes to w: one connection, so writers queue in
	// Go's pool instead of sleeping in SQLite's busy handler, while readers
	// go on in parallel (WAL). On PostgreSQL w is nil and db does both.
	db      *sql.DB
	w       *sql.DB
	stmts   stmtCache // SQLite: prepared statements of db and w
	dialect Dialect
	onClose func() // releases what sits under db (the pgx pool); may be nil
	stopBg  func() // SQLite: stops the checkpoints; may be nil
	// wturn (SQLite) is the writer's queue: a write waits here, first come
	// first served, rather than in database/sql's pool, which hands a freed
	// connection to a waiter picked at random and so makes some writes wait
	// many turns.
	wturn     chan struct{}
	batch     batch         // SQLite: the transactions waiting for the writer
	opTimeout time.Duration // bound of each operation (see opCtx); 0: none
}

// SQL returns the pool that writes (on SQLite its single connection), for
// tests that set connection options or write rows directly.
func (d *DB) SQL() *sql.DB { return d.writer() }

// writer returns the pool writes go to.
func (d *DB) writer() *sql.DB {
	if d.w != nil {
		return d.w
	}
	return d.db
}

// route sends a statement meant for the shared pool to the writer when it
// writes; statements inside a transaction stay where they are.
func (d *DB) route(x querier, query string) querier {
	if d.w == nil || x != querier(d.db) || !writes(query) {
		return x
	}
	return d.w
}

// writes reports whether a statement changes the database.
func writes(query string) bool {
	q := strings.TrimSpace(query)
	if len(q) < 6 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "REPLAC", "CREATE", "PRAGMA":
		return true
	}
	return strings.Contains(strings.ToUpper(q), "RETURNING")
}

// Dialect reports the SQL flavour.
func (d *DB) Dialect() Dialect { return d.dialect }

// Close closes the pool (for PostgreSQL both the database/sql handle and the
// pgx pool under it).
func (d *DB) Close() error {
	if d.stopBg != nil {
		d.stopBg()
	}
	d.stmts.close()
	err := d.db.Close()
	if d.w != nil {
		err = errors.Join(err, d.w.Close())
	}
	if d.onClose != nil {
		d.onClose()
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks the connection; an unreachable database answers an error
// wrapping ErrUnavailable.
func (d *DB) Ping(ctx context.Context) error {
	ctx, cancel := d.opCtx(ctx)
	defer cancel()
	if d.w != nil {
		if err := d.w.PingContext(ctx); err != nil {
			return noteFault(ctx, err)
		}
	}
	return noteFault(ctx, d.db.PingContext(ctx))
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q rewrites '?' placeholders for the dialect.
func (d *DB) q(query string) string {
	if d.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// exec, queryRow and query run one statement; every error they return (for
// queryRow: its Scan) marks a database fault as ErrUnavailable (see dbErr
// and noteFault).

func (d *DB) exec(ctx context.Context, x querier, query string, args ...any) (sql.Result, error) {
	octx, cancel := d.opCtx(ctx)
	defer cancel()
	x = d.route(d.within(ctx, x), query)
	done, err := d.turnFor(octx, x)
	if err != nil {
		return nil, noteFault(ctx, err)
	}
	defer done()
	res, err := d.on(octx, x, query).ExecContext(octx, d.q(query), args...)
	return res, noteFault(ctx, err)
}

func (d *DB) queryRow(ctx context.Context, x querier, query string, args ...any) row {
	octx, cancel := d.opCtx(ctx)
	x = d.route(d.within(ctx, x), query)
	done, err := d.turnFor(octx, x)
	if err != nil {
		cancel()
		return row{err: err, ctx: ctx, cancel: func() {}}
	}
	end := func() { done(); cancel() }
	return row{r: d.on(octx, x, query).QueryRowContext(octx, d.q(query), args...), ctx: ctx, cancel: end}
}

// query returns the rows and the end of their deadline, to call after
// closing them; rows.Err needs noteFault from the caller.
func (d *DB) query(ctx context.Context, x querier, query string, args ...any) (*sql.Rows, context.CancelFunc, error) {
	octx, cancel := d.opCtx(ctx)
	x = d.route(d.within(ctx, x), query)
	done, err := d.turnFor(octx, x)
	if err != nil {
		cancel()
		return nil, nil, noteFault(ctx, err)
	}
	rows, err := d.on(octx, x, query).QueryContext(octx, d.q(query), args...)
	if err != nil {
		done()
		cancel()
		return nil, nil, noteFault(ctx, err)
	}
	return rows, func() { done(); cancel() }, nil
}

// turnFor waits for the writer's turn when x is the writer connection (a
// statement outside a transaction that writes); it returns the function
// that ends the turn.
func (d *DB) turnFor(ctx context.Context, x querier) (func(), error) {
	if d.wturn == nil || d.w == nil || x != querier(d.w) {
		return func() {}, nil
	}
	return d.turn(ctx)
}

// turn waits, first come first served, until no other write holds the
// writer (see wturn), or ctx ends.
func (d *DB) turn(ctx context.Context) (func(), error) {
	if d.wturn == nil {
		return func() {}, nil
	}
	select {
	case d.wturn <- struct{}{}:
		return func() { <-d.wturn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// inTx runs fn in one transaction, committing when it returns nil: either
// every statement of fn takes effect or none does, also when the database
// goes away halfway (the server rolls back a transaction whose connection
// dropped). fn's statements use the context it is given. On SQLite the
// transactions waiting for the writer commit together (see inBatch); on
// PostgreSQL each is its own, bounded as a whole by one opCtx.
func (d *DB) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if tx := d.ambient(ctx); tx != nil {
		return noteFault(ctx, fn(ctx, tx)) // part of the transaction of Atomically
	}
	if d.dialect == SQLite && d.w != nil {
		return d.inBatch(ctx, fn)
	}
	octx, cancel := d.opCtx(ctx)
	defer cancel()
	tx, err := d.writer().BeginTx(octx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", noteFault(ctx, err))
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return noteFault(ctx, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", noteFault(ctx, err))
	}
	return nil
}

// ms converts a time to the stored Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts stored Unix milliseconds back to a UTC time; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// pgUniqueViolation is PostgreSQL's SQLSTATE for a unique_violation.
const pgUniqueViolation = "23505"

// isUniqueViolation reports whether err is a unique-constraint failure:
// PostgreSQL's SQLSTATE 23505 (unique_violation) or SQLite's UNIQUE and
// PRIMARY KEY constraint codes.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == pgUniqueViolation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
		return false
	}
	return false
}
