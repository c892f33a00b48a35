package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

// replayWindow is how long an accepted authenticator code is remembered: it
// outlives the accepted steps (the current one and one either side).
const replayWindow = 3 * time.Minute

// DriftError is a wrong authenticator code that matches a nearby time step:
// the device clock appears to be off by Drift.
type DriftError struct{ Drift time.Duration }

func (e *DriftError) Error() string {
	return fmt.Sprintf("auth: wrong authenticator code, device clock off by %v", e.Drift)
}

// message is the sentence a person reads: what to do about the clock.
func (e *DriftError) message() string {
	secs := int(math.Round(math.Abs(e.Drift.Seconds())))
	dir := "ahead"
	if e.Drift < 0 {
		dir = "behind"
	}
	return fmt.Sprintf("That code is not correct. Your device's clock appears to be %s by about %d seconds: "+
		"turn on automatic date and time on your phone (or use your app's time sync) and try again.", dir, secs)
}

// Unwrap makes a DriftError a wrong code.
func (e *DriftError) Unwrap() error { return ErrWrongCode }

// Enrollment is a new, unconfirmed authenticator factor, shown once.
type Enrollment struct {
	FactorSID string
	URI       string // otpauth:// URI with the portal's issuer and the user's email
	Secret    string // base32, for typing by hand
	ExpiresAt time.Time
}

// MFAStatus is what Account settings shows about second factors.
type MFAStatus struct {
	SMS         bool // MFA flag on, phone verified
	TOTP        bool // a confirmed authenticator
	TOTPPending bool // an enrollment started but not confirmed
	BackupCodes int  // unused backup codes
}

// Status returns the user's second factors.
func (s *Service) Status(ctx context.Context, userID string) (MFAStatus, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return MFAStatus{}, err
	}
	st := MFAStatus{SMS: u.MFAEnabled && u.Phone != ""}
	dev, err := s.st.TOTPDevice(ctx, userID)
	switch {
	case err == nil:
		st.TOTP, st.TOTPPending = dev.Confirmed, !dev.Confirmed
	case !errors.Is(err, store.ErrNotFound):
		return MFAStatus{}, fmt.Errorf("auth: status: %w", err)
	}
	if st.BackupCodes, err = s.st.BackupCodesLeft(ctx, userID); err != nil {
		return MFAStatus{}, fmt.Errorf("auth: status: %w", err)
	}
	return st, nil
}

// StartTOTPEnrollment creates an authenticator factor for a user whose SMS
// MFA is active and who has no confirmed authenticator. A pending factor from
// an earlier click is deleted at the provider first.
func (s *Service) StartTOTPEnrollment(ctx context.Context, userID string) (Enrollment, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return Enrollment{}, err
	}
	if !u.MFAEnabled || u.Phone == "" {
		return Enrollment{}, ErrMFANotActive
	}
	dev, err := s.st.TOTPDevice(ctx, userID)
	switch {
	case err == nil && dev.Confirmed:
		return Enrollment{}, ErrDeviceExists
	case err == nil:
		if err := s.verifier.DeleteTOTPFactor(ctx, u.VerifyIdentity, dev.FactorSID); err != nil && !errors.Is(err, verify.ErrNotFound) {
			return Enrollment{}, s.providerErr("delete pending factor", err)
		}
	case !errors.Is(err, store.ErrNotFound):
		return Enrollment{}, fmt.Errorf("auth: enroll: %w", err)
	}
	f, err := s.verifier.CreateTOTPFactor(ctx, u.VerifyIdentity, u.Email)
	if err != nil {
		return Enrollment{}, s.providerErr("create factor", err)
	}
	if err := s.st.SavePendingDevice(ctx, userID, f.SID, s.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Enrollment{}, ErrDeviceExists
		}
		return Enrollment{}, fmt.Errorf("auth: enroll: %w", err)
	}
	exp := f.ExpiresAt
	if exp.IsZero() {
		exp = s.now().Add(10 * time.Minute)
	}
	return Enrollment{FactorSID: f.SID, URI: s.rewriteURI(f.URI, u.Email), Secret: f.Secret, ExpiresAt: exp}, nil
}

// rewriteURI sets the issuer and label of an otpauth URI to the portal's
// issuer and the user's email, so the authenticator app shows both.
func (s *Service) rewriteURI(raw, email string) string {
	k, err := verify.ParseOTPAuth(raw)
	if err != nil {
		return raw
	}
	k.Issuer, k.Account = s.issuer, email
	return k.URI()
}

