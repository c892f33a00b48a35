package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/phone"
	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

// smsSend is one send of an SMS code.
type smsSend struct {
	target  verify.Target
	ip      string
	account string // the account it is for; "" for a registration
	// fresh marks the first send of a new sign-in, registration or phone
	// change: a verification the target left pending (out of checks, say)
	// is canceled first, so the new flow gets a code that works.
	fresh bool
}

// held is a counter hit taken by sendCode, given back when the send does
// not happen.
type held struct {
	key    string
	window time.Duration
}

// sendCode sends an SMS code for m.target, after every cap: the countries
// and number types codes may go to, the hourly budget (anonymous sends stop
// at 80% of it), sends per network (anonymous flows) or per account
// (everything after a right password), sends of one purpose to one number,
// and the cooldown between them, which doubles with each send (first sends
// of the flows anyone may start included). A refused send never reaches
// the provider.
func (s *Service) sendCode(ctx context.Context, m smsSend) (err error) {
	defer func() { s.obs.SMS(smsOutcome(err)) }()
	to := m.target.Phone
	if err := phone.Sendable(to, s.countries); err != nil {
		s.log.Info("sms refused: number not sendable", "purpose", m.target.Purpose, "why", err)
		return fmt.Errorf("%w (%w)", ErrNotSendable, err)
	}
	var taken []held
	giveBack := func() {
		for _, h := range taken {
			s.give(ctx, h.key, h.window)
		}
	}
	take := func(key string, max int, window time.Duration, reason string) error {
		if err := s.take(ctx, key, max, window, reason); err != nil {
			giveBack()
			return err
		}
		taken = append(taken, held{key, window})
		return nil
	}
	budget := s.lim.SMSHourlyBudget
	if m.target.Anonymous() {
		budget = max(1, budget*8/10)
	}
	if err := take("sms-global", budget, time.Hour, "We are sending too many codes right now."); err != nil {
		s.log.Error("hourly SMS budget reached: sends refused", "anonymous", m.target.Anonymous(), "budget", s.lim.SMSHourlyBudget)
		return err
	}
	if m.account == "" {
		if err := take("sms-ip:"+s.netSubject(m.ip), s.lim.SMSPerIP, s.lim.SMSIPWindow,
			"Too many codes were requested from your network."); err != nil {
			return err
		}
	} else if err := take("sms-acct:"+s.subject("account", m.account), s.lim.SMSPerAccount, time.Hour,
		"Too many codes were requested for your account."); err != nil {
		return err
	}
	numKey := s.numKey(m.target)
	if err := take("sms-phone:"+numKey, s.lim.SMSPerPhone, s.lim.SMSPhoneWindow,
		"Too many codes were sent to this number."); err != nil {
		return err
	}
	sent, err := s.st.Peek(ctx, "sms-phone:"+numKey, s.now())
	if err != nil {
		giveBack()
		return fmt.Errorf("auth: cooldown: %w", err)
	}
	// The window a send opens is the wait before the next one: the
	// cooldown, doubled for each send before this one.
	cool := s.lim.ResendCooldown << min(max(sent.Count-1, 0), 10)
	if m.fresh && !m.target.Anonymous() {
		// The first code of a new sign-in (after the right password) or
		// step-up is not held back, so signing in again at once works; it
		// still opens the cooldown before its own resend.
		if _, err := s.st.Hit(ctx, s.coolKey(m.target), 1, cool, s.now()); err != nil {
			giveBack()
			return fmt.Errorf("auth: cooldown: %w", err)
		}
	} else if err := take(s.coolKey(m.target), 1, cool, "Please wait before requesting another code."); err != nil {
		return err
	}
	tk := s.targetKey(m.target)
	if err := s.clearSpent(ctx, m, tk); err != nil {
		giveBack()
		return err
	}
	if _, err := s.verifier.StartSMS(ctx, m.target); err != nil {
		if errors.Is(err, verify.ErrTooManySends) {
			s.mark(ctx, "sms-sendcap:"+tk)
		}
		if errors.Is(err, verify.ErrUnavailable) || !isRefusal(err) {
			// Most likely nothing was sent: the attempt does not use up
			// the caps, so a retry works at once.
			giveBack()
		}
		if errors.Is(err, verify.ErrNotFound) {
			// Not a code's fate: the provider lost its service (Twilio
			// 20404 on a send means a wrong service SID).
			s.log.Error("verify provider cannot send", "err", err)
			return fmt.Errorf("%w (%w)", ErrUnavailable, err)
		}
		return s.providerErr("send", err)
	}
	s.mark(ctx, "sms-live:"+tk)
	return nil
}

// targetKey hides a verification target in counter keys.
func (s *Service) targetKey(t verify.Target) string {
	return s.subject("target", t.Purpose+"\x00"+t.Subject+"\x00"+t.Phone)
}

// clearSpent deals with what an earlier send to the target left: on a
// fresh start, a verification still pending is canceled at the provider
// and its markers forgotten; otherwise a verification the provider closed
// (all sends, or all checks, used) gets no further call until it has
// expired: a new code could not be checked anyway, and an SMS costs money.
func (s *Service) clearSpent(ctx context.Context, m smsSend, tk string) error {
	keys := []string{"sms-live:" + tk, "sms-sendcap:" + tk, "sms-dead:" + tk}
	ws := make([]store.Window, len(keys))
	for i, k := range keys {
		w, err := s.st.Peek(ctx, k, s.now())
		if err != nil {
			return fmt.Errorf("auth: send: %w", err)
		}
		ws[i] = w
	}
	if !m.fresh {
		for i, reason := range map[int]string{1: tooManySends, 2: tooManyChecks} {
			if ws[i].Count > 0 {
				return &LimitError{Reason: reason, RetryAfter: retryAfter(ws[i].Reset, s.now())}
			}
		}
		return nil
	}
	if ws[0].Count == 0 && ws[1].Count == 0 && ws[2].Count == 0 {
		return nil
	}
	if err := s.verifier.CancelSMS(ctx, m.target); err != nil && !errors.Is(err, verify.ErrNotFound) {
		return s.providerErr("cancel", err)
	}
	for i, k := range keys {
		s.forget(ctx, k, ws[i])
	}
	return nil
}

// forget zeroes a marker counter.
func (s *Service) forget(ctx context.Context, key string, w store.Window) {
	if w.Count == 0 {
		return
	}
	if _, err := s.st.Hit(ctx, key, -w.Count, verifyWindow, s.now()); err != nil {
		s.log.Warn("marker reset failed", "err", err)
	}
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

// checkCode checks a code sent for the target t. It returns nil when the
// provider approved it, ErrWrongCode for a wrong code, or a mapped error.
func (s *Service) checkCode(ctx context.Context, t verify.Target, code string) error {
	tk := s.targetKey(t)
	w, err := s.st.Peek(ctx, "sms-dead:"+tk, s.now())
	if err != nil {
		return fmt.Errorf("auth: check: %w", err)
	}
	if w.Count > 0 {
		// The provider refused further checks of this verification: make
		// no more calls until a new code is sent.
		return ErrTooManyChecks
	}
	res, err := s.verifier.CheckSMS(ctx, t, code)
	if err != nil {
		if errors.Is(err, verify.ErrTooManyChecks) {
			s.mark(ctx, "sms-dead:"+tk)
		}
		return s.providerErr("check", err)
	}
	if !res.Approved {
		return ErrWrongCode
	}
	if live, err := s.st.Peek(ctx, "sms-live:"+tk, s.now()); err == nil {
		s.forget(ctx, "sms-live:"+tk, live) // approved: nothing is left pending
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
