package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/store"
	"gatehouse/internal/verify"
)

var ctx = context.Background()

func TestRegistration(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, " Ada@Example.com ", "(201) 555-0123")
	stored, err := f.db.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada@example.com" || u.Phone != "+12015550123" || !u.MFAEnabled || stored.VerifyIdentity == "" {
		t.Fatalf("user %+v", u)
	}
	// Same email again goes on as any registration (it must not reveal the
	// account) but creates nothing: TestRegistrationTakenEmail.
	r, err := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "ada@example.com", Captcha: "ok", IP: "192.0.2.1"})
	if err != nil || !r.Notified {
		t.Fatalf("duplicate email: %+v, %v", r, err)
	}
	// A phone number may serve several accounts.
	f.clock.Advance(time.Hour)
	f.register(t, "bob@example.com", "(201) 555-0123")
}

func TestRegistrationValidation(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.RegisterStart(ctx, RegisterInput{Email: "not an email", Captcha: "ok", IP: "192.0.2.1"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["first_name"] == "" || ve.Fields["last_name"] == "" || ve.Fields["email"] == "" {
		t.Fatalf("validation: %v %+v", err, ve)
	}
	_, err = f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "a@example.com", Captcha: "bad", IP: "192.0.2.1"})
	if !errors.Is(err, ErrCaptcha) {
		t.Fatalf("captcha: %v", err)
	}
	r, err := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "a@example.com", Captcha: "ok", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pw, phone, field string }{
		{"short", "2015550123", "password"},
		{"password123", "2015550123", "password"},
		{testPassword, "123", "phone"},
		{testPassword, "", "phone"},
	} {
		_, err := f.svc.RegisterCredentials(ctx, r, tc.pw, tc.phone, "192.0.2.1")
		if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
			t.Errorf("%q/%q: %v", tc.pw, tc.phone, err)
		}
	}
	if f.ver.totalSends() != 0 {
		t.Fatal("invalid input reached the provider")
	}
	// No account exists until the phone is verified.
	r, err = f.svc.RegisterCredentials(ctx, r, testPassword, "2015550123", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RegisterVerify(ctx, r, "000000"); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := f.db.UserByEmail(ctx, "a@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("account exists before verification: %v", err)
	}
	// An abandoned registration expires.
	f.clock.Advance(31 * time.Minute)
	if _, err := f.svc.RegisterVerify(ctx, r, codeFor(r.Phone)); !errors.Is(err, ErrStepExpired) {
		t.Fatalf("expired registration: %v", err)
	}
}

