package access

import "errors"

// Errors reported by this package, tested with errors.Is.
var (
	// ErrInvalidRules wraps every problem found in an access rules file.
	ErrInvalidRules = errors.New("invalid access rules")
	// ErrBadHeader means a forwarded header holds a NUL or control byte.
	ErrBadHeader = errors.New("forwarded header holds a control byte")
	// ErrBadCookieDomain means a GATEHOUSE_COOKIE_DOMAIN value is unusable.
	ErrBadCookieDomain = errors.New("invalid cookie domain")
)
