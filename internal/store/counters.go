package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Window is a counter's state after a hit.
type Window struct {
	Count int       // hits in the current window, this one included
	Reset time.Time // when the current window ends
}

// Hit adds delta to the fixed-window counter key and returns its new state,
// in one atomic upsert: a window that has ended restarts at delta.
func (d *DB) Hit(ctx context.Context, key string, delta int, window time.Duration, now time.Time) (Window, error) {
	n, end := ms(now), ms(now.Add(window))
	var w Window
	var start int64
	err := d.queryRow(ctx, d.db, `INSERT INTO counters (key, count, window_start, expires_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET
			count = CASE WHEN counters.expires_at <= ? THEN excluded.count ELSE counters.count + excluded.count END,
			window_start = CASE WHEN counters.expires_at <= ? THEN excluded.window_start ELSE counters.window_start END,
			expires_at = CASE WHEN counters.expires_at <= ? THEN excluded.expires_at ELSE counters.expires_at END
		RETURNING count, window_start, expires_at`,
		key, delta, n, end, n, n, n).Scan(&w.Count, &start, &end)
	if err != nil {
		return Window{}, fmt.Errorf("store: hit %s: %w", key, err)
	}
	w.Reset = fromMS(end)
	return w, nil
}

// Peek returns the counter's current state without changing it; an absent
// or ended window has Count 0.
func (d *DB) Peek(ctx context.Context, key string, now time.Time) (Window, error) {
	var w Window
	var end int64
	err := d.queryRow(ctx, d.db, `SELECT count, expires_at FROM counters WHERE key = ? AND expires_at > ?`,
		key, ms(now)).Scan(&w.Count, &end)
	if err != nil {
		if isNoRows(err) {
			return Window{}, nil
		}
		return Window{}, fmt.Errorf("store: peek %s: %w", key, err)
	}
	w.Reset = fromMS(end)
	return w, nil
}

// SpendToken records a one-time value (already hashed by the caller) as
// spent until expires. It returns ErrConflict when it was spent before.
func (d *DB) SpendToken(ctx context.Context, hash string, expires, now time.Time) error {
	// An expired row may still sit there; replace it in the same statement.
	res, err := d.exec(ctx, d.db, `INSERT INTO spent_tokens (hash, expires_at) VALUES (?, ?)
		ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at WHERE spent_tokens.expires_at <= ?`,
		hash, ms(expires), ms(now))
	if err != nil {
		return fmt.Errorf("store: spend token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: spend token: %w", ErrConflict)
	}
	return nil
}

// TokenSpent reports whether hash was spent and has not expired, without
// spending it.
func (d *DB) TokenSpent(ctx context.Context, hash string, now time.Time) (bool, error) {
	var n int
	err := d.queryRow(ctx, d.db, `SELECT COUNT(*) FROM spent_tokens WHERE hash = ? AND expires_at > ?`,
		hash, ms(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: token spent: %w", err)
	}
	return n > 0, nil
}

// SpendOnce is SpendToken for callers that must tell "spent before" from
// a fault without knowing this package: fresh is false when hash was
// spent before and has not expired.
func (d *DB) SpendOnce(ctx context.Context, hash string, expires, now time.Time) (fresh bool, err error) {
	err = d.SpendToken(ctx, hash, expires, now)
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// Sweep deletes expired counters, spent tokens, sessions, email links and the embedded
// verify engine's expired verifications and factors. It runs in the
// background, so its statements are not bounded like a request's.
func (d *DB) Sweep(ctx context.Context, now time.Time) error {
	ctx = unbounded(ctx)
	for _, q := range []string{
		`DELETE FROM counters WHERE expires_at <= ?`,
		`DELETE FROM spent_tokens WHERE expires_at <= ?`,
		`DELETE FROM sessions WHERE expiry <= ?`,
		`DELETE FROM remembered_devices WHERE expires_at <= ?`,
		`DELETE FROM login_throttle WHERE expires_at <= ?`,
		`DELETE FROM email_tokens WHERE expires_at <= ?`,
	} {
		if _, err := d.exec(ctx, d.db, q, ms(now)); err != nil {
			return fmt.Errorf("store: sweep: %w", err)
		}
	}
	return d.SweepVerifyLocal(ctx, now)
}