// ConfirmTOTPEnrollment confirms the pending factor with its first code.
func (s *Service) ConfirmTOTPEnrollment(ctx context.Context, userID, factorSID, code string) error {
	c, err := checkDigits("code", code)
	if err != nil {
		return ErrInvalidTOTP
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	dev, err := s.st.TOTPDevice(ctx, userID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("auth: confirm device: %w", err) // a database fault, not the user's step
	}
	if err != nil || dev.Confirmed || dev.FactorSID != factorSID || factorSID == "" {
		if err == nil && dev.Confirmed {
			return ErrDeviceExists
		}
		return ErrStepExpired
	}
	res, err := s.verifier.VerifyTOTPFactor(ctx, u.VerifyIdentity, factorSID, c)
	if err != nil {
		switch {
		case errors.Is(err, verify.ErrNotFound):
			return ErrStepExpired
		case errors.Is(err, verify.ErrTooManyChecks):
			// The pending factor is spent: only a new one can be confirmed.
			return fmt.Errorf("%w (%w)", ErrEnrollmentLocked, err)
		}
		return s.providerErr("verify factor", err)
	}
	if !res.Approved {
		return ErrInvalidTOTP
	}
	if err := s.st.ConfirmDevice(ctx, userID, factorSID, s.now()); err != nil {
		return fmt.Errorf("auth: confirm device: %w", err)
	}
	// The enrollment code is burned too: it cannot sign in a second later.
	if err := s.spendTOTP(ctx, userID, c); err != nil && !errors.Is(err, ErrCodeReused) {
		return err
	}
	s.log.Info("authenticator enrolled", "user", userID)
	s.record(ctx, userID, EventTOTPEnabled, "")
	return nil
}

// spendTOTP records an accepted authenticator code for replayWindow; it
// returns ErrCodeReused when the code was accepted before, atomically.
func (s *Service) spendTOTP(ctx context.Context, userID, code string) error {
	now := s.now()
	if err := s.st.SpendToken(ctx, s.totpKey(userID, code), now.Add(replayWindow), now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return ErrCodeReused
		}
		return fmt.Errorf("auth: spend totp: %w", err)
	}
	return nil
}

// totpKey is the spent-token key of an accepted authenticator code.
func (s *Service) totpKey(userID, code string) string {
	return "totp:" + hex.EncodeToString(s.mac(s.replayKey, "totp\x00"+userID+"\x00"+code))
}

// CheckLoginTOTP checks an authenticator code at sign-in, under the per-IP
// limit and the caps every second factor shares (CheckLoginTOTPThen with
// nothing to do on success).
func (s *Service) CheckLoginTOTP(ctx context.Context, pa PreAuth, code, ip string) (Account, error) {
	return s.CheckLoginTOTPThen(ctx, pa, code, ip, nil)
}

