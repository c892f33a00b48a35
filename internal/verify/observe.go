package verify

import (
	"context"
	"errors"
	"time"
)

// Operation names passed to an Observer, one per Verifier method.
const (
	OpStartSMS         = "start_sms"
	OpCheckSMS         = "check_sms"
	OpCancelSMS        = "cancel_sms"
	OpCreateTOTPFactor = "create_totp_factor"
	OpVerifyTOTPFactor = "verify_totp_factor"
	OpChallengeTOTP    = "challenge_totp"
	OpDeleteTOTPFactor = "delete_totp_factor"
)

// Observer is told of every call to a provider, for metrics. It receives
// fixed words only: the operation and the code of the error (see Code),
// never a number, identity or code.
type Observer interface {
	Called(op, code string, d time.Duration)
}

// codes names the sentinel errors, matched in order.
var codes = []struct {
	err  error
	code string
}{
	{ErrNotFound, "not_found"},
	{ErrTooManyChecks, "too_many_checks"},
	{ErrTooManySends, "too_many_sends"},
	{ErrRateLimited, "rate_limited"},
	{ErrBlocked, "blocked"},
	{ErrInvalidParameter, "invalid_parameter"},
	{ErrUnavailable, "unavailable"},
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "timeout"},
}

// Code returns a short fixed word for the outcome of a call: "ok" for nil,
// the name of the sentinel error err wraps, or "other".
func Code(err error) string {
	if err == nil {
		return "ok"
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "other"
}

// Observe returns v reporting each call to o. A wrong code (Approved=false)
// is an answer, not an error: it reports "ok".
func Observe(v Verifier, o Observer) Verifier {
	return observed{v: v, o: o}
}

type observed struct {
	v Verifier
	o Observer
}

func (w observed) done(op string, start time.Time, err error) {
	w.o.Called(op, Code(err), time.Since(start))
}

func (w observed) StartSMS(ctx context.Context, t Target) (Verification, error) {
	start := time.Now()
	r, err := w.v.StartSMS(ctx, t)
	w.done(OpStartSMS, start, err)
	return r, err
}

func (w observed) CheckSMS(ctx context.Context, t Target, code string) (Check, error) {
	start := time.Now()
	r, err := w.v.CheckSMS(ctx, t, code)
	w.done(OpCheckSMS, start, err)
	return r, err
}

func (w observed) CancelSMS(ctx context.Context, t Target) error {
	start := time.Now()
	err := w.v.CancelSMS(ctx, t)
	w.done(OpCancelSMS, start, err)
	return err
}

func (w observed) CreateTOTPFactor(ctx context.Context, identity, friendlyName string) (Factor, error) {
	start := time.Now()
	r, err := w.v.CreateTOTPFactor(ctx, identity, friendlyName)
	w.done(OpCreateTOTPFactor, start, err)
	return r, err
}

func (w observed) VerifyTOTPFactor(ctx context.Context, identity, factorSID, code string) (Check, error) {
	start := time.Now()
	r, err := w.v.VerifyTOTPFactor(ctx, identity, factorSID, code)
	w.done(OpVerifyTOTPFactor, start, err)
	return r, err
}

func (w observed) ChallengeTOTP(ctx context.Context, identity, factorSID, code string) (Check, error) {
	start := time.Now()
	r, err := w.v.ChallengeTOTP(ctx, identity, factorSID, code)
	w.done(OpChallengeTOTP, start, err)
	return r, err
}

func (w observed) DeleteTOTPFactor(ctx context.Context, identity, factorSID string) error {
	start := time.Now()
	err := w.v.DeleteTOTPFactor(ctx, identity, factorSID)
	w.done(OpDeleteTOTPFactor, start, err)
	return err
}

// SharesStore reports what the observed verifier reports (see StoreSharer).
func (w observed) SharesStore(st any) bool {
	s, ok := w.v.(StoreSharer)
	return ok && s.SharesStore(st)
}
