package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func testGuessPolicy(now time.Time) GuessPolicy {
	return GuessPolicy{Free: 5, Base: time.Minute, Max: 15 * time.Minute,
		InFlight: time.Minute, Forget: 24 * time.Hour, Now: now}
}

// TestGuessThrottle: five failures are free, then the pair waits 1, 2, 4,
// 8 and at most 15 minutes; a refused guess is not counted; a success
// forgets the failures; another network or email is not affected.
func TestGuessThrottle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		k := GuessKey{"ada", "net1"}
		now := t0
		fail := func() Throttle {
			t.Helper()
			r, err := d.ReserveGuess(ctx, k, testGuessPolicy(now))
			if err != nil || !r.Admitted {
				t.Fatalf("reserve at %v = %+v, %v", now.Sub(t0), r, err)
			}
			e, err := d.EndGuess(ctx, k, GuessFailed, testGuessPolicy(now))
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		refused := func(wantWait time.Duration) {
			t.Helper()
			r, err := d.ReserveGuess(ctx, k, testGuessPolicy(now))
			if err != nil || r.Admitted {
				t.Fatalf("reserve while waiting = %+v, %v", r, err)
			}
			if got := r.WaitUntil.Sub(now); got != wantWait {
				t.Fatalf("wait left %v, want %v", got, wantWait)
			}
		}
		for i := 1; i <= 4; i++ {
			if e := fail(); !e.WaitUntil.IsZero() || e.Failures != i {
				t.Fatalf("failure %d = %+v", i, e)
			}
		}
		for _, wait := range []time.Duration{1, 2, 4, 8, 15, 15} {
			wait *= time.Minute
			if e := fail(); !e.WaitUntil.Equal(now.Add(wait)) {
				t.Fatalf("wait %v, want %v", e.WaitUntil.Sub(now), wait)
			}
			refused(wait)
			now = now.Add(wait - time.Second)
			refused(time.Second) // refusals are not counted: the wait does not grow
			now = now.Add(time.Second)
		}
		// Other networks and other emails are free.
		for _, other := range []GuessKey{{"ada", "net2"}, {"bob", "net1"}} {
			if r, err := d.ReserveGuess(ctx, other, testGuessPolicy(now)); err != nil || !r.Admitted || r.Failures != 0 {
				t.Fatalf("reserve %v = %+v, %v", other, r, err)
			}
		}
		// A success forgets the failures.
		if r, err := d.ReserveGuess(ctx, k, testGuessPolicy(now)); err != nil || !r.Admitted {
			t.Fatalf("reserve after the wait = %+v, %v", r, err)
		}
		if e, err := d.EndGuess(ctx, k, GuessSucceed, testGuessPolicy(now)); err != nil || e.Failures != 0 || !e.WaitUntil.IsZero() {
			t.Fatalf("success = %+v, %v", e, err)
		}
		// ClearGuesses forgets every network of the email.
		for range 5 {
			fail()
		}
		refused(time.Minute)
		if err := d.ClearGuesses(ctx, "ada"); err != nil {
			t.Fatal(err)
		}
		if r, err := d.ReserveGuess(ctx, k, testGuessPolicy(now)); err != nil || !r.Admitted || r.Failures != 0 {
			t.Fatalf("reserve after clear = %+v, %v", r, err)
		}
	})
}

// TestGuessThrottleParallel: of 50 parallel guesses at most Free are
// admitted, and a guess in flight whose request died is forgotten.
func TestGuessThrottleParallel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		k := GuessKey{"ada", "net1"}
		ok, errs := parallel(50, func() error {
			r, err := d.ReserveGuess(ctx, k, testGuessPolicy(t0))
			if err == nil && !r.Admitted {
				return errors.New("refused")
			}
			return err
		})
		for _, err := range errs {
			if err.Error() != "refused" {
				t.Fatal(err)
			}
		}
		if ok != 5 {
			t.Fatalf("%d of 50 parallel guesses admitted, want 5", ok)
		}
		// Slots given back without a verdict are free again at once.
		for range 5 {
			if _, err := d.EndGuess(ctx, k, GuessVoid, testGuessPolicy(t0)); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 {
			if r, _ := d.ReserveGuess(ctx, k, testGuessPolicy(t0)); !r.Admitted {
				t.Fatal("a given-back slot was not free")
			}
		}
		if r, _ := d.ReserveGuess(ctx, k, testGuessPolicy(t0)); r.Admitted {
			t.Fatal("a sixth guess in flight was admitted")
		}
		// Requests that died: their slots are forgotten after InFlight.
		if r, _ := d.ReserveGuess(ctx, k, testGuessPolicy(t0.Add(time.Minute))); !r.Admitted {
			t.Fatal("stale slots still held")
		}
	})
}

func TestEnableMFAOnlyWhileOff(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		u := testUser("u1", "ada@example.com")
		u.MFAEnabled, u.Phone = false, ""
		mustCreateUser(t, d, u)
		if err := d.EnableMFA(ctx, "u1", "+12015550123", t0); err != nil {
			t.Fatal(err)
		}
		if err := d.EnableMFA(ctx, "u1", "+12015550999", t0); !errors.Is(err, ErrConflict) {
			t.Fatalf("second EnableMFA = %v, want ErrConflict", err)
		}
		if got, _ := d.UserByID(ctx, "u1"); got.Phone != "+12015550123" || !got.MFAEnabled {
			t.Fatalf("user = %+v", got)
		}
		if err := d.EnableMFA(ctx, "nope", "+12015550123", t0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

// TestSMSVerificationBoundToPurposeAndSubject: verifications of two
// purposes or two subjects to one number are independent.
func TestSMSVerificationBoundToPurposeAndSubject(t *testing.T) {
	forEachBackend(t, func(t *testing.T, d *DB) {
		ctx := context.Background()
		login := smsStart("+15551234567", "VE1", "111111", vt0)
		reg := login
		reg.Purpose, reg.Subject, reg.SID, reg.CodeHash = "register", "r1", "VE2", hashOf("222222")
		a, err := d.StartSMSVerification(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		b, err := d.StartSMSVerification(ctx, reg)
		if err != nil || b.SID == a.SID || b.Sends != 1 {
			t.Fatalf("registration start = %+v, %v", b, err)
		}
		for range 5 {
			if _, err := d.CheckSMSVerification(ctx, SMSCheck{SID: b.SID, To: b.To, CodeHash: hashOf("000000")(b.SID), Now: vt0, MaxChecks: 5}); err != nil {
				t.Fatal(err)
			}
		}
		ok, err := d.CheckSMSVerification(ctx, SMSCheck{SID: a.SID, To: a.To, CodeHash: hashOf("111111")(a.SID), Now: vt0, MaxChecks: 5})
		if err != nil || !ok {
			t.Fatalf("sign-in check after 5 wrong registration checks = %v, %v", ok, err)
		}
		if err := d.CancelSMSVerification(ctx, "register", "r1"); err != nil {
			t.Fatal(err)
		}
		if err := d.CancelSMSVerification(ctx, "register", "r1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second cancel = %v", err)
		}
	})
}
