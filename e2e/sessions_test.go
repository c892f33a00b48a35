package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSessionsDevicesActivity: a sign-in with "Don't ask again on this
// device" ticked, then a sign-in on that browser with the password alone;
// the sessions page, the devices card and the activity list as a person
// sees them, at 1280 and 375 px.
func TestSessionsDevicesActivity(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	registerAccount(t, ctx, p, "grace@example.com")
	passwordStep(t, ctx, p, "grace@example.com")
	do(t, ctx, "choose SMS", waitFor(`form[action="/login/mfa/sms"] button`), submit("/login/mfa/sms"))
	wantPath(t, ctx, p.URL, "/login/mfa/code")
	do(t, ctx, "SMS code, remember this device",
		waitFor(`input[name=code]`),
		shots(t, "sessions-01-remember-box", ""),
		fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		click(`input[name=remember_device]`),
		submit("/login/mfa/code"),
	)
	wantPath(t, ctx, p.URL, "/dashboard")
	logout(t, ctx, p)

	// The password alone signs in on this browser.
	do(t, ctx, "password step on a remembered device",
		chromedp.Navigate(p.URL+"/login"),
		waitFor(`input[name=email]`),
		fill(`input[name=email]`, "grace@example.com"),
		fill(`input[name=password]`, password),
		solved(),
		chromedp.WaitEnabled(css(`form[action="/login"] button[type=submit]`)),
		submit("/login"),
	)
	wantPath(t, ctx, p.URL, "/dashboard")
	if got := text(t, ctx, ".facts"); !strings.Contains(got, "Verified with remembered device") {
		t.Fatalf("dashboard says %q", got)
	}

	do(t, ctx, "account page",
		chromedp.Navigate(p.URL+"/account"),
		waitFor(`#devices`),
		shots(t, "sessions-02-account-devices", "#devices"),
		shots(t, "sessions-03-account-activity", "#activity"),
	)
	if got := text(t, ctx, "#devices"); !strings.Contains(got, "Headless Chrome") || !strings.Contains(got, "Forget all devices") {
		t.Fatalf("devices card: %q", got)
	}
	do(t, ctx, "sessions page",
		chromedp.Navigate(p.URL+"/account/sessions"),
		waitFor(`.row-current`),
		shots(t, "sessions-04-sessions", ""),
	)
	// A remembered device is no recent second factor: the page asks to sign in again.
	do(t, ctx, "sign out everywhere else, refused",
		chromedp.Navigate(p.URL+"/account/sessions"),
		waitFor(`.row-current`),
	)
	do(t, ctx, "activity page",
		chromedp.Navigate(p.URL+"/account/activity"),
		waitFor(`.rows`),
		shots(t, "sessions-05-activity", ""),
	)
	if got := text(t, ctx, ".rows"); !strings.Contains(got, "Device remembered") || !strings.Contains(got, "Signed in") {
		t.Fatalf("activity: %q", got)
	}
	do(t, ctx, "forget all devices",
		chromedp.Navigate(p.URL+"/account"),
		waitFor(`#devices`),
		submit("/account/devices/forget"),
		waitFor(`.notice-success`),
	)
	if got := text(t, ctx, "#devices"); !strings.Contains(got, "No remembered devices") {
		t.Fatalf("devices after forgetting: %q", got)
	}
}

// smsSignIn runs the password step and the SMS code in the browser of ctx.
func smsSignIn(t *testing.T, ctx context.Context, p *portal, email string) {
	t.Helper()
	passwordStep(t, ctx, p, email)
	do(t, ctx, "choose SMS", waitFor(`form[action="/login/mfa/sms"] button`), submit("/login/mfa/sms"))
	wantPath(t, ctx, p.URL, "/login/mfa/code")
	do(t, ctx, "SMS code", waitFor(`input[name=code]`), fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		submit("/login/mfa/code"))
	wantPath(t, ctx, p.URL, "/dashboard")
}

// TestRevokeAnotherSession: signed in on two browsers, the person sees both
// sessions and signs the other one out, which is then signed out at its
// next page; the activity list says so.
func TestRevokeAnotherSession(t *testing.T) {
	laptop, phone := browser(t, 1280, 900), browser(t, 1280, 900)
	p := startPortal(t)
	registerAccount(t, laptop, p, "ada@example.com")
	smsSignIn(t, laptop, p, "ada@example.com")
	smsSignIn(t, phone, p, "ada@example.com")
	do(t, laptop, "sessions page with two sessions",
		chromedp.Navigate(p.URL+"/account/sessions"),
		waitFor(`.row-current`),
		shots(t, "sessions-06-two-sessions", ""),
	)
	if n := eval[int](t, laptop, `document.querySelectorAll('.rows .row').length`); n != 2 {
		t.Fatalf("%d sessions listed, want 2", n)
	}
	do(t, laptop, "sign out everywhere else",
		click(`form[action="/account/sessions/revoke"] input[name=all][value=others] ~ button`),
		waitFor(`.notice-success`),
		shots(t, "sessions-07-others-signed-out", ""),
	)
	if n := eval[int](t, laptop, `document.querySelectorAll('.rows .row').length`); n != 1 {
		t.Fatalf("%d sessions listed after signing the others out, want 1", n)
	}
	do(t, phone, "the other browser's next page", chromedp.Navigate(p.URL+"/dashboard"), waitFor(`input[name=email]`))
	wantPath(t, phone, p.URL, "/login")
	do(t, laptop, "activity", chromedp.Navigate(p.URL+"/account/activity"), waitFor(`.rows`))
	if got := text(t, laptop, ".rows"); !strings.Contains(got, "Signed out a session") {
		t.Errorf("activity does not show the revoked session: %q", got)
	}
}
