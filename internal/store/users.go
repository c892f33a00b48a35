package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// User is an account row.
type User struct {
	ID             string
	Email          string
	FirstName      string
	LastName       string
	PasswordHash   string
	Phone          string // E.164, empty when none
	MFAEnabled     bool
	VerifyIdentity string // opaque identity at the verify provider
	FailedAttempts int
	LockedUntil    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const userColumns = `id, email, first_name, last_name, password_hash, phone, mfa_enabled,
	verify_identity, failed_attempts, locked_until, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var mfa int
	var locked, created, updated int64
	err := row.Scan(&u.ID, &u.Email, &u.FirstName, &u.LastName, &u.PasswordHash, &u.Phone, &mfa,
		&u.VerifyIdentity, &u.FailedAttempts, &locked, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("store: scan user: %w", err)
	}
	u.MFAEnabled = mfa != 0
	u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromMS(locked), fromMS(created), fromMS(updated)
	return u, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateUser inserts u. An email that already exists returns ErrConflict.
func (d *DB) CreateUser(ctx context.Context, u User) error {
	return d.createUser(ctx, d.db, u)
}

func (d *DB) createUser(ctx context.Context, x querier, u User) error {
	_, err := d.exec(ctx, x, `INSERT INTO users (`+userColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		u.ID, u.Email, u.FirstName, u.LastName, u.PasswordHash, u.Phone, boolInt(u.MFAEnabled),
		u.VerifyIdentity, u.FailedAttempts, ms(u.LockedUntil), ms(u.CreatedAt), ms(u.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("store: create user: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	return nil
}

// UserByEmail returns the user with that (already normalised) email, or ErrNotFound.
func (d *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	return scanUser(d.queryRow(ctx, d.db, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
}

// UserByID returns the user with that id, or ErrNotFound.
func (d *DB) UserByID(ctx context.Context, id string) (User, error) {
	return scanUser(d.queryRow(ctx, d.db, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// EmailExists reports whether an account uses email.
func (d *DB) EmailExists(ctx context.Context, email string) (bool, error) {
	var n int
	if err := d.queryRow(ctx, d.db, `SELECT COUNT(*) FROM users WHERE email = ?`, email).Scan(&n); err != nil {
		return false, fmt.Errorf("store: email exists: %w", err)
	}
	return n > 0, nil
}

// ListUsers returns every user ordered by creation.
func (d *DB) ListUsers(ctx context.Context) ([]User, error) {
	rows, done, err := d.query(ctx, d.db, `SELECT `+userColumns+` FROM users ORDER BY created_at, email`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer done()
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list users: %w", noteFault(ctx, err))
	}
	return out, nil
}

// SetPhoneMFA saves a verified phone number and turns the MFA flag on, in one
// write. It returns ErrNotFound when the user does not exist.
func (d *DB) SetPhoneMFA(ctx context.Context, userID, phone string, now time.Time) error {
	res, err := d.exec(ctx, d.db, `UPDATE users SET phone = ?, mfa_enabled = 1, updated_at = ? WHERE id = ?`,
		phone, ms(now), userID)
	if err != nil {
		return fmt.Errorf("store: set phone: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set phone: %w", ErrNotFound)
	}
	return nil
}

// Attempt is the account state after counting one sign-in attempt.
type Attempt struct {
	Count       int       // attempts counted since the last success or lock, this one included
	LockedUntil time.Time // zero or past when not locked
	// Refused is true when the attempt was not counted: the account waits
	// (LockedUntil is after now) or already holds max attempts.
	Refused bool
}

// BeginAttempt counts a sign-in attempt on an account before it is checked,
// in one conditional update, so parallel attempts each see a distinct count
// and never more than max are counted: an account that waits (locked_until
// after now) or holds max attempts is not counted again and the answer has
// Refused set.
func (d *DB) BeginAttempt(ctx context.Context, userID string, max int, now time.Time) (Attempt, error) {
	var a Attempt
	var locked int64
	err := d.queryRow(ctx, d.db, `UPDATE users SET failed_attempts = failed_attempts + 1
		WHERE id = ? AND locked_until <= ? AND failed_attempts < ?
		RETURNING failed_attempts, locked_until`, userID, ms(now), max).Scan(&a.Count, &locked)
	if isNoRows(err) {
		a.Refused = true
		err = d.queryRow(ctx, d.db, `SELECT failed_attempts, locked_until FROM users WHERE id = ?`, userID).
			Scan(&a.Count, &locked)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Attempt{}, fmt.Errorf("store: begin attempt: %w", ErrNotFound)
	}
	if err != nil {
		return Attempt{}, fmt.Errorf("store: begin attempt: %w", err)
	}
	a.LockedUntil = fromMS(locked)
	return a, nil
}

// Unlock ends an account's wait and clears its counted attempts.
func (d *DB) Unlock(ctx context.Context, userID string) error {
	if _, err := d.exec(ctx, d.db, `UPDATE users SET failed_attempts = 0, locked_until = 0 WHERE id = ?`, userID); err != nil {
		return fmt.Errorf("store: unlock: %w", err)
	}
	return nil
}

// EnableMFA saves a verified phone number and turns the MFA flag on, only
// while the flag is off: it returns ErrConflict when the flag was already
// on (the account changed since the caller read it) and ErrNotFound when
// the user does not exist.
func (d *DB) EnableMFA(ctx context.Context, userID, phone string, now time.Time) error {
	res, err := d.exec(ctx, d.db, `UPDATE users SET phone = ?, mfa_enabled = 1, updated_at = ?
		WHERE id = ? AND mfa_enabled = 0`, phone, ms(now), userID)
	if err != nil {
		return fmt.Errorf("store: enable mfa: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := d.UserByID(ctx, userID); err != nil {
		return fmt.Errorf("store: enable mfa: %w", err)
	}
	return fmt.Errorf("store: enable mfa: %w", ErrConflict)
}

// ResetAttempts clears the counted attempts after a success.
func (d *DB) ResetAttempts(ctx context.Context, userID string) error {
	if _, err := d.exec(ctx, d.db, `UPDATE users SET failed_attempts = 0 WHERE id = ?`, userID); err != nil {
		return fmt.Errorf("store: reset attempts: %w", err)
	}
	return nil
}

// Lock locks the account until the given time and restarts its count.
func (d *DB) Lock(ctx context.Context, userID string, until time.Time) error {
	if _, err := d.exec(ctx, d.db, `UPDATE users SET failed_attempts = 0, locked_until = ? WHERE id = ?`,
		ms(until), userID); err != nil {
		return fmt.Errorf("store: lock: %w", err)
	}
	return nil
}

// EndAttempt takes back one attempt counted by BeginAttempt that turned out
// not to be a failure.
func (d *DB) EndAttempt(ctx context.Context, userID string) error {
	if _, err := d.exec(ctx, d.db, `UPDATE users SET failed_attempts = failed_attempts - 1
		WHERE id = ? AND failed_attempts > 0`, userID); err != nil {
		return fmt.Errorf("store: end attempt: %w", err)
	}
	return nil
}
