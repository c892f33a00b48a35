package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"gatehouse/internal/auth"
	"gatehouse/internal/store"
	"gatehouse/internal/verify"
	"gatehouse/internal/web"
)

// failingCommits is the session store with a switch that makes the next
// save of a new session fail, as a database gone at that moment would.
type failingCommits struct {
	scs.CtxStore
	fail atomic.Bool
}

func (f *failingCommits) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if f.fail.CompareAndSwap(true, false) {
		return fmt.Errorf("the database went away: %w", store.ErrUnavailable)
	}
	return f.CtxStore.CommitCtx(ctx, token, b, expiry)
}

// TestSignInCommitsAsOne: the end of the pre-auth session, the sign-in's
// activity record and the new session are one transaction. When the new
// session cannot be saved the visitor gets one error answer and none of
// the three happened: the old session still works, no sign-in is
// recorded, and the next code signs in. On both databases.
func TestSignInCommitsAsOne(t *testing.T) {
	for _, dbName := range databases {
		t.Run(dbName, func(t *testing.T) {
			fc := &failingCommits{}
			h := newHarness(t, onDatabase(dbName), func(s *setup) {
				s.web = func(o *web.Options) {
					fc.CtxStore = o.SessionStore.(scs.CtxStore)
					o.SessionStore = fc
				}
			})
			secret := h.totpMember("ada@example.com")
			u, err := h.db.UserByEmail(context.Background(), "ada@example.com")
			if err != nil {
				t.Fatal(err)
			}
			signIns := func() int {
				evs, err := h.auth.RecentActivity(context.Background(), u.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, e := range evs {
					if e.Event == auth.EventSignIn {
						n++
					}
				}
				return n
			}
			before := signIns()
			c := h.pendingLogin("ada@example.com", "")
			pending := c.token()
			fc.fail.Store(true)
			r := c.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}})
			if r.status != http.StatusServiceUnavailable {
				t.Fatalf("a sign-in whose session was not saved answered %d: %s", r.status, r.body)
			}
			if got := c.token(); got != pending {
				t.Errorf("the failed sign-in set a session cookie")
			}
			if n := signIns(); n != before {
				t.Errorf("a sign-in that did not happen was recorded (%d, was %d)", n, before)
			}
			if _, found, err := (store.Sessions{DB: h.db}).FindCtx(context.Background(), pending); err != nil || !found {
				t.Fatalf("the pre-auth session was ended by a sign-in that did not happen: %v %v", found, err)
			}
			// The same browser goes on with the next code.
			h.clock.Advance(30 * time.Second)
			r = c.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}})
			expectJSON(t, r, http.StatusOK)
			if n := signIns(); n != before+1 {
				t.Errorf("sign-ins recorded: %d, want %d", n, before+1)
			}
			if _, found, _ := (store.Sessions{DB: h.db}).FindCtx(context.Background(), pending); found {
				t.Error("the pre-auth session outlived the sign-in")
			}
			expect(t, c.get("/dashboard"), http.StatusOK, "")
		})
	}
}

// totpCounter counts the authenticator checks that reach the verify engine.
type totpCounter struct {
	verify.Verifier
	checks atomic.Int32
}

func (c *totpCounter) ChallengeTOTP(ctx context.Context, identity, factorSID, code string) (verify.Check, error) {
	c.checks.Add(1)
	return c.Verifier.ChallengeTOTP(ctx, identity, factorSID, code)
}

// TestAttackTOTPParallelGuesses: thirty wrong authenticator codes at once
// on one login reach the engine at most the cap of times, and thirty
// copies of one right code, sent at once from thirty browsers at the
// password step, sign in exactly one of them. On both databases.
func TestAttackTOTPParallelGuesses(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, _ *sessionLog, _ *recordLog) {
		secret := h.totpMember("ada@example.com")
		cv := &totpCounter{Verifier: h.verifier.Verifier}
		h.verifier.Verifier = cv
		c := h.pendingLogin("ada@example.com", "")
		wrong := otherCode(h.totpCode(secret))
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() { c.post(pathValidateTOTP, url.Values{"totp_code": {wrong}}) })
		}
		wg.Wait()
		if n := cv.checks.Load(); n > 5 || n == 0 {
			t.Errorf("%d wrong codes were checked, cap is 5", n)
		}
		if u := h.user("ada@example.com"); u.FailedAttempts > 5 {
			t.Errorf("account counted %d failures", u.FailedAttempts)
		}

		// Past the engine's own 10-minute wait after five wrong codes.
		h.clock.Advance(11 * time.Minute)
		browsers := make([]*client, 30)
		for i := range browsers {
			browsers[i] = h.pendingLogin("ada@example.com", "")
		}
		right := h.totpCode(secret)
		var signedIn atomic.Int32
		for _, b := range browsers {
			wg.Go(func() {
				if r := b.post(pathValidateTOTP, url.Values{"totp_code": {right}}); r.status == http.StatusOK {
					signedIn.Add(1)
				}
			})
		}
		wg.Wait()
		if n := signedIn.Load(); n != 1 {
			t.Errorf("one authenticator code signed in %d browsers, want exactly 1", n)
		}
	})
}
