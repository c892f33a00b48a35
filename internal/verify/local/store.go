package local

import (
	"context"
	"time"

	"gatehouse/internal/store"
)

// Store is the persistence the engine needs; *store.DB implements it. Each
// method that decides something under concurrency does so in one conditional
// statement. Refusals are reported with store.ErrNotFound (no such pending
// verification or factor in the required state), store.ErrLimit (a send,
// check or wrong-code cap is used up) and store.ErrConflict (a TOTP time step
// was already used).
type Store interface {
	// StartSMSVerification records one send: a new verification, or a new
	// code for the pending one to the same number.
	StartSMSVerification(ctx context.Context, p store.SMSStart) (store.SMSVerification, error)
	// SMSVerificationFor returns the verification of a purpose and subject
	// in any state.
	SMSVerificationFor(ctx context.Context, purpose, subject string) (store.SMSVerification, error)
	// CancelSMSVerification deletes the verification of a purpose and subject.
	CancelSMSVerification(ctx context.Context, purpose, subject string) error
	// CheckSMSVerification counts one check and approves on a matching hash.
	CheckSMSVerification(ctx context.Context, p store.SMSCheck) (approved bool, err error)

	// CreateTOTPFactor inserts an unverified factor.
	CreateTOTPFactor(ctx context.Context, f store.TOTPFactor) error
	// TOTPFactorByID returns a factor of an identity in any state.
	TOTPFactorByID(ctx context.Context, identity, sid string) (store.TOTPFactor, error)
	// ApproveTOTP accepts a time step, once, and verifies the factor.
	ApproveTOTP(ctx context.Context, a store.TOTPAttempt) error
	// FailTOTP counts a wrong code.
	FailTOTP(ctx context.Context, a store.TOTPAttempt) error
	// DeleteTOTPFactor removes a factor.
	DeleteTOTPFactor(ctx context.Context, identity, sid string) error

	// SweepVerifyLocal deletes expired verifications and unverified factors.
	SweepVerifyLocal(ctx context.Context, now time.Time) error
}
