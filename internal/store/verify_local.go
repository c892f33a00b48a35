package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// This file holds the tables of the embedded verify engine (package
// verify/local). Every decision that must hold under concurrency — a send or
// check within its cap, a code approved once, a TOTP step used once — is one
// conditional statement; a follow-up read only explains a refusal.

// ErrLimit is returned when a conditional write is refused because a send,
// check or wrong-code cap is used up.
var ErrLimit = errors.New("store: limit reached")

// SMS verification and TOTP factor statuses, as stored.
const (
	SMSPending     = "pending"
	SMSApproved    = "approved"
	TOTPUnverified = "unverified"
	TOTPVerified   = "verified"
)

// SMSVerification is one SMS verification of the embedded engine.
type SMSVerification struct {
	Purpose   string // what started it: registration, sign-in, phone change …
	Subject   string // whom it belongs to: an account or a registration
	SID       string
	To        string
	Status    string // SMSPending or SMSApproved
	Sends     int
	Checks    int
	CreatedAt time.Time
	SentAt    time.Time
	ExpiresAt time.Time // the current code works strictly before this
}

// SMSStart describes one send of an SMS verification.
type SMSStart struct {
	Purpose   string
	Subject   string
	To        string
	SID       string                  // the sid a new verification gets
	CodeHash  func(sid string) []byte // hash of the new code bound to the verification's sid
	Now       time.Time
	ExpiresAt time.Time
	MaxSends  int
}

// StartSMSVerification records a send to p.To for p.Purpose and p.Subject.
// A pending, unexpired verification of that purpose and subject to the same
// number keeps its sid and check count, gets the new code hash, one more
// send and a new expiry; any other row (approved, expired, another number)
// or none is replaced by a new verification with sid p.SID. It returns
// ErrLimit, changing nothing, when the pending verification has used
// p.MaxSends sends.
//
// The decision is one conditional upsert. The code hash depends on the sid the
// upsert chose, so when it kept an existing sid the hash is rewritten in the
// same transaction.
func (d *DB) StartSMSVerification(ctx context.Context, p SMSStart) (SMSVerification, error) {
	n := ms(p.Now)
	v := SMSVerification{Purpose: p.Purpose, Subject: p.Subject, To: p.To, Status: SMSPending}
	var created, sent, expires int64
	const live = `verify_sms.status = 'pending' AND verify_sms.expires_at > ? AND verify_sms.to_number = excluded.to_number`
	err := d.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := d.queryRow(ctx, tx, `INSERT INTO verify_sms
			(purpose, subject, to_number, sid, code_hash, status, sends, checks, created_at, sent_at, expires_at)
			VALUES (?, ?, ?, ?, ?, 'pending', 1, 0, ?, ?, ?)
			ON CONFLICT (purpose, subject) DO UPDATE SET
				sid = CASE WHEN `+live+` THEN verify_sms.sid ELSE excluded.sid END,
				sends = CASE WHEN `+live+` THEN verify_sms.sends + 1 ELSE 1 END,
				checks = CASE WHEN `+live+` THEN verify_sms.checks ELSE 0 END,
				created_at = CASE WHEN `+live+` THEN verify_sms.created_at ELSE excluded.created_at END,
				to_number = excluded.to_number,
				status = 'pending',
				code_hash = excluded.code_hash,
				sent_at = excluded.sent_at,
				expires_at = excluded.expires_at
			WHERE NOT (`+live+`) OR verify_sms.sends < ?
			RETURNING sid, sends, checks, created_at, sent_at, expires_at`,
			p.Purpose, p.Subject, p.To, p.SID, p.CodeHash(p.SID), n, n, ms(p.ExpiresAt), n, n, n, n, n, p.MaxSends).
			Scan(&v.SID, &v.Sends, &v.Checks, &created, &sent, &expires)
		if isNoRows(err) {
			return ErrLimit
		}
		if err != nil || v.SID == p.SID {
			return err
		}
		_, err = d.exec(ctx, tx, `UPDATE verify_sms SET code_hash = ? WHERE sid = ?`, p.CodeHash(v.SID), v.SID)
		return err
	})
	if err != nil {
		return SMSVerification{}, fmt.Errorf("store: start sms verification: %w", err)
	}
	v.CreatedAt, v.SentAt, v.ExpiresAt = fromMS(created), fromMS(sent), fromMS(expires)
	return v, nil
}

