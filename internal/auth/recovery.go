package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/mail"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
)

// resetCodes is how many wrong codes one reset link allows; the last one
// ends the reset and voids the link.
const resetCodes = 5

// ForgotInput is a request for a reset link.
type ForgotInput struct {
	Email, Captcha, IP, UserAgent string
}

// ForgotPassword asks for a reset link to be mailed to an address. Its
// answer is the same whatever the address: nil once the CAPTCHA and the
// per-network limit pass, after the same work for every address (a token is
// minted and hashed, the per-address counter counted); looking the address
// up, storing the link and mailing it happen after the answer, in the
// background. Nothing is sent to an address without an account, or to one
// that was sent linksPerAddress links in the last hour.
func (s *Service) ForgotPassword(ctx context.Context, in ForgotInput) error {
	if err := s.take(ctx, "forgot-ip:"+s.subject("ip", in.IP), forgotPerIP, time.Hour,
		"Too many reset requests from your network. Try again later."); err != nil {
		return err
	}
	if err := s.captcha.Verify(ctx, in.Captcha, in.IP); err != nil {
		s.log.Info("captcha refused", "step", "forgot", "err", err)
		return fmt.Errorf("%w (%w)", ErrCaptcha, err)
	}
	email := NormalizeEmail(in.Email)
	l, err := s.newLink(purposeReset)
	if err != nil {
		return err
	}
	w, err := s.st.Hit(ctx, "reset-mail:"+s.subject("email", email), 1, time.Hour, s.now())
	if err != nil {
		return fmt.Errorf("auth: forgot: %w", err)
	}
	if w.Count > linksPerAddress {
		return nil
	}
	s.later("reset link", func(ctx context.Context) error {
		u, err := s.st.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("auth: forgot: %w", err)
		}
		return s.mailLink(ctx, u, l, purposeReset, mail.NoticeResetLink, ResetLinkTTL, in.IP, in.UserAgent)
	})
	return nil
}

// Reset is a password reset in progress: an opened link bound to its account
// and token. It lives only in the session and ends with the link.
type Reset struct {
	UserID    string
	TokenHash string
	ExpiresAt time.Time // the link's expiry
	Phone     string    // E.164 number the SMS code went to; "" before a send
	CodeSent  bool
	Passed    bool   // the second factor was verified
	Method    string // which one (MethodSMS, MethodTOTP, MethodBackup)
}

// ResetOptions are the second factors a reset may be confirmed with.
type ResetOptions struct {
	SMS         bool   // an SMS code: offered only when no authenticator is set up
	MaskedPhone string // where it goes
	TOTP        bool   // the authenticator app
	BackupCodes int    // unused backup codes; offered when > 0
}

// None reports whether the account has no second factor to reset with.
func (o ResetOptions) None() bool { return !o.SMS && !o.TOTP && o.BackupCodes == 0 }

// OpenReset starts a reset from the token of a reset link. The link is not
// used up yet: it is consumed when the new password is saved. An unknown,
// used or expired token is ErrLinkInvalid.
func (s *Service) OpenReset(ctx context.Context, token string) (Reset, error) {
	if !wellFormed(token) {
		return Reset{}, ErrLinkInvalid
	}
	hash := s.linkHash(purposeReset, token)
	t, err := s.st.EmailToken(ctx, hash, purposeReset, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return Reset{}, ErrLinkInvalid
	}
	if err != nil {
		return Reset{}, fmt.Errorf("auth: open reset: %w", err)
	}
	return Reset{UserID: t.UserID, TokenHash: hash, ExpiresAt: t.ExpiresAt}, nil
}

// resetAccount returns the account of a reset whose link still works, or
// ErrLinkInvalid.
func (s *Service) resetAccount(ctx context.Context, r Reset) (store.User, error) {
	if r.UserID == "" || !s.now().Before(r.ExpiresAt) {
		return store.User{}, ErrLinkInvalid
	}
	t, err := s.st.EmailToken(ctx, r.TokenHash, purposeReset, s.now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.UserID != r.UserID) {
		return store.User{}, ErrLinkInvalid
	}
	if err != nil {
		return store.User{}, fmt.Errorf("auth: reset: %w", err)
	}
	u, err := s.st.UserByID(ctx, r.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrLinkInvalid
	}
	if err != nil {
		return store.User{}, fmt.Errorf("auth: reset: %w", err)
	}
	return u, nil
}

// ResetFactors returns the second factors the reset may use. An
// authenticator user is never offered SMS: the link and an SMS code would
// be two factors short of the strongest one.
func (s *Service) ResetFactors(ctx context.Context, r Reset) (ResetOptions, error) {
	u, err := s.resetAccount(ctx, r)
	if err != nil {
		return ResetOptions{}, err
	}
	return s.resetOptions(ctx, u)
}