// CheckLoginTOTPThen checks an authenticator code at sign-in, under the
// per-IP limit and the caps every second factor shares. A code accepted
// once is never accepted again for the user. On success then (when not
// nil) runs inside the transaction that spends the code and clears the
// account's failures, so the caller's writes (the signed-in session) take
// effect with them or, when then fails, none of them does.
//
// With the embedded engine, whose factors live in the same store, the
// whole check is one transaction: the per-IP limit, the reservation of the
// attempt, the engine's check and step, the spent code and then. With a
// remote provider the reservation commits before the provider is asked,
// and the rest commits after its answer, so no transaction waits on the
// network.
func (s *Service) CheckLoginTOTPThen(ctx context.Context, pa PreAuth, code, ip string,
	then func(ctx context.Context) error) (_ Account, err error) {
	defer func() { s.obs.SignIn(MethodTOTP, outcome(err)) }()
	var (
		c   string
		dev store.TOTPDevice
		g   guess
	)
	// The reads first, on the readers: the transaction holds only writes
	// and the reads that must see them.
	u, stateErr := s.pendingUser(ctx, pa)
	if stateErr == nil {
		c, stateErr = checkDigits("totp_code", code)
	}
	if stateErr == nil {
		dev, stateErr = s.st.TOTPDevice(ctx, pa.UserID)
		if stateErr != nil && !errors.Is(stateErr, store.ErrNotFound) {
			return Account{}, fmt.Errorf("auth: totp device: %w", stateErr) // a database fault
		}
		if stateErr != nil || !dev.Confirmed {
			stateErr = ErrNoDevice
		}
	}
	admit := func(ctx context.Context) (err error) {
		// Every try counts toward the per-IP limit, malformed ones too.
		if err := s.take(ctx, "totp-ip:"+s.subject("ip", ip), s.lim.TOTPPerIP, time.Minute,
			"Too many codes tried from your network. Wait a minute and try again."); err != nil {
			return err
		}
		if stateErr != nil {
			return stateErr
		}
		g, err = s.reserve(ctx, pa, u)
		return err
	}
	check := func(ctx context.Context) error {
		// A code accepted before is said to be so, whatever the provider
		// (the embedded engine refuses its spent step as merely wrong).
		if spent, err := s.st.TokenSpent(ctx, s.totpKey(u.ID, c), s.now()); err != nil {
			return fmt.Errorf("auth: totp replay: %w", err)
		} else if spent {
			return fmt.Errorf("%w (%w)", ErrCodeReused, ErrWrongCode)
		}
		res, err := s.verifier.ChallengeTOTP(ctx, u.VerifyIdentity, dev.FactorSID, c)
		if err != nil {
			return s.providerErr("challenge", err)
		}
		if !res.Approved {
			if res.Drift != 0 {
				return &DriftError{Drift: res.Drift}
			}
			return ErrWrongCode
		}
		return nil
	}
	commit := func(ctx context.Context) error {
		if err := s.spendTOTP(ctx, u.ID, c); err != nil {
			if errors.Is(err, ErrCodeReused) {
				return fmt.Errorf("%w (%w)", ErrCodeReused, ErrWrongCode)
			}
			return err
		}
		if then != nil {
			return then(ctx)
		}
		return nil
	}
	if !s.joined {
		err = s.atomically(ctx, admit)
		s.afterReserve(ctx, u.ID, g)
		if err != nil {
			return Account{}, err
		}
		return s.settle(ctx, u, g, func() error { return check(ctx) }, commit)
	}
	return s.inOneTransaction(ctx, u, func(ctx context.Context) (guess, error) {
		err := admit(ctx) // sets g
		return g, err
	}, check, commit)
}

// inOneTransaction runs a second factor whose check is statements of the
// store (the embedded engine's TOTP, backup codes) in one transaction:
// admit counts the attempt (and returns its guess), check decides it, and
// on success commit and the clearing of the account's failures follow.
// What admit and check counted is committed whatever they answer; when
// commit or a write fails, none of it happened. A refused guess then ends
// as in settle.
func (s *Service) inOneTransaction(ctx context.Context, u store.User, admit func(ctx context.Context) (guess, error),
	check, commit func(ctx context.Context) error) (Account, error) {
	var (
		g                guess
		reserved, passed bool
		ferr             error // why the guess did not pass
	)
	err := s.st.Atomically(ctx, func(ctx context.Context) error {
		if g, ferr = admit(ctx); ferr != nil {
			return nil // what admit counted is committed
		}
		reserved = true
		if ferr = check(ctx); ferr != nil {
			return nil
		}
		if err := s.succeed(ctx, u, commit); err != nil {
			if errors.Is(err, ErrWrongCode) {
				ferr = err // spent meanwhile: a wrong guess, counted
				return nil
			}
			return err // commit or a write failed: none of this check happened
		}
		passed = true
		return nil
	})
	s.afterReserve(ctx, u.ID, g)
	switch {
	case err != nil:
		return Account{}, fmt.Errorf("auth: %w", err)
	case passed:
		s.log.Info("signed in", "user", u.ID)
		return accountOf(u), nil
	case !reserved:
		return Account{}, ferr
	}
	return Account{}, s.refused(ctx, u, g, ferr)
}

// RemoveTOTP deletes the user's authenticator at the provider and then the
// local link. A factor the provider no longer knows counts as deleted; any
// other failure keeps the link so the user can retry.
func (s *Service) RemoveTOTP(ctx context.Context, userID string) error {
	u, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	dev, err := s.st.TOTPDevice(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoDevice
	}
	if err != nil {
		return fmt.Errorf("auth: remove totp: %w", err)
	}
	if err := s.verifier.DeleteTOTPFactor(ctx, u.VerifyIdentity, dev.FactorSID); err != nil && !errors.Is(err, verify.ErrNotFound) {
		s.log.Error("authenticator removal failed at the provider", "user", userID, "err", err)
		return fmt.Errorf("%w (%w)", ErrUnavailable, err)
	}
	if err := s.st.DeleteDevice(ctx, userID, dev.FactorSID); err != nil {
		return fmt.Errorf("auth: remove totp: %w", err)
	}
	s.log.Info("authenticator removed", "user", userID)
	s.record(ctx, userID, EventTOTPRemoved, "")
	return nil
}

