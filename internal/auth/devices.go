package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"gatehouse/internal/store"
)

// MethodDevice stamps a session whose sign-in skipped the second factor on
// a remembered device. It never counts as a second factor verified in the
// session (no step-up).
const MethodDevice = "device"

// DeviceStore is the persistence of remembered devices; *store.DB implements it.
type DeviceStore interface {
	RememberDevice(ctx context.Context, rd store.RememberedDevice) error
	UseRememberedDevice(ctx context.Context, userID, tokenHash, ip string, now time.Time) error
	RememberedDevices(ctx context.Context, userID string, now time.Time) ([]store.RememberedDevice, error)
	ForgetDevice(ctx context.Context, userID, id string) error
	ForgetDevices(ctx context.Context, userID string) (int, error)
}

// RememberedDevice is a browser that skips the sign-in's second factor, as
// its owner sees it listed.
type RememberedDevice struct {
	ID        string
	CreatedAt time.Time
	LastUsed  time.Time
	IP        string
	UserAgent string
	ExpiresAt time.Time
}

// RememberDevice remembers the browser of the request for ttl: it returns
// the token for its cookie (128 random bits, base64url); only the token's
// SHA-256 is kept.
func (s *Service) RememberDevice(ctx context.Context, userID string, ttl time.Duration) (string, error) {
	if s.devices == nil || ttl <= 0 {
		return "", fmt.Errorf("auth: remember device: %w", ErrUnavailable)
	}
	raw := make([]byte, 16)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return "", fmt.Errorf("auth: remember device: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	id, err := s.randomID(12)
	if err != nil {
		return "", err
	}
	c, now := ClientOf(ctx), s.now()
	if err := s.devices.RememberDevice(ctx, store.RememberedDevice{ID: id, UserID: userID,
		TokenHash: store.TokenHash(token), CreatedAt: now, LastUsed: now, IP: c.IP, UserAgent: c.UserAgent,
		ExpiresAt: now.Add(ttl)}); err != nil {
		return "", fmt.Errorf("auth: remember device: %w", err)
	}
	s.record(ctx, userID, EventDeviceRemembered, "")
	return token, nil
}

// LoginWithDevice completes a pre-auth login without a second factor when
// token is the cookie of a live remembered device of the login's account.
// ok is false (and err nil) when it is not: the second factor is due.
func (s *Service) LoginWithDevice(ctx context.Context, pa PreAuth, token string) (Account, bool, error) {
	if s.devices == nil || token == "" {
		return Account{}, false, nil
	}
	st, err := s.Pending(ctx, pa)
	if err != nil {
		return Account{}, false, err
	}
	if !st.Account.MFAEnabled {
		return Account{}, false, nil
	}
	err = s.devices.UseRememberedDevice(ctx, pa.UserID, store.TokenHash(token), ClientOf(ctx).IP, s.now())
	if notFound(err) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("auth: device login: %w", err)
	}
	if err := s.st.ResetAttempts(ctx, pa.UserID); err != nil {
		return Account{}, false, fmt.Errorf("auth: device login: %w", err)
	}
	s.log.Info("signed in on a remembered device", "user", pa.UserID)
	return st.Account, true, nil
}

// RememberedDevices lists the account's live remembered devices.
func (s *Service) RememberedDevices(ctx context.Context, userID string) ([]RememberedDevice, error) {
	if s.devices == nil {
		return nil, nil
	}
	list, err := s.devices.RememberedDevices(ctx, userID, s.now())
	if err != nil {
		return nil, fmt.Errorf("auth: remembered devices: %w", err)
	}
	out := make([]RememberedDevice, len(list))
	for i, d := range list {
		out[i] = RememberedDevice{ID: d.ID, CreatedAt: d.CreatedAt, LastUsed: d.LastUsed, IP: d.IP,
			UserAgent: d.UserAgent, ExpiresAt: d.ExpiresAt}
	}
	return out, nil
}

// ForgetDevice forgets one of the account's devices; ErrNoRememberedDevice
// when the account has none with that id.
func (s *Service) ForgetDevice(ctx context.Context, userID, id string) error {
	if s.devices == nil {
		return ErrNoRememberedDevice
	}
	err := s.devices.ForgetDevice(ctx, userID, id)
	if notFound(err) {
		return ErrNoRememberedDevice
	}
	if err != nil {
		return fmt.Errorf("auth: forget device: %w", err)
	}
	s.record(ctx, userID, EventDeviceForgotten, "")
	return nil
}

// ForgetAllDevices forgets every remembered device of the account: on a
// password change or reset, an authenticator removal, an MFA reset, or at
// the owner's request. It records the event when there was any.
func (s *Service) ForgetAllDevices(ctx context.Context, userID string) error {
	if s.devices == nil {
		return nil
	}
	n, err := s.devices.ForgetDevices(ctx, userID)
	if err != nil {
		return fmt.Errorf("auth: forget devices: %w", err)
	}
	if n > 0 {
		s.record(ctx, userID, EventDeviceForgotten, fmt.Sprintf("all (%d)", n))
	}
	return nil
}
