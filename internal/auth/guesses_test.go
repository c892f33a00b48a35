package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/verify"
)

// countingVerifier counts the authenticator codes checked.
type countingVerifier struct {
	verify.Verifier
	checks atomic.Int32
}

func (c *countingVerifier) ChallengeTOTP(ctx context.Context, identity, factorSID, code string) (verify.Check, error) {
	c.checks.Add(1)
	return c.Verifier.ChallengeTOTP(ctx, identity, factorSID, code)
}

// TestParallelWrongCodesCapped: of many wrong authenticator codes sent at
// once from many logins and networks, the provider checks at most as many
// as the account may fail, and the account then waits: the caps hold for
// guesses in flight together.
func TestParallelWrongCodesCapped(t *testing.T) {
	eachTxModeWith(t, Limits{AccountFailures: 4}, testParallelWrongCodesCapped)
}

func testParallelWrongCodesCapped(t *testing.T, f *fixture, uid, _ string) {
	cv := &countingVerifier{Verifier: f.svc.verifier}
	f.svc.verifier = cv
	f.clock.Advance(time.Minute)
	const guesses = 24
	logins := make([]PreAuth, guesses)
	for i := range logins {
		logins[i] = f.login(t, "ada@example.com")
	}
	var wg sync.WaitGroup
	for i, pa := range logins {
		wg.Go(func() {
			_, err := f.svc.CheckLoginTOTP(ctx, pa, fmt.Sprintf("%06d", i), fmt.Sprintf("198.51.100.%d", i+1))
			if err == nil {
				t.Errorf("guess %06d signed in", i)
			}
		})
	}
	wg.Wait()
	if n := cv.checks.Load(); n > 4 {
		t.Fatalf("%d of %d parallel wrong codes were checked, want at most 4", n, guesses)
	}
	if u, _ := f.db.UserByID(ctx, uid); !u.LockedUntil.After(f.clock.Now()) {
		t.Fatalf("the account does not wait after its failures: %+v", u.LockedUntil)
	}
}

// TestProviderFaultCountsNothing: a check that fails for a reason not the
// user's (the provider down) leaves the account's failures as they were.
func TestProviderFaultCountsNothing(t *testing.T) { eachTxMode(t, testProviderFaultCountsNothing) }

func testProviderFaultCountsNothing(t *testing.T, f *fixture, uid, secret string) {
	f.clock.Advance(time.Minute)
	pa := f.login(t, "ada@example.com")
	if _, err := f.svc.CheckLoginTOTP(ctx, pa, "000000", "192.0.2.9"); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("wrong code: %v", err)
	}
	f.svc.verifier = failingTOTP{f.svc.verifier}
	if _, err := f.svc.CheckLoginTOTP(ctx, pa, totpCode(t, secret, f.clock.Now()), "192.0.2.9"); err == nil || errors.Is(err, ErrWrongCode) {
		t.Fatalf("provider down: %v", err)
	}
	if u, _ := f.db.UserByID(ctx, uid); u.FailedAttempts != 1 {
		t.Fatalf("after a wrong code and a provider fault: %d failures, want 1", u.FailedAttempts)
	}
}

// failingTOTP is a provider whose authenticator checks fail.
type failingTOTP struct{ verify.Verifier }

func (failingTOTP) ChallengeTOTP(context.Context, string, string, string) (verify.Check, error) {
	return verify.Check{}, errors.New("provider down")
}
