package verify

import "errors"

// Sentinel errors every Verifier wraps. Test with errors.Is.
var (
	// ErrNotFound: the verification or factor does not exist, has expired,
	// or was already approved (Twilio 20404).
	ErrNotFound = errors.New("verification not found or expired")
	// ErrTooManyChecks: the verification has used up its checks (Twilio 60202).
	ErrTooManyChecks = errors.New("too many checks for this verification")
	// ErrTooManySends: the verification has used up its sends (Twilio 60203).
	ErrTooManySends = errors.New("too many sends for this verification")
	// ErrRateLimited: the provider throttles the caller (Twilio 60212, 20429).
	ErrRateLimited = errors.New("verification provider rate limit")
	// ErrBlocked: the provider will not deliver to this destination
	// (Twilio 60410, 60605).
	ErrBlocked = errors.New("destination blocked")
	// ErrInvalidParameter: the provider rejected a parameter, such as a
	// number it cannot send to (Twilio 60200).
	ErrInvalidParameter = errors.New("invalid parameter")
	// ErrUnavailable: the provider could not be reached, timed out, failed,
	// or is misconfigured.
	ErrUnavailable = errors.New("verification provider unavailable")
)