func (s *Service) resetOptions(ctx context.Context, u store.User) (ResetOptions, error) {
	if !u.MFAEnabled {
		return ResetOptions{}, nil
	}
	var o ResetOptions
	dev, err := s.st.TOTPDevice(ctx, u.ID)
	switch {
	case err == nil:
		o.TOTP = dev.Confirmed
	case !errors.Is(err, store.ErrNotFound):
		return ResetOptions{}, fmt.Errorf("auth: reset factors: %w", err)
	}
	o.SMS = !o.TOTP && u.Phone != ""
	if o.SMS {
		o.MaskedPhone = s.MaskPhone(u.Phone)
	}
	if o.BackupCodes, err = s.st.BackupCodesLeft(ctx, u.ID); err != nil {
		return ResetOptions{}, fmt.Errorf("auth: reset factors: %w", err)
	}
	return o, nil
}

// SendResetCode sends the reset's SMS code to the account's number (a
// resend once one was sent), when SMS is offered.
func (s *Service) SendResetCode(ctx context.Context, r Reset, ip string) (Reset, error) {
	u, err := s.resetAccount(ctx, r)
	if err != nil {
		return r, err
	}
	o, err := s.resetOptions(ctx, u)
	if err != nil {
		return r, err
	}
	if !o.SMS {
		return r, ErrFactorNotOffered
	}
	if err := s.recoverySMS(ctx, u.ID, u.Phone, ip, "", r.CodeSent); err != nil {
		return r, err
	}
	r.Phone, r.CodeSent = u.Phone, true
	return r, nil
}

// recoverySMS is the one place recovery reaches the SMS verification: with
// code "" it sends a code to the number (a resend when resend is set),
// otherwise it checks code. It runs under every cap of sign-in codes.
func (s *Service) recoverySMS(ctx context.Context, userID, to, ip, code string, resend bool) error {
	t := recoveryTarget(userID, to)
	if code == "" {
		return s.sendCode(ctx, smsSend{target: t, ip: ip, account: userID, fresh: !resend})
	}
	return s.checkCode(ctx, t, code)
}

// CheckResetCode checks the reset's second factor: a backup code when
// backup is given, otherwise code, which is the authenticator code when one
// is set up and the SMS code when not. Every try counts against the link
// and the account before it is checked; the resetCodes-th wrong one ends
// the reset and voids the link (ErrResetLocked).
func (s *Service) CheckResetCode(ctx context.Context, r Reset, code, backup, ip string) (Reset, error) {
	u, err := s.resetAccount(ctx, r)
	if err != nil {
		return r, err
	}
	o, err := s.resetOptions(ctx, u)
	if err != nil {
		return r, err
	}
	var method string
	var check func() error
	switch {
	case o.None():
		return r, ErrNoFactor
	case backup != "":
		if o.BackupCodes == 0 {
			return r, ErrFactorNotOffered
		}
		if n := normalizeBackup(backup); len(n) != 12 {
			return r, invalid("backup_code", "Enter one of your backup codes, like k7qm-2x9p-4tvr.")
		}
		method, check = MethodBackup, func() error { return s.useBackup(ctx, u.ID, backup) }
	case o.TOTP:
		if err := s.take(ctx, "totp-ip:"+s.subject("ip", ip), s.lim.TOTPPerIP, time.Minute,
			"Too many codes tried from your network. Wait a minute and try again."); err != nil {
			return r, err
		}
		c, err := checkDigits("code", code)
		if err != nil {
			return r, err
		}
		method, check = MethodTOTP, func() error { return s.challenge(ctx, u, c) }
	case o.SMS:
		if !r.CodeSent {
			return r, ErrNoCodeSent
		}
		c, err := checkDigits("code", code)
		if err != nil {
			return r, err
		}
		method, check = MethodSMS, func() error { return s.recoverySMS(ctx, u.ID, r.Phone, ip, c, false) }
	default:
		return r, ErrFactorNotOffered
	}
	if err := s.resetFactor(ctx, r, u, check); err != nil {
		return r, err
	}
	r.Passed, r.Method = true, method
	return r, nil
}

