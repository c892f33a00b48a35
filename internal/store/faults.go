package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable is wrapped by every error that comes from the database
// being unreachable rather than from the request: the server refused or
// dropped the connection, the pool could not connect, a statement timed out,
// PostgreSQL is shutting down or starting up, SQLite stayed locked beyond its
// busy timeout. The change the call was making did not happen, or (a lost
// COMMIT) happened completely; never in part, since every multi-statement
// write is one transaction. The web layer answers 503 for it, and the
// PostgreSQL pool reconnects by itself once the server is back.
var ErrUnavailable = errors.New("store: database unavailable")

// pgOpTimeout caps each PostgreSQL operation (one statement, or one whole
// transaction), connection wait included, so that a server that stops
// answering without closing its connections turns into ErrUnavailable
// within seconds instead of a request that hangs.
const pgOpTimeout = 5 * time.Second

// Faults records whether a store call made under a context from WatchFaults
// met a database fault. It lets a caller far from the error (the web layer,
// behind handlers that log an error and answer 500) tell an outage from a
// bug and answer 503 instead.
type Faults struct{ seen atomic.Bool }

// Seen reports whether a call under the context met ErrUnavailable.
func (f *Faults) Seen() bool { return f != nil && f.seen.Load() }

type faultsKey struct{}

// WatchFaults returns ctx with a fresh Faults attached: every store call made
// under the returned context (or one derived from it) that fails with
// ErrUnavailable marks it.
func WatchFaults(ctx context.Context) (context.Context, *Faults) {
	f := &Faults{}
	return context.WithValue(ctx, faultsKey{}, f), f
}

// noteFault is dbErr that also marks the Faults of ctx, if any.
func noteFault(ctx context.Context, err error) error {
	err = dbErr(err)
	if err != nil && errors.Is(err, ErrUnavailable) {
		if f, ok := ctx.Value(faultsKey{}).(*Faults); ok {
			f.seen.Store(true)
		}
	}
	return err
}

// unavailableError marks err as ErrUnavailable while keeping it in the chain.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "store: database unavailable: " + e.err.Error() }

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// dbErr returns err, marked as ErrUnavailable when it says the database could
// not be reached (see isUnavailable). nil and sql.ErrNoRows pass unchanged.
func dbErr(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !isUnavailable(err) {
		return err
	}
	return &unavailableError{err: err}
}

// isUnavailable reports whether err comes from the database being
// unreachable, overloaded, shutting down or locked, rather than from the
// statement. A caller that gave up (context.Canceled) is not a fault of the
// database.
func isUnavailable(err error) bool {
	switch {
	case err == nil,
		errors.Is(err, sql.ErrNoRows),
		errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, driver.ErrBadConn),
		errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH),
		pgconn.Timeout(err):
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgUnavailable(pgErr.Code)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// pgUnavailable reports whether a PostgreSQL SQLSTATE says the server cannot
// serve right now: class 08 (connection exception), 57P01 to 57P05
// (administrator or crash shutdown, cannot connect now, database dropped,
// idle session timeout) and 53300 (too many connections).
func pgUnavailable(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") || code == "53300"
}

// opCtx bounds one database operation on PostgreSQL by pgOpTimeout (or an
// earlier deadline of ctx). SQLite needs no bound: its busy timeout already
// limits the wait for a lock, and a local file cannot stop answering.
func (d *DB) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if d.opTimeout <= 0 || ctx.Value(unboundedKey{}) != nil {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d.opTimeout)
}

type unboundedKey struct{}

// unbounded lifts the bound of opCtx for background work that may
// legitimately take long (the sweep of a large backlog of expired rows); the
// caller's own deadline, if any, still applies.
func unbounded(ctx context.Context) context.Context {
	return context.WithValue(ctx, unboundedKey{}, true)
}

// row is a *sql.Row whose Scan marks a database fault as ErrUnavailable and
// ends the operation's deadline.
type row struct {
	r      *sql.Row
	err    error // the statement did not run (its turn never came)
	ctx    context.Context
	cancel context.CancelFunc
}

// Scan implements Scan of *sql.Row.
func (r row) Scan(dest ...any) error {
	defer r.cancel()
	if r.err != nil {
		return noteFault(r.ctx, r.err)
	}
	return noteFault(r.ctx, r.r.Scan(dest...))
}
