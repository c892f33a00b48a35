package auth

import (
	"context"
	"errors"
	"fmt"
	"gatehouse/internal/mail"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/verify"
)

type countingNotifier struct {
	mu    sync.Mutex
	locks []string
}

func (n *countingNotifier) Notify(_ context.Context, userID string, m mail.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if m.Kind == mail.NoticeAccountWaiting && !m.Until.IsZero() {
		n.locks = append(n.locks, userID)
	}
	return nil
}

func loginFrom(email, pw, ip string) LoginInput {
	return LoginInput{Email: email, Password: pw, Captcha: "ok", IP: ip}
}

// TestLockoutEnds (Found: the counter kept counting while locked and 20
// wrong passwords locked an account for ever): attempts refused during a
// wait are not counted, and when the wait ends the right password works.
func TestLockoutEnds(t *testing.T) {
	f := newFixtureWith(t, Limits{AccountFailures: 10})
	f.register(t, "ada@example.com", "2015550123")
	for i := range 20 {
		f.svc.Login(ctx, loginFrom("ada@example.com", "wrong password", fmt.Sprintf("198.51.100.%d", i)))
	}
	f.clock.Advance(15*time.Minute + time.Second)
	if _, err := f.svc.Login(ctx, loginFrom("ada@example.com", testPassword, "198.51.100.200")); err != nil {
		t.Fatalf("right password after the wait: %v", err)
	}
}

// TestStrangerCannotLockOwner (Found: 10 wrong passwords from anywhere
// locked anyone): a network's failures make that network wait, growing,
// while the owner signs in from elsewhere at once; an unknown email waits
// exactly like a known one; a right password from a waiting network is
// answered like a wrong one.
func TestStrangerCannotLockOwner(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "2015550123")
	waits := map[string][]time.Duration{}
	for _, email := range []string{"nobody@example.com", "ada@example.com"} {
		failures := 0
		for len(waits[email]) < 3 {
			_, err := f.svc.Login(ctx, loginFrom(email, "wrong password", "2001:db8:1:2::7"))
			var le *LimitError
			switch {
			case errors.Is(err, ErrInvalidCredentials):
				failures++
			case errors.As(err, &le) && failures >= 5:
				waits[email] = append(waits[email], le.RetryAfter)
				if len(waits[email]) < 3 {
					f.clock.Advance(le.RetryAfter) // the wait ends; the next failure doubles it
				}
			default:
				t.Fatalf("%s after %d failures: %v", email, failures, err)
			}
		}
		if failures != 7 {
			// 5 free, one after each of the two waits that ended
			t.Fatalf("%s: %d failures were checked, want 5 free and one after each wait", email, failures)
		}
	}
	if fmt.Sprint(waits["ada@example.com"]) != fmt.Sprint(waits["nobody@example.com"]) ||
		fmt.Sprint(waits["ada@example.com"]) != "[1m0s 2m0s 4m0s]" {
		t.Fatalf("waits = %v", waits)
	}
	// Another address of the same /64 waits too; the right password is
	// answered like a wrong one.
	var le *LimitError
	if _, err := f.svc.Login(ctx, loginFrom("ada@example.com", testPassword, "2001:db8:1:2::8")); !errors.As(err, &le) ||
		Message(err) != "Too many failed sign-in attempts. Try again in 4 minutes." {
		t.Fatalf("right password from the waiting network: %v (%s)", err, Message(err))
	}
	// The owner, from another network, at once.
	if _, err := f.svc.Login(ctx, loginFrom("ada@example.com", testPassword, "192.0.2.77")); err != nil {
		t.Fatalf("owner from another network: %v", err)
	}
	// The wait ends: the right password works from that network too.
	f.clock.Advance(4 * time.Minute)
	if _, err := f.svc.Login(ctx, loginFrom("ada@example.com", testPassword, "2001:db8:1:2::9")); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

// TestAccountWideCap: 100 failures from 20 networks make the account wait
// LockoutMax, its owner is told once, a right password is answered like a
// wrong one, and Unlock ends the wait.
func TestAccountWideCap(t *testing.T) {
	f := newFixture(t)
	n := &countingNotifier{}
	f.svc.notifier, f.svc.mailless = n, false
	u := f.register(t, "ada@example.com", "2015550123")
	for i := range 100 {
		if _, err := f.svc.Login(ctx, loginFrom("ada@example.com", "wrong", fmt.Sprintf("10.0.%d.1", i/5))); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	if err := f.svc.Wait(ctx); err != nil { // the notice goes out after the answer
		t.Fatal(err)
	}
	if len(n.locks) != 1 || n.locks[0] != u.ID {
		t.Fatalf("notifier heard %v", n.locks)
	}
	if _, err := f.svc.Login(ctx, loginFrom("ada@example.com", testPassword, "192.0.2.1")); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("right password while the account waits: %v", err)
	}
	if err := f.svc.Unlock(ctx, "ADA@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, loginFrom("ada@example.com", testPassword, "10.0.0.1")); err != nil {
		t.Fatalf("after unlock, from a network that had waited: %v", err)
	}
	if err := f.svc.Unlock(ctx, "nobody@example.com"); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("unlock unknown: %v", err)
	}
}

