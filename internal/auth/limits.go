package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Limits are the abuse limits. Zero fields take the defaults in parentheses.
type Limits struct {
	SMSPerPhone        int           // sends of one purpose to one number per SMSPhoneWindow (5)
	SMSPhoneWindow     time.Duration // (1h)
	SMSPerIP           int           // sends of the flows anyone may start, per client network per SMSIPWindow (10)
	SMSIPWindow        time.Duration // (1h)
	SMSPerAccount      int           // sends of sign-ins, step-ups and phone changes per account per hour (10)
	SMSHourlyBudget    int           // sends per hour in all; anonymous sends stop at 80% of it (1000)
	ResendCooldown     time.Duration // after the first send of a purpose to a number; doubles with each send (30s)
	CodesPerLogin      int           // wrong second-factor codes per pre-auth login (5)
	AccountFailures    int           // consecutive failures across networks before the account waits (100)
	LockDuration       time.Duration // the account's wait (LockoutMax)
	NetworkFailures    int           // consecutive failures per (email, network) before that pair waits (5)
	LockoutBase        time.Duration // the pair's first wait, doubling with each further failure (1m)
	LockoutMax         time.Duration // the longest wait of a pair (15m)
	IPFailures         int           // failed sign-ins per network, all emails, per IPFailureWindow (30)
	IPFailureWindow    time.Duration // (15m)
	RegistrationsPerIP int           // registration starts per network per hour (20)
	PreAuthTTL         time.Duration // life of the pre-auth state (10m)
	RegistrationTTL    time.Duration // life of a pending registration (30m)
	TOTPPerIP          int           // authenticator code attempts per network per minute (10)
	StepUpWindow       time.Duration // how long a second factor lets the session change protection (10m)
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.SMSPerPhone, 5)
	defd(&l.SMSPhoneWindow, time.Hour)
	def(&l.SMSPerIP, 10)
	defd(&l.SMSIPWindow, time.Hour)
	def(&l.SMSPerAccount, 10)
	def(&l.SMSHourlyBudget, 1000)
	defd(&l.ResendCooldown, 30*time.Second)
	def(&l.CodesPerLogin, 5)
	def(&l.AccountFailures, 100)
	defd(&l.LockoutMax, 15*time.Minute)
	defd(&l.LockDuration, l.LockoutMax)
	def(&l.NetworkFailures, 5)
	defd(&l.LockoutBase, time.Minute)
	def(&l.IPFailures, 30)
	defd(&l.IPFailureWindow, 15*time.Minute)
	def(&l.RegistrationsPerIP, 20)
	defd(&l.PreAuthTTL, 10*time.Minute)
	defd(&l.RegistrationTTL, 30*time.Minute)
	def(&l.TOTPPerIP, 10)
	defd(&l.StepUpWindow, 10*time.Minute)
	return l
}

// take counts one hit on key and refuses with a LimitError when the window
// already holds max hits; a refused hit is taken back so it does not
// lengthen the refusal.
func (s *Service) take(ctx context.Context, key string, max int, window time.Duration, reason string) error {
	now := s.now()
	w, err := s.st.Hit(ctx, key, 1, window, now)
	if err != nil {
		return fmt.Errorf("auth: limit: %w", err)
	}
	if w.Count <= max {
		return nil
	}
	if _, err := s.st.Hit(ctx, key, -1, window, now); err != nil {
		s.log.Warn("limit rollback failed", "err", err)
	}
	if strings.HasSuffix(reason, "try again.") {
		// The sentence says how long itself.
		return s.limited(&LimitError{Reason: reason, RetryAfter: retryAfter(w.Reset, now), Limit: limitName(key)})
	}
	le := wait(reason, retryAfter(w.Reset, now))
	le.Limit = limitName(key)
	return s.limited(le)
}

// give takes back one hit counted by take, when the action it guarded did
// not happen.
func (s *Service) give(ctx context.Context, key string, window time.Duration) {
	if _, err := s.st.Hit(ctx, key, -1, window, s.now()); err != nil {
		s.log.Warn("limit give-back failed", "err", err)
	}
}

func retryAfter(reset, now time.Time) time.Duration {
	d := reset.Sub(now)
	if d < time.Second {
		d = time.Second
	}
	return d.Round(time.Second)
}

// wait is the refusal of a limit: reason, then how long to wait.
func wait(reason string, d time.Duration) *LimitError {
	return &LimitError{Reason: reason + " " + tryAgainIn(d), RetryAfter: d}
}

// tryAgainIn says how long to wait, rounded up to whole minutes past one
// minute: "Try again in 4 minutes."
func tryAgainIn(d time.Duration) string {
	switch {
	case d <= time.Second:
		return "Try again in a second."
	case d < time.Minute:
		return fmt.Sprintf("Try again in %d seconds.", int((d+time.Second-1)/time.Second))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "Try again in 1 minute."
	}
	return fmt.Sprintf("Try again in %d minutes.", m)
}
