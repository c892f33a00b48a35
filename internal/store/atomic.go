package store

import (
	"context"
	"database/sql"
)

// txKey carries the transaction of Atomically for the DB that began it.
type txKey struct{ d *DB }

// Atomically runs fn so that every statement the store runs for fn's
// context, reads and writes, is part of one transaction, committed when fn
// returns nil and rolled back otherwise: several writes of one request cost
// one commit on the single writer instead of one each. A call inside fn's
// context joins the transaction already open.
//
// fn must be short and must not wait on anything but the store (no
// provider call, no lock of its own): on SQLite the transaction holds the
// one writer connection, so every other write waits for it. Work started
// from fn's context must not outlive fn.
func (d *DB) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if d.ambient(ctx) != nil {
		return fn(ctx)
	}
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return fn(context.WithValue(ctx, txKey{d}, tx))
	})
}

// ambient returns the transaction of Atomically that ctx runs in, or nil.
func (d *DB) ambient(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(txKey{d}).(*sql.Tx)
	return tx
}

// within returns where a statement meant for x runs: in the transaction of
// ctx when x is the shared pool and ctx has one, else x.
func (d *DB) within(ctx context.Context, x querier) querier {
	if x == querier(d.db) {
		if tx := d.ambient(ctx); tx != nil {
			return tx
		}
	}
	return x
}