// TestSMSCaps: the cooldown after a send doubles with each send to the
// number (30 s, 1 min, 2 min, …), and five sends of one purpose per hour
// reach the provider; refused sends never do.
func TestSMSCaps(t *testing.T) {
	f := newFixtureWith(t, Limits{RegistrationTTL: 2 * time.Hour}) // one registration for the whole hour
	r, _ := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "a@example.com", Captcha: "ok", IP: "192.0.2.1"})
	r, err := f.svc.RegisterCredentials(ctx, r, testPassword, "2015550123", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	for _, cool := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if err := f.svc.RegisterResend(ctx, r, "192.0.2.1"); !errors.As(err, &le) || le.RetryAfter != cool {
			t.Fatalf("resend in a cooldown of %v: %v", cool, err)
		}
		f.clock.Advance(cool)
		if err := f.svc.RegisterResend(ctx, r, "192.0.2.1"); err != nil {
			t.Fatalf("after a cooldown of %v: %v", cool, err)
		}
	}
	f.clock.Advance(time.Hour - 7*time.Minute - 31*time.Second)
	err = f.svc.RegisterResend(ctx, r, "192.0.2.1")
	if !errors.As(err, &le) || le.RetryAfter <= 0 || !strings.Contains(Message(err), "Try again in") {
		t.Fatalf("6th send in an hour: %v", err)
	}
	if n := f.ver.totalSends(); n != 5 {
		t.Fatalf("provider got %d sends, want 5", n)
	}
	f.clock.Advance(time.Minute)
	if err := f.svc.RegisterResend(ctx, r, "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestSMSPerIPCap(t *testing.T) {
	f := newFixture(t)
	send := func(to, ip string) error {
		return f.svc.sendCode(ctx, smsSend{target: verify.Target{Purpose: verify.PurposeRegister, Subject: to, Phone: to}, ip: ip})
	}
	for i := 0; i < 10; i++ {
		if err := send(fmt.Sprintf("+1201555%04d", i), "198.51.100.7"); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	var le *LimitError
	if err := send("+12015559999", "198.51.100.7"); !errors.As(err, &le) {
		t.Fatalf("11th send from one IP: %v", err)
	}
	if n := f.ver.totalSends(); n != 10 {
		t.Fatalf("provider got %d sends", n)
	}
	// The refused send did not count against that number.
	if err := send("+12015559999", "198.51.100.8"); err != nil {
		t.Fatal(err)
	}
}

func TestWrongPasswordAndLockout(t *testing.T) {
	// The account-wide cap, lowered to 10, reached from 10 networks (each
	// stays under its own five free failures).
	f := newFixtureWith(t, Limits{AccountFailures: 10})
	u := f.register(t, "ada@example.com", "2015550123")
	bad := LoginInput{Email: "ada@example.com", Password: "wrong password", Captcha: "ok", IP: "192.0.2.50"}
	for i := 0; i < 10; i++ {
		bad.IP = fmt.Sprintf("192.0.2.%d", 50+i)
		if _, err := f.svc.Login(ctx, bad); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Locked: the right password answers exactly as a wrong one, after the same hashing.
	before := f.hash.dummies
	good := bad
	good.Password = testPassword
	if _, err := f.svc.Login(ctx, good); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("locked account: %v", err)
	}
	if f.hash.dummies != before+1 {
		t.Fatal("locked account skipped the dummy hash")
	}
	if got, _ := f.db.UserByID(ctx, u.ID); !got.LockedUntil.After(f.clock.Now()) {
		t.Fatal("account not locked")
	}
	f.clock.Advance(15*time.Minute + time.Second)
	if _, err := f.svc.Login(ctx, good); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// Unknown emails cost a dummy hash too and give the same error.
	before = f.hash.dummies
	if _, err := f.svc.Login(ctx, LoginInput{Email: "nobody@example.com", Password: "x", Captcha: "ok", IP: "192.0.2.51"}); !errors.Is(err, ErrInvalidCredentials) || f.hash.dummies != before+1 {
		t.Fatalf("unknown email: %v", err)
	}
}

func TestLockoutRace(t *testing.T) {
	f := newFixtureWith(t, Limits{AccountFailures: 10})
	f.register(t, "ada@example.com", "2015550123")
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	f.hash = &fakeHasher{}
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.svc.Login(ctx, LoginInput{Email: "ada@example.com", Password: "wrong", Captcha: "ok", IP: fmt.Sprintf("192.0.2.%d", i)})
			if !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("race: %v", err)
			}
			mu.Lock()
			checked++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	u, _ := f.db.UserByEmail(ctx, "ada@example.com")
	if !u.LockedUntil.After(f.clock.Now()) {
		t.Fatal("50 parallel failures did not lock the account")
	}
	if _, err := f.svc.Login(ctx, LoginInput{Email: "ada@example.com", Password: testPassword, Captcha: "ok", IP: "192.0.2.200"}); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("right password after the race: %v", err)
	}
}

func TestIPLimit(t *testing.T) {
	f := newFixture(t)
	// Thirty emails, each under its own five free failures.
	in := LoginInput{Email: "nobody@example.com", Password: "wrong", Captcha: "ok", IP: "203.0.113.5"}
	for i := 0; i < 30; i++ {
		in.Email = fmt.Sprintf("nobody%d@example.com", i)
		if _, err := f.svc.Login(ctx, in); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	var le *LimitError
	if _, err := f.svc.Login(ctx, in); !errors.As(err, &le) || le.RetryAfter <= 0 || le.RetryAfter > 15*time.Minute {
		t.Fatalf("31st attempt: %v", err)
	}
	// Another IP is unaffected; the window ends.
	in.IP = "203.0.113.6"
	if _, err := f.svc.Login(ctx, in); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Minute)
	in.IP = "203.0.113.5"
	if _, err := f.svc.Login(ctx, in); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("after the window: %v", err)
	}
}

func TestCodesPerLogin(t *testing.T) {
	f := newFixtureWith(t, Limits{AccountFailures: 10})
	u := f.register(t, "ada@example.com", "2015550123")
	pa := f.login(t, "ada@example.com")
	pa, err := f.svc.SendLoginCode(ctx, pa, "", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		if _, err := f.svc.CheckLoginCode(ctx, pa, "000000"); !errors.Is(err, ErrWrongCode) {
			t.Fatalf("wrong %d: %v", i, err)
		}
	}
	if _, err := f.svc.CheckLoginCode(ctx, pa, "000000"); !errors.Is(err, ErrTooManyCodes) {
		t.Fatalf("5th wrong code should end the login: %v", err)
	}
	// Even the right code no longer works in this login.
	if _, err := f.svc.CheckLoginCode(ctx, pa, codeFor(u.Phone)); !errors.Is(err, ErrTooManyCodes) {
		t.Fatalf("right code after the cap: %v", err)
	}
	// Wrong codes count toward the account lock across logins: 5 more lock it.
	pa = f.login(t, "ada@example.com")
	pa, _ = f.svc.SendLoginCode(ctx, pa, "", "192.0.2.9")
	for i := 0; i < 5; i++ {
		f.svc.CheckLoginCode(ctx, pa, "000000")
	}
	if got, _ := f.db.UserByID(ctx, u.ID); !got.LockedUntil.After(f.clock.Now()) {
		t.Fatalf("10 wrong codes did not lock: %+v", got)
	}
}

