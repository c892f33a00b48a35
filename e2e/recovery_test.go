package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// mailEntry is one line of the portal's mail outbox.
type mailEntry struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Kind    string    `json:"kind"`
	Links   []string  `json:"links"`
	SentAt  time.Time `json:"sent_at"`
}

// mails reads the portal's mail outbox.
func (p *portal) mails(t *testing.T) []mailEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(p.DataDir, "mail-outbox.jsonl"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []mailEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m mailEntry
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("outbox line: %v", err)
		}
		out = append(out, m)
	}
	return out
}

// mailLink waits for the (after-th or later) mail of kind to the address,
// as a person waits for it in the inbox, and returns its one link.
func (p *portal) mailLink(t *testing.T, to, kind string, after int) (string, int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ms := p.mails(t)
		for i := len(ms) - 1; i >= after; i-- {
			if m := ms[i]; m.To == to && m.Kind == kind {
				if len(m.Links) != 1 || !strings.HasPrefix(m.Links[0], p.URL+"/") || m.SentAt.IsZero() || m.Subject == "" {
					t.Fatalf("%s mail: %+v", kind, m)
				}
				return m.Links[0], len(ms)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s mail to %s", kind, to)
		}
	}
}

// signInWith runs the password step with pw.
func signInWith(t *testing.T, ctx context.Context, p *portal, email, pw string) {
	t.Helper()
	do(t, ctx, "password step",
		chromedp.Navigate(p.URL+"/login"),
		waitFor(`input[name=email]`),
		fill(`input[name=email]`, email),
		fill(`input[name=password]`, pw),
		solved(),
		chromedp.WaitEnabled(css(`form[action="/login"] button[type=submit]`)),
		submit("/login"),
	)
	wantPath(t, ctx, p.URL, "/login/mfa")
}

// forgotPassword asks for a reset link from the sign-in page.
func forgotPassword(t *testing.T, ctx context.Context, p *portal, email, name string) {
	t.Helper()
	do(t, ctx, "forgot link", chromedp.Navigate(p.URL+"/login"), waitFor(`a[href="/password/forgot"]`),
		click(`a[href="/password/forgot"]`))
	wantPath(t, ctx, p.URL, "/password/forgot")
	do(t, ctx, "forgot page", waitFor(`input[name=email]`), solved(), shots(t, name+"-forgot", ""),
		fill(`input[name=email]`, email), submit("/password/forgot"))
	wantPath(t, ctx, p.URL, "/password/forgot/sent")
	do(t, ctx, "sent page", waitFor(`h1`), shots(t, name+"-forgot-sent", ""))
	if s := text(t, ctx, "main"); !strings.Contains(s, "If an account uses that address, we've sent it a link") {
		t.Fatalf("sent page says %q", s)
	}
}

// newPasswordStep saves pw on the last page of a reset and checks the
// sign-in page says so.
func newPasswordStep(t *testing.T, ctx context.Context, p *portal, pw, name string) {
	t.Helper()
	wantPath(t, ctx, p.URL, "/password/reset/new")
	do(t, ctx, "new password", waitFor(`input[name=password]`), shots(t, name+"-new-password", ""),
		fill(`input[name=password]`, pw), submit("/password/reset/new"))
	wantPath(t, ctx, p.URL, "/login")
	do(t, ctx, "signed out after reset", waitFor(`input[name=email]`), shots(t, name+"-reset-done", ""))
	if s := text(t, ctx, "main"); !strings.Contains(s, "Your password has been reset. Sign in with your new password.") {
		t.Fatalf("sign-in page says %q", s)
	}
	do(t, ctx, "dashboard after reset", chromedp.Navigate(p.URL+"/dashboard"))
	wantPath(t, ctx, p.URL, "/login")
}

