package auth

import (
	"context"
	"time"

	"gatehouse/internal/verify"
)

// Step-up: changing how an account is protected (its phone number, its
// authenticator, its backup codes) needs a second factor verified within
// StepUpWindow in this session. The session keeps the time of its last
// second factor; the domain decides whether it is fresh enough, and checks
// a fresh code under the caps every second factor shares (wrong codes
// count toward the account's limits).

// StepUpFresh returns nil when a second factor verified at at is recent
// enough to change how the account is protected, ErrStepUpRequired
// otherwise (also for the zero time).
func (s *Service) StepUpFresh(at time.Time) error {
	if at.IsZero() || s.now().Sub(at) > s.lim.StepUpWindow || at.After(s.now().Add(time.Minute)) {
		return ErrStepUpRequired
	}
	return nil
}

// stepUpLogin is the pre-auth state a step-up is checked as: its own
// count of wrong codes, keyed on the account.
func (s *Service) stepUpLogin(userID string) PreAuth {
	return PreAuth{UserID: userID, LoginID: "step-up:" + userID, StartedAt: s.now()}
}

func stepUpTarget(userID, phone string) verify.Target {
	return verify.Target{Purpose: verify.PurposeStepUp, Subject: userID, Phone: phone}
}

// StepUpOptions returns what a step-up may use: the account's number
// (masked), its authenticator, its backup codes.
func (s *Service) StepUpOptions(ctx context.Context, userID string) (LoginState, error) {
	st, err := s.Pending(ctx, s.stepUpLogin(userID))
	if err != nil {
		return LoginState{}, ErrNoAccount
	}
	return st, nil
}

// SendStepUpCode sends a code to the account's current number.
func (s *Service) SendStepUpCode(ctx context.Context, userID, ip string) error {
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	if !u.MFAEnabled || u.Phone == "" {
		return ErrMFANotActive
	}
	return s.sendCode(ctx, smsSend{target: stepUpTarget(userID, u.Phone), ip: ip, account: userID, fresh: true})
}

// StepUp checks a fresh second factor of a signed-in account: method is
// MethodSMS (the code sent by SendStepUpCode), MethodTOTP or MethodBackup.
// ErrTooManyCodes means five wrong codes: the caller ends the session.
func (s *Service) StepUp(ctx context.Context, userID, method, code, ip string) error {
	pa := s.stepUpLogin(userID)
	var err error
	switch method {
	case MethodTOTP:
		_, err = s.CheckLoginTOTP(ctx, pa, code, ip)
	case MethodBackup:
		_, err = s.CheckLoginBackup(ctx, pa, code)
	default:
		var st LoginState
		if st, err = s.Pending(ctx, pa); err != nil {
			return ErrNoAccount
		}
		c, verr := checkDigits("code", code)
		if verr != nil {
			return verr
		}
		_, err = s.secondFactor(ctx, pa, st.user, func() error {
			return s.checkCode(ctx, stepUpTarget(userID, st.user.Phone), c)
		})
	}
	if err == nil {
		s.log.Info("step-up verified", "user", userID, "method", method)
	}
	return err
}