func TestPreAuthExpires(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "2015550123")
	pa := f.login(t, "ada@example.com")
	f.clock.Advance(10*time.Minute + time.Second)
	if _, err := f.svc.SendLoginCode(ctx, pa, "", "192.0.2.9"); !errors.Is(err, ErrStepExpired) {
		t.Fatalf("expired pre-auth: %v", err)
	}
}

func TestProviderFailure(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	pa := f.login(t, "ada@example.com")
	pa, _ = f.svc.SendLoginCode(ctx, pa, "", "192.0.2.9")
	f.ver.fail = fmt.Errorf("twilio: %w", verify.ErrUnavailable)
	for i := 0; i < 12; i++ {
		if _, err := f.svc.CheckLoginCode(ctx, pa, "123456"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("outage: %v", err)
		}
	}
	// An outage locks nobody and does not use up the login's codes.
	f.ver.fail = nil
	if _, err := f.svc.CheckLoginCode(ctx, pa, codeFor(u.Phone)); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	f.ver.fail = fmt.Errorf("x: %w", verify.ErrNotFound)
	if _, err := f.svc.CheckLoginCode(ctx, pa, "123456"); !errors.Is(err, ErrCodeExpired) {
		t.Fatalf("expired: %v", err)
	}
	f.ver.fail = fmt.Errorf("x: %w", verify.ErrBlocked)
	f.clock.Advance(time.Minute) // past the cooldown of the first send
	if _, err := f.svc.SendLoginCode(ctx, pa, "", "192.0.2.9"); !errors.Is(err, ErrNumberRefused) {
		t.Fatalf("blocked: %v", err)
	}
}

func TestPhoneChange(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	var ve *ValidationError
	if _, err := f.svc.StartPhoneChange(ctx, u.ID, "2015550123", "192.0.2.9"); !errors.As(err, &ve) {
		t.Fatalf("same number: %v", err)
	}
	pc, err := f.svc.StartPhoneChange(ctx, u.ID, "202-555-0199", "192.0.2.9")
	if err != nil || pc.Phone != "+12025550199" {
		t.Fatal(err)
	}
	if err := f.svc.ConfirmPhoneChange(ctx, u.ID, pc); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("confirm before verify: %v", err)
	}
	if _, err := f.svc.VerifyPhoneChange(ctx, u.ID, pc, codeFor(u.Phone)); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("old number's code: %v", err)
	}
	pc, err = f.svc.VerifyPhoneChange(ctx, u.ID, pc, codeFor(pc.Phone))
	if err != nil || !pc.Verified {
		t.Fatal(err)
	}
	if got, _ := f.db.UserByID(ctx, u.ID); got.Phone != u.Phone {
		t.Fatal("number changed before confirm")
	}
	if err := f.svc.ConfirmPhoneChange(ctx, u.ID, pc); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.db.UserByID(ctx, u.ID); got.Phone != "+12025550199" {
		t.Fatalf("not saved: %s", got.Phone)
	}
	// The old number is told.
	if len(f.ver.texts) != 1 || !strings.HasPrefix(f.ver.texts[0], u.Phone+": ") || !strings.Contains(f.ver.texts[0], "changed") {
		t.Fatalf("texts = %q", f.ver.texts)
	}
}

// TestPhoneSpellingsShareACounter: limits count the normalised number, so
// typing it differently does not buy more sends.
func TestPhoneSpellingsShareACounter(t *testing.T) {
	f := newFixture(t)
	// Five registrations, past each cooldown, use up the number's sends.
	for i, spelling := range []string{"(201) 555-0123", "+1 201 555 0123", "201.555.0123", "2015550123", "+12015550123"} {
		r, _ := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: fmt.Sprintf("u%d@example.com", i), Captcha: "ok", IP: fmt.Sprintf("192.0.2.%d", i)})
		if _, err := f.svc.RegisterCredentials(ctx, r, testPassword, spelling, fmt.Sprintf("192.0.2.%d", i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		f.clock.Advance(10 * time.Minute)
	}
	r, _ := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "u9@example.com", Captcha: "ok", IP: "192.0.2.9"})
	var le *LimitError
	if _, err := f.svc.RegisterCredentials(ctx, r, testPassword, "0012015550123", "192.0.2.9"); !errors.As(err, &le) {
		t.Fatalf("6th send to another spelling of one number: %v", err)
	}
}

