// Package verify defines the one-time-code provider the portal talks to, in
// Twilio Verify's vocabulary: SMS verifications checked by destination, and
// TOTP factors of an opaque identity checked through challenges.
//
// Two implementations exist: the embedded engine (package local) and the
// Twilio Verify adapter (package twilio). Both own every code and secret; the
// portal's own tables never hold one.
package verify

import (
	"context"
	"time"
)

// Verifier starts and checks one-time codes.
//
// Every method returns one of the sentinel errors of this package (wrapped)
// when the provider refuses; any other error means the provider could not be
// reached or answered nonsense and callers treat it as ErrUnavailable.
type Verifier interface {
	// StartSMS sends a fresh code to t.Phone for t. When a verification of
	// t to that number is still pending, the same verification gets a new
	// code (the previous code stops working) and the send counts toward its
	// cap.
	StartSMS(ctx context.Context, t Target) (Verification, error)

	// CheckSMS checks code against the pending verification of t to t.Phone.
	// A wrong code is not an error: it returns Approved=false. A verification
	// that was approved, expired, canceled or never existed returns
	// ErrNotFound.
	CheckSMS(ctx context.Context, t Target, code string) (Check, error)

	// CancelSMS ends the pending verification of t (one that ran out of
	// checks included), so that the next StartSMS begins a new one. No
	// pending verification returns ErrNotFound.
	CancelSMS(ctx context.Context, t Target) error

	// CreateTOTPFactor creates an unverified TOTP factor for identity and
	// returns its secret and otpauth URI. Both are shown to the user once and
	// never again.
	CreateTOTPFactor(ctx context.Context, identity, friendlyName string) (Factor, error)

	// VerifyTOTPFactor confirms an unverified factor with its first code.
	// A wrong code returns Approved=false; an expired or unknown factor
	// returns ErrNotFound.
	VerifyTOTPFactor(ctx context.Context, identity, factorSID, code string) (Check, error)

	// ChallengeTOTP checks a code of a verified factor. A wrong code returns
	// Approved=false.
	ChallengeTOTP(ctx context.Context, identity, factorSID, code string) (Check, error)

	// DeleteTOTPFactor removes a factor. Deleting an unknown factor returns
	// ErrNotFound, which callers removing a device treat as success.
	DeleteTOTPFactor(ctx context.Context, identity, factorSID string) error
}

// StoreSharer is a verifier whose codes and factors live in the portal's own
// store (the embedded engine): its checks are statements of that store, so
// a caller may run them inside its own transaction of the store.
type StoreSharer interface {
	// SharesStore reports whether the verifier keeps its state in st.
	SharesStore(st any) bool
}

// Purposes of SMS verifications.
const (
	PurposeRegister = "register" // a registration: anyone may start one
	PurposeLogin    = "login"    // a sign-in, after the right password
	PurposePhone    = "phone"    // a phone change: to a number not yet proved
	PurposeRecovery = "recovery" // an account recovery
	PurposeStepUp   = "step-up"  // a fresh second factor of a signed-in session
)

// Target is what one SMS verification belongs to: its purpose, its subject
// (the account or registration that started it) and the number the code
// goes to. Nothing done with one target can consume, burn or replace the
// verification of another.
type Target struct {
	Purpose string
	Subject string
	Phone   string // E.164
}

// Anonymous reports whether the target's flow goes to a number its owner
// has not proved, so that anyone could start it: registration, phone
// change and recovery. Providers that keep one verification per number
// keep those apart from sign-ins.
func (t Target) Anonymous() bool {
	return t.Purpose != PurposeLogin && t.Purpose != PurposeStepUp
}

// Texter sends a plain SMS that carries no code, such as the notice to an
// old number that the account's number changed.
type Texter interface {
	SendText(ctx context.Context, to, body string) error
}

// Verification is a started SMS verification.
type Verification struct {
	SID    string
	To     string
	Status string // "pending"
	Sends  int    // sends so far in this verification, this one included
}

// Check is the outcome of checking one code.
type Check struct {
	Approved bool
	// Drift, when the provider can tell, is how far the device clock of a
	// rejected TOTP code appears to be off (positive: device ahead). Zero
	// when unknown or when the code matched no nearby time step.
	Drift time.Duration
}

// Factor is a newly created TOTP factor.
type Factor struct {
	SID       string
	Secret    string // base32, only in the creation response
	URI       string // otpauth:// URI, only in the creation response
	ExpiresAt time.Time
}

// Statuses reported by providers.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
)
