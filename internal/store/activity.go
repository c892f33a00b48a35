package store

import (
	"context"
	"fmt"
	"time"
)

// ActivityRecord is one security event of an account.
type ActivityRecord struct {
	ID        string
	UserID    string
	At        time.Time
	IP        string
	UserAgent string
	Event     string
	Detail    string
}

// AddActivity records an event; an empty ID gets a random one.
func (d *DB) AddActivity(ctx context.Context, a ActivityRecord) error {
	if a.ID == "" {
		id, err := randomHex(16)
		if err != nil {
			return fmt.Errorf("store: add activity: %w", err)
		}
		a.ID = id
	}
	if _, err := d.exec(ctx, d.db, `INSERT INTO activity (id, user_id, at, ip, user_agent, event, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.ID, a.UserID, ms(a.At), a.IP, a.UserAgent, a.Event, a.Detail); err != nil {
		return fmt.Errorf("store: add activity: %w", err)
	}
	return nil
}

// Activity returns the user's events, newest first; limit <= 0 means all.
func (d *DB) Activity(ctx context.Context, userID string, limit int) ([]ActivityRecord, error) {
	q := `SELECT id, user_id, at, ip, user_agent, event, detail FROM activity WHERE user_id = ? ORDER BY at DESC, id`
	args := []any{userID}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, done, err := d.query(ctx, d.db, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: activity: %w", err)
	}
	defer done()
	defer rows.Close()
	var out []ActivityRecord
	for rows.Next() {
		var a ActivityRecord
		var at int64
		if err := rows.Scan(&a.ID, &a.UserID, &at, &a.IP, &a.UserAgent, &a.Event, &a.Detail); err != nil {
			return nil, fmt.Errorf("store: activity: %w", noteFault(ctx, err))
		}
		a.At = fromMS(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: activity: %w", noteFault(ctx, err))
	}
	return out, nil
}

// SweepActivity deletes events recorded before the given time.
func (d *DB) SweepActivity(ctx context.Context, before time.Time) error {
	if _, err := d.exec(unbounded(ctx), d.db, `DELETE FROM activity WHERE at < ?`, ms(before)); err != nil {
		return fmt.Errorf("store: sweep activity: %w", err)
	}
	return nil
}
