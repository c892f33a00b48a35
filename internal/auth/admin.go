package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/store"
)

// AdminStore is the persistence of account administration; *store.DB
// implements it. Unknown users are store.ErrNotFound.
type AdminStore interface {
	SetDisabled(ctx context.Context, userID string, disabled bool, now time.Time) error
	IsDisabled(ctx context.Context, userID string) (bool, error)
	DeleteUser(ctx context.Context, userID string) error
	ResetMFA(ctx context.Context, userID string, now time.Time) error
}

// errNoAdmin is returned by the administration methods without an AdminStore.
var errNoAdmin = errors.New("auth: account administration is not available")

// AccountByEmail returns the account with that email; ErrNoAccount when none.
func (s *Service) AccountByEmail(ctx context.Context, email string) (Account, error) {
	u, err := s.st.UserByEmail(ctx, NormalizeEmail(email))
	if notFound(err) {
		return Account{}, fmt.Errorf("auth: user %s: %w", email, ErrNoAccount)
	}
	if err != nil {
		return Account{}, fmt.Errorf("auth: user: %w", err)
	}
	return accountOf(u), nil
}

// disabled reports whether the account is disabled; a store without
// administration has none.
func (s *Service) disabled(ctx context.Context, userID string) (bool, error) {
	if s.admin == nil {
		return false, nil
	}
	off, err := s.admin.IsDisabled(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("auth: disabled: %w", err)
	}
	return off, nil
}

// SetDisabled disables the account, ending its sessions, or enables it again.
func (s *Service) SetDisabled(ctx context.Context, userID string, disabled bool) error {
	if s.admin == nil {
		return errNoAdmin
	}
	err := s.admin.SetDisabled(ctx, userID, disabled, s.now())
	if notFound(err) {
		return fmt.Errorf("auth: user %s: %w", userID, ErrNoAccount)
	}
	if err != nil {
		return fmt.Errorf("auth: set disabled: %w", err)
	}
	s.log.Info("account disabled changed", "user", userID, "disabled", disabled)
	return nil
}

// IsDisabled reports whether the account is disabled.
func (s *Service) IsDisabled(ctx context.Context, userID string) (bool, error) {
	return s.disabled(ctx, userID)
}

// DeleteAccount deletes the account and everything of it: its authenticator
// at the verify provider first (a provider that cannot be reached stops the
// deletion, so no factor is left behind), then every row.
func (s *Service) DeleteAccount(ctx context.Context, userID string) error {
	if s.admin == nil {
		return errNoAdmin
	}
	if err := s.RemoveTOTP(ctx, userID); err != nil && !errors.Is(err, ErrNoDevice) {
		return err
	}
	err := s.admin.DeleteUser(ctx, userID)
	if notFound(err) {
		return fmt.Errorf("auth: user %s: %w", userID, ErrNoAccount)
	}
	if err != nil {
		return fmt.Errorf("auth: delete account: %w", err)
	}
	s.log.Info("account deleted", "user", userID)
	return nil
}

// ResetMFA removes the account's authenticator (at the provider too), backup
// codes and remembered devices and turns the MFA flag off: the next sign-in
// sets up the phone again.
func (s *Service) ResetMFA(ctx context.Context, userID string) error {
	if s.admin == nil {
		return errNoAdmin
	}
	if err := s.RemoveTOTP(ctx, userID); err != nil && !errors.Is(err, ErrNoDevice) {
		return err
	}
	err := s.admin.ResetMFA(ctx, userID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("auth: user %s: %w", userID, ErrNoAccount)
	}
	if err != nil {
		return fmt.Errorf("auth: reset mfa: %w", err)
	}
	s.log.Info("MFA reset by an administrator", "user", userID)
	return nil
}

// refuseDisabled answers a sign-in of a disabled account as a wrong
// password would, after the same hashing work; err is a failed lookup.
func (s *Service) refuseDisabled(ctx context.Context, userID, password string, err error) error {
	if err != nil {
		return err
	}
	if err := s.hasher.VerifyDummy(ctx, password); err != nil {
		return fmt.Errorf("auth: login: %w", err)
	}
	s.log.Info("sign-in refused: account disabled", "user", userID)
	s.record(ctx, userID, EventSignInFailed, "account disabled")
	return ErrInvalidCredentials
}
