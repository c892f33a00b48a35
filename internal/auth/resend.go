package auth

import (
	"context"
	"fmt"
	"time"

	"gatehouse/internal/verify"
)

// The wait before a resend is the cooldown sendCode opens with each send
// (see sendCode): these read it without counting anything, so a page can
// show the countdown the server will hold the visitor to.

// numKey names, in counter keys, the sends of t's purpose to t's number.
func (s *Service) numKey(t verify.Target) string {
	return t.Purpose + ":" + s.subject("phone", t.Phone)
}

// coolKey is the counter of the cooldown between sends of t's purpose to
// t's number.
func (s *Service) coolKey(t verify.Target) string { return "sms-cool:" + s.numKey(t) }

// resendWait returns how long until a code may be sent again for t: 0 when
// it may be sent now, else whole seconds, at least one.
func (s *Service) resendWait(ctx context.Context, t verify.Target) (time.Duration, error) {
	now := s.now()
	w, err := s.st.Peek(ctx, s.coolKey(t), now)
	if err != nil {
		return 0, fmt.Errorf("auth: resend wait: %w", err)
	}
	if w.Count == 0 || !w.Reset.After(now) {
		return 0, nil
	}
	return w.Reset.Sub(now).Truncate(time.Second) + time.Second, nil
}

// LoginResendWait returns how long until the sign-in's code may be sent
// again; 0 before the first send.
func (s *Service) LoginResendWait(ctx context.Context, pa PreAuth) (time.Duration, error) {
	if !pa.CodeSent {
		return 0, nil
	}
	return s.resendWait(ctx, loginTarget(pa.UserID, pa.Phone))
}

// RegisterResendWait returns how long until the registration's code may be
// sent again; 0 before the first send.
func (s *Service) RegisterResendWait(ctx context.Context, r Registration) (time.Duration, error) {
	if !r.CodeSent {
		return 0, nil
	}
	return s.resendWait(ctx, r.target(r.Phone))
}

// PhoneResendWait returns how long until the code of userID's phone change
// may be sent again.
func (s *Service) PhoneResendWait(ctx context.Context, userID string, pc PhoneChange) (time.Duration, error) {
	if pc.Phone == "" {
		return 0, nil
	}
	return s.resendWait(ctx, phoneTarget(userID, pc.Phone))
}

// ResetResendWait returns how long until the reset's SMS code may be sent
// again; 0 before the first send.
func (s *Service) ResetResendWait(ctx context.Context, r Reset) (time.Duration, error) {
	if !r.CodeSent {
		return 0, nil
	}
	return s.resendWait(ctx, recoveryTarget(r.UserID, r.Phone))
}

// recoveryTarget is the verification of a password reset of userID.
func recoveryTarget(userID, phone string) verify.Target {
	return verify.Target{Purpose: verify.PurposeRecovery, Subject: userID, Phone: phone}
}
