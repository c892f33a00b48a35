package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"gatehouse/internal/store"
	"gatehouse/internal/verify"
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
// email and an account that waits all answer ErrInvalidCredentials after
// the same amount of hashing work; a (email, network) pair that waits
// answers a LimitError, for known and unknown emails alike. Only failures
// count: a sign-in in flight holds a slot of its pair until its hash is
// done, and a right password gives it back.
func (s *Service) Login(ctx context.Context, in LoginInput) (_ PreAuth, err error) {
	defer func() { s.obs.SignIn(MethodPassword, outcome(err)) }()
	ve := invalid()
	if CheckText(in.Email) != nil {
		ve.Fields["email"] = "Your email address contains invisible, control or text-direction characters. Type it again."
	} else if in.Email == "" {
		ve.Fields["email"] = "Enter your email address."
	}
	if strings.ContainsFunc(in.Password, unicode.IsControl) {
		// The rule of password.Check: any printable character may be part
		// of a password, so only control characters are refused here.
		ve.Fields["password"] = "Your password contains control characters."
	} else if in.Password == "" {
		ve.Fields["password"] = "Enter your password."
	}
	if len(ve.Fields) > 0 {
		return PreAuth{}, ve
	}
	email := NormalizeEmail(in.Email)
	ipKey := "login-ip:" + s.netSubject(in.IP)
	if w, err := s.st.Peek(ctx, ipKey, s.now()); err != nil {
		return PreAuth{}, fmt.Errorf("auth: login: %w", err)
	} else if w.Count >= s.lim.IPFailures {
		return PreAuth{}, wait("Too many failed sign-in attempts from your network.", retryAfter(w.Reset, s.now()))
	}
	gk := s.guessKey(email, in.IP)
	if err := s.reserveGuess(ctx, gk); err != nil {
		return PreAuth{}, err
	}
	pa, result, err := s.login(ctx, email, in)
	s.endGuess(ctx, gk, result)
	if result == store.GuessFailed {
		if _, err := s.st.Hit(ctx, ipKey, 1, s.lim.IPFailureWindow, s.now()); err != nil {
			s.log.Warn("network failure count failed", "err", err)
		}
	}
	return pa, err
}

// login is the part of Login a throttle slot is held for; outcome says
// how the guess ends (store.GuessVoid, GuessFailed, GuessSucceed).
func (s *Service) login(ctx context.Context, email string, in LoginInput) (PreAuth, int, error) {
	if err := s.captcha.Verify(ctx, in.Captcha, in.IP); err != nil {
		s.log.Info("captcha refused", "step", "login", "err", err)
		return PreAuth{}, store.GuessVoid, fmt.Errorf("%w (%w)", ErrCaptcha, err)
	}
	u, err := s.st.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.hasher.VerifyDummy(ctx, in.Password); err != nil {
			return PreAuth{}, store.GuessVoid, fmt.Errorf("auth: login: %w", err)
		}
		return PreAuth{}, store.GuessFailed, ErrInvalidCredentials
	}
	if err != nil {
		return PreAuth{}, store.GuessVoid, fmt.Errorf("auth: login: %w", err)
	}
	if off, err := s.disabled(ctx, u.ID); err != nil || off {
		if err := s.refuseDisabled(ctx, u.ID, in.Password, err); !errors.Is(err, ErrInvalidCredentials) {
			return PreAuth{}, store.GuessVoid, err
		}
		return PreAuth{}, store.GuessFailed, ErrInvalidCredentials
	}
	att, waits, err := s.beginAttempt(ctx, u.ID)
	if err != nil {
		return PreAuth{}, store.GuessVoid, fmt.Errorf("auth: login: %w", err)
	}
	if waits {
		// Answered as a wrong password from this network would be.
		if err := s.hasher.VerifyDummy(ctx, in.Password); err != nil {
			return PreAuth{}, store.GuessVoid, fmt.Errorf("auth: login: %w", err)
		}
		s.log.Info("sign-in refused: account waits", "user", u.ID)
		return PreAuth{}, store.GuessFailed, fmt.Errorf("%w (%w)", ErrInvalidCredentials, errAccountLocked)
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, in.Password)
	if err != nil {
		s.giveBackAttempt(ctx, u.ID)
		return PreAuth{}, store.GuessVoid, fmt.Errorf("auth: login: %w", err)
	}
	if !ok {
		s.failed(ctx, u.ID, att)
		s.record(ctx, u.ID, EventSignInFailed, "wrong password")
		return PreAuth{}, store.GuessFailed, ErrInvalidCredentials
	}
	// A right password is no failure, so its attempt is given back; but only
	// a passed second factor clears the account's earlier failures, so wrong
	// codes keep adding up across logins toward the account's wait.
	s.giveBackAttempt(ctx, u.ID)
	lid, err := s.randomID(16)
	if err != nil {
		return PreAuth{}, store.GuessVoid, err
	}
	return PreAuth{UserID: u.ID, LoginID: lid, StartedAt: s.now()}, store.GuessSucceed, nil
}

