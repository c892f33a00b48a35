package auth

import (
	"context"
	"fmt"
	"time"

	"gatehouse/internal/verify"
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
	if err := s.sendCode(ctx, smsSend{target: phoneTarget(userID, num), ip: ip, account: userID, fresh: true}); err != nil {
		return PhoneChange{}, err
	}
	return PhoneChange{Phone: num, StartedAt: s.now()}, nil
}

// ResendPhoneChange sends a fresh code to the new number.
func (s *Service) ResendPhoneChange(ctx context.Context, userID string, pc PhoneChange, ip string) error {
	if err := s.changeAlive(pc); err != nil {
		return err
	}
	return s.sendCode(ctx, smsSend{target: phoneTarget(userID, pc.Phone), ip: ip, account: userID})
}

// phoneTarget is the verification of a phone change of userID to phone.
func phoneTarget(userID, phone string) verify.Target {
	return verify.Target{Purpose: verify.PurposePhone, Subject: userID, Phone: phone}
}

// VerifyPhoneChange checks the code sent to the new number.
func (s *Service) VerifyPhoneChange(ctx context.Context, userID string, pc PhoneChange, code string) (PhoneChange, error) {
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
	if err := s.checkCode(ctx, phoneTarget(userID, pc.Phone), c); err != nil {
		return pc, err
	}
	pc.Verified = true
	return pc, nil
}

// ConfirmPhoneChange saves the verified new number and tells the old one.
func (s *Service) ConfirmPhoneChange(ctx context.Context, userID string, pc PhoneChange) error {
	if err := s.changeAlive(pc); err != nil {
		return err
	}
	if !pc.Verified {
		return ErrNotVerified
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.st.SetPhoneMFA(ctx, userID, pc.Phone, s.now()); err != nil {
		return fmt.Errorf("auth: save phone: %w", err)
	}
	s.log.Info("phone number changed", "user", userID)
	s.record(ctx, userID, EventPhoneChanged, "")
	if u.Phone != "" && u.Phone != pc.Phone {
		s.tellOldNumber(ctx, userID, u.Phone, pc.Phone)
	}
	return nil
}

// tellOldNumber sends the old number of a phone change the notice that
// it no longer protects the account. A failed notice is logged: the
// change itself is done.
func (s *Service) tellOldNumber(ctx context.Context, userID, old, new string) {
	if s.texter == nil {
		s.log.Info("old number not told of the phone change: no SMS sender", "user", userID)
		return
	}
	body := fmt.Sprintf("%s: the phone number of your account was changed to one ending in %s. "+
		"If you did not do this, contact your administrator.", s.issuer, new[max(0, len(new)-2):])
	if err := s.texter.SendText(ctx, old, body); err != nil {
		s.log.Warn("old number not told of the phone change", "user", userID, "err", err)
	}
}