// SMSVerificationFor returns the verification of purpose and subject,
// whatever its status or expiry, or ErrNotFound.
func (d *DB) SMSVerificationFor(ctx context.Context, purpose, subject string) (SMSVerification, error) {
	v := SMSVerification{Purpose: purpose, Subject: subject}
	var created, sent, expires int64
	err := d.queryRow(ctx, d.db, `SELECT to_number, sid, status, sends, checks, created_at, sent_at, expires_at
		FROM verify_sms WHERE purpose = ? AND subject = ?`, purpose, subject).
		Scan(&v.To, &v.SID, &v.Status, &v.Sends, &v.Checks, &created, &sent, &expires)
	if isNoRows(err) {
		return SMSVerification{}, fmt.Errorf("store: sms verification: %w", ErrNotFound)
	}
	if err != nil {
		return SMSVerification{}, fmt.Errorf("store: sms verification: %w", err)
	}
	v.CreatedAt, v.SentAt, v.ExpiresAt = fromMS(created), fromMS(sent), fromMS(expires)
	return v, nil
}

// CancelSMSVerification deletes the verification of purpose and subject,
// or returns ErrNotFound when there is none.
func (d *DB) CancelSMSVerification(ctx context.Context, purpose, subject string) error {
	res, err := d.exec(ctx, d.db, `DELETE FROM verify_sms WHERE purpose = ? AND subject = ?`, purpose, subject)
	if err != nil {
		return fmt.Errorf("store: cancel sms verification: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("store: cancel sms verification: %w", ErrNotFound)
	}
	return nil
}

// SMSCheck describes one check of a code against an SMS verification.
type SMSCheck struct {
	SID       string
	To        string
	CodeHash  []byte // hash of the submitted code bound to SID
	Now       time.Time
	MaxChecks int
}

// CheckSMSVerification counts one check of the pending, unexpired
// verification p.SID to p.To and approves it when p.CodeHash matches, in one
// conditional update. It returns ErrLimit when the verification has used
// p.MaxChecks checks, and ErrNotFound when it does not exist, has expired or
// was already approved.
func (d *DB) CheckSMSVerification(ctx context.Context, p SMSCheck) (approved bool, err error) {
	n := ms(p.Now)
	var status string
	err = d.queryRow(ctx, d.db, `UPDATE verify_sms SET
			checks = checks + 1,
			status = CASE WHEN code_hash = ? THEN 'approved' ELSE status END
		WHERE sid = ? AND to_number = ? AND status = 'pending' AND expires_at > ? AND checks < ?
		RETURNING status`,
		p.CodeHash, p.SID, p.To, n, p.MaxChecks).Scan(&status)
	if err == nil {
		return status == SMSApproved, nil
	}
	if !isNoRows(err) {
		return false, fmt.Errorf("store: check sms verification: %w", err)
	}
	// Refused: tell a used-up verification from a missing one.
	var checks int
	err = d.queryRow(ctx, d.db, `SELECT checks FROM verify_sms
		WHERE sid = ? AND to_number = ? AND status = 'pending' AND expires_at > ?`, p.SID, p.To, n).Scan(&checks)
	switch {
	case isNoRows(err):
		return false, fmt.Errorf("store: check sms verification: %w", ErrNotFound)
	case err != nil:
		return false, fmt.Errorf("store: check sms verification: %w", err)
	case checks >= p.MaxChecks:
		return false, fmt.Errorf("store: check sms verification: %w", ErrLimit)
	}
	// The verification changed between the two statements (a concurrent
	// check approved or used it up, or a resend happened); it was not
	// checked by this call.
	return false, fmt.Errorf("store: check sms verification: %w", ErrNotFound)
}

// TOTPFactor is one TOTP factor of the embedded engine.
type TOTPFactor struct {
	SID           string
	Identity      string
	FriendlyName  string
	SecretSealed  []byte // AES-GCM nonce || ciphertext; the store never sees the secret
	Status        string // TOTPUnverified or TOTPVerified
	Failures      int    // wrong codes in the current streak
	LastFailureAt time.Time
	LastUsedStep  int64 // the last accepted time step; only later steps are accepted
	CreatedAt     time.Time
	ExpiresAt     time.Time // an unverified factor is gone from this instant; zero once verified
	VerifiedAt    time.Time
}

// CreateTOTPFactor inserts an unverified factor. A taken sid returns ErrConflict.
func (d *DB) CreateTOTPFactor(ctx context.Context, f TOTPFactor) error {
	_, err := d.exec(ctx, d.db, `INSERT INTO verify_totp_factors
		(sid, identity, friendly_name, secret_sealed, status, created_at, expires_at)
		VALUES (?, ?, ?, ?, 'unverified', ?, ?)`,
		f.SID, f.Identity, f.FriendlyName, f.SecretSealed, ms(f.CreatedAt), ms(f.ExpiresAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("store: create totp factor: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create totp factor: %w", err)
	}
	return nil
}

// TOTPFactorByID returns the factor sid of identity, whatever its status or
// expiry, or ErrNotFound.
func (d *DB) TOTPFactorByID(ctx context.Context, identity, sid string) (TOTPFactor, error) {
	f := TOTPFactor{SID: sid, Identity: identity}
	var lastFail, created, expires, verified int64
	err := d.queryRow(ctx, d.db, `SELECT friendly_name, secret_sealed, status, failures, last_failure_at,
			last_used_step, created_at, expires_at, verified_at
		FROM verify_totp_factors WHERE sid = ? AND identity = ?`, sid, identity).
		Scan(&f.FriendlyName, &f.SecretSealed, &f.Status, &f.Failures, &lastFail,
			&f.LastUsedStep, &created, &expires, &verified)
	if isNoRows(err) {
		return TOTPFactor{}, fmt.Errorf("store: totp factor: %w", ErrNotFound)
	}
	if err != nil {
		return TOTPFactor{}, fmt.Errorf("store: totp factor: %w", err)
	}
	f.LastFailureAt, f.CreatedAt, f.ExpiresAt, f.VerifiedAt = fromMS(lastFail), fromMS(created), fromMS(expires), fromMS(verified)
	return f, nil
}

// TOTPAttempt describes one code submitted for a factor.
type TOTPAttempt struct {
	Identity    string
	SID         string
	Status      string // the status the factor must have: TOTPUnverified or TOTPVerified
	Step        int64  // the time step the code matched (ApproveTOTP only)
	Now         time.Time
	MaxFailures int // wrong codes in a streak before the factor is refused
	// Lockout, when positive, forgets a streak whose last wrong code is at
	// least this old; zero keeps the streak for the factor's lifetime.
	Lockout time.Duration
}

// totpGate is the condition every write of an attempt requires: the factor
// of the identity has the expected status, is unexpired when unverified, and
// its wrong-code streak is under the cap or forgotten. Its arguments are
// totpGateArgs.
const totpGate = `sid = ? AND identity = ? AND status = ?
	AND (status = 'verified' OR expires_at > ?)
	AND (failures < ? OR last_failure_at <= ?)`

func totpGateArgs(a TOTPAttempt) []any {
	return []any{a.SID, a.Identity, a.Status, ms(a.Now), a.MaxFailures, forgetBefore(a)}
}

// forgetBefore is the stored time at or before which a last wrong code no
// longer counts; -1 (never) when there is no lockout.
func forgetBefore(a TOTPAttempt) int64 {
	if a.Lockout <= 0 {
		return -1
	}
	return ms(a.Now.Add(-a.Lockout))
}

// ApproveTOTP accepts a code that matched a.Step: it marks the factor
// verified, records the step as used and ends the wrong-code streak, in one
// conditional update that requires the step to be later than any used before,
// so of two requests with the same code exactly one wins. A refusal returns
// ErrNotFound (no such factor in that status), ErrLimit (wrong-code cap) or
// ErrConflict (the step, or a later one, was already used).
func (d *DB) ApproveTOTP(ctx context.Context, a TOTPAttempt) error {
	n := ms(a.Now)
	res, err := d.exec(ctx, d.db, `UPDATE verify_totp_factors SET
			status = 'verified',
			expires_at = 0,
			verified_at = CASE WHEN verified_at = 0 THEN ? ELSE verified_at END,
			last_used_step = ?,
			failures = 0,
			last_failure_at = 0
		WHERE `+totpGate+` AND last_used_step < ?`,
		append(append([]any{n, a.Step}, totpGateArgs(a)...), a.Step)...)
	if err != nil {
		return fmt.Errorf("store: approve totp: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return nil
	}
	return fmt.Errorf("store: approve totp: %w", d.totpRefusal(ctx, a, true))
}

// FailTOTP counts one wrong code against the factor: the streak grows by one,
// or restarts at one when the previous wrong code is forgotten. It returns
// ErrLimit when the streak is already at the cap (nothing is counted) and
// ErrNotFound when there is no such factor in that status.
func (d *DB) FailTOTP(ctx context.Context, a TOTPAttempt) error {
	forget := forgetBefore(a)
	res, err := d.exec(ctx, d.db, `UPDATE verify_totp_factors SET
			failures = CASE WHEN last_failure_at <= ? THEN 1 ELSE failures + 1 END,
			last_failure_at = ?
		WHERE `+totpGate,
		append([]any{forget, ms(a.Now)}, totpGateArgs(a)...)...)
	if err != nil {
		return fmt.Errorf("store: fail totp: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return nil
	}
	return fmt.Errorf("store: fail totp: %w", d.totpRefusal(ctx, a, false))
}

// totpRefusal explains why a conditional write of attempt a changed nothing.
func (d *DB) totpRefusal(ctx context.Context, a TOTPAttempt, approving bool) error {
	f, err := d.TOTPFactorByID(ctx, a.Identity, a.SID)
	if err != nil {
		return err
	}
	if f.Status != a.Status || (f.Status == TOTPUnverified && !a.Now.Before(f.ExpiresAt)) {
		return ErrNotFound
	}
	if f.Failures >= a.MaxFailures && ms(f.LastFailureAt) > forgetBefore(a) {
		return ErrLimit
	}
	if approving {
		// The step was used, or the row changed between the two statements:
		// either way this code was not accepted.
		return ErrConflict
	}
	// The row changed between the two statements; nothing was counted.
	return ErrLimit
}

// DeleteTOTPFactor removes the factor sid of identity, or returns ErrNotFound.
func (d *DB) DeleteTOTPFactor(ctx context.Context, identity, sid string) error {
	res, err := d.exec(ctx, d.db, `DELETE FROM verify_totp_factors WHERE sid = ? AND identity = ?`, sid, identity)
	if err != nil {
		return fmt.Errorf("store: delete totp factor: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("store: delete totp factor: %w", ErrNotFound)
	}
	return nil
}

// SweepVerifyLocal deletes SMS verifications whose code has expired and
// unverified TOTP factors that have expired.
func (d *DB) SweepVerifyLocal(ctx context.Context, now time.Time) error {
	n := ms(now)
	if _, err := d.exec(ctx, d.db, `DELETE FROM verify_sms WHERE expires_at <= ?`, n); err != nil {
		return fmt.Errorf("store: sweep verify: %w", err)
	}
	if _, err := d.exec(ctx, d.db, `DELETE FROM verify_totp_factors WHERE status = 'unverified' AND expires_at <= ?`, n); err != nil {
		return fmt.Errorf("store: sweep verify: %w", err)
	}
	return nil
}
