package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TOTPDevice links an account to its authenticator factor at the provider.
type TOTPDevice struct {
	UserID      string
	FactorSID   string
	Confirmed   bool
	CreatedAt   time.Time
	ConfirmedAt time.Time
}

// TOTPDevice returns the user's device, confirmed or pending, or ErrNotFound.
func (d *DB) TOTPDevice(ctx context.Context, userID string) (TOTPDevice, error) {
	var dev TOTPDevice
	var confirmed int
	var created, confirmedAt int64
	err := d.queryRow(ctx, d.db, `SELECT user_id, factor_sid, confirmed, created_at, confirmed_at
		FROM totp_devices WHERE user_id = ?`, userID).Scan(&dev.UserID, &dev.FactorSID, &confirmed, &created, &confirmedAt)
	if isNoRows(err) {
		return TOTPDevice{}, fmt.Errorf("store: totp device: %w", ErrNotFound)
	}
	if err != nil {
		return TOTPDevice{}, fmt.Errorf("store: totp device: %w", err)
	}
	dev.Confirmed = confirmed != 0
	dev.CreatedAt, dev.ConfirmedAt = fromMS(created), fromMS(confirmedAt)
	return dev, nil
}

// SavePendingDevice records a new, unconfirmed factor for the user,
// replacing a pending one. When a confirmed device exists it changes nothing
// and returns ErrConflict.
func (d *DB) SavePendingDevice(ctx context.Context, userID, factorSID string, now time.Time) error {
	res, err := d.exec(ctx, d.db, `INSERT INTO totp_devices (user_id, factor_sid, confirmed, created_at)
		VALUES (?, ?, 0, ?)
		ON CONFLICT (user_id) DO UPDATE SET factor_sid = excluded.factor_sid, created_at = excluded.created_at
		WHERE totp_devices.confirmed = 0`, userID, factorSID, ms(now))
	if err != nil {
		return fmt.Errorf("store: save pending device: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: save pending device: %w", ErrConflict)
	}
	return nil
}

// ConfirmDevice marks the user's pending factor confirmed, in one
// conditional write; ErrNotFound when no such pending factor exists.
func (d *DB) ConfirmDevice(ctx context.Context, userID, factorSID string, now time.Time) error {
	res, err := d.exec(ctx, d.db, `UPDATE totp_devices SET confirmed = 1, confirmed_at = ?
		WHERE user_id = ? AND factor_sid = ? AND confirmed = 0`, ms(now), userID, factorSID)
	if err != nil {
		return fmt.Errorf("store: confirm device: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: confirm device: %w", ErrNotFound)
	}
	return nil
}

// DeleteDevice removes the user's device with that factor SID.
func (d *DB) DeleteDevice(ctx context.Context, userID, factorSID string) error {
	if _, err := d.exec(ctx, d.db, `DELETE FROM totp_devices WHERE user_id = ? AND factor_sid = ?`,
		userID, factorSID); err != nil {
		return fmt.Errorf("store: delete device: %w", err)
	}
	return nil
}

// ReplaceBackupCodes swaps the user's backup codes for a new set of hashes,
// in one transaction: the old set stops working exactly when the new one
// starts. Concurrent replacements for one user are serialised, so exactly
// one set survives.
func (d *DB) ReplaceBackupCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Lock the user's row first (a no-op write, portable). SQLite's
		// immediate transactions are serial anyway; PostgreSQL's READ
		// COMMITTED ones are not: without the lock two replacements would
		// each delete only the codes visible to them and both new sets
		// would stay valid.
		if _, err := d.exec(ctx, tx, `UPDATE users SET updated_at = updated_at WHERE id = ?`, userID); err != nil {
			return fmt.Errorf("store: replace backup codes: %w", err)
		}
		if _, err := d.exec(ctx, tx, `DELETE FROM backup_codes WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("store: replace backup codes: %w", err)
		}
		for _, h := range hashes {
			if _, err := d.exec(ctx, tx, `INSERT INTO backup_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
				userID, h, ms(now)); err != nil {
				return fmt.Errorf("store: replace backup codes: %w", err)
			}
		}
		return nil
	})
}

// UseBackupCode spends the unused backup code with that hash in one
// conditional write; it reports false when there is none (wrong or used).
func (d *DB) UseBackupCode(ctx context.Context, userID, hash string, now time.Time) (bool, error) {
	res, err := d.exec(ctx, d.db, `UPDATE backup_codes SET used_at = ?
		WHERE user_id = ? AND code_hash = ? AND used_at = 0`, ms(now), userID, hash)
	if err != nil {
		return false, fmt.Errorf("store: use backup code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// BackupCodeUsed reports whether hash is one of the user's codes that was
// used already (so a refusal can say so).
func (d *DB) BackupCodeUsed(ctx context.Context, userID, hash string) (bool, error) {
	var n int
	if err := d.queryRow(ctx, d.db, `SELECT COUNT(*) FROM backup_codes WHERE user_id = ? AND code_hash = ? AND used_at <> 0`,
		userID, hash).Scan(&n); err != nil {
		return false, fmt.Errorf("store: backup code used: %w", err)
	}
	return n > 0, nil
}

// BackupCodesLeft counts the user's unused backup codes.
func (d *DB) BackupCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := d.queryRow(ctx, d.db, `SELECT COUNT(*) FROM backup_codes WHERE user_id = ? AND used_at = 0`,
		userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: backup codes left: %w", err)
	}
	return n, nil
}
