package captcha

import "errors"

// Sentinel errors of Verify, tested with errors.Is. The wrapped message names
// the reason for the log; it never contains the token or a secret.
var (
	// ErrMissing means the form carried no token at all.
	ErrMissing = errors.New("captcha: missing")
	// ErrInvalid means the token is malformed, forged, unsolved or refused by the provider.
	ErrInvalid = errors.New("captcha: invalid")
	// ErrExpired means the token was genuine but is too old.
	ErrExpired = errors.New("captcha: expired")
	// ErrReused means the token was already spent once.
	ErrReused = errors.New("captcha: already used")
	// ErrUnavailable means the check could not be made (store, randomness or
	// provider failure); the user is not at fault.
	ErrUnavailable = errors.New("captcha: unavailable")
)
