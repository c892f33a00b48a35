package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"gatehouse/internal/store"
	"gatehouse/internal/verify/local"
)

// withEngine swaps the fake verifier for the real embedded engine on the
// fixture's database and clock, for the authenticator flows.
func withEngine(t *testing.T, f *fixture) *local.MemorySender {
	t.Helper()
	snd := &local.MemorySender{}
	eng, err := local.New(local.Options{
		Store: f.db, Sender: snd, Now: f.clock.Now,
		CodeKey: []byte(strings.Repeat("c", 32)), SecretKey: []byte(strings.Repeat("s", 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.verifier = eng
	f.svc.joined = eng.SharesStore(f.svc.st)
	if !f.svc.joined {
		t.Fatal("the engine on the fixture's database does not share its store")
	}
	return snd
}

func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eachTxMode runs test on an enrolled user twice: with the engine's checks
// inside the transaction of the attempt (the portal's setup, the engine
// sharing the store) and with the attempt committed before the check, as
// for a remote provider.
func eachTxMode(t *testing.T, test func(t *testing.T, f *fixture, uid, secret string)) {
	eachTxModeWith(t, Limits{}, test)
}

// eachTxModeWith is eachTxMode with limits other than the defaults.
func eachTxModeWith(t *testing.T, lim Limits, test func(t *testing.T, f *fixture, uid, secret string)) {
	for _, joined := range []bool{true, false} {
		t.Run(map[bool]string{true: "one-transaction", false: "reserve-then-settle"}[joined], func(t *testing.T) {
			f, uid, secret := enrolledWith(t, lim)
			f.svc.joined = joined
			test(t, f, uid, secret)
		})
	}
}

// enrolled registers a user with the engine and confirms an authenticator.
func enrolled(t *testing.T) (*fixture, string, string) {
	t.Helper()
	return enrolledWith(t, Limits{})
}

// enrolledWith is enrolled with limits other than the defaults.
func enrolledWith(t *testing.T, lim Limits) (*fixture, string, string) {
	t.Helper()
	f := newFixtureWith(t, lim)
	u := f.register(t, "ada@example.com", "2015550123")
	withEngine(t, f)
	e, err := f.svc.StartTOTPEnrollment(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URI, "otpauth://totp/Gatehouse:ada@example.com?") || !strings.Contains(e.URI, "issuer=Gatehouse") || len(e.Secret) != 32 {
		t.Fatalf("enrollment %+v", e)
	}
	if err := f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e.FactorSID, "000000"); !errors.Is(err, ErrInvalidTOTP) {
		t.Fatalf("wrong first code: %v", err)
	}
	// The factor SID stays valid after a wrong code: the user simply retries.
	if err := f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e.FactorSID, totpCode(t, e.Secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	return f, u.ID, e.Secret
}

func TestTOTPEnrollmentRules(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	withEngine(t, f)
	imp, _ := f.svc.CreateUser(ctx, CreateUserInput{Email: "imp@example.com", FirstName: "I", LastName: "P", Password: testPassword})
	if _, err := f.svc.StartTOTPEnrollment(ctx, imp.ID); !errors.Is(err, ErrMFANotActive) {
		t.Fatalf("without SMS MFA: %v", err)
	}
	e1, err := f.svc.StartTOTPEnrollment(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Enabling again replaces the pending factor: the first one is gone.
	e2, err := f.svc.StartTOTPEnrollment(ctx, u.ID)
	if err != nil || e2.FactorSID == e1.FactorSID {
		t.Fatal(err)
	}
	if err := f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e1.FactorSID, totpCode(t, e1.Secret, f.clock.Now())); !errors.Is(err, ErrStepExpired) {
		t.Fatalf("confirm replaced factor: %v", err)
	}
	// A pending factor expires after 10 minutes.
	f.clock.Advance(11 * time.Minute)
	if err := f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e2.FactorSID, totpCode(t, e2.Secret, f.clock.Now())); !errors.Is(err, ErrStepExpired) {
		t.Fatalf("confirm expired factor: %v", err)
	}
	e3, _ := f.svc.StartTOTPEnrollment(ctx, u.ID)
	if err := f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e3.FactorSID, totpCode(t, e3.Secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartTOTPEnrollment(ctx, u.ID); !errors.Is(err, ErrDeviceExists) {
		t.Fatalf("second device: %v", err)
	}
	if st, _ := f.svc.Status(ctx, u.ID); !st.TOTP || st.TOTPPending {
		t.Fatalf("status %+v", st)
	}
}

func TestTOTPLogin(t *testing.T) { eachTxMode(t, testTOTPLogin) }

func testTOTPLogin(t *testing.T, f *fixture, uid, secret string) {
	f.clock.Advance(30 * time.Second)
	pa := f.login(t, "ada@example.com")
	st, _ := f.svc.Pending(ctx, pa)
	if !st.HasTOTP {
		t.Fatal("has_totp false after enrollment")
	}
	// One step either side is accepted; two steps are not.
	now := f.clock.Now()
	if _, err := f.svc.CheckLoginTOTP(ctx, pa, totpCode(t, secret, now.Add(-60*time.Second)), "192.0.2.9"); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("two steps back: %v", err)
	}
	u, err := f.svc.CheckLoginTOTP(ctx, pa, totpCode(t, secret, now.Add(30*time.Second)), "192.0.2.9")
	if err != nil || u.ID != uid {
		t.Fatalf("one step ahead: %v", err)
	}
	// Replay: the same code in another login is refused.
	pa2 := f.login(t, "ada@example.com")
	if _, err := f.svc.CheckLoginTOTP(ctx, pa2, totpCode(t, secret, now.Add(30*time.Second)), "192.0.2.9"); !errors.Is(err, ErrCodeReused) && !errors.Is(err, ErrWrongCode) {
		t.Fatalf("replayed code: %v", err)
	}
}

func TestTOTPReplayRace(t *testing.T) { eachTxMode(t, testTOTPReplayRace) }

func testTOTPReplayRace(t *testing.T, f *fixture, _, secret string) {
	f.clock.Advance(90 * time.Second)
	code := totpCode(t, secret, f.clock.Now())
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 20; i++ {
		pa := f.login(t, "ada@example.com")
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.CheckLoginTOTP(ctx, pa, code, "192.0.2.9"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d logins accepted one code, want exactly 1", ok)
	}
}

func TestTOTPDriftHint(t *testing.T) { eachTxMode(t, testTOTPDriftHint) }

func testTOTPDriftHint(t *testing.T, f *fixture, _, secret string) {
	f.clock.Advance(time.Minute)
	pa := f.login(t, "ada@example.com")
	_, err := f.svc.CheckLoginTOTP(ctx, pa, totpCode(t, secret, f.clock.Now().Add(-3*time.Minute)), "192.0.2.9")
	var de *DriftError
	if !errors.As(err, &de) || de.Drift > -150*time.Second || de.Drift < -210*time.Second {
		t.Fatalf("drift: %v", err)
	}
	if !strings.Contains(Message(err), "behind by about 180 seconds") {
		t.Fatalf("message %q", Message(err))
	}
}

func TestTOTPPerIPLimit(t *testing.T) { eachTxMode(t, testTOTPPerIPLimit) }

func testTOTPPerIPLimit(t *testing.T, f *fixture, _, _ string) {
	pa := f.login(t, "ada@example.com")
	var le *LimitError
	for i := 0; i < 11; i++ {
		pa.LoginID = strings.Repeat("x", i+1) // fresh logins: only the IP cap applies
		_, err := f.svc.CheckLoginTOTP(ctx, pa, "000000", "198.51.100.1")
		if i < 10 && errors.As(err, &le) {
			t.Fatalf("attempt %d limited", i)
		}
		if i == 10 && !errors.As(err, &le) {
			t.Fatalf("11th attempt in a minute: %v", err)
		}
	}
}

func TestRemoveTOTP(t *testing.T) {
	f, uid, _ := enrolled(t)
	if err := f.svc.RemoveTOTP(ctx, uid); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.svc.Status(ctx, uid); st.TOTP || st.TOTPPending {
		t.Fatalf("after removal %+v", st)
	}
	if err := f.svc.RemoveTOTP(ctx, uid); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("remove twice: %v", err)
	}
}

func TestBackupCodes(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	codes, err := f.svc.GenerateBackupCodes(ctx, u.ID)
	if err != nil || len(codes) != 10 {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 14 || c[4] != '-' || c[9] != '-' || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	pa := f.login(t, "ada@example.com")
	if st, _ := f.svc.Pending(ctx, pa); st.BackupCodes != 10 {
		t.Fatalf("left %d", st.BackupCodes)
	}
	// Typed in upper case without dashes, it still works, once.
	if _, err := f.svc.CheckLoginBackup(ctx, pa, strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))); err != nil {
		t.Fatal(err)
	}
	pa = f.login(t, "ada@example.com")
	if _, err := f.svc.CheckLoginBackup(ctx, pa, codes[0]); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("reused backup code: %v", err)
	}
	// A new set voids the old one.
	if _, err := f.svc.GenerateBackupCodes(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckLoginBackup(ctx, pa, codes[1]); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("old set still works: %v", err)
	}
	// Only hashes are stored.
	var n int
	if err := f.db.SQL().QueryRow(`SELECT COUNT(*) FROM backup_codes WHERE code_hash LIKE ?`, "%"+codes[2][:4]+"%").Scan(&n); err != nil {
		t.Fatal(err)
	}
	var total int
	f.db.SQL().QueryRow(`SELECT COUNT(*) FROM backup_codes`).Scan(&total)
	if total != 10 {
		t.Fatalf("rows %d", total)
	}
}

func TestTOTPFactorLockout(t *testing.T) { eachTxMode(t, testTOTPFactorLockout) }

func testTOTPFactorLockout(t *testing.T, f *fixture, _, secret string) {
	f.clock.Advance(time.Minute)
	wrong := totpCode(t, secret, f.clock.Now().Add(time.Hour))
	// Four wrong codes in one login, one in the next: the engine locks the
	// factor after five in a row.
	pa := f.login(t, "ada@example.com")
	for i := 0; i < 4; i++ {
		if _, err := f.svc.CheckLoginTOTP(ctx, pa, wrong, "192.0.2.9"); !errors.Is(err, ErrWrongCode) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	pa = f.login(t, "ada@example.com")
	if _, err := f.svc.CheckLoginTOTP(ctx, pa, wrong, "192.0.2.9"); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("fifth wrong code: %v", err)
	}
	_, err := f.svc.CheckLoginTOTP(ctx, pa, totpCode(t, secret, f.clock.Now()), "192.0.2.9")
	if !errors.Is(err, ErrTooManyChecks) || errors.Is(err, ErrWrongCode) {
		t.Fatalf("locked factor: %v", err)
	}
	// The refusal was not the user's guess: the login can go on once the
	// lock is over.
	f.clock.Advance(5 * time.Minute)
	if _, err := f.svc.CheckLoginTOTP(ctx, pa, totpCode(t, secret, f.clock.Now()), "192.0.2.9"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestTOTPEnrollmentLockout(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	withEngine(t, f)
	e, err := f.svc.StartTOTPEnrollment(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	wrong := totpCode(t, e.Secret, f.clock.Now().Add(time.Hour))
	for i := 0; i < 5; i++ {
		if err := f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e.FactorSID, wrong); !errors.Is(err, ErrInvalidTOTP) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	err = f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e.FactorSID, totpCode(t, e.Secret, f.clock.Now()))
	if !errors.Is(err, ErrEnrollmentLocked) || Message(err) != "Too many wrong codes. Click Enable to get a new QR code and start again." {
		t.Fatalf("spent factor: %v", err)
	}
	// Enable again gives a fresh factor that works.
	e2, err := f.svc.StartTOTPEnrollment(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ConfirmTOTPEnrollment(ctx, u.ID, e2.FactorSID, totpCode(t, e2.Secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
}

// A sign-in whose own writes fail after the code passed (then) leaves
// nothing of the portal's behind: no attempt stays counted and the login
// goes on. In one transaction the code is not spent either and signs in
// afterwards; a remote provider has already taken it (its answer is no
// part of the portal's transaction), so the next code does.
func TestTOTPThenFailureRollsBack(t *testing.T) { eachTxMode(t, testTOTPThenFailureRollsBack) }

func testTOTPThenFailureRollsBack(t *testing.T, f *fixture, uid, secret string) {
	f.clock.Advance(time.Minute)
	pa := f.login(t, "ada@example.com")
	code := totpCode(t, secret, f.clock.Now())
	boom := errors.New("session save failed")
	var ran bool
	_, err := f.svc.CheckLoginTOTPThen(ctx, pa, code, "192.0.2.9", func(ctx context.Context) error {
		ran = true
		if err := f.db.CreateUser(ctx, store.User{ID: "then-wrote", Email: "then@example.com", PasswordHash: "x"}); err != nil {
			t.Errorf("write inside then: %v", err)
		}
		return boom
	})
	if !ran || !errors.Is(err, boom) {
		t.Fatalf("then ran %v, err %v; want %v", ran, err, boom)
	}
	if _, err := f.db.UserByID(ctx, "then-wrote"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a write of the failed then stayed: %v", err)
	}
	if a, err := f.db.BeginAttempt(ctx, uid, 100, f.clock.Now()); err != nil || a.Count != 1 {
		t.Fatalf("attempts after the failed sign-in: %+v %v; want none left counted", a, err)
	}
	_ = f.db.ResetAttempts(ctx, uid)
	if !f.svc.joined {
		f.clock.Advance(30 * time.Second)
		code = totpCode(t, secret, f.clock.Now())
	}
	u, err := f.svc.CheckLoginTOTPThen(ctx, pa, code, "192.0.2.9", func(ctx context.Context) error { return nil })
	if err != nil || u.ID != uid {
		t.Fatalf("the same code after the rolled-back sign-in: %v", err)
	}
	pa2 := f.login(t, "ada@example.com")
	if _, err := f.svc.CheckLoginTOTP(ctx, pa2, code, "192.0.2.9"); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("the code once it signed in: %v", err)
	}
}

// A backup-code sign-in whose own writes fail (then) leaves the code
// unspent and no attempt counted; the code signs in afterwards, once.
func TestBackupThenFailureRollsBack(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	codes, err := f.svc.GenerateBackupCodes(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	pa := f.login(t, "ada@example.com")
	boom := errors.New("session save failed")
	if _, err := f.svc.CheckLoginBackupThen(ctx, pa, codes[0], func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed then: %v, want %v", err, boom)
	}
	if st, _ := f.svc.Pending(ctx, pa); st.BackupCodes != 10 {
		t.Fatalf("%d backup codes left after the rolled-back sign-in, want 10", st.BackupCodes)
	}
	if a, err := f.db.BeginAttempt(ctx, u.ID, 100, f.clock.Now()); err != nil || a.Count != 1 {
		t.Fatalf("attempts after the failed sign-in: %+v %v; want none left counted", a, err)
	}
	_ = f.db.ResetAttempts(ctx, u.ID)
	if _, err := f.svc.CheckLoginBackup(ctx, pa, codes[0]); err != nil {
		t.Fatalf("the code after the rolled-back sign-in: %v", err)
	}
	pa = f.login(t, "ada@example.com")
	if _, err := f.svc.CheckLoginBackup(ctx, pa, codes[0]); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("the code once it signed in: %v", err)
	}
}

// An SMS sign-in on the embedded engine whose own writes fail (then) leaves
// the code unspent, no attempt counted and none of then's writes; the same
// code signs in afterwards, once.
func TestCodeThenFailureRollsBack(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	snd := withEngine(t, f)
	pa, err := f.svc.SendLoginCode(ctx, f.login(t, "ada@example.com"), "", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	m, ok := snd.Last(pa.Phone)
	if !ok {
		t.Fatal("no code sent")
	}
	boom := errors.New("session save failed")
	_, err = f.svc.CheckLoginCodeThen(ctx, pa, m.Code, func(ctx context.Context) error {
		if err := f.db.CreateUser(ctx, store.User{ID: "then-wrote", Email: "then@example.com", PasswordHash: "x"}); err != nil {
			t.Errorf("write inside then: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed then: %v, want %v", err, boom)
	}
	if _, err := f.db.UserByID(ctx, "then-wrote"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a write of the failed then stayed: %v", err)
	}
	if a, err := f.db.BeginAttempt(ctx, u.ID, 100, f.clock.Now()); err != nil || a.Count != 1 {
		t.Fatalf("attempts after the failed sign-in: %+v %v; want none left counted", a, err)
	}
	_ = f.db.ResetAttempts(ctx, u.ID)
	if _, err := f.svc.CheckLoginCode(ctx, pa, m.Code); err != nil {
		t.Fatalf("the code after the rolled-back sign-in: %v", err)
	}
	if _, err := f.svc.CheckLoginCode(ctx, pa, m.Code); err == nil {
		t.Fatal("the code signed in twice")
	}
}
