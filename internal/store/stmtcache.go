package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache; the portal's statements are
// fixed strings, far fewer than this.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per pool and query text, so that
// SQLite parses each statement once instead of on every call (a quarter of
// the CPU of a sign-in's second factor went to sqlite3_prepare before).
// PostgreSQL needs none: pgx caches prepared statements per connection.
type stmtCache struct {
	mu     sync.Mutex
	stmts  map[stmtKey]*sql.Stmt
	missed map[stmtKey]bool // met in a transaction before being prepared (see peek)
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

// get returns the statement of query on pool, preparing it the first time;
// ok is false when it could not be prepared (the caller runs the query
// directly, and sees the error there).
func (c *stmtCache) get(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, bool) {
	k := stmtKey{pool, query}
	c.mu.Lock()
	st, ok := c.stmts[k]
	c.mu.Unlock()
	if ok {
		return st, true
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[k]; ok {
		_ = st.Close() // another call prepared it meanwhile
		return old, true
	}
	if c.stmts == nil {
		c.stmts = map[stmtKey]*sql.Stmt{}
	}
	if len(c.stmts) >= maxCachedStmts {
		return st, true // used once and left to the pool's cleanup
	}
	c.stmts[k] = st
	return st, true
}

// peek returns the cached statement of query on pool without preparing
// it: inside a transaction the pool's one connection is taken, so a
// prepare would wait for it forever. A miss is prepared by fill, after the
// transaction.
func (c *stmtCache) peek(pool *sql.DB, query string) (*sql.Stmt, bool) {
	k := stmtKey{pool, query}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stmts[k]
	if !ok && len(c.missed) < maxCachedStmts {
		if c.missed == nil {
			c.missed = map[stmtKey]bool{}
		}
		c.missed[k] = true
	}
	return st, ok
}

// fill prepares the statements peek missed.
func (c *stmtCache) fill(ctx context.Context) {
	c.mu.Lock()
	missed := c.missed
	c.missed = nil
	c.mu.Unlock()
	for k := range missed {
		c.get(ctx, k.pool, k.query)
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		_ = st.Close()
	}
	c.stmts = nil
}

// stmtQuerier runs a prepared statement with the querier's methods; the
// query text it is given again is the statement's own.
type stmtQuerier struct{ st *sql.Stmt }

func (s stmtQuerier) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
}

func (s stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}

func (s stmtQuerier) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.st.QueryRowContext(ctx, args...)
}

// on returns where to run query: on SQLite, a pool's prepared statement,
// or in a transaction the writer's prepared statement bound to it;
// PostgreSQL as it is.
func (d *DB) on(ctx context.Context, x querier, query string) querier {
	if d.dialect != SQLite {
		return x
	}
	switch x := x.(type) {
	case *sql.DB:
		if st, ok := d.stmts.get(ctx, x, d.q(query)); ok {
			return stmtQuerier{st}
		}
	case *sql.Tx: // every transaction runs on the writer
		if st, ok := d.stmts.peek(d.writer(), d.q(query)); ok {
			return stmtQuerier{x.StmtContext(ctx, st)}
		}
	}
	return x
}
