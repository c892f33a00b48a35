package auth

import (
	"context"
	"fmt"
	"time"
)

// Limits are the abuse limits. Zero fields take the defaults in parentheses.
type Limits struct {
	SMSPerPhone        int           // sends per phone number per SMSPhoneWindow (3)
	SMSPhoneWindow     time.Duration // (10m)
	SMSPerIP           int           // sends per client IP per SMSIPWindow (10)
	SMSIPWindow        time.Duration // (1h)
	ResendCooldown     time.Duration // between a send and a resend of one verification (30s)
	CodesPerLogin      int           // wrong second-factor codes per pre-auth login (5)
	AccountFailures    int           // consecutive failures that lock an account (10)
	LockDuration       time.Duration // (15m)
	IPFailures         int           // failed sign-ins per IP per IPFailureWindow (30)
	IPFailureWindow    time.Duration // (15m)
	RegistrationsPerIP int           // registration starts per IP per hour (20)
	PreAuthTTL         time.Duration // life of the pre-auth state (10m)
	RegistrationTTL    time.Duration // life of a pending registration (30m)
	TOTPPerIP          int           // authenticator code attempts per IP per minute (10)
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
	def(&l.SMSPerPhone, 3)
	defd(&l.SMSPhoneWindow, 10*time.Minute)
	def(&l.SMSPerIP, 10)
	defd(&l.SMSIPWindow, time.Hour)
	defd(&l.ResendCooldown, 30*time.Second)
	def(&l.CodesPerLogin, 5)
	def(&l.AccountFailures, 10)
	defd(&l.LockDuration, 15*time.Minute)
	def(&l.IPFailures, 30)
	defd(&l.IPFailureWindow, 15*time.Minute)
	def(&l.RegistrationsPerIP, 20)
	defd(&l.PreAuthTTL, 10*time.Minute)
	defd(&l.RegistrationTTL, 30*time.Minute)
	def(&l.TOTPPerIP, 10)
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
	return s.limited(&LimitError{Reason: reason, RetryAfter: retryAfter(w.Reset, now), Limit: limitName(key)})
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