// TestParallelGuessesCapped: of 50 parallel wrong passwords from one
// network at most five are checked.
func TestParallelGuessesCapped(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "2015550123")
	f.hash.delay = 20 * time.Millisecond
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.svc.Login(ctx, loginFrom("ada@example.com", "wrong", "203.0.113.9"))
		}()
	}
	wg.Wait()
	if f.hash.verifies > 5 {
		t.Fatalf("%d of 50 parallel guesses were checked, want at most 5", f.hash.verifies)
	}
}

// TestCrowdBehindOneAddress (Found: 1,202 of 1,500 valid sign-ins behind
// one address were refused): a sign-in in flight is no failure, so 64
// concurrent valid sign-ins from one address all succeed.
func TestCrowdBehindOneAddress(t *testing.T) {
	f := newFixture(t)
	const n = 64
	for i := range n {
		if _, err := f.svc.CreateUser(ctx, CreateUserInput{Email: fmt.Sprintf("u%d@example.com", i),
			FirstName: "A", LastName: "B", Password: testPassword}); err != nil {
			t.Fatal(err)
		}
	}
	f.hash.delay = 50 * time.Millisecond
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Login(ctx, loginFrom(fmt.Sprintf("u%d@example.com", i), testPassword, "198.51.100.1"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a valid sign-in behind a shared address was refused: %v", err)
		}
	}
}

// TestForbiddenTextInEmail (Found: a NUL in the sign-in email gave a 500
// on PostgreSQL): control characters are refused before any lookup.
func TestForbiddenTextInEmail(t *testing.T) {
	f := newFixture(t)
	var ve *ValidationError
	for _, e := range []string{"ada\x00@example.com", "ada\u202e@example.com", "ada\u200b@example.com"} {
		if _, err := f.svc.Login(ctx, loginFrom(e, testPassword, "192.0.2.1")); !errors.As(err, &ve) || ve.Fields["email"] == "" {
			t.Fatalf("%q: %v", e, err)
		}
	}
}

// TestRefusedRegistrationCostsNoHash: every limit of the credentials step
// runs before the password is hashed.
func TestRefusedRegistrationCostsNoHash(t *testing.T) {
	f := newFixture(t)
	r, _ := f.svc.RegisterStart(ctx, RegisterInput{FirstName: "A", LastName: "B", Email: "a@example.com", Captcha: "ok", IP: "192.0.2.1"})
	if _, err := f.svc.RegisterCredentials(ctx, r, testPassword, "2015550123", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	hashes := f.hash.hashes
	for _, number := range []string{"2015550123", "+1 900 555 0100"} { // in the cooldown; premium-rate
		if _, err := f.svc.RegisterCredentials(ctx, r, testPassword, number, "192.0.2.1"); err == nil {
			t.Fatalf("%s: not refused", number)
		}
	}
	if f.hash.hashes != hashes {
		t.Fatalf("refused credentials steps hashed %d time(s)", f.hash.hashes-hashes)
	}
}

// TestSignInOnlyAgainstTheCurrentNumber: a code sent to a number that is
// no longer the account's does not sign in and is not written back.
func TestSignInOnlyAgainstTheCurrentNumber(t *testing.T) {
	f := newFixture(t)
	u := f.register(t, "ada@example.com", "2015550123")
	pa, err := f.svc.SendLoginCode(ctx, f.login(t, "ada@example.com"), "", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetPhoneMFA(ctx, u.ID, "+12025550199", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckLoginCode(ctx, pa, codeFor("+12015550123")); !errors.Is(err, ErrStepExpired) {
		t.Fatalf("code to the old number: %v", err)
	}
	if got, _ := f.db.UserByID(ctx, u.ID); got.Phone != "+12025550199" {
		t.Fatalf("phone written back: %s", got.Phone)
	}
}

// TestBudgetRefusesAnonymousFirst: at 80% of the hourly budget
// registrations stop while sign-in codes still go out.
func TestBudgetRefusesAnonymousFirst(t *testing.T) {
	f := newFixtureWith(t, Limits{SMSHourlyBudget: 5})
	u := f.register(t, "ada@example.com", "2015550123") // send 1
	reg := func(i int) error {
		to := fmt.Sprintf("+1201555%04d", 100+i)
		return f.svc.sendCode(ctx, smsSend{target: verify.Target{Purpose: verify.PurposeRegister, Subject: to, Phone: to},
			ip: fmt.Sprintf("192.0.2.%d", i)})
	}
	for i := range 3 { // sends 2 to 4
		if err := reg(i); err != nil {
			t.Fatalf("registration send %d: %v", i, err)
		}
	}
	var le *LimitError
	if err := reg(9); !errors.As(err, &le) {
		t.Fatalf("registration past 80%% of the budget: %v", err)
	}
	if _, err := f.svc.SendLoginCode(ctx, f.login(t, u.Email), "", "192.0.2.9"); err != nil {
		t.Fatalf("sign-in code within the budget: %v", err)
	}
}
