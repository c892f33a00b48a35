package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/verify"
)

// sendCode sends an SMS code to the E.164 number to, after the caps: sends
// per client IP, sends per number and, for a resend, the cooldown since the
// previous send. A refused send never reaches the provider.
func (s *Service) sendCode(ctx context.Context, to, ip string, resend bool) (err error) {
	defer func() { s.obs.SMS(smsOutcome(err)) }()
	ipKey := "sms-ip:" + s.subject("ip", ip)
	if err := s.take(ctx, ipKey, s.lim.SMSPerIP, s.lim.SMSIPWindow,
		"Too many codes were requested from your network. Try again later."); err != nil {
		return err
	}
	phoneKey := "sms-phone:" + s.subject("phone", to)
	if err := s.take(ctx, phoneKey, s.lim.SMSPerPhone, s.lim.SMSPhoneWindow,
		"Too many codes were sent to this number. Try again later."); err != nil {
		s.give(ctx, ipKey, s.lim.SMSIPWindow)
		return err
	}
	coolKey := "sms-cool:" + s.subject("phone", to)
	cool, err := s.st.Hit(ctx, coolKey, 1, s.lim.ResendCooldown, s.now())
	if err != nil {
		return fmt.Errorf("auth: cooldown: %w", err)
	}
	if resend && cool.Count > 1 {
		s.give(ctx, ipKey, s.lim.SMSIPWindow)
		s.give(ctx, phoneKey, s.lim.SMSPhoneWindow)
		return s.limited(&LimitError{
			Reason:     "Please wait before requesting another code.",
			RetryAfter: retryAfter(cool.Reset, s.now()),
			Limit:      limitName(coolKey),
		})
	}
	// A verification the provider closed (all sends, or all checks, used)
	// gets no further call until it has expired: a new code could not be
	// checked anyway, and an SMS costs money.
	capKey := "sms-sendcap:" + s.subject("phone", to)
	for key, reason := range map[string]string{capKey: tooManySends, "sms-dead:" + s.subject("phone", to): tooManyChecks} {
		w, err := s.st.Peek(ctx, key, s.now())
		if err != nil {
			return fmt.Errorf("auth: send: %w", err)
		}
		if w.Count > 0 {
			s.give(ctx, ipKey, s.lim.SMSIPWindow)
			s.give(ctx, phoneKey, s.lim.SMSPhoneWindow)
			s.give(ctx, coolKey, s.lim.ResendCooldown)
			return s.limited(&LimitError{Reason: reason, RetryAfter: retryAfter(w.Reset, s.now()), Limit: limitName(key)})
		}
	}
	if _, err := s.verifier.StartSMS(ctx, to); err != nil {
		if errors.Is(err, verify.ErrTooManySends) {
			s.mark(ctx, capKey)
		}
		if errors.Is(err, verify.ErrUnavailable) || !isRefusal(err) {
			// Most likely nothing was sent: the attempt does not use up
			// the caps, so a retry works at once.
			s.give(ctx, ipKey, s.lim.SMSIPWindow)
			s.give(ctx, phoneKey, s.lim.SMSPhoneWindow)
			s.give(ctx, coolKey, s.lim.ResendCooldown)
		}
		if errors.Is(err, verify.ErrNotFound) {
			// Not a code's fate: the provider lost its service (Twilio
			// 20404 on a send means a wrong service SID).
			s.log.Error("verify provider cannot send", "err", err)
			return fmt.Errorf("%w (%w)", ErrUnavailable, err)
		}
		return s.providerErr("send", err)
	}
	return nil
}

// verifyWindow is how long a provider keeps a verification: a verification
// that ran out of checks or sends is left alone that long.
const verifyWindow = 10 * time.Minute

const (
	tooManySends  = "Too many codes were sent for this verification. Try again in 10 minutes."
	tooManyChecks = "Too many attempts for this code. Wait 10 minutes, then request a new code."
)

// mark sets a marker counter for verifyWindow, the rest of the provider's
// verification.
func (s *Service) mark(ctx context.Context, key string) {
	if _, err := s.st.Hit(ctx, key, 1, verifyWindow, s.now()); err != nil {
		s.log.Warn("marker failed", "err", err)
	}
}

// isRefusal reports a provider error that is a decision about this request
// (as opposed to a failure to reach the provider).
func isRefusal(err error) bool {
	for _, e := range []error{verify.ErrNotFound, verify.ErrTooManyChecks, verify.ErrTooManySends,
		verify.ErrRateLimited, verify.ErrBlocked, verify.ErrInvalidParameter} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// checkCode checks a code sent to the number to. It returns nil when the
// provider approved it, ErrWrongCode for a wrong code, or a mapped error.
func (s *Service) checkCode(ctx context.Context, to, code string) error {
	deadKey := "sms-dead:" + s.subject("phone", to)
	w, err := s.st.Peek(ctx, deadKey, s.now())
	if err != nil {
		return fmt.Errorf("auth: check: %w", err)
	}
	if w.Count > 0 {
		// The provider refused further checks of this verification: make
		// no more calls until a new code is sent.
		return ErrTooManyChecks
	}
	res, err := s.verifier.CheckSMS(ctx, to, code)
	if err != nil {
		if errors.Is(err, verify.ErrTooManyChecks) {
			s.mark(ctx, deadKey)
		}
		return s.providerErr("check", err)
	}
	if !res.Approved {
		return ErrWrongCode
	}
	return nil
}

// providerErr maps a Verifier error to the domain's, keeping the detail for
// the log.
func (s *Service) providerErr(op string, err error) error {
	switch {
	case errors.Is(err, verify.ErrNotFound):
		return fmt.Errorf("%w (%w)", ErrCodeExpired, err)
	case errors.Is(err, verify.ErrTooManyChecks):
		return fmt.Errorf("%w (%w)", ErrTooManyChecks, err)
	case errors.Is(err, verify.ErrTooManySends):
		return s.limited(&LimitError{Reason: tooManySends, RetryAfter: verifyWindow, Limit: "provider-sends"})
	case errors.Is(err, verify.ErrRateLimited):
		return s.limited(&LimitError{Reason: "Too many requests. Please try again in a minute.", RetryAfter: time.Minute, Limit: "provider-rate"})
	case errors.Is(err, verify.ErrBlocked), errors.Is(err, verify.ErrInvalidParameter):
		return fmt.Errorf("%w (%w)", ErrNumberRefused, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("auth: %s: %w", op, err)
	default:
		s.log.Error("verify provider failed", "op", op, "err", err)
		return fmt.Errorf("%w (%w)", ErrUnavailable, err)
	}
}

// checkDigits validates a code typed by the user.
func checkDigits(field, code string) (string, error) {
	c := normalizeCode(code)
	if len(c) != 6 {
		return "", invalid(field, "Enter the 6-digit code.")
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return "", invalid(field, "Enter the 6-digit code.")
		}
	}
	return c, nil
}

// normalizeCode drops the spaces and dashes people type inside codes.
func normalizeCode(code string) string {
	b := make([]byte, 0, len(code))
	for i := 0; i < len(code) && len(b) < 64; i++ {
		switch c := code[i]; c {
		case ' ', '-', '\t':
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
