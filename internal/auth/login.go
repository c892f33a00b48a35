package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/store"
)

// Method names of second factors, stamped on a signed-in session.
const (
	MethodSMS    = "sms"
	MethodTOTP   = "totp"
	MethodBackup = "backup"
)

// PreAuth is a sign-in whose password was right and whose second factor is
// still due. It lives only in the session.
type PreAuth struct {
	UserID    string
	LoginID   string    // random; keys this login's count of wrong codes
	StartedAt time.Time // the pre-auth state ends PreAuthTTL after this
	Phone     string    // E.164 number the SMS code went to; "" before a send
	CodeSent  bool
}

// LoginInput is the password step.
type LoginInput struct {
	Email, Password, Captcha, IP string
}

// Login checks the CAPTCHA and the credentials. A wrong password, an unknown
// email and a locked account all answer ErrInvalidCredentials after the same
// amount of hashing work.
func (s *Service) Login(ctx context.Context, in LoginInput) (_ PreAuth, err error) {
	defer func() { s.obs.SignIn(MethodPassword, outcome(err)) }()
	ve := invalid()
	if in.Email == "" {
		ve.Fields["email"] = "Enter your email address."
	}
	if in.Password == "" {
		ve.Fields["password"] = "Enter your password."
	}
	if len(ve.Fields) > 0 {
		return PreAuth{}, ve
	}
	ipKey := "login-ip:" + s.subject("ip", in.IP)
	// Count the attempt first: a success gives it back.
	if err := s.take(ctx, ipKey, s.lim.IPFailures, s.lim.IPFailureWindow,
		"Too many failed sign-in attempts from your network. Try again later."); err != nil {
		return PreAuth{}, err
	}
	if err := s.captcha.Verify(ctx, in.Captcha, in.IP); err != nil {
		s.log.Info("captcha refused", "step", "login", "err", err)
		return PreAuth{}, fmt.Errorf("%w (%w)", ErrCaptcha, err)
	}
	u, err := s.st.UserByEmail(ctx, NormalizeEmail(in.Email))
	if errors.Is(err, store.ErrNotFound) {
		if err := s.hasher.VerifyDummy(ctx, in.Password); err != nil {
			return PreAuth{}, fmt.Errorf("auth: login: %w", err)
		}
		return PreAuth{}, ErrInvalidCredentials
	}
	if err != nil {
		return PreAuth{}, fmt.Errorf("auth: login: %w", err)
	}
	if off, err := s.disabled(ctx, u.ID); err != nil || off {
		return PreAuth{}, s.refuseDisabled(ctx, u.ID, in.Password, err)
	}
	att, err := s.st.BeginAttempt(ctx, u.ID)
	if err != nil {
		return PreAuth{}, fmt.Errorf("auth: login: %w", err)
	}
	if s.locked(att) {
		if err := s.hasher.VerifyDummy(ctx, in.Password); err != nil {
			return PreAuth{}, fmt.Errorf("auth: login: %w", err)
		}
		s.log.Info("sign-in refused: account locked", "user", u.ID)
		return PreAuth{}, fmt.Errorf("%w (%w)", ErrInvalidCredentials, errAccountLocked)
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, in.Password)
	if err != nil {
		return PreAuth{}, fmt.Errorf("auth: login: %w", err)
	}
	if !ok {
		s.failed(ctx, u.ID, att)
		s.record(ctx, u.ID, EventSignInFailed, "wrong password")
		return PreAuth{}, ErrInvalidCredentials
	}
	// A right password is no failure, so its attempt is given back; but only
	// a passed second factor clears the account's earlier failures, so wrong
	// codes keep adding up across logins toward the lock.
	if err := s.st.EndAttempt(ctx, u.ID); err != nil {
		return PreAuth{}, fmt.Errorf("auth: login: %w", err)
	}
	s.give(ctx, ipKey, s.lim.IPFailureWindow)
	lid, err := s.randomID(16)
	if err != nil {
		return PreAuth{}, err
	}
	return PreAuth{UserID: u.ID, LoginID: lid, StartedAt: s.now()}, nil
}