// giveBackAttempt takes back an attempt counted by beginAttempt that was
// no failure.
func (s *Service) giveBackAttempt(ctx context.Context, userID string) {
	if err := s.st.EndAttempt(ctx, userID); err != nil {
		s.log.Warn("attempt give-back failed", "err", err)
	}
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
	u, err := s.pendingUser(ctx, pa)
	if err != nil {
		return LoginState{}, err
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

// pendingUser returns the account of a pre-auth login that is still within
// its time, or ErrStepExpired: what a check of its second factor needs of
// Pending, without what only its pages show.
func (s *Service) pendingUser(ctx context.Context, pa PreAuth) (store.User, error) {
	if !s.PreAuthAlive(pa) {
		return store.User{}, ErrStepExpired
	}
	u, err := s.st.UserByID(ctx, pa.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrStepExpired
	}
	if err != nil {
		return store.User{}, fmt.Errorf("auth: pending: %w", err)
	}
	if off, err := s.disabled(ctx, u.ID); err != nil || off {
		return store.User{}, cmp.Or(err, ErrStepExpired)
	}
	return u, nil
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
	if err := s.sendCode(ctx, smsSend{target: loginTarget(pa.UserID, to), ip: ip, account: pa.UserID,
		fresh: !pa.CodeSent}); err != nil {
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
	return s.sendCode(ctx, smsSend{target: loginTarget(pa.UserID, pa.Phone), ip: ip, account: pa.UserID})
}

// loginTarget is the verification of a sign-in of the account userID.
func loginTarget(userID, phone string) verify.Target {
	return verify.Target{Purpose: verify.PurposeLogin, Subject: userID, Phone: phone}
}

// CheckLoginCode checks the SMS code of a pre-auth login. On success the
// sign-in is complete; with the MFA flag off, the confirmed number is saved
// and the flag turned on, only while it is still off. A sign-in completes
// only against the account as it is now: once the flag is on, a code sent
// to a number that is no longer the account's ends the login. ErrTooManyCodes
// and ErrStepExpired end the login: the caller drops the pre-auth state.
func (s *Service) CheckLoginCode(ctx context.Context, pa PreAuth, code string) (Account, error) {
	return s.CheckLoginCodeThen(ctx, pa, code, nil)
}

// CheckLoginCodeThen is CheckLoginCode with then (when not nil) run in the
// transaction of the success, as in CheckLoginTOTPThen: with the embedded
// engine the attempt, the check, the number saved and then are one
// transaction.
func (s *Service) CheckLoginCodeThen(ctx context.Context, pa PreAuth, code string,
	then func(ctx context.Context) error) (_ Account, err error) {
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
	if st.user.MFAEnabled && st.user.Phone != pa.Phone {
		s.log.Info("sign-in ended: the code went to a number that is no longer the account's", "user", pa.UserID)
		return Account{}, ErrStepExpired
	}
	check := func(ctx context.Context) error {
		if err := s.checkCode(ctx, loginTarget(pa.UserID, pa.Phone), c); err != nil {
			return err
		}
		if st.user.MFAEnabled {
			return nil
		}
		err := s.st.EnableMFA(ctx, st.user.ID, pa.Phone, s.now())
		if errors.Is(err, store.ErrConflict) {
			// The flag went on meanwhile (another sign-in set a number):
			// this code proves a number the account may no longer have.
			if u, uerr := s.st.UserByID(ctx, st.user.ID); uerr != nil || u.Phone != pa.Phone {
				return ErrStepExpired
			}
			err = nil
		}
		if err != nil {
			return fmt.Errorf("auth: enable mfa: %w", err)
		}
		st.user.Phone, st.user.MFAEnabled = pa.Phone, true
		return nil
	}
	if s.joined {
		return s.inOneTransaction(ctx, st.user, func(ctx context.Context) (guess, error) {
			return s.reserve(ctx, pa, st.user)
		}, check, then)
	}
	return s.secondFactorThen(ctx, pa, st.user, func() error { return check(ctx) }, then)
}

// guess is a second-factor attempt counted against the login and the
// account before it is checked (see reserve).
type guess struct {
	codesKey string
	codes    store.Window  // the login's codes, this one included
	att      store.Attempt // the account's attempts, this one included
	relock   bool          // the account is at its cap without a wait: start it
}

// atomically runs fn in one transaction of the store and returns fn's
// error, or else the commit's. What fn did is committed even when fn
// returns an error: a refused or malformed attempt still counts.
func (s *Service) atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	var ferr error
	if err := s.st.Atomically(ctx, func(ctx context.Context) error { ferr = fn(ctx); return nil }); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return ferr
}

// reserve counts a second-factor attempt against the login and the
// account, before it is checked, so that parallel guesses are bounded by
// the caps. It returns ErrTooManyCodes when either has none left. It only
// runs statements, so it can be part of a caller's transaction.
func (s *Service) reserve(ctx context.Context, pa PreAuth, u store.User) (guess, error) {
	g := guess{codesKey: "login-codes:" + pa.LoginID}
	var err error
	if g.codes, err = s.st.Hit(ctx, g.codesKey, 1, s.lim.PreAuthTTL, s.now()); err != nil {
		return g, fmt.Errorf("auth: second factor: %w", err)
	}
	if g.codes.Count > s.lim.CodesPerLogin {
		return g, ErrTooManyCodes
	}
	if g.att, err = s.st.BeginAttempt(ctx, u.ID, s.lim.AccountFailures, s.now()); err != nil {
		return g, fmt.Errorf("auth: second factor: %w", err)
	}
	if g.att.Refused {
		// An account found at its cap without a wait (its lock write was
		// lost) starts its wait now, so no account is refused forever.
		g.relock = !g.att.LockedUntil.After(s.now())
		s.log.Info("second factor refused: account waits", "user", u.ID)
		return g, ErrTooManyCodes
	}
	return g, nil
}

// afterReserve does what a refused reservation leaves to do outside its
// transaction.
func (s *Service) afterReserve(ctx context.Context, userID string, g guess) {
	if g.relock {
		s.lock(ctx, userID)
	}
}

// secondFactor runs check under the caps every second factor shares: the
// attempt is counted against the login and the account before it is checked;
// a wrong code (ErrWrongCode) may end the login or lock the account; a right
// one clears the account's failures.
func (s *Service) secondFactor(ctx context.Context, pa PreAuth, u store.User, check func() error) (Account, error) {
	return s.secondFactorThen(ctx, pa, u, check, nil)
}

// secondFactorThen is secondFactor with then (when not nil) run in the
// transaction of the success (see settle).
func (s *Service) secondFactorThen(ctx context.Context, pa PreAuth, u store.User, check func() error,
	then func(ctx context.Context) error) (Account, error) {
	var g guess
	err := s.atomically(ctx, func(ctx context.Context) (err error) {
		g, err = s.reserve(ctx, pa, u)
		return err
	})
	s.afterReserve(ctx, u.ID, g)
	if err != nil {
		return Account{}, err
	}
	return s.settle(ctx, u, g, check, then)
}

// settle checks a reserved guess. On success, commit (when not nil) and the
// clearing of the account's failures are one transaction; commit may still
// turn the guess wrong (an authenticator code spent meanwhile). A guess
// that is not the user's (provider down, code expired) gives its attempt
// back, so an outage cannot lock anyone out.
func (s *Service) settle(ctx context.Context, u store.User, g guess, check func() error,
	commit func(ctx context.Context) error) (Account, error) {
	err := check()
	if err == nil {
		err = s.st.Atomically(ctx, func(ctx context.Context) error { return s.succeed(ctx, u, commit) })
		if err == nil {
			s.log.Info("signed in", "user", u.ID)
			return accountOf(u), nil
		}
	}
	return Account{}, s.refused(ctx, u, g, err)
}

// succeed runs the writes of a passed second factor: commit (when not nil),
// then the clearing of the account's failures. It only runs statements, so
// it is part of the caller's transaction.
func (s *Service) succeed(ctx context.Context, u store.User, commit func(ctx context.Context) error) error {
	if commit != nil {
		if err := commit(ctx); err != nil {
			return err
		}
	}
	if err := s.st.ResetAttempts(ctx, u.ID); err != nil {
		return fmt.Errorf("auth: second factor: %w", err)
	}
	return nil
}

// refused ends a reserved guess that did not pass with err (see settle):
// a wrong code counts and may end the login or start the account's wait;
// anything else gives the attempt back.
func (s *Service) refused(ctx context.Context, u store.User, g guess, err error) error {
	if !errors.Is(err, ErrWrongCode) {
		s.giveBackAttempt(ctx, u.ID)
		if _, e := s.st.Hit(ctx, g.codesKey, -1, s.lim.PreAuthTTL, s.now()); e != nil {
			s.log.Warn("attempt give-back failed", "err", e)
		}
		return err
	}
	s.failed(ctx, u.ID, g.att)
	s.record(ctx, u.ID, EventSecondFactorFailed, "")
	if g.codes.Count >= s.lim.CodesPerLogin || g.att.Count >= s.lim.AccountFailures {
		return ErrTooManyCodes
	}
	if left := s.lim.CodesPerLogin - g.codes.Count; left <= 2 {
		return &TriesLeftError{Left: left, Err: err}
	}
	return err
}
