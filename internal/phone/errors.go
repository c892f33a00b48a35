package phone

import "errors"

// Sentinel errors, wrapped with detail for the log.
var (
	// ErrInvalid is returned for input that is not a valid, dialable number.
	ErrInvalid = errors.New("phone: not a valid phone number")
	// ErrNotMobile is returned for a valid number that is not a mobile one
	// (premium-rate, toll-free, shared-cost, VoIP, satellite …): SMS codes
	// go to such numbers only to run up a bill.
	ErrNotMobile = errors.New("phone: not a mobile number")
	// ErrCountry is returned for a number of a country SMS may not go to.
	ErrCountry = errors.New("phone: country not allowed for SMS")
	// ErrUnknownCountry is returned by ParseCountries for a code that is not
	// an ISO 3166 alpha-2 region known to the phone number metadata.
	ErrUnknownCountry = errors.New("phone: unknown country code")
)