// locked reports whether an attempt lands on a locked account, or beyond the
// number of failures allowed (parallel attempts racing the lock).
func (s *Service) locked(a store.Attempt) bool {
	return a.LockedUntil.After(s.now()) || a.Count > s.lim.AccountFailures
}

// failed records a failed attempt that was counted by BeginAttempt, locking
// the account when it was the last one allowed.
func (s *Service) failed(ctx context.Context, userID string, a store.Attempt) {
	if a.Count < s.lim.AccountFailures {
		return
	}
	if err := s.st.Lock(ctx, userID, s.now().Add(s.lim.LockDuration)); err != nil {
		s.log.Error("lock account failed", "user", userID, "err", err)
		return
	}
	s.log.Warn("account locked after repeated failures", "user", userID)
	s.obs.Lockout()
}

// LoginState is what the second-factor step shows.
type LoginState struct {
	Account     Account
	user        store.User
	MaskedPhone string // the number on file (flag 0) or registered (flag 1), masked
	SentTo      string // masked number the last code went to, "" before a send
	HasTOTP     bool
	BackupCodes int
}

// PreAuthAlive reports whether a pre-auth login is still within its time.
func (s *Service) PreAuthAlive(pa PreAuth) bool {
	return pa.UserID != "" && s.now().Sub(pa.StartedAt) <= s.lim.PreAuthTTL
}

// Pending returns the state of a pre-auth login, or ErrStepExpired when it
// has run out or its account is gone.
func (s *Service) Pending(ctx context.Context, pa PreAuth) (LoginState, error) {
	if !s.PreAuthAlive(pa) {
		return LoginState{}, ErrStepExpired
	}
	u, err := s.st.UserByID(ctx, pa.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return LoginState{}, ErrStepExpired
	}
	if err != nil {
		return LoginState{}, fmt.Errorf("auth: pending: %w", err)
	}
	if off, err := s.disabled(ctx, u.ID); err != nil || off {
		return LoginState{}, cmp.Or(err, ErrStepExpired)
	}
	st := LoginState{Account: accountOf(u), user: u, MaskedPhone: s.MaskPhone(u.Phone)}
	if pa.CodeSent {
		st.SentTo = s.MaskPhone(pa.Phone)
	}
	if u.MFAEnabled {
		dev, err := s.st.TOTPDevice(ctx, u.ID)
		switch {
		case err == nil:
			st.HasTOTP = dev.Confirmed
		case !errors.Is(err, store.ErrNotFound):
			return LoginState{}, fmt.Errorf("auth: pending: %w", err)
		}
		if st.BackupCodes, err = s.st.BackupCodesLeft(ctx, u.ID); err != nil {
			return LoginState{}, fmt.Errorf("auth: pending: %w", err)
		}
	}
	return st, nil
}

// SendLoginCode sends the SMS code of a pre-auth login. With the MFA flag
// off, phoneRaw is the number the user confirmed or typed; with the flag on
// it is ignored and the code goes to the registered number.
func (s *Service) SendLoginCode(ctx context.Context, pa PreAuth, phoneRaw, ip string) (PreAuth, error) {
	st, err := s.Pending(ctx, pa)
	if err != nil {
		return pa, err
	}
	to := st.user.Phone
	if !st.user.MFAEnabled {
		n, m := s.checkPhone(phoneRaw)
		if m != "" {
			return pa, invalid("phone", m)
		}
		to = n
	} else if to == "" {
		return pa, fmt.Errorf("auth: user %s has MFA on but no phone: %w", pa.UserID, ErrUnavailable)
	}
	if err := s.sendCode(ctx, to, ip, false); err != nil {
		return pa, err
	}
	pa.Phone, pa.CodeSent = to, true
	return pa, nil
}

