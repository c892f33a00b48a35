package auth

import (
	"context"
	"fmt"

	"gatehouse/internal/mail"
	"gatehouse/internal/password"
)

// ChangePasswordInput is a signed-in member's change of password. The
// caller has checked the step-up.
type ChangePasswordInput struct {
	UserID    string
	Current   string
	New       string
	KeepToken string // the session of the request, which stays signed in
	IP        string
	UserAgent string
}

// ChangePassword replaces a member's password after checking the current
// one, under the same policy as registration. A wrong current password is a
// failed attempt on the account, like one at sign-in. Every other session
// and remembered device is ended, the owner is mailed a notice and the
// change is recorded.
func (s *Service) ChangePassword(ctx context.Context, in ChangePasswordInput) error {
	u, err := s.user(ctx, in.UserID)
	if err != nil {
		return err
	}
	ve := invalid()
	if in.Current == "" {
		ve.Fields["current_password"] = "Enter your current password."
	}
	if m := password.Check(in.New, u.Email, u.FirstName, u.LastName); m != "" {
		ve.Fields["new_password"] = m
	} else if in.New == in.Current {
		ve.Fields["new_password"] = "Choose a password different from your current one."
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	att, waits, err := s.beginAttempt(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	if waits {
		if err := s.hasher.VerifyDummy(ctx, in.Current); err != nil {
			return fmt.Errorf("auth: change password: %w", err)
		}
		return fmt.Errorf("%w (account locked)", ErrWrongPassword)
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, in.Current)
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	if !ok {
		s.failed(ctx, u.ID, att)
		return ErrWrongPassword
	}
	if err := s.st.EndAttempt(ctx, u.ID); err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	hash, err := s.hasher.Hash(ctx, in.New)
	if err != nil {
		return fmt.Errorf("auth: hash: %w", err)
	}
	if err := s.st.SetPassword(ctx, u.ID, hash, s.now()); err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	if err := s.endOtherSessions(ctx, u.ID, in.KeepToken); err != nil {
		// The password is changed; the sessions it should have ended are
		// the one thing left to retry, so say so loudly.
		s.log.Error("password changed but other sessions not ended", "user", u.ID, "err", err)
	}
	s.notify(u.ID, mail.Notice{Kind: mail.NoticePasswordChanged, IP: in.IP, Browser: in.UserAgent})
	s.record(ctx, u.ID, EventPasswordChanged, "")
	s.log.Info("password changed", "user", u.ID)
	return nil
}
