package auth

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Their text is for logs; the sentence a person reads is
// in messages.go (Message).
var (
	ErrInvalidCredentials = errors.New("auth: wrong email or password")
	ErrEmailTaken         = errors.New("auth: email already has an account")
	ErrCaptcha            = errors.New("auth: captcha not solved")
	ErrWrongCode          = errors.New("auth: wrong code")
	ErrInvalidTOTP        = errors.New("auth: wrong authenticator code at enrollment")
	ErrCodeExpired        = errors.New("auth: code expired")
	ErrTooManyChecks      = errors.New("auth: too many checks of one code")
	ErrTooManyCodes       = errors.New("auth: too many wrong codes in one sign-in")
	ErrNumberRefused      = errors.New("auth: provider refused the number")
	ErrNotSendable        = errors.New("auth: codes may not go to this number")
	ErrStepUpRequired     = errors.New("auth: a fresh second factor is required")
	ErrUnavailable        = errors.New("auth: verify provider unavailable")
	ErrStepExpired        = errors.New("auth: step expired")
	ErrNoCodeSent         = errors.New("auth: no code sent yet")
	ErrNotVerified        = errors.New("auth: new number not verified")
	ErrMFANotActive       = errors.New("auth: sms verification is off")
	ErrDeviceExists       = errors.New("auth: authenticator already set up")
	ErrNoDevice           = errors.New("auth: no authenticator set up")
	ErrCodeReused         = errors.New("auth: authenticator code already used")
	ErrBackupCodeUsed     = errors.New("auth: backup code already used")
	ErrEnrollmentLocked   = errors.New("auth: too many wrong codes at enrollment")
	// ErrNoAccount means the account is gone (deleted while signed in).
	ErrNoAccount = errors.New("auth: no such account")
	// ErrNoSession means the account has no session with that id.
	ErrNoSession = errors.New("auth: no such session")
	// ErrNoRememberedDevice means the account has no remembered device with that id.
	ErrNoRememberedDevice = errors.New("auth: no such remembered device")
	// ErrLimited is wrapped by every *LimitError.
	ErrLimited = errors.New("auth: too many requests")
)

// Errors of the email channel, password change and recovery.
var (
	// ErrLinkInvalid: an emailed link that is unknown, used or expired.
	ErrLinkInvalid = errors.New("auth: link invalid, used or expired")
	// ErrWrongPassword: the current password given to change it is wrong.
	ErrWrongPassword = errors.New("auth: current password wrong")
	// ErrResetLocked: too many wrong codes in one password reset; its link
	// no longer works.
	ErrResetLocked = errors.New("auth: too many wrong codes in one reset")
	// ErrFactorDue: the reset's second factor has not been passed yet.
	ErrFactorDue = errors.New("auth: reset factor not passed")
	// ErrFactorNotOffered: the reset was asked for a second factor the
	// account cannot use for it (SMS when an authenticator is set up, a
	// backup code when none is left).
	ErrFactorNotOffered = errors.New("auth: factor not offered for this reset")
	// ErrNoFactor: the account has no second factor, so no reset can
	// prove it is the owner.
	ErrNoFactor = errors.New("auth: account has no second factor")
)

// Ends reports whether err ends the flow it happened in (a sign-in, a
// registration, a phone change): its state is dropped and the person starts
// again from the flow's first page.
func Ends(err error) bool {
	return errors.Is(err, ErrStepExpired) || errors.Is(err, ErrTooManyCodes)
}

// EndsEnrollment reports whether err means the authenticator being enrolled
// is gone, so the person must click Enable again.
func EndsEnrollment(err error) bool {
	return errors.Is(err, ErrStepExpired) || errors.Is(err, ErrEnrollmentLocked) ||
		errors.Is(err, ErrDeviceExists)
}

// ValidationError reports bad input, one message per form field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("auth: invalid input: %d field(s)", len(e.Fields))
}

func invalid(kv ...string) *ValidationError {
	e := &ValidationError{Fields: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields[kv[i]] = kv[i+1]
	}
	return e
}

// TriesLeftError is a wrong code close to the end of a sign-in: Left more
// tries, then the sign-in ends. It wraps the wrong code's own error.
type TriesLeftError struct {
	Left int
	Err  error
}

func (e *TriesLeftError) Error() string {
	return fmt.Sprintf("auth: %d tries left: %v", e.Left, e.Err)
}

// Unwrap makes a TriesLeftError the wrong code it is.
func (e *TriesLeftError) Unwrap() error { return e.Err }

// LimitError is a refusal by a rate limit; RetryAfter says when to try again.
type LimitError struct {
	Reason     string // the user-facing sentence
	RetryAfter time.Duration
	Limit      string // a fixed name of the limit ("sms-ip"), for metrics
}

func (e *LimitError) Error() string { return "auth: limit: " + e.Reason }

// Unwrap makes every LimitError match ErrLimited.
func (e *LimitError) Unwrap() error { return ErrLimited }
