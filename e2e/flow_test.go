package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	password  = "correct horse battery staple"
	phoneUI   = "(201) 555-0123"
	phoneE164 = "+12015550123"
	newUI     = "202 555 0147"
	newE164   = "+12025550147"
)

// page helpers: each returns an action so a flow reads as a list of steps.

// fill replaces what the field holds with value, as a person would: the
// sign-in page may come with the email already filled in.
func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Clear(chromedp.CSS(sel))(ctx, tg); err != nil {
			return err
		}
		_, err := chromedp.SendKeys(chromedp.CSS(sel), value)(ctx, tg)
		return err
	})
}

func submit(action string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(`form[action="` + action + `"] button[type=submit]`))
}

func waitFor(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

// solved waits until the proof-of-work CAPTCHA in the page is solved.
func solved() chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`[data-captcha="pow"].is-solved`))
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// do runs the steps with a deadline; on failure it saves a screenshot of
// the page as it stood.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		_ = chromedp.Do(ctx, shot(t, "FAILED-"+strings.ReplaceAll(t.Name(), "/", "-")))
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v (at %s)\npage text: %s", what, err, location(t, ctx), body)
	}
}

// loaded reports whether the page has finished loading: acting on a page
// whose navigation is still committing fails with "Inspected target
// navigated or closed".
func loaded(ctx context.Context) bool {
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`))
	return err == nil && state == "complete"
}

func wantPath(t *testing.T, ctx context.Context, base, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// A read may fail while a navigation commits: try again.
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], base) == path && loaded(ctx) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("at %s, want %s", loc, path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRegisterLoginChangePhoneLogout is the core journey of a person:
// register, read the code from the outbox, sign in with SMS, reach the
// dashboard, change the phone number and sign out.
func TestRegisterLoginChangePhoneLogout(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	base := p.URL

	// Registration, step 1: details + CAPTCHA.
	do(t, ctx, "open registration",
		chromedp.Navigate(base+"/register"),
		waitFor(`input[name=first_name]`),
		shot(t, "01-register"),
		fill(`input[name=first_name]`, "Ada"),
		fill(`input[name=last_name]`, "Lovelace"),
		fill(`input[name=email]`, "ada@example.com"),
		solved(),
		shot(t, "02-register-filled"),
		submit("/register"),
	)
	wantPath(t, ctx, base, "/register/credentials")

	// Step 2: password + phone, Send OTP.
	do(t, ctx, "credentials",
		waitFor(`input[name=password]`),
		fill(`input[name=password]`, "short"),
		fill(`input[name=phone]`, phoneUI),
		submit("/register/credentials"),
		waitFor(`input[name=password][aria-invalid=true]`),
		shot(t, "03-register-password-too-short"),
		fill(`input[name=password]`, password),
		submit("/register/credentials"),
	)
	wantPath(t, ctx, base, "/register/verify")

	// Step 3: a wrong code shows an error on the same page; the right one
	// creates the account.
	do(t, ctx, "wrong registration code",
		waitFor(`input[name=code]`),
		shot(t, "04-register-verify"),
		fill(`input[name=code]`, "000000"),
		submit("/register/verify"),
		waitFor(`input[name=code][aria-invalid=true]`),
		shot(t, "05-register-wrong-code"),
	)
	wantPath(t, ctx, base, "/register/verify")
	do(t, ctx, "right registration code",
		chromedp.Clear(chromedp.CSS(`input[name=code]`)),
		fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		submit("/register/verify"),
	)
	wantPath(t, ctx, base, "/login")
	do(t, ctx, "login page", waitFor(`input[name=email]`), shot(t, "06-login-after-register"))
	if s := text(t, ctx, "body"); !strings.Contains(s, "account has been created") {
		t.Fatalf("no success message after registration: %q", s)
	}

	// Sign in: Submit stays disabled until the fields are filled and the
	// CAPTCHA is solved.
	do(t, ctx, "sign in",
		fill(`input[name=email]`, "ada@example.com"),
		fill(`input[name=password]`, password),
		solved(),
		chromedp.WaitEnabled(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		shot(t, "07-login-filled"),
		submit("/login"),
	)
	wantPath(t, ctx, base, "/login/mfa")
	do(t, ctx, "method chooser",
		waitFor(`form[action="/login/mfa/sms"] button[type=submit]`),
		shot(t, "08-choose-method"),
		submit("/login/mfa/sms"),
	)
	wantPath(t, ctx, base, "/login/mfa/code")
	do(t, ctx, "wrong login code",
		waitFor(`input[name=code]`),
		fill(`input[name=code]`, "000000"),
		submit("/login/mfa/code"),
		waitFor(`input[name=code][aria-invalid=true]`),
		shot(t, "09-login-wrong-code"),
		chromedp.Clear(chromedp.CSS(`input[name=code]`)),
		fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		submit("/login/mfa/code"),
	)
	wantPath(t, ctx, base, "/dashboard")
	do(t, ctx, "dashboard", waitFor(`body`), shot(t, "10-dashboard"))
	if s := text(t, ctx, "body"); !strings.Contains(s, "Ada") || !strings.Contains(s, "***-0123") {
		t.Fatalf("dashboard does not show the user and masked phone: %q", s)
	}

	// Change the phone number: the code goes to the new number.
	do(t, ctx, "account", chromedp.Navigate(base+"/account"), waitFor(`a[href="/account/phone"]`), shot(t, "11-account"),
		chromedp.Click(chromedp.CSS(`a[href="/account/phone"]`)))
	wantPath(t, ctx, base, "/account/phone")
	do(t, ctx, "new number",
		waitFor(`input[name=phone]`),
		fill(`input[name=phone]`, newUI),
		shot(t, "12-change-phone"),
		submit("/account/phone"),
	)
	wantPath(t, ctx, base, "/account/phone/verify")
	do(t, ctx, "verify new number",
		waitFor(`input[name=code]`),
		shot(t, "13-change-phone-verify"),
		fill(`input[name=code]`, p.lastCode(t, newE164)),
		submit("/account/phone/verify"),
	)
	wantPath(t, ctx, base, "/account/phone/confirm")
	do(t, ctx, "confirm", waitFor(`form[action="/account/phone/confirm"] button[type=submit]`),
		shot(t, "14-change-phone-confirm"), submit("/account/phone/confirm"))
	wantPath(t, ctx, base, "/account")
	do(t, ctx, "account after change", waitFor(`body`), shot(t, "15-account-phone-changed"))
	if s := text(t, ctx, "body"); !strings.Contains(s, "phone number has been updated") || !strings.Contains(s, "***-0147") {
		t.Fatalf("account does not confirm the new number: %q", s)
	}

	// Sign out.
	do(t, ctx, "logout", submit("/logout"))
	wantPath(t, ctx, base, "/login")
	do(t, ctx, "signed out", waitFor(`input[name=email]`), shot(t, "16-signed-out"))
	do(t, ctx, "dashboard after logout", chromedp.Navigate(base+"/dashboard"))
	wantPath(t, ctx, base, "/login")
}

// TestMobileLayout screenshots the main pages at phone width and checks
// nothing overflows horizontally.
func TestMobileLayout(t *testing.T) {
	ctx := browser(t, 375, 812)
	p := startPortal(t)
	for _, pg := range []struct{ path, name string }{
		{"/login", "mobile-login"},
		{"/register", "mobile-register"},
	} {
		do(t, ctx, pg.path, chromedp.Navigate(p.URL+pg.path), waitFor(`form`), solved(), shot(t, pg.name))
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if overflow {
			t.Errorf("%s overflows horizontally at 375 px", pg.path)
		}
	}
}
