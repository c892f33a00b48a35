package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"gatehouse/internal/store"
)

// MethodPassword names the password step in Observer.SignIn; the second
// factors are MethodSMS, MethodTOTP and MethodBackup.
const MethodPassword = "password"

// Observer is told of the domain's security events, for metrics. Every
// argument is a fixed word of this package (a method, an outcome, a limit
// name), never an email, phone number, IP address or code. Its methods are
// called on the request path, so they must be quick and must not block.
type Observer interface {
	// SignIn reports one sign-in step: the password step (MethodPassword)
	// or a second factor, whose "success" completes the sign-in.
	SignIn(method, outcome string)
	// SMS reports one request for an SMS code: "sent", or why it was not.
	SMS(outcome string)
	// Lockout reports an account locked after repeated failures.
	Lockout()
	// Limited reports a refusal by a rate limit and the wait it asked for.
	Limited(limit string, wait time.Duration)
}

// nopObserver is the Observer of a Service nobody watches.
type nopObserver struct{}

func (nopObserver) SignIn(string, string)         {}
func (nopObserver) SMS(string)                    {}
func (nopObserver) Lockout()                      {}
func (nopObserver) Limited(string, time.Duration) {}

// errAccountLocked is wrapped with ErrInvalidCredentials for a sign-in
// refused because the account is locked, so that the outcome can be told
// apart while the answer stays the same.
var errAccountLocked = errors.New("auth: account locked")

// outcomes names the errors of a step, matched in order.
var outcomes = []struct {
	err  error
	name string
}{
	{errAccountLocked, "locked"},
	{ErrInvalidCredentials, "invalid_credentials"},
	{ErrCaptcha, "captcha"},
	{ErrCodeReused, "code_reused"},
	{ErrWrongCode, "wrong_code"},
	{ErrTooManyCodes, "too_many_codes"},
	{ErrTooManyChecks, "too_many_checks"},
	{ErrCodeExpired, "code_expired"},
	{ErrStepExpired, "step_expired"},
	{ErrNoCodeSent, "no_code_sent"},
	{ErrNoDevice, "no_device"},
	{ErrNoAccount, "no_account"},
	{ErrNumberRefused, "number_refused"},
	{ErrUnavailable, "provider_unavailable"},
	{store.ErrUnavailable, "database_unavailable"},
	{context.Canceled, "canceled"},
}

// outcome returns the fixed word for the result of a step.
func outcome(err error) string {
	if err == nil {
		return "success"
	}
	var le *LimitError
	if errors.As(err, &le) {
		return "limited"
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return "invalid_input"
	}
	for _, o := range outcomes {
		if errors.Is(err, o.err) {
			return o.name
		}
	}
	return "error"
}

// smsOutcome returns the fixed word for the result of a send: "sent", the
// limit that refused it, or the outcome of the error.
func smsOutcome(err error) string {
	if err == nil {
		return "sent"
	}
	var le *LimitError
	if errors.As(err, &le) && le.Limit != "" {
		return le.Limit
	}
	return outcome(err)
}

// limited reports le to the observer and returns it.
func (s *Service) limited(le *LimitError) *LimitError {
	s.obs.Limited(le.Limit, le.RetryAfter)
	return le
}

// limitName is the name of the limit counted under key: the key's prefix
// before the first colon ("sms-ip", "login-ip"), never its subject.
func limitName(key string) string {
	name, _, _ := strings.Cut(key, ":")
	return name
}
