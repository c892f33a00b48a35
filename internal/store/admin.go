package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Administration of accounts: disabling, deleting, resetting MFA.

// SetDisabled disables (with its sessions ended, in one transaction) or
// enables the user's account; ErrNotFound when the user does not exist.
func (d *DB) SetDisabled(ctx context.Context, userID string, disabled bool, now time.Time) error {
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := d.queryRow(ctx, tx, `SELECT COUNT(*) FROM users WHERE id = ?`, userID).Scan(&n); err != nil {
			return fmt.Errorf("store: set disabled: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("store: set disabled: %w", ErrNotFound)
		}
		if !disabled {
			if _, err := d.exec(ctx, tx, `DELETE FROM disabled_accounts WHERE user_id = ?`, userID); err != nil {
				return fmt.Errorf("store: enable: %w", err)
			}
			return nil
		}
		if _, err := d.exec(ctx, tx, `INSERT INTO disabled_accounts (user_id, disabled_at) VALUES (?, ?)
			ON CONFLICT (user_id) DO NOTHING`, userID, ms(now)); err != nil {
			return fmt.Errorf("store: disable: %w", err)
		}
		if _, err := d.exec(ctx, tx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("store: disable: %w", err)
		}
		return nil
	})
}

// IsDisabled reports whether the user's account is disabled.
func (d *DB) IsDisabled(ctx context.Context, userID string) (bool, error) {
	var n int
	if err := d.queryRow(ctx, d.db, `SELECT COUNT(*) FROM disabled_accounts WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("store: is disabled: %w", err)
	}
	return n > 0, nil
}

// DeleteUser deletes the account with everything that hangs off it
// (sessions, devices, codes, activity) in one transaction; ErrNotFound
// when it does not exist.
func (d *DB) DeleteUser(ctx context.Context, userID string) error {
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := d.exec(ctx, tx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
		res, err := d.exec(ctx, tx, `DELETE FROM users WHERE id = ?`, userID)
		if err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: delete user: %w", ErrNotFound)
		}
		return nil
	})
}

// ResetMFA removes the user's authenticator link, backup codes and
// remembered devices and turns the MFA flag off, in one transaction;
// ErrNotFound when the user does not exist.
func (d *DB) ResetMFA(ctx context.Context, userID string, now time.Time) error {
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM totp_devices WHERE user_id = ?`,
			`DELETE FROM backup_codes WHERE user_id = ?`,
			`DELETE FROM remembered_devices WHERE user_id = ?`,
		} {
			if _, err := d.exec(ctx, tx, q, userID); err != nil {
				return fmt.Errorf("store: reset mfa: %w", err)
			}
		}
		res, err := d.exec(ctx, tx, `UPDATE users SET mfa_enabled = 0, updated_at = ? WHERE id = ?`, ms(now), userID)
		if err != nil {
			return fmt.Errorf("store: reset mfa: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: reset mfa: %w", ErrNotFound)
		}
		return nil
	})
}
