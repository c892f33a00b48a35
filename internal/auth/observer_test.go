package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/store"
)

// events is an Observer that records each call as one line.
type events struct {
	mu    sync.Mutex
	lines []string
}

func (e *events) add(format string, a ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, fmt.Sprintf(format, a...))
}

func (e *events) SignIn(method, outcome string)            { e.add("signin %s %s", method, outcome) }
func (e *events) SMS(outcome string)                       { e.add("sms %s", outcome) }
func (e *events) Lockout()                                 { e.add("lockout") }
func (e *events) Limited(limit string, wait time.Duration) { e.add("limited %s %s", limit, wait) }

// take returns the lines so far and forgets them.
func (e *events) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.lines
	e.lines = nil
	return l
}

func TestObserverSeesSignInsSMSAndLockouts(t *testing.T) {
	f := newFixture(t)
	ev := &events{}
	f.svc.obs = ev
	u := f.register(t, "ada@example.com", "2015550123")
	if got := ev.take(); !slices.Equal(got, []string{"sms sent"}) {
		t.Fatalf("registration: %q", got)
	}

	// Ten failures spread over ten networks reach an account-wide cap of 10
	// (no single network's throttle applies).
	f.svc.lim.AccountFailures = 10
	bad := LoginInput{Email: "ada@example.com", Password: "wrong password", Captcha: "bad", IP: "192.0.2.50"}
	_, _ = f.svc.Login(ctx, bad)
	bad.Captcha = "ok"
	for i := range 10 {
		bad.IP = fmt.Sprintf("192.0.2.%d", 60+i)
		_, _ = f.svc.Login(ctx, bad)
	}
	good := bad
	good.IP = "192.0.2.99"
	good.Password = testPassword
	_, _ = f.svc.Login(ctx, good)
	want := []string{"signin password captcha"}
	for range 10 {
		want = append(want, "signin password invalid_credentials")
	}
	want = slices.Insert(want, len(want)-1, "lockout")
	want = append(want, "signin password locked")
	if got := ev.take(); !slices.Equal(got, want) {
		t.Fatalf("password steps:\n got %q\nwant %q", got, want)
	}

	f.clock.Advance(16 * time.Minute)
	pa := f.login(t, "ada@example.com")
	pa, err := f.svc.SendLoginCode(ctx, pa, "", "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	_ = f.svc.ResendLoginCode(ctx, pa, "192.0.2.9")
	_, _ = f.svc.CheckLoginCode(ctx, pa, "999999")
	if _, err := f.svc.CheckLoginCode(ctx, pa, codeFor(u.Phone)); err != nil {
		t.Fatal(err)
	}
	want = []string{"signin password success", "sms sent", "limited sms-cool 30s", "sms sms-cool",
		"signin sms wrong_code", "signin sms success"}
	if got := ev.take(); !slices.Equal(got, want) {
		t.Fatalf("second factor:\n got %q\nwant %q", got, want)
	}
}

// TestObserverGetsNoPersonalData checks that no event of a whole flow
// names the email, the phone number or the IP address used.
func TestObserverGetsNoPersonalData(t *testing.T) {
	f := newFixture(t)
	ev := &events{}
	f.svc.obs = ev
	f.register(t, "grace@example.com", "2015550177")
	pa := f.login(t, "grace@example.com")
	pa, _ = f.svc.SendLoginCode(ctx, pa, "", "192.0.2.9")
	_ = f.svc.ResendLoginCode(ctx, pa, "192.0.2.9")
	_, _ = f.svc.CheckLoginCode(ctx, pa, codeFor("+12015550177"))
	lines := ev.take()
	if len(lines) < 4 {
		t.Fatalf("too few events to prove anything: %q", lines)
	}
	for _, l := range lines {
		for _, secret := range []string{"grace", "example.com", "555", "0177", "192.0.2", codeFor("+12015550177")} {
			if strings.Contains(l, secret) {
				t.Errorf("event %q holds %q", l, secret)
			}
		}
	}
}

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "success"},
		{ErrInvalidCredentials, "invalid_credentials"},
		{fmt.Errorf("%w (%w)", ErrInvalidCredentials, errAccountLocked), "locked"},
		{&LimitError{Reason: "x", Limit: "login-ip"}, "limited"},
		{invalid("code", "Enter the 6-digit code."), "invalid_input"},
		{fmt.Errorf("%w (%w)", ErrCodeReused, ErrWrongCode), "code_reused"},
		{&DriftError{Drift: time.Minute}, "wrong_code"},
		{fmt.Errorf("auth: login: %w", store.ErrUnavailable), "database_unavailable"},
		{fmt.Errorf("auth: %s: %w", "check", context.Canceled), "canceled"},
		{errors.New("boom"), "error"},
	} {
		if got := outcome(tc.err); got != tc.want {
			t.Errorf("outcome(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