// ResendLoginCode sends a fresh code to the number of the last send.
func (s *Service) ResendLoginCode(ctx context.Context, pa PreAuth, ip string) error {
	if _, err := s.Pending(ctx, pa); err != nil {
		return err
	}
	if !pa.CodeSent {
		return ErrNoCodeSent
	}
	return s.sendCode(ctx, pa.Phone, ip, true)
}

// CheckLoginCode checks the SMS code of a pre-auth login. On success the
// sign-in is complete; with the MFA flag off, the confirmed number is saved
// and the flag turned on. ErrTooManyCodes and ErrStepExpired end the login:
// the caller drops the pre-auth state.
func (s *Service) CheckLoginCode(ctx context.Context, pa PreAuth, code string) (_ Account, err error) {
	defer func() { s.obs.SignIn(MethodSMS, outcome(err)) }()
	st, err := s.Pending(ctx, pa)
	if err != nil {
		return Account{}, err
	}
	if !pa.CodeSent {
		return Account{}, ErrNoCodeSent
	}
	c, err := checkDigits("code", code)
	if err != nil {
		return Account{}, err
	}
	return s.secondFactor(ctx, pa, st.user, func() error {
		if err := s.checkCode(ctx, pa.Phone, c); err != nil {
			return err
		}
		if !st.user.MFAEnabled || st.user.Phone != pa.Phone {
			if err := s.st.SetPhoneMFA(ctx, st.user.ID, pa.Phone, s.now()); err != nil {
				return fmt.Errorf("auth: enable mfa: %w", err)
			}
			st.user.Phone, st.user.MFAEnabled = pa.Phone, true
		}
		return nil
	})
}

// secondFactor runs check under the caps every second factor shares: the
// attempt is counted against the login and the account before it is checked;
// a wrong code (ErrWrongCode) may end the login or lock the account; a right
// one clears the account's failures.
func (s *Service) secondFactor(ctx context.Context, pa PreAuth, u store.User, check func() error) (Account, error) {
	codesKey := "login-codes:" + pa.LoginID
	w, err := s.st.Hit(ctx, codesKey, 1, s.lim.PreAuthTTL, s.now())
	if err != nil {
		return Account{}, fmt.Errorf("auth: second factor: %w", err)
	}
	if w.Count > s.lim.CodesPerLogin {
		return Account{}, ErrTooManyCodes
	}
	att, err := s.st.BeginAttempt(ctx, u.ID)
	if err != nil {
		return Account{}, fmt.Errorf("auth: second factor: %w", err)
	}
	if s.locked(att) {
		s.log.Info("second factor refused: account locked", "user", u.ID)
		return Account{}, ErrTooManyCodes
	}
	err = check()
	if err == nil {
		if err := s.st.ResetAttempts(ctx, u.ID); err != nil {
			return Account{}, fmt.Errorf("auth: second factor: %w", err)
		}
		s.log.Info("signed in", "user", u.ID)
		return accountOf(u), nil
	}
	if !errors.Is(err, ErrWrongCode) {
		// Not the user's guess (provider down, code expired): give the
		// attempt back so an outage cannot lock anyone out.
		if e := s.st.EndAttempt(ctx, u.ID); e != nil {
			s.log.Warn("attempt give-back failed", "err", e)
		}
		if _, e := s.st.Hit(ctx, codesKey, -1, s.lim.PreAuthTTL, s.now()); e != nil {
			s.log.Warn("attempt give-back failed", "err", e)
		}
		return Account{}, err
	}
	s.failed(ctx, u.ID, att)
	s.record(ctx, u.ID, EventSecondFactorFailed, "")
	if w.Count >= s.lim.CodesPerLogin || att.Count >= s.lim.AccountFailures {
		return Account{}, ErrTooManyCodes
	}
	return Account{}, err
}
