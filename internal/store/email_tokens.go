package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// EmailToken is a single-use link sent by email, by the keyed hash of its
// token. The token itself is never stored.
type EmailToken struct {
	Hash      string
	UserID    string
	Purpose   string // what the link does, named by the caller ("verify_email", "reset")
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
}

// CreateEmailToken stores t and, in the same transaction, deletes the
// user's unused tokens of the same purpose: only the newest link of a kind
// works. A hash that exists already returns ErrConflict.
func (d *DB) CreateEmailToken(ctx context.Context, t EmailToken) error {
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := d.exec(ctx, tx, `DELETE FROM email_tokens WHERE user_id = ? AND purpose = ? AND used_at = 0`,
			t.UserID, t.Purpose); err != nil {
			return fmt.Errorf("store: create email token: %w", err)
		}
		_, err := d.exec(ctx, tx, `INSERT INTO email_tokens (hash, user_id, purpose, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, t.Hash, t.UserID, t.Purpose, ms(t.CreatedAt), ms(t.ExpiresAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("store: create email token: %w", ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("store: create email token: %w", err)
		}
		return nil
	})
}

// EmailToken returns the live token with that hash and purpose. A token that
// is absent, used, expired at now or of another purpose is ErrNotFound.
func (d *DB) EmailToken(ctx context.Context, hash, purpose string, now time.Time) (EmailToken, error) {
	t := EmailToken{Hash: hash}
	var created, expires, used int64
	err := d.queryRow(ctx, d.db, `SELECT user_id, purpose, created_at, expires_at, used_at FROM email_tokens
		WHERE hash = ? AND purpose = ? AND used_at = 0 AND expires_at > ?`, hash, purpose, ms(now)).
		Scan(&t.UserID, &t.Purpose, &created, &expires, &used)
	if isNoRows(err) {
		return EmailToken{}, fmt.Errorf("store: email token: %w", ErrNotFound)
	}
	if err != nil {
		return EmailToken{}, fmt.Errorf("store: email token: %w", err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return t, nil
}

// UseEmailToken consumes the live token with that hash and purpose in one
// conditional write and returns its user. A token that is absent, used,
// expired or of another purpose is ErrNotFound; of two racing calls exactly
// one succeeds.
func (d *DB) UseEmailToken(ctx context.Context, hash, purpose string, now time.Time) (string, error) {
	return d.useEmailToken(ctx, d.db, hash, purpose, "", now)
}

// useEmailToken consumes a token on x; a non-empty userID must match too.
func (d *DB) useEmailToken(ctx context.Context, x querier, hash, purpose, userID string, now time.Time) (string, error) {
	var uid string
	err := d.queryRow(ctx, x, `UPDATE email_tokens SET used_at = ?
		WHERE hash = ? AND purpose = ? AND used_at = 0 AND expires_at > ? AND (? = '' OR user_id = ?)
		RETURNING user_id`, ms(now), hash, purpose, ms(now), userID, userID).Scan(&uid)
	if isNoRows(err) {
		return "", fmt.Errorf("store: use email token: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: use email token: %w", err)
	}
	return uid, nil
}

// VerifyEmail consumes the live token with that hash and purpose and marks
// its user's email verified at now, in one transaction; it returns the user.
// A token that cannot be used is ErrNotFound and changes nothing. An address
// verified before keeps its first time.
func (d *DB) VerifyEmail(ctx context.Context, hash, purpose string, now time.Time) (string, error) {
	var uid string
	err := d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if uid, err = d.useEmailToken(ctx, tx, hash, purpose, "", now); err != nil {
			return err
		}
		if _, err := d.exec(ctx, tx, `UPDATE users SET email_verified_at = ? WHERE id = ? AND email_verified_at = 0`,
			ms(now), uid); err != nil {
			return fmt.Errorf("store: verify email: %w", err)
		}
		return nil
	})
	return uid, err
}

// EmailVerifiedAt returns when the user's email was verified, the zero time
// while it is not; ErrNotFound when the user does not exist.
func (d *DB) EmailVerifiedAt(ctx context.Context, userID string) (time.Time, error) {
	var at int64
	err := d.queryRow(ctx, d.db, `SELECT email_verified_at FROM users WHERE id = ?`, userID).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, fmt.Errorf("store: email verified: %w", ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: email verified: %w", err)
	}
	return fromMS(at), nil
}

// SetPassword replaces the user's password hash; ErrNotFound when the user
// does not exist.
func (d *DB) SetPassword(ctx context.Context, userID, passwordHash string, now time.Time) error {
	res, err := d.exec(ctx, d.db, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
		passwordHash, ms(now), userID)
	if err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set password: %w", ErrNotFound)
	}
	return nil
}

// ResetPassword consumes the user's live token with that hash and purpose
// and replaces the password hash, in one transaction: either both happen or
// neither. A token that is absent, used, expired, of another purpose or of
// another user is ErrNotFound; of two racing resets with one token exactly
// one succeeds.
func (d *DB) ResetPassword(ctx context.Context, userID, hash, purpose, passwordHash string, now time.Time) error {
	if userID == "" {
		return fmt.Errorf("store: reset password: %w", ErrNotFound)
	}
	return d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := d.useEmailToken(ctx, tx, hash, purpose, userID, now); err != nil {
			return fmt.Errorf("store: reset password: %w", err)
		}
		if _, err := d.exec(ctx, tx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
			passwordHash, ms(now), userID); err != nil {
			return fmt.Errorf("store: reset password: %w", err)
		}
		return nil
	})
}
