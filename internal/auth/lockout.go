package auth

import (
	"context"
	"errors"
	"fmt"
	"gatehouse/internal/mail"
	"net/netip"
	"time"

	"gatehouse/internal/netaddr"
	"gatehouse/internal/store"
)

// Lockout that strangers cannot use as a weapon. Sign-in failures are
// throttled first per (email as typed, client network): five are free,
// then that pair waits, one minute doubling up to LockoutMax, while the
// owner signing in from another network is not delayed. The throttle is
// keyed on the email, not the account, so an unknown email waits exactly
// like a known one. Account-wide, at most AccountFailures consecutive
// failures (every factor counts) make the account wait LockDuration and
// its owner is told. Every wait ends, attempts refused during a wait are
// not counted, and Unlock clears both.

// network returns the key of the client network of ip: the IPv4 address or
// the IPv6 /64 (package netaddr). A value that is no address is its own key.
func network(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return netaddr.Key(a)
	}
	return ip
}

// netSubject hides the client network of ip in a counter key.
func (s *Service) netSubject(ip string) string { return s.subject("ip", network(ip)) }

// emailKey hides a normalised email in the throttle's key.
func (s *Service) emailKey(email string) string { return s.subject("email", email) }

func (s *Service) guessKey(email, ip string) store.GuessKey {
	return store.GuessKey{Email: s.emailKey(email), Network: s.netSubject(ip)}
}

func (s *Service) guessPolicy() store.GuessPolicy {
	return store.GuessPolicy{Free: s.lim.NetworkFailures, Base: s.lim.LockoutBase, Max: s.lim.LockoutMax,
		InFlight: time.Minute, Forget: 24 * time.Hour, Now: s.now()}
}

// tooManyFailures is the refusal of a sign-in whose pair waits.
const tooManyFailures = "Too many failed sign-in attempts."

// reserveGuess admits one password guess for (email, network), or refuses
// it with a LimitError saying how long to wait.
func (s *Service) reserveGuess(ctx context.Context, k store.GuessKey) error {
	t, err := s.st.ReserveGuess(ctx, k, s.guessPolicy())
	if err != nil {
		return fmt.Errorf("auth: throttle: %w", err)
	}
	if t.Admitted {
		return nil
	}
	return wait(tooManyFailures, retryAfter(t.WaitUntil, s.now()))
}

// endGuess records the outcome of an admitted guess.
func (s *Service) endGuess(ctx context.Context, k store.GuessKey, outcome int) {
	if _, err := s.st.EndGuess(ctx, k, outcome, s.guessPolicy()); err != nil {
		s.log.Warn("sign-in throttle update failed", "err", err)
	}
}

// beginAttempt counts an attempt against the account before it is
// checked; refused is true when the account waits (nothing was counted).
// An account found at its cap without a wait (its lock write was lost)
// starts its wait now, so no account is ever refused forever.
func (s *Service) beginAttempt(ctx context.Context, userID string) (store.Attempt, bool, error) {
	a, err := s.st.BeginAttempt(ctx, userID, s.lim.AccountFailures, s.now())
	if err != nil {
		return store.Attempt{}, false, err
	}
	if a.Refused && !a.LockedUntil.After(s.now()) {
		s.lock(ctx, userID)
	}
	return a, a.Refused, nil
}

// failed records a failed attempt that was counted by beginAttempt, making
// the account wait when it was the last one allowed.
func (s *Service) failed(ctx context.Context, userID string, a store.Attempt) {
	if a.Count >= s.lim.AccountFailures {
		s.lock(ctx, userID)
	}
}

func (s *Service) lock(ctx context.Context, userID string) {
	until := s.now().Add(s.lim.LockDuration)
	if err := s.st.Lock(ctx, userID, until); err != nil {
		s.log.Error("lock account failed", "user", userID, "err", err)
		return
	}
	s.log.Warn("account waits after repeated failures from every network", "user", userID, "until", until)
	s.notify(userID, mail.Notice{Kind: mail.NoticeAccountWaiting, When: s.now(), Until: until})
	s.obs.Lockout()
	s.record(ctx, userID, EventWaiting, "")
}

// Unlock ends every wait of the account with email: the account's own and
// that of every (email, network) pair. It returns ErrNoAccount for an
// unknown email.
func (s *Service) Unlock(ctx context.Context, email string) error {
	e := NormalizeEmail(email)
	u, err := s.st.UserByEmail(ctx, e)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("auth: unlock: %w", ErrNoAccount)
	}
	if err != nil {
		return fmt.Errorf("auth: unlock: %w", err)
	}
	if err := s.st.Unlock(ctx, u.ID); err != nil {
		return fmt.Errorf("auth: unlock: %w", err)
	}
	if err := s.st.ClearGuesses(ctx, s.emailKey(e)); err != nil {
		return fmt.Errorf("auth: unlock: %w", err)
	}
	s.log.Info("account unlocked by an administrator", "user", u.ID)
	return nil
}