// TestRecoveryJourney: register, verify the email from the mail outbox,
// change the password, sign out and recover it with the emailed link plus
// the SMS code; then, for an account with an authenticator, with the link
// plus the authenticator. Every new page is shot at 1280 and 375 px.
func TestRecoveryJourney(t *testing.T) {
	ctx := browser(t, 1280, 900)
	p := startPortal(t)
	const ada, second, third = "ada@example.com", "second-Passphrase-81", "third-Passphrase-27"

	registerAccount(t, ctx, p, ada)
	verifyLink, seen := p.mailLink(t, ada, "verify_email", 0)
	passwordStep(t, ctx, p, ada)
	smsStep(t, ctx, p)
	do(t, ctx, "account, unverified", chromedp.Navigate(p.URL+"/account"),
		waitFor(`form[action="/account/email/resend"]`), shots(t, "recovery-01-account", ""))
	do(t, ctx, "verify email", chromedp.Navigate(verifyLink), waitFor(`h1`), shots(t, "recovery-02-email-verified", ""))
	if s := text(t, ctx, "h1"); s != "Email address verified" {
		t.Fatalf("verify page: %q", s)
	}
	do(t, ctx, "link used", chromedp.Navigate(verifyLink), waitFor(`h1`), shots(t, "recovery-03-link-used", ""))
	if s := text(t, ctx, "main"); !strings.Contains(s, "already used") {
		t.Fatalf("used link page: %q", s)
	}

	// Change the password from Account settings.
	do(t, ctx, "account, verified", chromedp.Navigate(p.URL+"/account"), waitFor(`a[href="/account/password"]`),
		click(`a[href="/account/password"]`))
	wantPath(t, ctx, p.URL, "/account/password")
	do(t, ctx, "change password",
		waitFor(`input[name=current_password]`),
		shots(t, "recovery-04-change-password", ""),
		fill(`input[name=current_password]`, "not my password"),
		fill(`input[name=new_password]`, second),
		submit("/account/password"),
		waitFor(`input[name=current_password][aria-invalid=true]`),
		shots(t, "recovery-05-change-password-wrong", ""),
		fill(`input[name=current_password]`, password),
		fill(`input[name=new_password]`, second),
		submit("/account/password"),
	)
	wantPath(t, ctx, p.URL, "/account")
	do(t, ctx, "changed", waitFor(`.notice-success`), shots(t, "recovery-06-password-changed", ""))
	logout(t, ctx, p)

	// Forgotten: the link plus the SMS code.
	forgotPassword(t, ctx, p, ada, "recovery-07")
	resetLink, _ := p.mailLink(t, ada, "reset_link", seen)
	do(t, ctx, "reset page", chromedp.Navigate(resetLink), waitFor(`form[action="/password/reset/sms"] button`),
		shots(t, "recovery-08-reset-sms", ""), submit("/password/reset/sms"))
	wantPath(t, ctx, p.URL, "/password/reset/code")
	do(t, ctx, "wrong reset code",
		waitFor(`input[name=code]`),
		shots(t, "recovery-09-reset-code", ""),
		fill(`input[name=code]`, "000000"),
		submit("/password/reset/code"),
		waitFor(`input[name=code][aria-invalid=true]`),
		shots(t, "recovery-10-reset-code-wrong", ""),
		fill(`input[name=code]`, p.lastCode(t, phoneE164)),
		submit("/password/reset/code"),
	)
	newPasswordStep(t, ctx, p, third, "recovery-11")
	signInWith(t, ctx, p, ada, third) // the password step takes the new password

	// Grace has an authenticator: her link is completed with it, never SMS.
	do(t, ctx, "a new visitor", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	const grace = "grace@example.com"
	registerGrace(t, ctx, p, grace)
	secret := enrollWithoutScripts(t, ctx, p)
	enrolled := time.Now()
	logout(t, ctx, p)
	_, seen = p.mailLink(t, grace, "verify_email", 0)
	forgotPassword(t, ctx, p, grace, "recovery-12")
	resetLink, _ = p.mailLink(t, grace, "reset_link", seen)
	do(t, ctx, "reset page, authenticator", chromedp.Navigate(resetLink), waitFor(`input[name=code]`),
		shots(t, "recovery-13-reset-authenticator", ""))
	if n := eval[int](t, ctx, `document.querySelectorAll('form[action="/password/reset/sms"]').length`); n != 0 {
		t.Fatal("SMS offered to an authenticator user")
	}
	do(t, ctx, "authenticator code", fill(`input[name=code]`, codeAfter(t, secret, enrolled)), submit("/password/reset/code"))
	newPasswordStep(t, ctx, p, second, "recovery-14")
	do(t, ctx, "spent reset link", chromedp.Navigate(resetLink), waitFor(`h1`), shots(t, "recovery-15-reset-link-used", ""))
	signInWith(t, ctx, p, grace, second)

	// The links are printed on the console with the mail, by design, but no
	// log line holds one.
	for _, m := range p.mails(t) {
		for _, l := range m.Links {
			_, tok, ok := strings.Cut(l, "?token=")
			if !ok {
				continue // the portal's address, offered where to act
			}
			for _, line := range strings.Split(p.logs.String(), "\n") {
				if strings.HasPrefix(line, "time=") && strings.Contains(line, tok) {
					t.Errorf("a link token is in the log line %q", line)
				}
			}
		}
	}
}

// registerGrace registers email with the second number and signs in.
func registerGrace(t *testing.T, ctx context.Context, p *portal, email string) {
	t.Helper()
	do(t, ctx, "registration", chromedp.Navigate(p.URL+"/register"), waitFor(`input[name=first_name]`),
		fill(`input[name=first_name]`, "Grace"), fill(`input[name=last_name]`, "Hopper"),
		fill(`input[name=email]`, email), solved(), submit("/register"))
	wantPath(t, ctx, p.URL, "/register/credentials")
	do(t, ctx, "credentials", waitFor(`input[name=password]`), fill(`input[name=password]`, password),
		fill(`input[name=phone]`, newUI), submit("/register/credentials"))
	wantPath(t, ctx, p.URL, "/register/verify")
	do(t, ctx, "code", waitFor(`input[name=code]`), fill(`input[name=code]`, p.lastCode(t, newE164)), submit("/register/verify"))
	wantPath(t, ctx, p.URL, "/login")
	signInWith(t, ctx, p, email, password)
	do(t, ctx, "choose SMS", waitFor(`form[action="/login/mfa/sms"] button`), submit("/login/mfa/sms"))
	wantPath(t, ctx, p.URL, "/login/mfa/code")
	do(t, ctx, "SMS code", waitFor(`input[name=code]`), fill(`input[name=code]`, p.lastCode(t, newE164)), submit("/login/mfa/code"))
	wantPath(t, ctx, p.URL, "/dashboard")
}

// enrollWithoutScripts sets up an authenticator through the plain-form
// pages and returns its secret.
func enrollWithoutScripts(t *testing.T, ctx context.Context, p *portal) string {
	t.Helper()
	do(t, ctx, "enable", scripts(false), chromedp.Navigate(p.URL+"/account"),
		waitFor(`[data-totp][data-state="off"] form[data-totp-enable] button`), click(`form[data-totp-enable] button`))
	wantPath(t, ctx, p.URL, "/generate-totp-factor/")
	do(t, ctx, "QR page", waitFor(`[data-qr-secret]`))
	secret := strings.ReplaceAll(text(t, ctx, "[data-qr-secret]"), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "confirm", fill(`input[name=code]`, code), submit("/confirm-totp-enrollment/"))
	wantPath(t, ctx, p.URL, "/account#backup-codes")
	do(t, ctx, "scripts back on", scripts(true))
	return secret
}
