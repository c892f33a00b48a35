package store

import (
	"context"
	"fmt"
	"time"
)

// RememberedDevice is a browser that skips the sign-in's second factor.
// TokenHash is hex SHA-256 of the cookie's token (see TokenHash).
type RememberedDevice struct {
	ID        string
	UserID    string
	TokenHash string
	CreatedAt time.Time
	LastUsed  time.Time
	IP        string
	UserAgent string
	ExpiresAt time.Time
}

// RememberDevice records a remembered device.
func (d *DB) RememberDevice(ctx context.Context, rd RememberedDevice) error {
	_, err := d.exec(ctx, d.db, `INSERT INTO remembered_devices
		(id, user_id, token_hash, created_at, last_used, ip, user_agent, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		rd.ID, rd.UserID, rd.TokenHash, ms(rd.CreatedAt), ms(rd.LastUsed), rd.IP, rd.UserAgent, ms(rd.ExpiresAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("store: remember device: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: remember device: %w", err)
	}
	return nil
}

// UseRememberedDevice stamps the user's live device with that token hash as
// used now, in one conditional write; ErrNotFound when there is none (never
// remembered, forgotten, expired, or another account's).
func (d *DB) UseRememberedDevice(ctx context.Context, userID, tokenHash, ip string, now time.Time) error {
	res, err := d.exec(ctx, d.db, `UPDATE remembered_devices SET last_used = ?, ip = ?
		WHERE user_id = ? AND token_hash = ? AND expires_at > ?`, ms(now), ip, userID, tokenHash, ms(now))
	if err != nil {
		return fmt.Errorf("store: use remembered device: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: use remembered device: %w", ErrNotFound)
	}
	return nil
}

// RememberedDevices returns the user's live devices, the most recently used first.
func (d *DB) RememberedDevices(ctx context.Context, userID string, now time.Time) ([]RememberedDevice, error) {
	rows, done, err := d.query(ctx, d.db, `SELECT id, user_id, token_hash, created_at, last_used, ip, user_agent, expires_at
		FROM remembered_devices WHERE user_id = ? AND expires_at > ? ORDER BY last_used DESC, id`, userID, ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: remembered devices: %w", err)
	}
	defer done()
	defer rows.Close()
	var out []RememberedDevice
	for rows.Next() {
		var rd RememberedDevice
		var created, used, exp int64
		if err := rows.Scan(&rd.ID, &rd.UserID, &rd.TokenHash, &created, &used, &rd.IP, &rd.UserAgent, &exp); err != nil {
			return nil, fmt.Errorf("store: remembered devices: %w", noteFault(ctx, err))
		}
		rd.CreatedAt, rd.LastUsed, rd.ExpiresAt = fromMS(created), fromMS(used), fromMS(exp)
		out = append(out, rd)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: remembered devices: %w", noteFault(ctx, err))
	}
	return out, nil
}

// ForgetDevice deletes one of the user's devices; ErrNotFound when the
// user has no device with that id.
func (d *DB) ForgetDevice(ctx context.Context, userID, id string) error {
	res, err := d.exec(ctx, d.db, `DELETE FROM remembered_devices WHERE user_id = ? AND id = ?`, userID, id)
	if err != nil {
		return fmt.Errorf("store: forget device: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: forget device: %w", ErrNotFound)
	}
	return nil
}

// ForgetDevices deletes every remembered device of the user (password
// change or reset, authenticator removal, MFA reset) and returns how many.
func (d *DB) ForgetDevices(ctx context.Context, userID string) (int, error) {
	res, err := d.exec(ctx, d.db, `DELETE FROM remembered_devices WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("store: forget devices: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
