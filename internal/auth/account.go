package auth

import (
	"context"
	"fmt"
	"time"
)

// PhoneChange is a change of phone number in progress. It lives only in the
// session; the old number stays in force until Confirm.
type PhoneChange struct {
	Phone     string // the new number, E.164
	Verified  bool   // the code sent to it was approved
	StartedAt time.Time
}

func (s *Service) changeAlive(pc PhoneChange) error {
	if pc.Phone == "" || s.now().Sub(pc.StartedAt) > s.lim.RegistrationTTL {
		return ErrStepExpired
	}
	return nil
}

// StartPhoneChange sends a code to the new number.
func (s *Service) StartPhoneChange(ctx context.Context, userID, phoneRaw, ip string) (PhoneChange, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return PhoneChange{}, err
	}
	num, m := s.checkPhone(phoneRaw)
	if m != "" {
		return PhoneChange{}, invalid("phone", m)
	}
	if num == u.Phone {
		return PhoneChange{}, invalid("phone", "This is already your phone number.")
	}
	if err := s.sendCode(ctx, num, ip, false); err != nil {
		return PhoneChange{}, err
	}
	return PhoneChange{Phone: num, StartedAt: s.now()}, nil
}

// ResendPhoneChange sends a fresh code to the new number.
func (s *Service) ResendPhoneChange(ctx context.Context, pc PhoneChange, ip string) error {
	if err := s.changeAlive(pc); err != nil {
		return err
	}
	return s.sendCode(ctx, pc.Phone, ip, true)
}

// VerifyPhoneChange checks the code sent to the new number.
func (s *Service) VerifyPhoneChange(ctx context.Context, pc PhoneChange, code string) (PhoneChange, error) {
	if err := s.changeAlive(pc); err != nil {
		return pc, err
	}
	if pc.Verified {
		return pc, nil
	}
	c, err := checkDigits("code", code)
	if err != nil {
		return pc, err
	}
	if err := s.checkCode(ctx, pc.Phone, c); err != nil {
		return pc, err
	}
	pc.Verified = true
	return pc, nil
}

// ConfirmPhoneChange saves the verified new number.
func (s *Service) ConfirmPhoneChange(ctx context.Context, userID string, pc PhoneChange) error {
	if err := s.changeAlive(pc); err != nil {
		return err
	}
	if !pc.Verified {
		return ErrNotVerified
	}
	if err := s.st.SetPhoneMFA(ctx, userID, pc.Phone, s.now()); err != nil {
		return fmt.Errorf("auth: save phone: %w", err)
	}
	s.log.Info("phone number changed", "user", userID)
	s.record(ctx, userID, EventPhoneChanged, "")
	return nil
}
