package auth

import (
	"errors"
	"fmt"
)

// messages holds the one sentence a person reads for each sentinel error,
// in the order they are matched: a more specific error comes before the
// one it wraps (a reused code is also a wrong code).
var messages = []struct {
	err error
	msg string
}{
	{ErrCodeReused, "That code was already used. Wait for the next code in your app."},
	{ErrBackupCodeUsed, "That backup code was already used. Each code works once: try another one."},
	{ErrInvalidTOTP, "That code is not correct. Check the code and try again."},
	{ErrInvalidCredentials, "Incorrect email or password."},
	{ErrEmailTaken, "An account with this email already exists. Sign in instead."},
	{ErrCaptcha, "Please complete the CAPTCHA check."},
	{ErrWrongCode, "That code is not correct. Check the code and try again."},
	{ErrCodeExpired, "This code has expired. Request a new code."},
	{ErrTooManyChecks, "Too many attempts for this code. Wait 10 minutes, then request a new code."},
	{ErrTooManyCodes, "Too many wrong codes. Please sign in again."},
	{ErrNumberRefused, "We can't send a code to this number."},
	{ErrNotSendable, "We can't send codes to this number."},
	{ErrStepUpRequired, "For your security, confirm it's you with a fresh code first."},
	{ErrUnavailable, "The verification service is unavailable. Please try again in a minute."},
	{ErrStepExpired, "This step has expired. Please start again."},
	{ErrNoCodeSent, "Request a code first."},
	{ErrNotVerified, "Verify the code sent to the new number first."},
	{ErrMFANotActive, "Turn on SMS verification before adding an authenticator app."},
	{ErrDeviceExists, "An authenticator app is already set up."},
	{ErrNoDevice, "No authenticator app is set up."},
	{ErrEnrollmentLocked, "Too many wrong codes. Click Enable to get a new QR code and start again."},
	{ErrNoAccount, "Your session has ended. Please sign in again."},
	{ErrNoSession, "That session has already ended."},
	{ErrNoRememberedDevice, "That device is already forgotten."},
	{ErrLinkInvalid, "This link is invalid, was already used or has expired."},
	{ErrWrongPassword, "Your current password is not correct."},
	{ErrResetLocked, "Too many wrong codes. This reset has ended: ask for a new link."},
	{ErrFactorDue, "Confirm it's you with your second factor first."},
	{ErrFactorNotOffered, "Use one of the ways offered on this page."},
	{ErrNoFactor, "This account has no second factor yet, so its password can't be reset here. Ask your administrator."},
}

// Message returns the one sentence to show the user for err.
func Message(err error) string {
	var le *LimitError
	if errors.As(err, &le) {
		return le.Reason
	}
	var tl *TriesLeftError
	if errors.As(err, &tl) {
		tries := fmt.Sprintf("%d tries", tl.Left)
		if tl.Left == 1 {
			tries = "1 try"
		}
		return Message(tl.Err) + " You have " + tries + " left before you must sign in again."
	}
	var de *DriftError
	if errors.As(err, &de) {
		return de.message()
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return "Please correct the highlighted fields."
	}
	for _, m := range messages {
		if errors.Is(err, m.err) {
			return m.msg
		}
	}
	return "Something went wrong. Please try again."
}