// resetFactor runs check under the reset's caps (see CheckResetCode).
func (s *Service) resetFactor(ctx context.Context, r Reset, u store.User, check func() error) error {
	key := "reset-codes:" + r.TokenHash
	w, err := s.st.Hit(ctx, key, 1, ResetLinkTTL, s.now())
	if err != nil {
		return fmt.Errorf("auth: reset factor: %w", err)
	}
	if w.Count > resetCodes {
		s.voidReset(ctx, r)
		return ErrResetLocked
	}
	att, waits, err := s.beginAttempt(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("auth: reset factor: %w", err)
	}
	if waits {
		s.give(ctx, key, ResetLinkTTL)
		return wait("Too many failed attempts on this account.", max(retryAfter(att.LockedUntil, s.now()), time.Minute))
	}
	err = check()
	if err == nil {
		return s.st.EndAttempt(ctx, u.ID)
	}
	if !errors.Is(err, ErrWrongCode) {
		s.giveBack(ctx, u.ID, key) // not the person's guess: an outage, an expired code
		return err
	}
	s.failed(ctx, u.ID, att)
	if w.Count >= resetCodes {
		s.voidReset(ctx, r)
		return ErrResetLocked
	}
	return err
}

// giveBack returns an attempt counted on the account and the reset.
func (s *Service) giveBack(ctx context.Context, userID, key string) {
	if err := s.st.EndAttempt(ctx, userID); err != nil {
		s.log.Warn("attempt give-back failed", "err", err)
	}
	s.give(ctx, key, ResetLinkTTL)
}

// voidReset uses up the reset's link so it cannot be opened again.
func (s *Service) voidReset(ctx context.Context, r Reset) {
	if _, err := s.st.UseEmailToken(ctx, r.TokenHash, purposeReset, s.now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("reset link not voided", "user", r.UserID, "err", err)
	}
	s.log.Warn("password reset ended after repeated wrong codes", "user", r.UserID)
}

// FinishReset saves the new password of a reset whose second factor was
// passed, consuming its link in the same transaction: of two requests with
// one link, exactly one resets (the other gets ErrLinkInvalid). Every
// session and remembered device of the account is ended, its failed
// attempts are cleared, and its owner is mailed a notice. Nobody is signed
// in.
func (s *Service) FinishReset(ctx context.Context, r Reset, pw, ip, ua string) error {
	u, err := s.resetAccount(ctx, r)
	if err != nil {
		return err
	}
	if !r.Passed {
		return ErrFactorDue
	}
	if m := password.Check(pw, u.Email, u.FirstName, u.LastName); m != "" {
		return invalid("password", m)
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("auth: hash: %w", err)
	}
	if err := s.st.ResetPassword(ctx, u.ID, r.TokenHash, purposeReset, hash, s.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrLinkInvalid
		}
		return fmt.Errorf("auth: reset password: %w", err)
	}
	// The password is reset; what follows must not make the answer a failure.
	if err := s.st.ResetAttempts(ctx, u.ID); err != nil {
		s.log.Error("waits not cleared after password reset", "user", u.ID, "err", err)
	}
	if err := s.endAllSessions(ctx, u.ID); err != nil {
		s.log.Error("password reset but sessions not ended", "user", u.ID, "err", err)
	}
	s.notify(u.ID, mail.Notice{Kind: mail.NoticePasswordReset, IP: ip, Browser: ua})
	s.record(ctx, u.ID, EventPasswordReset, "")
	s.log.Info("password reset", "user", u.ID, "factor", r.Method)
	return nil
}

// useBackup spends one of the user's backup codes; ErrWrongCode when code
// is not an unused one.
func (s *Service) useBackup(ctx context.Context, userID, code string) error {
	ok, err := s.st.UseBackupCode(ctx, userID, s.backupHash(userID, code), s.now())
	if err != nil {
		return fmt.Errorf("auth: backup code: %w", err)
	}
	if !ok {
		return ErrWrongCode
	}
	return nil
}

// challenge checks a code of the user's authenticator, accepting each code
// once, as at sign-in.
func (s *Service) challenge(ctx context.Context, u store.User, code string) error {
	dev, err := s.st.TOTPDevice(ctx, u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("auth: totp device: %w", err)
	}
	if err != nil || !dev.Confirmed {
		return ErrNoDevice
	}
	res, err := s.verifier.ChallengeTOTP(ctx, u.VerifyIdentity, dev.FactorSID, code)
	if err != nil {
		return s.providerErr("challenge", err)
	}
	if !res.Approved {
		if res.Drift != 0 {
			return &DriftError{Drift: res.Drift}
		}
		return ErrWrongCode
	}
	if err := s.spendTOTP(ctx, u.ID, code); err != nil {
		if errors.Is(err, ErrCodeReused) {
			return fmt.Errorf("%w (%w)", ErrCodeReused, ErrWrongCode)
		}
		return err
	}
	return nil
}
