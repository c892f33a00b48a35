package auth

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Each has one user-facing sentence (see Message); details
// go to the log, never to the user.
var (
	ErrInvalidCredentials = errors.New("Incorrect email or password.")
	ErrEmailTaken         = errors.New("An account with this email already exists. Sign in instead.")
	ErrCaptcha            = errors.New("Please complete the CAPTCHA check.")
	ErrWrongCode          = errors.New("That code is not correct. Check the code and try again.")
	ErrCodeExpired        = errors.New("This code has expired. Request a new code.")
	ErrTooManyChecks      = errors.New("Too many attempts for this code. Wait 10 minutes, then request a new code.")
	ErrTooManyCodes       = errors.New("Too many wrong codes. Please sign in again.")
	ErrNumberRefused      = errors.New("We can't send a code to this number.")
	ErrUnavailable        = errors.New("The verification service is unavailable. Please try again in a minute.")
	ErrStepExpired        = errors.New("This step has expired. Please start again.")
	ErrNoCodeSent         = errors.New("Request a code first.")
	ErrNotVerified        = errors.New("Verify the code sent to the new number first.")
	ErrMFANotActive       = errors.New("Turn on SMS verification before adding an authenticator app.")
	ErrDeviceExists       = errors.New("An authenticator app is already set up.")
	ErrNoDevice           = errors.New("No authenticator app is set up.")
	ErrCodeReused         = errors.New("This code was already used. Wait for the next code in your app.")
	ErrEnrollmentLocked   = errors.New("Too many wrong codes. Click Enable to get a new QR code and start again.")
	// ErrLimited is wrapped by every *LimitError.
	ErrLimited = errors.New("too many requests")
)

// ValidationError reports bad input, one message per form field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid input: %d field(s)", len(e.Fields))
}

func invalid(kv ...string) *ValidationError {
	e := &ValidationError{Fields: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields[kv[i]] = kv[i+1]
	}
	return e
}

// LimitError is a refusal by a rate limit; RetryAfter says when to try again.
type LimitError struct {
	Reason     string // the user-facing sentence
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return "limit: " + e.Reason }

// Unwrap makes every LimitError match ErrLimited.
func (e *LimitError) Unwrap() error { return ErrLimited }

// Message returns the one sentence to show the user for err.
func Message(err error) string {
	var le *LimitError
	if errors.As(err, &le) {
		return le.Reason
	}
	var de *DriftError
	if errors.As(err, &de) {
		return de.Error()
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return "Please correct the highlighted fields."
	}
	for _, s := range []error{
		ErrCodeReused, ErrInvalidTOTP, ErrInvalidCredentials, ErrEmailTaken, ErrCaptcha, ErrWrongCode, ErrCodeExpired,
		ErrTooManyChecks, ErrTooManyCodes, ErrNumberRefused, ErrUnavailable, ErrStepExpired,
		ErrNoCodeSent, ErrNotVerified, ErrMFANotActive, ErrDeviceExists, ErrNoDevice, ErrEnrollmentLocked,
	} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "Something went wrong. Please try again."
}