// backupAlphabet has 32 symbols (5 bits each) without i, l, o, u.
const backupAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// GenerateBackupCodes makes a fresh set of 10 one-time codes of 60 bits each,
// shown as xxxx-xxxx-xxxx, and replaces the old set atomically.
func (s *Service) GenerateBackupCodes(ctx context.Context, userID string) ([]string, error) {
	u, err := s.user(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !u.MFAEnabled {
		return nil, ErrMFANotActive
	}
	codes := make([]string, 10)
	hashes := make([]string, 10)
	buf := make([]byte, 12)
	for i := range codes {
		if _, err := s.rand.Read(buf); err != nil {
			return nil, fmt.Errorf("auth: backup codes: %w", err)
		}
		var b strings.Builder
		for j, x := range buf {
			if j > 0 && j%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(backupAlphabet[x&31])
		}
		codes[i] = b.String()
		hashes[i] = s.backupHash(userID, codes[i])
	}
	if err := s.st.ReplaceBackupCodes(ctx, userID, hashes, s.now()); err != nil {
		return nil, fmt.Errorf("auth: backup codes: %w", err)
	}
	s.log.Info("backup codes generated", "user", userID)
	s.record(ctx, userID, EventBackupCodesGenerated, "")
	return codes, nil
}

// normalizeBackup folds what people type into the canonical form: lower
// case, no separators, look-alike letters mapped to digits.
func normalizeBackup(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case r == 'o':
			b.WriteByte('0')
		case r == 'i' || r == 'l':
			b.WriteByte('1')
		case r < 128 && strings.ContainsRune(backupAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	return b.String()
}

func (s *Service) backupHash(userID, code string) string {
	return hex.EncodeToString(s.mac(s.backupKey, "backup\x00"+userID+"\x00"+normalizeBackup(code)))
}

// CheckLoginBackup spends a backup code at sign-in, under the caps every
// second factor shares.
func (s *Service) CheckLoginBackup(ctx context.Context, pa PreAuth, code string) (Account, error) {
	return s.CheckLoginBackupThen(ctx, pa, code, nil)
}

// CheckLoginBackupThen is CheckLoginBackup with then (when not nil) run in
// the transaction that spends the code, as in CheckLoginTOTPThen: the
// attempt, the spent code, the cleared failures and then are one
// transaction.
func (s *Service) CheckLoginBackupThen(ctx context.Context, pa PreAuth, code string,
	then func(ctx context.Context) error) (_ Account, err error) {
	defer func() { s.obs.SignIn(MethodBackup, outcome(err)) }()
	st, err := s.Pending(ctx, pa)
	if err != nil {
		return Account{}, err
	}
	if n := normalizeBackup(code); len(n) != 12 {
		return Account{}, invalid("code", "Enter one of your backup codes, like k7qm-2x9p-4tvr.")
	}
	return s.inOneTransaction(ctx, st.user, func(ctx context.Context) (guess, error) {
		return s.reserve(ctx, pa, st.user)
	}, func(ctx context.Context) error {
		h := s.backupHash(pa.UserID, code)
		ok, err := s.st.UseBackupCode(ctx, pa.UserID, h, s.now())
		if err != nil {
			return fmt.Errorf("auth: backup code: %w", err)
		}
		if !ok {
			// Still a wrong code for every limit; the sentence says why.
			if used, err := s.st.BackupCodeUsed(ctx, pa.UserID, h); err == nil && used {
				return fmt.Errorf("%w (%w)", ErrBackupCodeUsed, ErrWrongCode)
			}
			return ErrWrongCode
		}
		return nil
	}, func(ctx context.Context) error {
		s.log.Info("backup code used", "user", pa.UserID)
		s.record(ctx, pa.UserID, EventBackupCodeUsed, fmt.Sprintf("%d left", max(st.BackupCodes-1, 0)))
		if then != nil {
			return then(ctx)
		}
		return nil
	})
}