// TestClosedVerificationGetsNoMoreCalls: once the provider says a
// verification is out of checks or sends, the portal stops calling it
// until the verification has expired.
func TestClosedVerificationGetsNoMoreCalls(t *testing.T) {
	f := newFixture(t)
	r, _ := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "a@example.com", Captcha: "ok", IP: "192.0.2.1"})
	r, err := f.svc.RegisterCredentials(ctx, r, testPassword, "2015550123", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	f.ver.fail = fmt.Errorf("twilio 60202: %w", verify.ErrTooManyChecks)
	if _, err := f.svc.RegisterVerify(ctx, r, "123456"); !errors.Is(err, ErrTooManyChecks) {
		t.Fatalf("60202: %v", err)
	}
	f.ver.fail = nil
	checks, sends := f.ver.checks, f.ver.totalSends()
	if _, err := f.svc.RegisterVerify(ctx, r, codeFor(r.Phone)); !errors.Is(err, ErrTooManyChecks) {
		t.Fatalf("check after 60202: %v", err)
	}
	f.clock.Advance(time.Minute)
	var le *LimitError
	if err := f.svc.RegisterResend(ctx, r, "192.0.2.1"); !errors.As(err, &le) {
		t.Fatalf("resend after 60202: %v", err)
	}
	if f.ver.checks != checks || f.ver.totalSends() != sends {
		t.Fatal("the provider was called for a closed verification")
	}
	// After the verification's life, a new code works.
	f.clock.Advance(10 * time.Minute)
	if err := f.svc.RegisterResend(ctx, r, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RegisterVerify(ctx, r, codeFor(r.Phone)); err != nil {
		t.Fatal(err)
	}
}

// TestUnavailableSendKeepsCaps: a send the provider could not take does not
// use up the caps or start the resend cooldown, so a retry works at once.
func TestUnavailableSendKeepsCaps(t *testing.T) {
	f := newFixture(t)
	r, _ := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "a@example.com", Captcha: "ok", IP: "192.0.2.1"})
	f.ver.fail = fmt.Errorf("down: %w", verify.ErrUnavailable)
	for i := 0; i < 5; i++ {
		if _, err := f.svc.RegisterCredentials(ctx, r, testPassword, "2015550123", "192.0.2.1"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("outage %d: %v", i, err)
		}
	}
	f.ver.fail = nil
	r, err := f.svc.RegisterCredentials(ctx, r, testPassword, "2015550123", "192.0.2.1")
	if err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	f.ver.fail = fmt.Errorf("twilio 60203: %w", verify.ErrTooManySends)
	f.clock.Advance(31 * time.Second)
	var le *LimitError
	if err := f.svc.RegisterResend(ctx, r, "192.0.2.1"); !errors.As(err, &le) {
		t.Fatalf("60203: %v", err)
	}
	f.ver.fail = nil
	sends := f.ver.totalSends()
	f.clock.Advance(31 * time.Second)
	if err := f.svc.RegisterResend(ctx, r, "192.0.2.1"); !errors.As(err, &le) || f.ver.totalSends() != sends {
		t.Fatalf("send after 60203 reached the provider: %v", err)
	}
}

// TestLockSurvivesRestart: the counters live in the database, so a new
// Service on the same database (a restarted portal) keeps the lock.
func TestLockSurvivesRestart(t *testing.T) {
	f := newFixtureWith(t, Limits{AccountFailures: 10})
	f.register(t, "ada@example.com", "2015550123")
	bad := LoginInput{Email: "ada@example.com", Password: "wrong password", Captcha: "ok", IP: "192.0.2.50"}
	for i := 0; i < 6; i++ {
		bad.IP = fmt.Sprintf("192.0.2.%d", 50+i)
		f.svc.Login(ctx, bad)
	}
	restarted, err := New(Options{Store: f.db, Verifier: f.ver, Captcha: fakeCaptcha{}, Hasher: f.hash,
		LimitKey: []byte(strings.Repeat("k", 32)), BackupKey: []byte(strings.Repeat("b", 32)),
		ReplayKey: []byte(strings.Repeat("r", 32)), LinkKey: []byte(strings.Repeat("l", 32)), Now: f.clock.Now, Limits: Limits{AccountFailures: 10}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		bad.IP = fmt.Sprintf("192.0.2.%d", 60+i)
		restarted.Login(ctx, bad)
	}
	good := bad
	good.Password = testPassword
	if _, err := restarted.Login(ctx, good); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("10 failures across a restart did not lock: %v", err)
	}
}
